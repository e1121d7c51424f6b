"""Reading comfort on the real site: a footnote's mark is not a citation's, prose is hyphenated
(code and math never), and listings keep the measure of a post."""

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
