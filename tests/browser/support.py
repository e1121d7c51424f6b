"""What the browser tests share: the tools they need, the built site's real pages, a server like
GitHub Pages, and a browser tab that records console errors, failed and foreign requests."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from deepdive.tools.serve import Server, serve_site  # noqa: F401 - the tests' server

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node" / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SETUP_HINT = (
    "run `bash tests/browser/setup.sh` (apt-get install chromium; npm ci in tests/browser/node)"
)


def missing_tool(what: str, hint: str) -> None:
    """Fail in CI, where a missing tool is a broken pipeline; skip elsewhere, saying what to do."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: {hint}", pytrace=False)
    pytest.skip(f"browser tests skipped: {what} is missing: {hint}")


# -- The built site -------------------------------------------------------------------------------


def resolve(page: str, href: str) -> str:
    """The site-relative path (``posts/2024/x/``) that ``href`` on ``page`` points to."""
    return urljoin("http://site/" + page, href).removeprefix("http://site/").split("#")[0]


# Every type of page a reader meets, as SitePages.path names them.
PAGE_TYPES = (
    "home",
    "post",
    "notebook",
    "archive",
    "tag",
    "category",
    "series",
    "bibliography",
    "search",
    "404",
)


def expected_status(name: str) -> int:
    return 404 if name == "404" else 200


def page_dirs(outdir: Path, pattern: str) -> list[str]:
    """Site-relative paths of the pages whose ``index.html`` matches ``pattern``, sorted."""
    return sorted(p.parent.relative_to(outdir).as_posix() + "/" for p in outdir.glob(pattern))


@dataclass(frozen=True)
class SitePages:
    """Real pages of the built site, discovered from its output rather than hard-coded."""

    outdir: Path
    posts: list[str] = field(default_factory=list)
    post: str = ""
    tag: str = ""
    series: str | None = None
    notebook: str | None = None
    category: str | None = None

    def html(self, page: str) -> BeautifulSoup:
        return BeautifulSoup(
            (self.outdir / page / "index.html").read_text(encoding="utf-8"), "lxml"
        )

    def path(self, name: str) -> str:
        """The page called ``name`` in test ids: home, post, notebook (a notebook post), archive,
        tag, category, series, bibliography, search, 404 (what an unknown address shows)."""
        fixed = {
            "home": "",
            "archive": "archive/",
            "search": "search/",
            "bibliography": "bibliography/",
            "404": "no-such-page/",
        }
        if name in fixed:
            return fixed[name]
        if getattr(self, name) is None:
            pytest.skip(f"the built site has no {name} page")
        return getattr(self, name)

    @classmethod
    def discover(cls, outdir: Path) -> SitePages:
        """Posts from the archive; the richest post, its first tag, and the first series."""
        pages = cls(outdir)
        links = [
            resolve("archive/", a["href"]) for a in pages.html("archive").select("article a[href]")
        ]
        posts = [link for link in links if link.startswith("posts/")]
        assert posts, "the archive page lists no posts"

        def richness(post: str) -> tuple[bool, bool]:
            soup = pages.html(post)
            return bool(soup.select("div.highlight pre")), bool(soup.select(".math"))

        post = max(posts, key=richness)  # code to copy and math to typeset; the newest on a tie
        tags = [resolve(post, a["href"]) for a in pages.html(post).select("a.dd-tag[href]")]
        tags = tags or page_dirs(outdir, "tags/*/index.html")
        assert tags, "the built site has no tag page"
        # A series page a post links to (so a missing one fails), else any that was written.
        series = [resolve(p, a["href"]) for p in posts for a in pages.html(p).select("a[href]")]
        series = [link for link in series if link.startswith("series/")]
        series = series or page_dirs(outdir, "series/*/index.html")
        notebooks = [p for p in posts if pages.html(p).select("article div.cell")]
        categories = page_dirs(outdir, "categories/*/index.html")
        return cls(
            outdir,
            posts,
            post,
            tags[0],
            series[0] if series else None,
            notebooks[0] if notebooks else None,
            categories[0] if categories else None,
        )


def relative_luminance(css_color: str) -> float:
    """WCAG relative luminance of an ``rgb(...)``/``rgba(...)`` colour."""
    channels = [float(c) / 255 for c in re.findall(r"[\d.]+", css_color)[:3]]
    r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two ``rgb(...)`` colours (1 to 21; body text needs 4.5)."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)))[::-1]
    return (light + 0.05) / (dark + 0.05)


# -- The browser ----------------------------------------------------------------------------------


class BrowserProblem(AssertionError):
    """A console error, an uncaught exception or a failed request."""


class ThirdPartyRequest(AssertionError):
    """The page asked a host other than the local server for something (it never got it)."""


class AxeViolations(AssertionError):
    """axe-core found serious or critical accessibility violations."""


NOTE_ON_STATUS = "Failed to load resource: the server responded with a status of "


@dataclass(repr=False)
class Tab:
    """One browser tab that records everything that goes wrong while it visits pages."""

    page: Any  # playwright.sync_api.Page
    server: Server
    foreign: list[str] = field(default_factory=list)  # requests to other hosts, as sent
    problems: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str, int | None]] = field(default_factory=list)
    failed_requests: list[tuple[str, str | None]] = field(default_factory=list)
    expected_status: dict[str, int] = field(default_factory=dict)
    checked: bool = True
    # A request belongs to the document the tab showed when the browser sent it. Documents are
    # counted as the browser reports them, in order with its requests: a late request of the page
    # being left (a favicon, say) can reach us after visit() has asked for the next page, and is
    # still the old page's. What the browser drops of a page visit() has left is forgiven.
    documents: int = 0
    document: str = ""  # the shown document's address, without its fragment
    document_of: dict[Any, int] = field(default_factory=dict)
    left: int = 0  # documents up to this one have been left by visit()

    def visit(self, page: str = "", status: int = 200) -> Any:
        """Open ``page`` (site-relative), wait until the network is quiet, return the response."""
        url = self.server.url(page)
        self.expected_status[url] = status
        self.checked = False
        self.left = self.documents
        self.document = ""  # the next document is a new one, even at the same address
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == status, (
            f"{url} answered {response and response.status}, expected {status}"
        )
        self.page.wait_for_load_state("networkidle")
        return response

    def __repr__(self) -> str:
        return f"<Tab at {self.page.url}>"

    def html_attr(self, name: str) -> str | None:
        return self.page.evaluate(f"document.documentElement.getAttribute({name!r})")

    def is_foreign(self, url: str) -> bool:
        scheme, netloc = urlsplit(url)[:2]
        return (
            scheme in ("http", "https", "ws", "wss")
            and f"{scheme}://{netloc}" != self.server.origin
        )

    def handlers(self) -> dict[str, Any]:
        return {
            "console": self.on_console,
            "pageerror": self.on_page_error,
            "framenavigated": self.on_navigated,
            "request": self.on_request,
            "response": self.on_response,
            "requestfailed": self.on_request_failed,
        }

    def listen(self) -> None:
        """Record every request, console error, uncaught exception and failed request of the tab."""
        # Not by routing every request through this process, which would also turn off the
        # browser's cache: the test browser resolves no other host (chromium.LOCAL_ONLY), and
        # each request is seen here as it is sent.
        for event, handler in self.handlers().items():
            self.page.on(event, handler)

    def stop(self) -> None:
        """Stop recording: another Tab can record what the same page does next."""
        for event, handler in self.handlers().items():
            self.page.remove_listener(event, handler)

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location
            self.console_errors.append(
                (message.text, where.get("url", ""), where.get("lineNumber"))
            )

    def on_response(self, response: Any) -> None:
        if response.status >= 400 and self.expected_status.get(response.url) != response.status:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def on_navigated(self, frame: Any) -> None:
        document = frame.url.split("#")[0]  # following a link within the page is no new document
        if frame == self.page.main_frame and document != self.document:
            self.document = document
            self.documents += 1

    def on_request(self, request: Any) -> None:
        self.document_of[request] = self.documents
        if self.is_foreign(request.url):
            self.foreign.append(request.url)

    def on_request_failed(self, request: Any) -> None:
        if (
            request.failure == "net::ERR_ABORTED"
            and not request.is_navigation_request()
            and self.document_of.get(request, 0) <= self.left
        ):
            return  # the browser dropped a request of the page it left (e.g. a late favicon)
        self.failed_requests.append((request.url, request.failure))

    def foreign_requests(self) -> list[str]:
        """Requests to other hosts, whether the browser sent them or the site's own CSP refused
        them before they were sent."""
        refused = [url for url, _ in self.failed_requests if self.is_foreign(url)]
        return list(dict.fromkeys([*self.foreign, *refused]))

    def check(self, third_party: bool = True) -> None:
        """Raise if anything went wrong since the tab opened: problems first, then other hosts."""
        self.checked = third_party
        foreign = self.foreign_requests()
        problems = [*self.problems]
        problems += [
            f"request failed ({why}): {url}"
            for url, why in self.failed_requests
            if url not in foreign
        ]
        for text, source, line in self.console_errors:
            status = self.expected_status.get(source)
            if status and text.startswith(f"{NOTE_ON_STATUS}{status}"):
                continue  # Chromium's note on a page we asked for with this status (the 404 page)
            if source in foreign or any(url in text for url in foreign):
                continue  # the failed load of a foreign resource: reported once, below
            problems.append(f"console error: {text} (at {source}:{line})")
        listing = "".join(f"\n  request to another host: {url}" for url in foreign)
        if problems:
            raise BrowserProblem(
                "the browser saw problems:" + "".join(f"\n  {p}" for p in problems) + listing
            )
        if foreign and third_party:
            raise ThirdPartyRequest("the site asks other hosts for resources:" + listing)


def open_tab(
    browser: Any, server: Server, width: int = 1280, height: int = 900, mode: str = "light"
) -> tuple[Any, Tab]:
    """A recording tab in a browser context of its own (no cache, storage or cookies from other
    tests), at this size and in this colour mode; the context, to close, and the tab."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if mode == "dark" else "light",
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.origin)
    if mode == "dark":  # what the theme switcher stores, in place before the theme's first script
        context.add_init_script(
            "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
        )
    tab = Tab(context.new_page(), server)
    tab.listen()
    return context, tab


@dataclass
class Visit:
    """One page, shown in a tab that may have shown other pages of the site before it."""

    # What the inspection returned; then what went wrong: the page did not load as expected or
    # its inspection failed; console errors or failed requests (Tab.check); requests to other hosts.
    found: Any = None
    failure: AssertionError | None = None
    problems: AssertionError | None = None
    third_party: AssertionError | None = None

    def raise_problems(self) -> None:
        """Raise what went wrong while the page was shown, other hosts apart."""
        if self.failure:
            raise self.failure
        if self.problems:
            raise self.problems

    def raise_all(self) -> None:
        self.raise_problems()
        if self.third_party:
            raise self.third_party


def visit_each(
    browser: Any,
    server: Server,
    pages: dict[str, tuple[str, int]],
    inspect: Any,
    **tab_options: Any,
) -> dict[str, Visit]:
    """Show each page (name: (site-relative path, expected status)) in turn in one tab, recording
    for each what ``inspect(tab)`` returns and what went wrong while it was shown, each page with a
    Tab of its own. One tab for all: a page opened in a new context starts a new renderer with cold
    caches, which takes about four times the processor time of a page opened where the site's
    pages have been shown before."""
    context, first = open_tab(browser, server, **tab_options)
    first.stop()
    visits: dict[str, Visit] = {}
    try:
        for name, (path, status) in pages.items():
            tab = Tab(first.page, server)
            tab.listen()
            visit = visits[name] = Visit()
            try:
                tab.visit(path, status=status)
                visit.found = inspect(tab)
                tab.check(third_party=False)
                tab.check()
            except ThirdPartyRequest as error:
                visit.third_party = error
            except BrowserProblem as error:
                visit.problems = error
            except AssertionError as error:
                visit.failure = error
            finally:
                tab.stop()
    finally:
        context.close()
    return visits
