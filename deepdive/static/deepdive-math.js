// Deep Dives: display equations wider than the text column. The build typeset them; this only
// fits them to the column a reader has:
// - one at most a seventh too wide is shrunk to fit (no smaller than MIN_SCALE of its size);
// - a wider one scrolls sideways, is reachable by keyboard (WCAG 2.1.1, as the theme does for
//   wide code blocks), and says on which side it continues (data-dd-more, which
//   deepdive-pages.css fades out), updated as it is scrolled.
// Whether one is too wide changes after the first paint: when KaTeX's fonts arrive, when the
// window is resized, and when a hidden part of the page (a tab, a dropdown) is shown, so each of
// those checks again.
(() => {
  const MIN_SCALE = 0.86;
  const displays = () => document.querySelectorAll("div.math > .katex-display");

  const markSides = (equation) => {
    const hidden = equation.scrollWidth - equation.clientWidth;
    const left = hidden > 1 && equation.scrollLeft > 1;
    const right = hidden > 1 && equation.scrollLeft < hidden - 1;
    const more = left && right ? "both" : left ? "left" : right ? "right" : "";
    if (more) {
      equation.dataset.ddMore = more;
    } else {
      delete equation.dataset.ddMore;
    }
  };

  const fit = (equation) => {
    if (!equation.clientWidth) return; // not shown yet: checked again when it is
    equation.style.fontSize = "";
    const scale = equation.clientWidth / equation.scrollWidth;
    if (scale < 1 && scale >= MIN_SCALE) {
      equation.style.fontSize = `${Math.floor(scale * 1000) / 10}%`;
    }
    if (equation.scrollWidth > equation.clientWidth + 1) {
      equation.tabIndex = 0;
    } else {
      equation.removeAttribute("tabindex");
    }
    markSides(equation);
  };

  const update = () => {
    for (const equation of displays()) fit(equation);
  };

  const start = () => {
    update();
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) fit(entry.target);
    });
    for (const equation of displays()) {
      observer.observe(equation);
      equation.addEventListener("scroll", () => markSides(equation), { passive: true });
    }
    document.fonts.ready.then(update);
    window.addEventListener("load", update);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
