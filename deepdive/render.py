"""Render stored docutils fragments (excerpts) to HTML for the page they will appear on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util.osutil import relative_uri

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def render_fragment(app: Sphinx, fragment: list[nodes.Node], pagename: str) -> str:
    """HTML for ``fragment`` with references and image paths resolved relative to ``pagename``."""
    builder = app.builder
    document = new_document("<deepdive-fragment>", builder.docsettings.copy())
    for node in fragment:
        document.append(node.deepcopy())
    for xref in document.findall(addnodes.pending_xref):
        xref["refdoc"] = pagename
    app.env.resolve_references(document, pagename, builder)

    saved = {name: getattr(builder, name, None) for name in _BUILDER_STATE}
    try:
        builder.current_docname = pagename
        builder.imgpath = relative_uri(builder.get_target_uri(pagename), "_images")
        builder.dlpath = relative_uri(builder.get_target_uri(pagename), "_downloads")
        builder.secnumbers = {}
        builder.fignumbers = {}
        builder.add_permalinks = False
        visitor = builder.create_translator(document, builder)
        document.walkabout(visitor)
        return "".join(visitor.fragment)
    finally:
        for name, value in saved.items():
            setattr(builder, name, value)


_BUILDER_STATE = ("current_docname", "imgpath", "dlpath", "secnumbers", "fignumbers", "add_permalinks")
