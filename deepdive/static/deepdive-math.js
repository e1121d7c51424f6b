// Deep Dives: a display equation wider than the text column scrolls sideways. Make exactly those
// equations reachable by keyboard (WCAG 2.1.1), as the theme does for wide code blocks; checked
// again when the window is resized. No typesetting happens here: the build did that.
(() => {
  const update = () => {
    for (const equation of document.querySelectorAll("div.math > .katex-display")) {
      if (equation.scrollWidth > equation.clientWidth) {
        equation.tabIndex = 0;
      } else {
        equation.removeAttribute("tabindex");
      }
    }
  };
  let timer;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
