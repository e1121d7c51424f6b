"""The stylesheets and scripts every page links, with the ``?v=`` checksum Sphinx gives each.

A generated page kept from the last build (:mod:`deepdive.site.pagecache`) must link the same
asset versions as a page rendered now. Sphinx has no public list of a builder's assets (the
``html-page-context`` context has them, but only while a page is being rendered) nor of their
checksums, so this reads ``StandaloneHTMLBuilder._css_files`` / ``_js_files`` and
``sphinx.builders.html._assets._file_checksum``; and the global template context holds them as
instances of the private classes ``_CascadingStyleSheet`` and ``_JavaScript``, which
:func:`describe_asset` recognises by name for the caches' keys (:mod:`deepdive.cache`; renamed, they
are described by their repr, or their pages are never kept). Waits for a public accessor of the
builder's assets; ``tests/test_compat.py`` fails when either private name read here moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

_ASSET_CLASSES = ("_CascadingStyleSheet", "_JavaScript")


def page_assets(app: Sphinx) -> list[list[str]]:
    """``[filename, checksum]`` for every stylesheet and script the builder links on each page."""
    from sphinx.builders.html._assets import _file_checksum

    outdir = Path(app.outdir)
    files = [*app.builder._css_files, *app.builder._js_files]
    return [
        [str(asset.filename), _file_checksum(outdir, asset.filename) if asset.filename else ""]
        for asset in files
    ]


def describe_asset(value: Any) -> tuple[str, Any, dict] | None:
    """``(filename, priority, attributes)`` of one of Sphinx's page assets, or None for any other
    value."""
    if type(value).__name__ not in _ASSET_CLASSES:
        return None
    return str(value.filename), value.priority, value.attributes
