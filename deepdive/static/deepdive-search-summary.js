// Deep Dives (deepdive/compat/search_summary.py says why): a search result's summary leaves out
// each formula's MathML copy and its TeX annotation, and reads the formula as it is shown.
(() => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const readAsShown = Search.htmlToText;
  const mathmlCopy = /<span class="katex-mathml">[\s\S]*?<\/math><\/span>/g;
  Search.htmlToText = (html, anchor) => readAsShown(html.replace(mathmlCopy, ""), anchor);
})();
