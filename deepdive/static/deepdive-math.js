// Deep Dives: a display equation wider than the text column scrolls sideways. Make exactly those
// equations reachable by keyboard (WCAG 2.1.1), as the theme does for wide code blocks. Whether
// one is too wide changes after the first paint: when KaTeX's fonts arrive (wider than the
// fallback), when the window is resized, and when a hidden part of the page (a tab, a dropdown)
// is shown, so each of those checks again. No typesetting happens here: the build did that.
(() => {
  const displays = () => document.querySelectorAll("div.math > .katex-display");
  const update = () => {
    for (const equation of displays()) {
      if (equation.scrollWidth > equation.clientWidth) {
        equation.tabIndex = 0;
      } else {
        equation.removeAttribute("tabindex");
      }
    }
  };
  const start = () => {
    update();
    // A display's box changes size when the window does and when it is first shown.
    const observer = new ResizeObserver(update);
    for (const equation of displays()) observer.observe(equation);
    document.fonts.ready.then(update);
    window.addEventListener("load", update);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
