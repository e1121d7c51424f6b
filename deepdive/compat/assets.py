"""Stylesheets that extensions copy at the end of a build are copied before any page is written.

myst-nb (``mystnb.<hash>.css``) and sphinx-proof (``proof.css``) copy their stylesheet on
``build-finished``. Sphinx adds a ``?v=<checksum>`` to a stylesheet link only when the file is
already in the output, so a clean build's pages linked them without a checksum and every later
build's pages with one: an incremental build differed from a clean build of the same sources.

Waits for myst-nb and sphinx-proof to add their stylesheets at ``builder-inited`` (no
upstream issue found to link yet).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.util.typing import ExtensionMetadata

# extension -> (module, its build-finished handler that writes the stylesheet)
LATE_ASSET_WRITERS = {
    "myst_nb": ("myst_nb.sphinx_ext", "add_global_html_resources"),
    "sphinx_proof": ("sphinx_proof", "copy_asset_files"),
}


def copy_late_assets_early(app: Sphinx, builder: Builder) -> None:
    """``write-started``: run those handlers now as well; they run again at the end, unchanged."""
    if builder.format != "html":
        return
    for extension, (module, handler) in LATE_ASSET_WRITERS.items():
        if extension in app.extensions:
            getattr(importlib.import_module(module), handler)(app, None)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("write-started", copy_late_assets_early)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
