"""axe-core on every type of page of the real site, in light and dark mode on a wide screen and in
dark mode on a phone (the narrow layout's own controls: the header's menu buttons, the drawers):
no serious or critical violation. Light mode on a phone is tested by the layout tests.

The pages of one colour mode and width are shown one after another in one tab, as a reader goes
from page to page (see :func:`browser.support.visit_each`); each test reads its page's results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from browser.support import PAGE_TYPES, AxeViolations

pytestmark = pytest.mark.browser

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(' '), html: n.html, summary: n.failureSummary,
    })),
  }));
}"""

CASES = [
    pytest.param(name, mode, width, id=f"{name}-{mode}-{width}")
    for name in PAGE_TYPES
    for mode, width in (("light", 1366), ("dark", 1366), ("dark", 375))
]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = node["summary"].replace("\n", "\n        ")
            lines.append(f"    {node['target']}\n      {node['html'][:200]}\n        {summary}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def run_axe(axe_source: str) -> Callable[[Any], tuple[str | None, list[dict]]]:
    """What a page shows axe: its ``data-theme`` and its violations."""

    def run(tab: Any) -> tuple[str | None, list[dict]]:
        theme = tab.html_attr("data-theme")
        tab.page.evaluate(axe_source)  # not a <script> tag, which the site's CSP rightly refuses
        return theme, tab.page.evaluate(RUN_AXE)

    return run


@pytest.mark.parametrize(("name", "mode", "width"), CASES)
def test_no_serious_accessibility_violations(
    every_page_type, run_axe, site_pages, name, mode, width
):
    visit = every_page_type(run_axe, width, mode)[name]
    # console errors and failed requests first: they are never known defects
    visit.raise_problems()
    theme, violations = visit.found
    assert theme == mode
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    if serious:
        page = site_pages.path(name)
        raise AxeViolations(f"axe on /{page} in {mode} mode at {width} px:\n{describe(serious)}")
    visit.raise_all()
