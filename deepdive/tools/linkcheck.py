"""Check that every link inside a built site resolves to a file and every ``#fragment`` to an id.

Run it over the HTML output::

    python -m deepdive.tools.linkcheck _build/html [--base-url https://user.github.io/repo/]

It reads ``href``, ``src``, ``srcset`` and ``poster`` on every element of every page. Links to
other sites and non-web schemes (``mailto:``, ``tel:``, ``data:``, ...) are skipped; absolute
links that start with the site's own base URL, and root-relative links under its path, are
checked as internal ones. The folder layout is that of Sphinx's ``dirhtml`` builder: ``foo/``
means ``foo/index.html``. It exits with status 1 and lists each broken link with its page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import lxml.html

URL_ATTRIBUTES = ("href", "src", "poster")
# Files under these folders are assets copied verbatim (a theme's ``_static/webpack-macros.html``
# is a Jinja file, not a page); links *to* them are still checked.
ASSET_FOLDERS = ("_static", "_sources", "_images", "_downloads")
# Sphinx writes UTF-8; say so, so a page without <meta charset> is not read as Latin-1.
_PARSER = lxml.html.HTMLParser(encoding="utf-8")
# An internal host that no real link can name: page URLs are resolved under it.
_SITE_HOST = "https://site.invalid"


@dataclass(frozen=True, order=True)
class BrokenLink:
    """A link on ``page`` (a path inside the site) that does not resolve, and why."""

    page: str
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.url} -> {self.reason}"


@dataclass
class Report:
    """What one run checked and what it found broken."""

    pages: int
    links: int
    broken: list[BrokenLink]


def _page_urls(element: lxml.html.HtmlElement) -> Iterator[str]:
    for attribute in URL_ATTRIBUTES:
        value = element.get(attribute)
        if value is not None:
            yield value.strip()
    srcset = element.get("srcset")
    if srcset:
        for candidate in srcset.split(","):
            if candidate.strip():
                yield candidate.split()[0]


def detect_base_url(site: Path) -> str | None:
    """The site's public address: the canonical URL Sphinx writes into the home page, if any."""
    index = site / "index.html"
    if not index.is_file():
        return None
    tree = lxml.html.parse(str(index), _PARSER)
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        href = href.strip()
        if href.endswith("index.html"):
            href = href[: -len("index.html")]
        return href if href.endswith("/") else href + "/"
    return None


def published_path(site: Path) -> str:
    """The URL path the site is published under (``/blog/``), from the home's canonical link."""
    return urlsplit(detect_base_url(site) or "/").path or "/"


class LinkChecker:
    """Resolve links the way a static web server would, against the files of one built site."""

    def __init__(self, site: Path, base_url: str | None = None) -> None:
        self.site = site.resolve()
        self.base_url = base_url if base_url is None or base_url.endswith("/") else base_url + "/"
        self.base_path = urlsplit(self.base_url).path if self.base_url else "/"
        self._ids: dict[Path, frozenset[str]] = {}

    def pages(self) -> list[Path]:
        """Every HTML page of the site, asset folders left out, in a stable order."""
        return sorted(
            path
            for path in self.site.rglob("*.html")
            if path.relative_to(self.site).parts[0] not in ASSET_FOLDERS
        )

    def ids(self, page: Path) -> frozenset[str]:
        """The fragment targets of ``page``: every ``id``, and ``name`` on anchors."""
        if page not in self._ids:
            tree = lxml.html.parse(str(page), _PARSER)
            names = tree.xpath("//@id") + tree.xpath("//a/@name")
            self._ids[page] = frozenset(str(name) for name in names)
        return self._ids[page]

    def target(self, url: str) -> Path | None:
        """The file an internal URL path (relative to the site root) is served from, if any."""
        path = self.site / url
        if url == "" or url.endswith("/"):
            path = path / "index.html"
        elif path.is_dir():
            path = path / "index.html"  # GitHub Pages redirects foo to foo/
        try:
            path.resolve().relative_to(self.site)
        except ValueError:
            return None
        return path if path.is_file() else None

    def check_link(self, url: str, base: str) -> str | None:
        """Why ``url``, written on a page whose address is ``base``, is broken; ``None`` if not."""
        if self.base_url and (url.startswith(self.base_url) or url == self.base_url[:-1]):
            url = _SITE_HOST + self.base_path + url[len(self.base_url) :]
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None  # mailto:, tel:, data:, javascript: ...
        if parts.netloc and not url.startswith(_SITE_HOST + "/"):
            return None  # another site
        resolved = urlsplit(urljoin(base, url))
        if resolved.netloc != urlsplit(_SITE_HOST).netloc:
            return None
        if not resolved.path.startswith(self.base_path):
            return f"points outside the site's base path {self.base_path}"
        relative = unquote(resolved.path[len(self.base_path) :])
        target = self.target(relative)
        if target is None:
            return f"no file {relative or '/'} in the site"
        fragment = unquote(resolved.fragment)
        checkable = fragment and fragment.lower() != "top" and target.suffix == ".html"
        if checkable and fragment not in self.ids(target):
            return f"no element with id {fragment!r} on {target.relative_to(self.site)}"
        return None

    def check_page(self, page: Path) -> tuple[int, list[BrokenLink]]:
        """Check every link on one page; return how many there were and the broken ones."""
        relative = page.relative_to(self.site).as_posix()
        base = _SITE_HOST + self.base_path + quote(relative)
        tree = lxml.html.parse(str(page), _PARSER)
        for href in tree.xpath("//base/@href")[:1]:
            base = urljoin(base, href.strip())
        count, broken = 0, []
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            for url in _page_urls(element):
                count += 1
                reason = self.check_link(url, base)
                if reason:
                    broken.append(BrokenLink(relative, url, reason))
        return count, broken

    def run(self) -> Report:
        """Check the whole site."""
        pages = self.pages()
        links, broken = 0, []
        for page in pages:
            count, found = self.check_page(page)
            links += count
            broken.extend(found)
        return Report(len(pages), links, sorted(set(broken)))


def check_site(site: Path, base_url: str | None = None) -> Report:
    """Check every internal link of the site built in ``site``."""
    return LinkChecker(site, base_url).run()


def main(argv: list[str] | None = None) -> int:
    """Command line: list the broken links and exit 1 if there are any."""
    parser = argparse.ArgumentParser(
        prog="python -m deepdive.tools.linkcheck", description=__doc__.split("\n")[0]
    )
    parser.add_argument("site", type=Path, help="the built HTML folder, e.g. _build/html")
    parser.add_argument(
        "--base-url",
        help="the site's public address (html_baseurl); absolute links under it count as internal. "
        "Default: the canonical URL of the home page.",
    )
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site} has no index.html; build the site first (make html)")
    base_url = args.base_url or detect_base_url(args.site)
    report = check_site(args.site, base_url)
    for link in report.broken:
        print(link)
    summary = (
        f"{report.links} links on {report.pages} pages checked (base URL {base_url or 'none'})"
    )
    if report.broken:
        print(f"{len(report.broken)} broken; {summary}", file=sys.stderr)
        return 1
    print(f"No broken links: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
