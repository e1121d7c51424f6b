// Deep Dives: code and tables wider than the text column, and figures the author marks wide, use
// the margin beside it. On a wide screen a post with sidenotes has a margin on its right
// (--dd-sidenote-gutter, see deepdive-pages.css); a code block or table that would scroll sideways
// in the column is widened into that margin by as much as it needs, and a figure with the class
// "wide" (or Jupyter Book's "full-width") by all of it, unless a sidenote sits beside it. Blocks
// that fit the column stay in it, and one wider than column and margin together still scrolls,
// less far.
// Whether a block fits changes when fonts arrive, when the window is resized and when a hidden
// part of the page opens, so each of those checks again.
(() => {
  const BLOCKS = ".bd-article div[class*='highlight-'] > div.highlight, .bd-article .pst-scrollable-table-container";
  const MARKED = ".bd-article figure:is(.wide, .full-width)";
  const GAP = 8; // px kept free between a widened block and the article's edge

  // How far a block scrolls: its <pre>, or itself, or (a notebook's output) its parent scrolls.
  const scrolls = (e) => e && ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const overflow = (block) =>
    Math.max(
      0,
      ...[block, block.querySelector(":scope > pre"), block.parentElement]
        .filter(scrolls)
        .map((e) => e.scrollWidth - e.clientWidth),
    );
  // A notebook cell is widened whole, so that its frame goes with its code.
  const widened = (block) => block.closest(".cell_input, .cell_output") || block;

  const besideASidenote = (block, sidenotes) => {
    const box = block.getBoundingClientRect();
    return sidenotes.some((note) => {
      const other = note.getBoundingClientRect();
      return other.bottom > box.top && other.top < box.bottom;
    });
  };

  const widen = () => {
    const article = document.querySelector(".bd-article");
    if (!article) return;
    const gutter = parseFloat(getComputedStyle(article).paddingRight) || 0;
    const blocks = [...document.querySelectorAll(`${BLOCKS}, ${MARKED}`)];
    for (const block of document.querySelectorAll(".dd-wide")) {
      block.classList.remove("dd-wide");
      block.style.removeProperty("--dd-wide-by");
    }
    // The margin is there only where the sidenotes are shown (deepdive-pages.css).
    const sidenotes = [...article.querySelectorAll(".dd-sidenote")].filter((n) => n.offsetParent);
    if (!sidenotes.length || gutter <= GAP) return;
    // Top to bottom: a widened block loses its scrollbar, which moves what follows it up.
    for (const block of blocks) {
      const needed = block.matches(MARKED) ? Infinity : overflow(block);
      const target = widened(block);
      if (needed <= 1 || !block.offsetParent || target.classList.contains("dd-wide")) continue;
      if (besideASidenote(target, sidenotes)) continue;
      target.style.setProperty("--dd-wide-by", `${Math.min(needed + 2, gutter - GAP)}px`);
      target.classList.add("dd-wide");
      if (besideASidenote(target, sidenotes)) {
        target.classList.remove("dd-wide"); // it moved next to one as it grew: leave it be
        target.style.removeProperty("--dd-wide-by");
      }
    }
  };

  let pending = 0;
  const later = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(widen);
  };
  const start = () => {
    widen();
    window.addEventListener("resize", later, { passive: true });
    window.addEventListener("load", later);
    // A hidden notebook cell or dropdown that opens may hold a block that is too wide.
    document.addEventListener("toggle", later, true);
    if (document.fonts) document.fonts.ready.then(later);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
