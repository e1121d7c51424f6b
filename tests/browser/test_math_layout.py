"""Math as a reader sees it, in a Chromium that shows scrollbars (as Linux, Windows and macOS with a
mouse do), on every post with math, at 1366 px and 375 px: inline formulas are part of their
sentence (no scrollbar, no Tab stop, nothing cut off, no line that starts with the comma after
one), and a display
equation either fits or can be scrolled, says on which side it continues, and is reachable by
keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deepdive.tools.chromium import launch

pytestmark = pytest.mark.browser

WIDTHS = [1366, 375]


@pytest.fixture(scope="module")
def scrollbar_browser(chromium_path: str) -> Iterator[Any]:
    """Playwright hides scrollbars in headless Chromium by default; a reader's browser does not."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, chromium_path, scrollbars=True, local_only=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def math_posts(site_pages) -> list[str]:
    posts = [p for p in site_pages.posts if site_pages.html(p).select(".bd-article .math")]
    assert len(posts) >= 4
    return posts


def show(tab: Any, server: Any, page: str) -> None:
    tab.goto(server.url(page))
    tab.wait_for_load_state("load")
    tab.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")


INLINE = """() => {
// A formula in something that scrolls sideways (a wide table) is reached by scrolling it.
const scrolledWith = (m) => {
  for (let e = m.parentElement; e && !e.matches('.bd-article'); e = e.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) return true;
  }
  return false;
};
return [...document.querySelectorAll('.bd-article span.math')].map((m) => {
  const style = getComputedStyle(m);
  return {tex: m.querySelector('annotation')?.textContent ?? m.textContent,
          overflow: style.overflowX, tabIndex: m.tabIndex,
          outside: !scrolledWith(m) && [...m.getClientRects()].some(
            (r) => r.right > document.documentElement.clientWidth + 0.5 || r.left < -0.5)};
});
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_inline_formulas_are_whole_with_no_scrollbar_and_no_tab_stop(measured, width):
    for page, found in measured[width].items():
        formulas = found["inline"]
        assert formulas, page
        # Not a scroller (so no scrollbar and no Tab stop), nothing cut off, nothing off-screen.
        clipping = [f["tex"] for f in formulas if f["overflow"] != "visible"]
        focusable = [f["tex"] for f in formulas if f["tabIndex"] >= 0]
        outside = [f["tex"] for f in formulas if f["outside"]]
        assert (clipping, focusable, outside) == ([], [], []), page


PUNCTUATION = """() => {
  const out = [];
  for (const m of document.querySelectorAll('.bd-article span.math')) {
    let next = m.nextSibling;
    if (!next || next.nodeType !== Node.TEXT_NODE) continue;
    const match = next.textContent.match(/^\\u2060?([,.;:!?)\\]’”])/);
    if (!match) continue;
    const range = document.createRange();
    const at = next.textContent.indexOf(match[1]);
    range.setStart(next, at);
    range.setEnd(next, at + 1);
    const mark = range.getClientRects()[0];
    const rects = m.getClientRects();
    const end = rects[rects.length - 1];
    if (!mark || !end) continue;
    out.push({tex: m.querySelector('annotation')?.textContent, mark: match[1],
              sameLine: mark.top < end.bottom && mark.bottom > end.top});
  }
  return out;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_punctuation_after_an_inline_formula_never_starts_a_line(measured, width):
    checked = 0
    for page, found in measured[width].items():
        checked += len(found["punctuation"])
        broken = [(f["tex"], f["mark"]) for f in found["punctuation"] if not f["sameLine"]]
        assert broken == [], page
    assert checked > 50  # the posts end many a sentence and clause with a formula


DISPLAYS = """() => [...document.querySelectorAll('div.math > .katex-display')].map((d) => ({
  tex: d.querySelector('annotation')?.textContent,
  hidden: d.scrollWidth - d.clientWidth,
  overflow: getComputedStyle(d).overflowX,
  scrollbar: d.offsetHeight - d.clientHeight,
  more: d.dataset.ddMore ?? '',
  mask: getComputedStyle(d).maskImage,
  tabIndex: d.tabIndex,
  scale: parseFloat(d.style.fontSize || '100') / 100,
  numberShown: (() => {
    const n = d.parentElement.querySelector('.eqno');
    if (!n) return true;
    const r = n.getBoundingClientRect();
    return r.width > 0 && r.right <= document.documentElement.clientWidth + 0.5;
  })(),
}))"""


SCROLL_TO_THE_END = """() => [...document.querySelectorAll('div.math > .katex-display')]
  .filter((d) => d.dataset.ddMore).map((d) => { d.scrollLeft = d.scrollWidth; return true; })"""
ONLY_LEFT_IS_HIDDEN = """() => [...document.querySelectorAll('div.math > .katex-display')]
  .filter((d) => d.scrollWidth > d.clientWidth + 1).every((d) => d.dataset.ddMore === 'left')"""


@pytest.fixture(scope="module")
def measured(scrollbar_browser, server, math_posts) -> dict[int, dict[str, dict]]:
    """Every math post opened once at each width: what the tests below look at, and whether,
    scrolled to their end, its wide equations say they continue on the left only."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    results: dict[int, dict[str, dict]] = {}
    for width in WIDTHS:
        # one tab per width, going from post to post as a reader does (see visit_each)
        tab = scrollbar_browser.new_page(viewport={"width": width, "height": 900})
        for page in math_posts:
            show(tab, server, page)
            found = {
                "inline": tab.evaluate(INLINE),
                "punctuation": tab.evaluate(PUNCTUATION),
                "displays": tab.evaluate(DISPLAYS),
                "ends_marked": True,
            }
            if tab.evaluate(SCROLL_TO_THE_END):
                try:
                    tab.wait_for_function(ONLY_LEFT_IS_HIDDEN)
                except PlaywrightTimeout:
                    found["ends_marked"] = False
            results.setdefault(width, {})[page] = found
        tab.close()
    return results


@pytest.mark.parametrize("width", WIDTHS)
def test_a_display_equation_fits_or_scrolls_and_shows_where_it_continues(measured, width):
    wide = 0
    for page, found in measured[width].items():
        for d in found["displays"]:
            assert d["numberShown"], (page, d["tex"])
            if d["hidden"] <= 1:
                # It fits: no scrollbar, no fade, no Tab stop; shrunk by a seventh at most.
                assert (d["scrollbar"], d["more"], d["tabIndex"]) == (0, "", -1), (page, d)
                assert d["scale"] >= 0.86, (page, d)
                continue
            wide += 1
            assert d["overflow"] == "auto" and d["tabIndex"] == 0, (page, d)
            assert d["more"] == "right" and d["mask"] != "none", (page, d)
        # Scrolled to its end, a wide equation continues on the left only.
        assert found["ends_marked"], page
    if width == 375:
        assert wide > 5  # the real posts have equations no phone shows whole
