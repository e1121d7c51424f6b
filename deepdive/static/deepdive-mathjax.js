// Deep Dives: configure the locally served MathJax 3 (mml-chtml.js), loaded only on pages that
// hold an equation KaTeX could not typeset. The build already turned that TeX into MathML, so
// MathJax only lays out the `.dd-math--fallback` elements and leaves KaTeX's markup alone.
window.MathJax = {
  startup: { elements: [".dd-math--fallback"] },
};
