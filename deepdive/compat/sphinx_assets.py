"""The stylesheets and scripts every page links, with the ``?v=`` checksum Sphinx gives each.

A generated page kept from the last build (:mod:`deepdive.site.pagecache`) must link the same
asset versions as a page rendered now. Sphinx has no public list of a builder's assets (the
``html-page-context`` context has them, but only while a page is being rendered) nor of their
checksums, so this reads ``StandaloneHTMLBuilder._css_files`` / ``_js_files`` and
``sphinx.builders.html._assets._file_checksum``. Waits for a public accessor of the builder's
assets; ``tests/test_compat.py`` fails when either name moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def page_assets(app: Sphinx) -> list[list[str]]:
    """``[filename, checksum]`` for every stylesheet and script the builder links on each page."""
    from sphinx.builders.html._assets import _file_checksum

    outdir = Path(app.outdir)
    files = [*app.builder._css_files, *app.builder._js_files]
    return [
        [str(asset.filename), _file_checksum(outdir, asset.filename) if asset.filename else ""]
        for asset in files
    ]
