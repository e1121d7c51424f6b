"""Browser fixtures: the real build served under its production path, and headless Chromium tabs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.support import (
    AXE_JS,
    PAGE_TYPES,
    SETUP_HINT,
    VNU_JAR,
    Server,
    SitePages,
    Tab,
    Visit,
    expected_status,
    missing_tool,
    open_tab,
    serve_site,
    visit_each,
)
from deepdive.tools.chromium import find_chromium, launch

_CALL_PASSED = pytest.StashKey[bool]()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One loud line when the browser suite could not run on this machine (CI fails instead)."""
    if os.environ.get("CI"):
        return
    if find_chromium() is None:
        terminalreporter.write_line(
            "browser tests skipped: install chromium (apt-get install chromium) "
            "or set CHROMIUM_PATH",
            yellow=True,
            bold=True,
        )
    elif not (AXE_JS.is_file() and VNU_JAR.is_file()):
        terminalreporter.write_line(
            f"accessibility and HTML validity tests skipped: {SETUP_HINT}", yellow=True, bold=True
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Note whether the test body passed: teardown then checks the tabs it left unchecked."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


# -- Tools -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        why = (
            f"CHROMIUM_PATH={os.environ['CHROMIUM_PATH']} is not executable"
            if os.environ.get("CHROMIUM_PATH")
            else "no /usr/bin/chromium, chromium-browser or google-chrome"
        )
        missing_tool(
            "Chromium", f"{why}; install chromium (apt-get install chromium) or set CHROMIUM_PATH"
        )
    return path


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.is_file():
        missing_tool("axe-core", f"{AXE_JS} not found; {SETUP_HINT}")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        missing_tool(
            "Java", "the Nu validator runs on `java` (apt-get install default-jre-headless)"
        )
    if not VNU_JAR.is_file():
        missing_tool("vnu-jar", f"{VNU_JAR} not found; {SETUP_HINT}")
    return [java, "-jar", str(VNU_JAR)]


# -- The site -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_dir(request: pytest.FixtureRequest) -> Path:
    """The real blog built for this session, or ``$DEEPDIVE_BROWSER_SITE``: an existing build such
    as ``_build/html``, to re-run the browser tests without rebuilding."""
    prebuilt = os.environ.get("DEEPDIVE_BROWSER_SITE")
    if prebuilt:
        assert (Path(prebuilt) / "index.html").is_file(), (
            f"DEEPDIVE_BROWSER_SITE={prebuilt} holds no built site"
        )
        return Path(prebuilt).resolve()
    return request.getfixturevalue("real_site").outdir


@pytest.fixture(scope="session")
def site_pages(site_dir: Path) -> SitePages:
    return SitePages.discover(site_dir)


@pytest.fixture(scope="session")
def server(site_dir: Path) -> Iterator[Server]:
    """The built site on a free local port, under the same path as in production (``/blog/``)."""
    with serve_site(site_dir) as served:
        yield served


# -- The browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API runs an event loop while it is open, and
    # tests elsewhere (tests/test_weight.py, through bench/weight.py) start Playwright themselves.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, chromium_path, local_only=True)
        yield browser
        browser.close()


@pytest.fixture
def browse(
    request: pytest.FixtureRequest, browser: Any, server: Server
) -> Iterator[Callable[..., Tab]]:
    """Open a fresh tab: ``browse(width=375)``, ``browse(mode="dark")``; all checked at the end."""
    tabs: list[Tab] = []
    contexts: list[Any] = []

    def fresh_tab(width: int = 1280, height: int = 900, mode: str = "light") -> Tab:
        context, tab = open_tab(browser, server, width=width, height=height, mode=mode)
        contexts.append(context)
        tabs.append(tab)
        return tab

    yield fresh_tab
    try:
        if request.node.stash.get(_CALL_PASSED, False):
            for tab in tabs:
                if not tab.checked:
                    tab.check()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def tab(browse: Callable[..., Tab]) -> Tab:
    """A desktop-sized tab in light mode."""
    return browse()


@pytest.fixture(scope="module")
def every_page_type(
    browser: Any, server: Server, site_pages: SitePages
) -> Callable[..., dict[str, Visit]]:
    """``every_page_type(inspect, width, mode="light")``: every type of page of the real site shown
    in turn in one tab of this width and colour mode, each inspected by ``inspect(tab)``
    (see :func:`visit_each`); each inspection, width and mode is run once per module."""
    done: dict[tuple, dict[str, Visit]] = {}

    def shown(inspect: Callable[[Tab], Any], width: int, mode: str = "light") -> dict[str, Visit]:
        if (inspect, width, mode) not in done:
            pages = {name: (site_pages.path(name), expected_status(name)) for name in PAGE_TYPES}
            height = 812 if width < 600 else 900
            done[inspect, width, mode] = visit_each(
                browser, server, pages, inspect, width=width, height=height, mode=mode
            )
        return done[inspect, width, mode]

    return shown
