"""Readers follow every reference without losing their place: hover, focus or tap a citation, a
footnote, an equation or a link to another post and see what it points to; footnotes sit in the
margin on wide screens and at the end on narrow ones."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import Build, post, sphinx_build, write_site
from playwright.sync_api import expect

from browser.support import Server, Tab, resolve, serve_site

pytestmark = pytest.mark.browser

BIB = """
@book{cover2006elements,
  author    = {Cover, Thomas M. and Thomas, Joy A.},
  title     = {Elements of Information Theory},
  publisher = {Wiley},
  year      = {2006},
}
"""

ALPHA = post(
    "2024-01-01",
    "Alpha",
    r"""
    Alpha opens with a sentence about leapfrog integrators.

    (alpha-energy)=
    ## Energy

    The energy section begins with kinetic plus potential energy.

    $$
    H(q, p) = U(q) + K(p)
    $$ (alpha-hamiltonian)
    """,
)

FILLER = " ".join(["Words that fill a line of the article so the page has some length."] * 6)

BETA = post(
    "2024-02-01",
    "Beta",
    rf"""
    Beta cites {{cite:p}}`cover2006elements` and has a note[^aside] in its first paragraph. {FILLER}

    $$
    e^{{i\pi}} + 1 = 0
    $$ (beta-euler)

    Equation {{eq}}`beta-euler` is famous. The section {{ref}}`alpha-energy` of another post, the
    post {{doc}}`alpha` itself, and its equation {{eq}}`alpha-hamiltonian` are one hover away.

    {FILLER}

    {FILLER}

    The post with a hostile title is {{doc}}`gamma`.

    [^aside]: The footnote text says something distinctive.
    """,
)

GAMMA = post("2024-03-01", r'\<script>alert(1)\</script> & "quotes"', "Gamma's first paragraph.")
HOSTILE = "<script>alert(1)</script> & “quotes”"  # as Sphinx's smartquotes print it

POPUP = "#dd-preview"
CITATION = '.bibtex-citation a[href="#ref-cover2006elements"]'
EQUATION = 'a.reference.internal[href="#equation-beta-euler"]'
FOOTNOTE = 'a.footnote-reference[href="#aside"]'
SECTION = 'a.reference.internal[href$="/alpha/#alpha-energy"]'
PAGE = 'a.reference.internal[href$="/alpha/"]'
OTHER_EQUATION = 'a.reference.internal[href$="/alpha/#equation-alpha-hamiltonian"]'
BETA_PAGE = "posts/2024/beta/"
# pydata-sphinx-theme logs a console error on a first visit when no default mode is configured
# (html_context["default_mode"]); these tests are about previews: they visit as a returning reader.
RETURNING_READER = "localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');"
ACTIVE = re.compile(r"\bdd-sidenote--active\b")


# -- A small site with every kind of reference, served like GitHub Pages ---------------------------


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    files = {
        "references.bib": BIB,
        "posts/2024/alpha.md": ALPHA,
        "posts/2024/beta.md": BETA,
        "posts/2024/gamma.md": GAMMA,
        # As every real site has one: without it the browser asks for /favicon.ico, whenever it
        # gets round to it, outside the site's base path.
        "favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>',
    }
    conf = 'html_favicon = "favicon.svg"\n'
    srcdir = write_site(tmp_path_factory.mktemp("previews") / "site", files, conf)
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output[-3000:]
    assert "WARNING" not in build.output, build.output
    return build


@pytest.fixture(scope="module")
def small_server(small_site: Build) -> Iterator[Server]:
    with serve_site(small_site.outdir) as served:
        yield served


@pytest.fixture
def open_tab(browser: Any, small_server: Server) -> Iterator[Callable[..., Tab]]:
    """A tab on the small site: ``open_tab(width=375, touch=True)``; checked for errors by tests."""
    contexts: list[Any] = []

    def open_(width: int = 1024, height: int = 800, touch: bool = False) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch
        )
        contexts.append(context)
        context.add_init_script(RETURNING_READER)
        tab = Tab(context.new_page(), small_server)
        tab.listen()
        return tab

    yield open_
    for context in contexts:
        context.close()


def visit_beta(open_tab: Callable[..., Tab], **size: Any) -> Tab:
    tab = open_tab(**size)
    tab.visit(BETA_PAGE)
    return tab


def box(tab: Tab, selector: str) -> dict[str, float]:
    return tab.page.locator(selector).first.bounding_box()


def away(tab: Tab) -> None:
    """Move the mouse to an empty corner of the page."""
    tab.page.mouse.move(2, tab.page.viewport_size["height"] - 2)


# -- Mouse -----------------------------------------------------------------------------------------


def test_hovering_a_citation_shows_the_reference_entry(open_tab):
    tab = visit_beta(open_tab)
    popup, link = tab.page.locator(POPUP), tab.page.locator(CITATION)
    expect(popup).to_have_count(0)  # nothing is added to the page until a reader asks
    link.hover()
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("role", "tooltip")
    expect(popup).to_contain_text("Thomas M. Cover and Joy A. Thomas")
    expect(popup).to_contain_text("Elements of Information Theory")
    expect(link).to_have_attribute("aria-describedby", "dd-preview")
    assert link.get_attribute("title") is None  # the browser's own tooltip would cover ours
    # A reference entry wraps at the preview's width (34rem), not across the whole window.
    assert box(tab, POPUP)["width"] <= 34 * 16 + 0.5
    away(tab)
    expect(popup).to_be_hidden()
    expect(link).not_to_have_attribute("aria-describedby", "dd-preview")
    tab.check()


def test_the_pointer_can_move_into_the_preview_without_closing_it(open_tab):
    tab = visit_beta(open_tab)
    # The page's timers run on a clock the test advances: "the hide delay has passed" is then a
    # fact, not a hope about how busy the machine is.
    tab.page.clock.install()
    popup = tab.page.locator(POPUP)
    tab.page.locator(CITATION).hover()
    tab.page.clock.run_for(1000)  # past the show delay
    expect(popup).to_be_visible()
    popup.hover()
    tab.page.clock.run_for(1000)  # well past the hide delay
    expect(popup).to_be_visible()
    away(tab)
    expect(popup).to_be_hidden()
    tab.check()


def test_hovering_a_footnote_reference_shows_the_footnote_text(open_tab):
    tab = visit_beta(open_tab, width=1024)  # narrow enough that the footnote is not in the margin
    popup = tab.page.locator(POPUP)
    tab.page.locator(FOOTNOTE).hover()
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("data-kind", "footnote")
    assert popup.inner_text().strip() == "The footnote text says something distinctive."
    tab.check()


def test_a_hostile_title_is_previewed_as_text(open_tab):
    tab = visit_beta(open_tab)
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    popup = tab.page.locator(POPUP)
    tab.page.locator('a.reference.internal[href$="/gamma/"]').hover()
    expect(popup).to_be_visible()
    expect(popup).to_contain_text(HOSTILE)
    expect(popup).to_contain_text("Gamma’s first paragraph.")
    expect(popup.locator("script")).to_have_count(0)
    assert dialogs == []
    tab.check()


def test_with_the_sidenote_on_screen_hovering_its_reference_highlights_it(open_tab):
    tab = visit_beta(open_tab, width=1440)
    sidenote = tab.page.locator('.dd-sidenote[data-dd-footnote="aside"]')
    expect(sidenote).to_be_visible()
    tab.page.locator(FOOTNOTE).hover()
    expect(sidenote).to_have_class(ACTIVE)
    expect(tab.page.locator(POPUP)).to_have_count(0)  # no second copy of what is already there
    away(tab)
    expect(sidenote).not_to_have_class(ACTIVE)
    tab.check()


def test_hovering_a_reference_to_a_section_of_another_post_shows_its_heading_and_paragraph(
    open_tab,
):
    tab = visit_beta(open_tab)
    popup = tab.page.locator(POPUP)
    tab.page.locator(SECTION).hover()
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("data-kind", "section")
    expect(popup.locator(".dd-preview__context")).to_have_text("Alpha")
    expect(popup.locator(".dd-preview__title")).to_have_text("Energy")
    expect(popup).to_contain_text("The energy section begins with kinetic plus potential energy.")
    expect(popup).not_to_contain_text("Alpha opens with")
    tab.check()


def test_hovering_a_link_to_another_post_shows_its_title_and_first_paragraph(open_tab):
    tab = visit_beta(open_tab)
    popup = tab.page.locator(POPUP)
    tab.page.locator(PAGE).hover()
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("data-kind", "page")
    expect(popup.locator(".dd-preview__title")).to_have_text("Alpha")
    expect(popup).to_contain_text("Alpha opens with a sentence about leapfrog integrators.")
    expect(popup).not_to_contain_text(
        "min read"
    )  # the post's metadata line is not its first paragraph
    tab.check()


def test_hovering_a_reference_to_an_equation_in_another_post_shows_that_equation(open_tab):
    tab = visit_beta(open_tab)
    popup = tab.page.locator(POPUP)
    tab.page.locator(OTHER_EQUATION).hover()
    expect(popup).to_be_visible()
    expect(popup.locator("div.math .katex-display")).to_have_count(1)
    expect(popup.locator("annotation")).to_contain_text("H(q, p) = U(q) + K(p)")
    tab.check()


def test_another_post_is_fetched_once_from_the_same_site(open_tab):
    tab = visit_beta(open_tab)
    fetched: list[str] = []
    tab.page.on("request", lambda r: fetched.append(r.url) if "/alpha/" in r.url else None)
    popup = tab.page.locator(POPUP)
    for selector in (SECTION, PAGE, OTHER_EQUATION, SECTION):
        tab.page.locator(selector).hover()
        expect(popup).to_be_visible()
        away(tab)
        expect(popup).to_be_hidden()
    assert fetched == [tab.server.url("posts/2024/alpha/")]
    tab.check()  # and nothing was asked of any other host


# -- Keyboard --------------------------------------------------------------------------------------


def test_focusing_an_equation_reference_shows_the_typeset_equation(open_tab):
    tab = visit_beta(open_tab)
    popup, link = tab.page.locator(POPUP), tab.page.locator(EQUATION)
    tab.page.locator(CITATION).focus()  # the link before the equation reference ...
    tab.page.keyboard.press("Escape")
    for _ in range(5):  # ... then Tab until the equation reference has the focus
        tab.page.keyboard.press("Tab")
        if link.evaluate("link => link === document.activeElement"):
            break
    expect(link).to_be_focused()
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("data-kind", "equation")
    expect(popup.locator("div.math .katex-display")).to_have_count(1)
    expect(popup.locator("annotation")).to_contain_text(r"e^{i\pi} + 1 = 0")
    expect(link).to_have_attribute("aria-describedby", "dd-preview")
    assert popup.locator("[id]").count() == 0, "the copy must not repeat the equation's id"
    link.blur()
    expect(popup).to_be_hidden()
    tab.check()


def test_escape_closes_the_preview_and_leaves_the_focus_where_it_was(open_tab):
    tab = visit_beta(open_tab)
    popup, link = tab.page.locator(POPUP), tab.page.locator(EQUATION)
    link.focus()
    expect(popup).to_be_visible()
    tab.page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    expect(link).to_be_focused()
    expect(link).not_to_have_attribute("aria-describedby", "dd-preview")
    tab.page.locator(CITATION).hover()  # a hovered preview closes on Escape too
    expect(popup).to_be_visible()
    tab.page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    tab.check()


# -- Touch -----------------------------------------------------------------------------------------


def test_on_a_phone_a_tap_opens_a_preview_that_fits_and_a_tap_elsewhere_closes_it(open_tab):
    tab = visit_beta(open_tab, width=375, height=800, touch=True)
    page, popup = tab.page, tab.page.locator(POPUP)
    url = page.url
    link = page.locator(SECTION)
    link.scroll_into_view_if_needed()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    link.tap()
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("The energy section begins")
    assert page.url == url, "the first tap must not follow the link"
    shown = popup.bounding_box()
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= 375, shown
    assert shown["y"] >= 0 and shown["y"] + shown["height"] <= 800, shown
    assert page.evaluate("document.documentElement.scrollWidth") == scroll_width, "scrolls sideways"
    page.locator("h1").first.tap()
    expect(popup).to_be_hidden()
    tab.check()


def test_on_a_phone_a_second_tap_on_the_same_link_follows_it(open_tab):
    tab = visit_beta(open_tab, width=375, height=800, touch=True)
    page, popup = tab.page, tab.page.locator(POPUP)
    link = page.locator(CITATION)
    link.scroll_into_view_if_needed()
    link.tap()
    expect(popup).to_contain_text("Elements of Information Theory")
    assert not page.url.endswith("#ref-cover2006elements")
    link.tap()
    # A jump within the page: no load event to wait for, so wait for the address itself.
    expect(page).to_have_url(re.compile(r"#ref-cover2006elements$"))
    tab.check()


# -- Sidenotes -------------------------------------------------------------------------------------


def test_at_1440px_footnotes_are_sidenotes_in_the_margin_beside_their_reference(open_tab):
    tab = visit_beta(open_tab, width=1440, height=900)
    sidenote = tab.page.locator('.dd-sidenote[data-dd-footnote="aside"]')
    expect(sidenote).to_be_visible()
    expect(sidenote).to_contain_text("The footnote text says something distinctive.")
    note, ref = sidenote.bounding_box(), box(tab, FOOTNOTE)
    text = tab.page.locator(FOOTNOTE).evaluate(
        "a => a.closest('p').getBoundingClientRect().toJSON()"
    )
    article = box(tab, ".bd-article")
    toc = box(tab, ".bd-sidebar-secondary")
    assert note["x"] >= text["right"], f"the sidenote {note} overlaps the text column {text}"
    assert note["x"] + note["width"] <= article["x"] + article["width"], "outside the article"
    assert toc is None or note["x"] + note["width"] <= toc["x"], "over the page's table of contents"
    assert abs(note["y"] - ref["y"]) < 40, f"the sidenote {note} is not beside its reference {ref}"
    expect(tab.page.locator("aside.footnote#aside")).to_be_hidden()  # said once, in the margin
    tab.check()


def test_at_375px_footnotes_are_at_the_end_and_sidenotes_are_hidden(open_tab):
    tab = visit_beta(open_tab, width=375, height=800)
    expect(tab.page.locator(".dd-sidenote")).to_be_hidden()
    footnote = tab.page.locator("aside.footnote#aside")
    expect(footnote).to_be_visible()
    expect(footnote).to_contain_text("The footnote text says something distinctive.")
    expect(tab.page.locator("hr.footnotes")).to_be_visible()
    tab.check()


# -- The real site ---------------------------------------------------------------------------------


def test_previews_on_the_real_site(tab, site_pages):
    """A post that cites and links to another post gets both previews from the built site."""

    def kinds(page: str) -> tuple[bool, bool]:
        soup = site_pages.html(page)
        cites = soup.select_one(".bibtex-citation a.reference.internal") is not None
        links = [resolve(page, a["href"]) for a in soup.select("article a.reference.internal")]
        return cites, any(link.startswith("posts/") and link != page for link in links)

    candidates = [page for page in site_pages.posts if all(kinds(page))]
    assert candidates, "no post of the real site both cites and links to another post"
    page = candidates[0]
    tab.page.context.add_init_script(RETURNING_READER)
    tab.visit(page)
    popup = tab.page.locator(POPUP)
    citation = tab.page.locator(".bibtex-citation a.reference.internal").first
    entry = citation.get_attribute("href")
    citation.hover()
    expect(popup).to_be_visible()
    expected = tab.page.locator(f"{entry} p").first.inner_text()
    expect(popup).to_contain_text(expected[:40])
    away(tab)
    expect(popup).to_be_hidden()
    hrefs = [a["href"] for a in site_pages.html(page).select("article a.reference.internal")]
    href = next(
        h for h in hrefs if resolve(page, h).startswith("posts/") and resolve(page, h) != page
    )
    link = tab.page.locator(f'article a.reference.internal[href="{href}"]').first
    link.scroll_into_view_if_needed()
    link.hover()
    expect(popup).to_be_visible()
    expect(popup).not_to_be_empty()
    tab.check()
