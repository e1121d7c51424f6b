"""axe-core on every type of page of the real site, in light and dark mode on a wide screen and in
dark mode on a phone (the narrow layout's own controls: the header's menu buttons, the drawers):
no serious or critical violation. Light mode on a phone is tested by the layout tests."""

from __future__ import annotations

import pytest

from browser.support import PAGE_TYPES, AxeViolations, expected_status

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


@pytest.mark.parametrize(("name", "mode", "width"), CASES)
def test_no_serious_accessibility_violations(browse, site_pages, axe_source, name, mode, width):
    tab = browse(mode=mode, width=width, height=812 if width < 600 else 900)
    page = site_pages.path(name)
    tab.visit(page, status=expected_status(name))
    assert tab.html_attr("data-theme") == mode
    tab.page.evaluate(axe_source)  # not a <script> tag, which the site's CSP rightly refuses
    serious = [v for v in tab.page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    tab.check(
        third_party=False
    )  # console errors and failed requests first: they are never known defects
    if serious:
        raise AxeViolations(f"axe on /{page} in {mode} mode at {width} px:\n{describe(serious)}")
    tab.check()
