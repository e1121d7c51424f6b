"""Reading comfort on the real site: a footnote's mark is not a citation's, prose is hyphenated
(code and math never), listings keep the measure of a post, a code block beside a sidenote stays
with its text, reference lists keep their hanging indent, a wide table's caption stays in view,
and a figure marked wide uses the margin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

FOOTNOTE_AND_CITATION = """() => {
  const style = (e) => getComputedStyle(e);
  const footnote = document.querySelector('.bd-article a.footnote-reference');
  const citation = document.querySelector('.bd-article .bibtex-citation a, .bd-article a.bibtex');
  return {footnote: footnote.innerText, footnoteAlign: style(footnote).verticalAlign,
          citation: citation.closest('span, a').parentElement.innerText,
          citationAlign: style(citation).verticalAlign};
}"""


def test_a_footnote_mark_is_a_raised_number_and_a_citation_keeps_its_brackets(browse, site_pages):
    page = next(
        p
        for p in site_pages.posts
        if site_pages.html(p).select(".bd-article a.footnote-reference")
        and site_pages.html(p).select(".bd-article .bibtex-citation a")
    )
    tab = browse(width=1366)
    tab.visit(page)
    marks = tab.page.evaluate(FOOTNOTE_AND_CITATION)
    assert marks["footnote"].isdigit(), marks  # "1", not "[1]"
    assert marks["footnoteAlign"] == "super" and marks["citationAlign"] == "baseline", marks
    assert "[" in marks["citation"], marks
    tab.check()


HYPHENS = """() => ({
  prose: getComputedStyle(document.querySelector('.bd-article section p')).hyphens,
  code: getComputedStyle(document.querySelector('.bd-article pre')).hyphens,
  math: getComputedStyle(document.querySelector('.bd-article span.math')).hyphens,
  lang: document.documentElement.lang,
})"""


def test_prose_is_hyphenated_in_the_pages_language_and_code_and_math_are_not(browse, site_pages):
    tab = browse(width=375)
    tab.visit(site_pages.post)
    assert tab.page.evaluate(HYPHENS) == {
        "prose": "auto",
        "code": "manual",
        "math": "manual",
        "lang": "en",
    }
    tab.check()


# The characters on the first line of each paragraph that runs over more than one.
FIRST_LINES = """(selector) => {
  const firstLine = (p) => {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let top = null, count = 0;
    while (walker.nextNode()) {
      const text = walker.currentNode;
      for (let i = 0; i < text.length; i++) {
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        const box = range.getClientRects()[0];
        if (!box) continue;
        if (top === null) top = box.top;
        if (box.top > top + 5) return count;
        count++;
      }
    }
    return null;
  };
  return [...document.querySelectorAll(selector)].map(firstLine).filter(Boolean);
}"""


def test_home_page_excerpts_keep_the_measure_of_a_post(browse):
    tab = browse(width=1366)
    tab.visit("")
    lines = tab.page.evaluate(FIRST_LINES, ".dd-teaser__excerpt p")
    assert len(lines) >= 3, "the home page's excerpts run over more than one line at 1366 px"
    assert max(lines) <= 90, lines  # a post's paragraphs: 65 to 85 characters a line
    tab.check()


def test_a_posts_title_on_a_phone_is_no_larger_than_32_px(browse, site_pages):
    tab = browse(width=375)
    tab.visit(site_pages.post)
    size = tab.page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert size <= 32, size
    tab.check()


# Code blocks, tables, equations and figures that start more than 60 px below the visible element
# before them (a sidenote, floated into the margin, does not count).
GAPS_ABOVE_BLOCKS = """() => [...document.querySelectorAll(
    '.bd-article div[class*=highlight-], .bd-article table, .bd-article div.math, .bd-article figure'
  )].map((block) => {
    let before = block.previousElementSibling;
    while (before && (!before.offsetParent || before.classList.contains('dd-sidenote'))) {
      before = before.previousElementSibling;
    }
    if (!before || !block.offsetParent) return null;
    const gap = block.getBoundingClientRect().top - before.getBoundingClientRect().bottom;
    return gap > 60 ? `${block.tagName}.${block.className} after ${before.tagName}: ${gap} px` : null;
  }).filter(Boolean)"""


def test_a_block_beside_a_sidenote_follows_the_text_before_it(browse, site_pages):
    tab = browse(width=1366)  # where the footnotes are sidenotes
    gaps = {}
    for post in site_pages.posts:
        tab.visit(post)
        gaps[post] = tab.page.evaluate(GAPS_ABOVE_BLOCKS)
    assert {post: found for post, found in gaps.items() if found} == {}
    tab.check()


# Each visible entry of a reference or footnote list: where its label ends, where its text starts,
# and where its links back to the text are, if it has any.
NOTE_ENTRIES = """() => [...document.querySelectorAll('.bd-article div.citation, .bd-article aside.footnote')]
  .filter((entry) => entry.offsetParent)
  .map((entry) => {
    const box = (e) => e && e.getBoundingClientRect();
    const texts = [...entry.children].filter((e) => e.tagName === 'P');
    const backrefs = box(entry.querySelector(':scope > .backrefs'));
    return {id: entry.id, labelRight: box(entry.querySelector(':scope > .label')).right,
            textLeft: box(texts[0]).left, textBottom: box(texts[texts.length - 1]).bottom,
            backrefsTop: backrefs ? backrefs.top : null, backrefsLeft: backrefs ? backrefs.left : null};
  })"""


@pytest.mark.parametrize("width", [1366, 375])
def test_reference_and_footnote_lists_keep_one_hanging_indent_and_link_back_after_the_text(
    browse, site_pages, width
):
    tab = browse(width=width)
    entries = []
    for post in site_pages.posts:
        if site_pages.html(post).select(".citation-list, .footnote-list"):
            tab.visit(post)
            entries += [{**entry, "post": post} for entry in tab.page.evaluate(NOTE_ENTRIES)]
    with_backrefs = [e for e in entries if e["backrefsTop"] is not None]
    assert len(entries) >= 10 and with_backrefs, entries
    for entry in entries:
        same_page = [e for e in entries if e["post"] == entry["post"]]
        # Every entry's text starts where the page's other entries' do, after its label.
        assert abs(entry["textLeft"] - same_page[0]["textLeft"]) < 1, entry
        assert entry["labelRight"] <= entry["textLeft"], entry
    for entry in with_backrefs:
        assert entry["backrefsTop"] >= entry["textBottom"] - 1, entry
        assert abs(entry["backrefsLeft"] - entry["textLeft"]) < 1, entry
    tab.check()


# Each table caption in a table that scrolls sideways: its box, and the visible box of the table,
# before and after the table is scrolled to its end.
CAPTIONS_IN_VIEW = """async () => {
  const measure = () => [...document.querySelectorAll('.bd-article caption')].map((caption) => {
    const container = caption.closest('.pst-scrollable-table-container');
    const shown = container.getBoundingClientRect(), box = caption.getBoundingClientRect();
    return {text: caption.innerText.slice(0, 40), scrolls: container.scrollWidth > container.clientWidth,
            inView: box.left >= shown.left - 1 && box.right <= shown.right + 1};
  });
  const before = measure();
  document.querySelectorAll('.pst-scrollable-table-container').forEach((c) => { c.scrollLeft = c.scrollWidth; });
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return before.concat(measure());
}"""


def test_a_table_caption_stays_in_view_when_its_table_is_wider_than_a_phone(browse, site_pages):
    tab = browse(width=375)
    captions = []
    for post in site_pages.posts:
        if site_pages.html(post).select(".bd-article caption"):
            tab.visit(post)
            captions += tab.page.evaluate(CAPTIONS_IN_VIEW)
    assert any(c["scrolls"] for c in captions), captions  # a wide table to test with
    assert [c for c in captions if not c["inView"]] == []
    tab.check()


# Every code block and table of the page: whether deepdive-margin.js widened it into the margin,
# how far it still scrolls, and whether it meets a sidenote or leaves the article.
WIDE_BLOCKS = """() => {
  const article = document.querySelector('.bd-article').getBoundingClientRect();
  const notes = [...document.querySelectorAll('.dd-sidenote')].filter((n) => n.offsetParent)
    .map((n) => n.getBoundingClientRect());
  const blocks = ".bd-article div[class*='highlight-'] > div.highlight, .bd-article .pst-scrollable-table-container";
  return [...document.querySelectorAll(blocks)].filter((b) => b.offsetParent).map((block) => {
    const target = block.closest('.cell_input, .cell_output') || block;
    const box = target.getBoundingClientRect();
    const scroller = (e) => e && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
    const scrolls = Math.max(...[block, block.querySelector(':scope > pre'), block.parentElement]
      .filter(scroller).map((e) => e.scrollWidth - e.clientWidth));
    return {wide: target.classList.contains('dd-wide'), scrolls, width: box.width,
            toArticleEdge: article.right - box.right,
            meetsSidenote: notes.some((n) => n.bottom > box.top && n.top < box.bottom
                                       && n.left < box.right && n.right > box.left)};
  });
}"""


def test_code_and_tables_too_wide_for_the_column_use_the_margin_where_no_sidenote_is(
    browse, site_pages
):
    tab = browse(width=1366)
    blocks = []
    for post in site_pages.posts:
        tab.visit(post)
        blocks += [{**block, "post": post} for block in tab.page.evaluate(WIDE_BLOCKS)]
    wide = [b for b in blocks if b["wide"]]
    assert len(wide) >= 10, blocks
    assert [b for b in wide if b["meetsSidenote"] or b["toArticleEdge"] < 0] == []
    assert [b for b in wide if b["width"] <= 641] == []  # each is wider than the column
    # A widened block that still scrolls needs more than the whole margin, and has it (but for
    # a few pixels; a notebook cell's frame starts further in).
    for block in blocks:
        if block["scrolls"] > 1 and block["wide"]:
            assert block["toArticleEdge"] < 24, block
    # Nothing that fits the column leaves it.
    assert [b for b in blocks if b["wide"] and b["scrolls"] <= 1 and b["width"] <= 641] == []
    tab.check()


def test_on_a_phone_no_block_is_widened(browse, site_pages):
    tab = browse(width=375)
    tab.visit(site_pages.post)
    assert [b for b in tab.page.evaluate(WIDE_BLOCKS) if b["wide"]] == []
    tab.check()


# Each figure of the page, and whether the author marked it wide.
FIGURES = """() => {
  const article = document.querySelector('.bd-article').getBoundingClientRect();
  const notes = [...document.querySelectorAll('.dd-sidenote')].filter((n) => n.offsetParent)
    .map((n) => n.getBoundingClientRect());
  return [...document.querySelectorAll('.bd-article figure')].map((figure) => {
    const box = figure.getBoundingClientRect();
    const image = (figure.querySelector('img, svg, object') || figure).getBoundingClientRect();
    return {marked: figure.matches('.wide, .full-width'), id: figure.id, width: box.width,
            imageWidth: image.width, toArticleEdge: article.right - box.right,
            toWindowEdge: innerWidth - image.right,
            meetsSidenote: notes.some((n) => n.bottom > box.top && n.top < box.bottom
                                       && n.left < box.right && n.right > box.left)};
  });
}"""


def test_a_figure_marked_wide_uses_the_margin_on_a_wide_screen_and_fits_a_phone(browse, site_pages):
    posts = [p for p in site_pages.posts if site_pages.html(p).select(".bd-article figure")]
    wide, phone = browse(width=1366), browse(width=375)
    figures = []
    for post in posts:
        wide.visit(post)
        phone.visit(post)
        both = zip(wide.page.evaluate(FIGURES), phone.page.evaluate(FIGURES), strict=True)
        figures += [{"post": post, "1366": at_1366, "375": at_375} for at_1366, at_375 in both]
    marked = [f for f in figures if f["1366"]["marked"]]
    assert marked, figures  # the sample posts have a figure to test with
    for figure in marked:
        at_1366 = figure["1366"]
        # Column and margin, less the gap kept at the article's edge, picture and all.
        assert at_1366["width"] > 800 and at_1366["imageWidth"] > 780, figure
        assert 0 <= at_1366["toArticleEdge"] < 24 and not at_1366["meetsSidenote"], figure
        assert figure["375"]["toWindowEdge"] >= 0, figure
    for figure in figures:
        if not figure["1366"]["marked"]:
            assert figure["1366"]["width"] <= 641, figure  # figures not marked stay in the column
    wide.check()
    phone.check()
