"""A Content-Security-Policy ``<meta>``: the site's own scripts run, nothing a post injects does."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# Inline scripts inside these elements come from authors' content and never get a hash.
_ARTICLE_OPEN = '<article class="bd-article"'
_ARTICLE_CLOSE = "</article>"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
_CHARSET = re.compile(r"<meta charset=[^>]*>", re.I)
_EXISTING_OPEN = '<meta http-equiv="Content-Security-Policy"'
# Starts with the literal, not with the whitespace it also removes, so the search is a fast scan.
_EXISTING = re.compile(re.escape(_EXISTING_OPEN) + "[^>]*>")


def _outside_articles(html: str) -> str:
    """``html`` without its articles: each runs from its opening tag to the first ``</article>``."""
    kept = []
    position = 0
    while (start := html.find(_ARTICLE_OPEN, position)) != -1:
        opening_end = html.find(">", start + len(_ARTICLE_OPEN))
        end = html.find(_ARTICLE_CLOSE, opening_end + 1) if opening_end != -1 else -1
        if end == -1:  # never closed: neither this article nor a later one is cut
            break
        kept.append(html[position:start])
        position = end + len(_ARTICLE_CLOSE)
    kept.append(html[position:])
    return "".join(kept)


def _without_policy(html: str) -> str:
    """``html`` without any CSP meta tag, nor the whitespace before each."""
    if _EXISTING_OPEN not in html:
        return html
    kept = []
    position = 0
    for match in _EXISTING.finditer(html):
        start = match.start()
        while start > position and html[start - 1].isspace():
            start -= 1
        kept.append(html[position:start])
        position = match.end()
    kept.append(html[position:])
    return "".join(kept)


def script_hashes(html: str) -> list[str]:
    """CSP hash sources for the inline scripts the theme and Sphinx put outside the article."""
    trusted = _outside_articles(html)
    digests = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(trusted)
    }
    return sorted(digests)


def policy(html: str, extra: dict[str, list[str]]) -> str:
    """The policy for one page: same-origin everything, hashed inline scripts, opt-in extras."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes(html)],
        # KaTeX and the theme position things with style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    for directive, sources in extra.items():
        directives.setdefault(directive, ["'self'"]).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def add_policy(html: str, extra: dict[str, list[str]]) -> str:
    """Insert (or refresh) the CSP meta tag right after ``<meta charset>``, before any script."""
    html = _without_policy(html)
    tag = f'<meta http-equiv="Content-Security-Policy" content="{policy(html, extra)}" />'
    match = _CHARSET.search(html)
    if not match:
        return html
    return html[: match.end()] + "\n" + tag + html[match.end() :]


def note_start(app: Sphinx) -> None:
    app.env.__dict__["_deepdive_build_started"] = time.time() - 1


def protect_written_pages(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: add the policy to every page written by this build."""
    if exception or app.builder.format != "html" or not app.config.deepdive_csp:
        return
    started = app.env.__dict__.pop("_deepdive_build_started", 0)
    for path in Path(app.outdir).rglob("*.html"):
        if path.stat().st_mtime < started:
            continue
        html = path.read_text(encoding="utf-8")
        protected = add_policy(html, app.config.deepdive_csp_extra)
        if protected != html:
            path.write_text(protected, encoding="utf-8")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", note_start)
    app.connect("build-finished", protect_written_pages, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
