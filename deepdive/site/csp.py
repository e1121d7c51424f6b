"""A Content-Security-Policy ``<meta>``: the site's own scripts run, nothing a post injects does."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# Raw HTML in a post (a MyST HTML block, a notebook's HTML output) is the only way a post's text
# reaches a page unescaped. Every raw node is written between two comments carrying a random
# token of this process (forked write workers share it), so the policy step can tell what came
# from content from what the theme and templates wrote, wherever it lands on the page, and an
# author cannot forge the closing comment.
TOKEN = secrets.token_hex(16)
CONTENT_START = f"<!--deepdive-content {TOKEN}-->"
CONTENT_END = f"<!--/deepdive-content {TOKEN}-->"
_CONTENT = re.compile(re.escape(CONTENT_START) + ".*?" + re.escape(CONTENT_END), re.S)
_MARKERS = re.compile(f"{re.escape(CONTENT_START)}|{re.escape(CONTENT_END)}")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_CHARSET = re.compile(r"<meta charset=[^>]*>", re.I)
_EXISTING_OPEN = '<meta http-equiv="Content-Security-Policy"'
# Starts with the literal, not with the whitespace it also removes, so the search is a fast scan.
_EXISTING = re.compile(re.escape(_EXISTING_OPEN) + "[^>]*>")


def visit_raw(translator: HTML5Translator, node: nodes.raw) -> None:
    """Write a raw node as Sphinx does, between the content markers when it is HTML."""
    is_html = "html" in node.get("format", "").split()
    if is_html:
        translator.body.append(CONTENT_START)
    try:
        HTML5Translator.visit_raw(translator, node)
    finally:
        if is_html:
            translator.body.append(CONTENT_END)


def without_markers(html: str) -> str:
    """``html`` as the reader gets it: the content markers removed, the content kept."""
    return _MARKERS.sub("", html) if CONTENT_START in html else html


def _template_parts(html: str) -> str:
    """``html`` without what came from posts' raw HTML. An unclosed marker hides the rest."""
    html = _CONTENT.sub("", html)
    cut = html.find(CONTENT_START)
    return html if cut == -1 else html[:cut]


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
    """CSP hash sources for the inline scripts that the theme, Sphinx and the site's templates
    wrote into ``html`` (a page still carrying its content markers)."""
    trusted = _template_parts(html)
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
    """Insert (or refresh) the CSP meta tag right after ``<meta charset>``, before any script,
    and remove the content markers."""
    html = _without_policy(html)
    tag = f'<meta http-equiv="Content-Security-Policy" content="{policy(html, extra)}" />'
    html = without_markers(html)
    match = _CHARSET.search(html)
    if not match:
        return html
    return html[: match.end()] + "\n" + tag + html[match.end() :]


def note_start(app: Sphinx) -> None:
    app.env.__dict__["_deepdive_build_started"] = time.time() - 1


def protect_written_pages(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: add the policy to every page written by this build (or, with the
    policy off, only remove the content markers)."""
    if exception or app.builder.format != "html":
        return
    started = app.env.__dict__.pop("_deepdive_build_started", 0)
    for path in Path(app.outdir).rglob("*.html"):
        if path.stat().st_mtime < started:
            continue
        html = path.read_text(encoding="utf-8")
        if app.config.deepdive_csp:
            protected = add_policy(html, app.config.deepdive_csp_extra)
        else:
            protected = without_markers(html)
        if protected != html:
            path.write_text(protected, encoding="utf-8")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_node(nodes.raw, override=True, html=(visit_raw, None))
    app.connect("builder-inited", note_start)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
