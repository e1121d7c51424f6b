"""Hover previews of citations, footnotes, equations and cross-references, from the site itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata


def setup(app: Sphinx) -> ExtensionMetadata:
    # Everything happens in the reader's browser, from the built pages (no service, no inline
    # script): same-page targets are cloned, other pages are fetched from the same origin.
    app.add_js_file("previews.js", loading_method="defer")
    # Not render-blocking: a preview exists only once previews.js runs, which then applies it.
    app.add_css_file("previews.css", media="not all", **{"data-dd-deferred": ""})
    return {"parallel_read_safe": True, "parallel_write_safe": True}
