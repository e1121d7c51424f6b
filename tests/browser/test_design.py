"""sphinx-design on the real site in a reader's browser: tabs switch and remember the choice, a
dropdown opens by mouse and keyboard, both are legible in light and dark mode, and the policy
blocks nothing they need."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser.support import AxeViolations, SitePages, contrast_ratio, relative_luminance
from browser.test_accessibility import RUN_AXE, describe

pytestmark = pytest.mark.browser

# Every policy violation of the page, recorded from before its first script runs.
RECORD_VIOLATIONS = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""

# An element's text colour and the colour actually behind it (the first opaque ancestor's).
COLOURS = """element => {
  let behind = element;
  while (behind && getComputedStyle(behind).backgroundColor.match(/rgba\\(.*, 0\\)|transparent/)) {
    behind = behind.parentElement;
  }
  return [getComputedStyle(element).color,
          behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)'];
}"""


def first_post_with(site_pages: SitePages, selector: str) -> str:
    """The first post of the archive whose page has ``selector``: the site must use it."""
    for post in site_pages.posts:
        if site_pages.html(post).select_one(selector):
            return post
    raise AssertionError(f"no post of the real site has {selector}: a sample post should use it")


def visit_recording_violations(tab, page: str) -> None:
    tab.page.context.add_init_script(RECORD_VIOLATIONS)
    tab.visit(page)


def test_a_tab_switch_shows_the_other_panel_and_the_choice_survives_a_reload(tab, site_pages):
    page = first_post_with(site_pages, ".sd-tab-set")
    visit_recording_violations(tab, page)
    tab_set = tab.page.locator(".sd-tab-set").first
    labels, panels = tab_set.locator("> label.sd-tab-label"), tab_set.locator("> .sd-tab-content")
    assert labels.count() >= 2
    expect(panels.nth(0)).to_be_visible()
    expect(panels.nth(1)).to_be_hidden()
    chosen = labels.nth(1).inner_text()
    labels.nth(1).click()
    expect(panels.nth(1)).to_be_visible()
    expect(panels.nth(0)).to_be_hidden()
    # Remembering the choice is design-tabs.js's work: it ran, so the policy let it.
    tab.page.reload(wait_until="load")
    tab_set = tab.page.locator(".sd-tab-set").first
    expect(tab_set.locator("> label.sd-tab-label").nth(1)).to_have_text(chosen)
    expect(tab_set.locator("> .sd-tab-content").nth(1)).to_be_visible()
    assert tab.page.evaluate("window.cspViolations") == []
    tab.check()


def test_a_dropdown_opens_with_a_click_and_closes_with_the_keyboard(tab, site_pages):
    page = first_post_with(site_pages, "details.sd-dropdown")
    visit_recording_violations(tab, page)
    dropdown = tab.page.locator("details.sd-dropdown").first
    body = dropdown.locator(".sd-summary-content")
    expect(body).to_be_hidden()
    dropdown.locator("summary").click()
    expect(body).to_be_visible()
    expect(body.locator(".katex").first).to_be_visible()  # typeset at build time, shown as is
    dropdown.locator("summary").focus()
    tab.page.keyboard.press("Enter")
    expect(body).to_be_hidden()
    assert tab.page.evaluate("window.cspViolations") == []
    tab.check()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_dropdowns_and_tabs_follow_the_colour_mode_and_stay_legible(browse, site_pages, mode):
    tab = browse(mode=mode)
    for selector, parts in [
        ("details.sd-dropdown", ["details.sd-dropdown summary", "details.sd-dropdown"]),
        (".sd-tab-set", [".sd-tab-set > label.sd-tab-label", ".sd-tab-set > .sd-tab-content"]),
    ]:
        tab.visit(first_post_with(site_pages, selector))
        assert tab.html_attr("data-theme") == mode
        tab.page.locator(parts[0]).first.click()  # open the dropdown; choose the first tab
        for part in parts:
            text, background = tab.page.locator(part).first.evaluate(COLOURS)
            dark_background = relative_luminance(background) < 0.2
            assert dark_background == (mode == "dark"), f"{part} in {mode} mode: {background}"
            assert contrast_ratio(text, background) >= 4.5, (
                f"{part} in {mode} mode: text {text} on {background}"
            )
        tab.check()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_no_serious_accessibility_violations_in_tabs_and_dropdowns(
    browse, site_pages, axe_source, mode
):
    pages = {
        first_post_with(site_pages, ".sd-tab-set"),
        first_post_with(site_pages, "details.sd-dropdown"),
    }
    tab = browse(mode=mode)
    for page in sorted(pages):
        tab.visit(page)
        tab.page.locator("details.sd-dropdown summary, .sd-tab-set").first.click()
        tab.page.evaluate(axe_source)
        serious = [v for v in tab.page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
        tab.check(third_party=False)
        if serious:
            raise AxeViolations(f"axe on /{page} in {mode} mode:\n{describe(serious)}")
        tab.check()
