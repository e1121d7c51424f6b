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
_CONTENT = re.compile(r'<article class="bd-article"[^>]*>.*?</article>', re.S)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
_CHARSET = re.compile(r"<meta charset=[^>]*>", re.I)
_EXISTING = re.compile(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>')


def script_hashes(html: str) -> list[str]:
    """CSP hash sources for the inline scripts the theme and Sphinx put outside the article."""
    trusted = _CONTENT.sub("", html)
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
    html = _EXISTING.sub("", html)
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
