"""A reader's browser on the real site: pages load cleanly, dark mode sticks, code copies,
search finds, and a phone never scrolls sideways."""

from __future__ import annotations

import copy
import json
import re

import pytest
import snowballstemmer
from bs4 import Tag
from playwright.sync_api import expect

from browser.support import (
    PAGE_TYPES,
    BrowserProblem,
    SitePages,
    Tab,
    ThirdPartyRequest,
    relative_luminance,
    resolve,
    visit_each,
)

pytestmark = pytest.mark.browser

POST = "post"


def heading_visible(tab: Tab) -> None:
    expect(tab.page.locator("h1").first).to_be_visible()


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_loads_without_errors_or_third_party_requests(every_page_type, name):
    every_page_type(heading_visible, 1280)[name].raise_all()


def test_only_a_request_cancelled_by_opening_the_next_page_is_forgiven(tab, site_pages):
    # Chromium drops what the page it leaves still loads (a late favicon, say): not the site's
    # fault. The same failure on the page still open is one.
    held = []
    tab.page.route("**/held-*.png", lambda route, request: held.append(route))
    tab.visit()
    with tab.page.expect_request("**/held-1.png"):
        tab.page.evaluate("document.body.append(Object.assign(new Image(), {src: 'held-1.png'}))")
    with tab.page.expect_event("requestfailed"):
        tab.visit(site_pages.posts[0])
    tab.check()
    # Sent as the page is left, this one reaches the test only while the next page opens.
    tab.page.evaluate(
        "setTimeout(() => document.body.append(Object.assign(new Image(), {src: 'held-3.png'})))"
    )
    with tab.page.expect_event("requestfailed", lambda request: "held-3" in request.url):
        tab.visit(site_pages.posts[1])
    tab.check()

    with tab.page.expect_event("requestfailed"):
        tab.page.evaluate(
            """() => { const stop = new AbortController();
                       fetch('held-2.png', {signal: stop.signal}).catch(() => {});
                       setTimeout(() => stop.abort(), 0); }"""
        )
    with pytest.raises(BrowserProblem, match=r"net::ERR_ABORTED.*held-2\.png"):
        tab.check()
    tab.checked = True


def test_pages_shown_in_turn_in_one_tab_each_report_only_their_own_problems(
    browser, server, site_pages
):
    first, second, third = site_pages.posts[:3]
    shown: list[str] = []

    def misbehave(tab: Tab) -> int:
        shown.append(tab.page.url)
        if len(shown) == 1:
            tab.page.evaluate("console.error('the first page broke')")
        if len(shown) == 3:
            with tab.page.expect_event("requestfailed"):
                tab.page.evaluate(
                    "document.body.append(Object.assign(new Image(), "
                    "{src: 'https://cdn.example.com/pixel.png'}))"
                )
        return len(shown)

    pages = {name: (name, 200) for name in (first, second, third)}
    visits = visit_each(browser, server, pages, misbehave, width=1024)
    assert [visit.found for visit in visits.values()] == [1, 2, 3]
    assert "the first page broke" in str(visits[first].problems)
    assert visits[first].third_party is None
    quiet = visits[second]
    assert [quiet.failure, quiet.problems, quiet.third_party] == [None, None, None]
    assert visits[third].problems is None
    assert "cdn.example.com" in str(visits[third].third_party)
    with pytest.raises(BrowserProblem, match="the first page broke"):
        visits[first].raise_problems()
    visits[third].raise_problems()
    with pytest.raises(ThirdPartyRequest):
        visits[third].raise_all()


def test_a_request_to_another_host_fails_at_once_and_fails_the_check(tab):
    # On a page without the site's policy, which refuses such a request before it is sent.
    tab.page.set_content("<p>No policy here.</p>")
    with tab.page.expect_event("requestfailed") as failed:
        tab.page.evaluate("fetch('https://cdn.example.com/pixel.png').catch(() => {})")
    assert failed.value.failure == "net::ERR_NAME_NOT_RESOLVED"  # it never left the machine
    with pytest.raises(ThirdPartyRequest, match=r"another host: https://cdn\.example\.com/pixel"):
        tab.check()
    tab.checked = True


def test_404_page_loads_cleanly_at_a_deep_unknown_url(tab):
    # As GitHub Pages does, the server answers with /404.html; two levels deep, relative links
    # would break.
    tab.visit("posts/2099/no-such-post/", status=404)
    expect(tab.page.locator("h1").first).to_contain_text("not found", ignore_case=True)
    expect(tab.page.locator(".bd-header")).to_be_visible()  # the theme's styles and navbar arrived
    tab.check()


def test_the_404_page_offers_search_and_the_archive_at_any_depth(tab, site_pages):
    tab.visit("posts/2099/no-such-post/", status=404)
    tab.page.locator("#dd-not-found-q").fill("Hamiltonian")
    tab.page.locator(".dd-search-form button").click()
    expect(tab.page.locator("#search-results .search-summary")).to_contain_text(
        "found", timeout=30_000
    )
    expect(tab.page.locator("#search-results li").first).to_be_visible()
    assert "search" in tab.page.url and "q=Hamiltonian" in tab.page.url
    # Each result's summary is fetched from its post: let those finish before leaving the page.
    tab.page.wait_for_load_state("networkidle")
    tab.visit("posts/2099/no-such-post/", status=404)
    tab.page.get_by_role("link", name="archive of every post").click()
    expect(tab.page.locator("h1").first).to_have_text("Archive")
    tab.check()


def test_dark_mode_switch_persists_to_the_next_page(tab):
    tab.visit("")
    assert tab.html_attr("data-theme") == "light"
    tab.page.locator(".theme-switch-button:visible").click()
    tab.page.locator('.theme-change-button[data-mode="dark"]:visible').click()
    assert tab.html_attr("data-theme") == "dark"
    tab.visit("archive/")
    assert tab.html_attr("data-theme") == "dark"
    background = tab.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert relative_luminance(background) < 0.2, (
        f"data-theme is dark but the page background is {background}"
    )
    tab.check()


def code_text(pre: Tag) -> str:
    """What a reader wants pasted from a highlighted block: no line numbers, prompts or output."""
    pre = copy.copy(pre)
    for number in pre.select(".linenos"):
        number.decompose()
    for prompt in pre.select(".gp"):
        prompt.replace_with("\0")
    lines = pre.get_text().split("\n")
    if any(line.startswith("\0") for line in lines):  # a console session: keep the input lines only
        lines = [line.lstrip("\0") for line in lines if line.startswith("\0") or not line.strip()]
    return "\n".join(lines).removesuffix("\n")


def test_copy_button_copies_exactly_the_code(tab, site_pages):
    wanted = [
        code_text(pre) for pre in site_pages.html(site_pages.post).select("div.highlight pre")
    ]
    assert wanted, f"{site_pages.post} has no code block"
    tab.visit(site_pages.post)
    blocks = tab.page.locator("div.highlight pre")
    assert blocks.count() == len(wanted)
    for index, want in enumerate(wanted):
        block = blocks.nth(index)
        tab.page.evaluate("navigator.clipboard.writeText('(nothing was copied)')")
        block.hover()
        tab.page.locator(
            f'button.copybtn[data-clipboard-target="#{block.get_attribute("id")}"]'
        ).click()
        assert tab.page.evaluate("navigator.clipboard.readText()") == want, (
            f"code block {index + 1}"
        )
    tab.check()


def word_only_in(site_pages: SitePages) -> tuple[str, str]:
    """A word from a post's prose that the search index holds for that post alone, and the post."""
    text = (site_pages.outdir / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    stem = snowballstemmer.stemmer("english").stemWord  # the stemmer Sphinx's English search uses
    for post in [site_pages.post, *site_pages.posts]:
        doc = index["docnames"].index(post.rstrip("/"))
        article = site_pages.html(post).select_one("article")
        for math in article.select(".math"):
            math.decompose()
        prose = " ".join(p.get_text(" ") for p in article.select("p"))
        words = sorted(set(re.findall(r"[^\W\d_]{6,}", prose.lower())), key=lambda w: (-len(w), w))
        for word in words:
            docs = index["terms"].get(stem(word))
            if docs in (doc, [doc]) and stem(word) not in index["titleterms"]:
                return word, post
    raise AssertionError("no post has a word of its own in the search index")


def test_search_lists_the_one_post_that_contains_a_word(tab, site_pages):
    word, post = word_only_in(site_pages)
    tab.visit(f"search/?q={word}")
    expect(tab.page.locator("#search-results .search-summary")).to_contain_text(
        "found", timeout=30_000
    )
    tab.page.wait_for_load_state(
        "networkidle"
    )  # the result's summary is fetched from the post itself
    hrefs = tab.page.locator("#search-results ul.search > li > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert [resolve("search/", href) for href in hrefs] == [post], f"searching for {word!r}"
    tab.check()


OVERFLOWING = """width => Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
              (typeof e.className === 'string' && e.className.trim()
                 ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
              ' (right edge ' + Math.round(e.getBoundingClientRect().right) + 'px)')
    .slice(0, 15)"""


def page_width(tab: Tab) -> tuple[int, list[str]]:
    """How wide the page is, and what sticks out past a 375 px screen."""
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    return width, tab.page.evaluate(OVERFLOWING, 375) if width > 375 else []


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_no_horizontal_scroll_at_375px(every_page_type, name):
    visit = every_page_type(page_width, 375)[name]
    visit.raise_problems()
    width, overflowing = visit.found
    assert width <= 375, f"the page is {width}px wide; elements past the edge: {overflowing}"
    visit.raise_all()


EVERY_WIDE_EQUATION_FOCUSABLE = """() => [...document.querySelectorAll('div.math > .katex-display')]
    .every(e => (e.scrollWidth > e.clientWidth) === (e.tabIndex === 0))"""
# Each display equation: whether it is wider than its box, and whether Tab reaches it.
EQUATIONS = """() => [...document.querySelectorAll('div.math > .katex-display')].map(e => ({
    id: e.parentElement.id, overflows: e.scrollWidth > e.clientWidth, focusable: e.tabIndex === 0}))"""


def test_exactly_the_equations_too_wide_for_a_phone_can_be_reached_by_keyboard(browse, site_pages):
    """Checked after KaTeX's fonts arrived (an equation is wider in them than in the fallback
    font) and after a narrow window was widened."""
    tab = browse(width=375, height=812)
    tab.visit(site_pages.path(POST))
    tab.page.evaluate("document.fonts.ready")
    equations = tab.page.evaluate(EQUATIONS)
    assert any(e["overflows"] for e in equations), "the sample post should have a wide equation"
    assert all(e["overflows"] == e["focusable"] for e in equations), equations
    tab.page.set_viewport_size({"width": 1920, "height": 1080})
    # The check runs when the equations' boxes report their new size, a frame or so later.
    tab.page.wait_for_function(EVERY_WIDE_EQUATION_FOCUSABLE)
    assert sum(e["focusable"] for e in tab.page.evaluate(EQUATIONS)) < sum(
        e["focusable"] for e in equations
    )
    tab.check()


def test_an_equation_shown_by_opening_a_dropdown_is_reachable_when_too_wide(browse, site_pages):
    """Hidden, it has no width at all; opened on a phone, it is wider than the column."""
    page = next(p for p in site_pages.posts if site_pages.html(p).select_one("details div.math"))
    tab = browse(width=375, height=812)
    tab.visit(page)
    for summary in tab.page.locator("details.sd-dropdown > summary").all():
        summary.click()
    tab.page.wait_for_function(EVERY_WIDE_EQUATION_FOCUSABLE)
    inside = tab.page.locator("details[open] div.math > .katex-display")
    assert inside.count() and inside.first.evaluate("e => e.scrollWidth > e.clientWidth")
    tab.check()


def test_a_search_summary_reads_a_formula_as_shown_without_its_tex(tab):
    tab.visit("search/?q=leapfrog")
    expect(tab.page.locator("#search-results .search-summary")).to_contain_text(
        "found", timeout=30_000
    )
    tab.page.wait_for_load_state("networkidle")  # each summary is fetched from its post
    summaries = tab.page.locator("#search-results p.context").all_inner_texts()
    assert summaries, "searching for 'leapfrog' shows no summary"
    assert [s for s in summaries if "\\" in s] == [], summaries
    assert any("ε" in s for s in summaries), summaries  # the step size, shown once
    tab.check()
