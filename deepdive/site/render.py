"""Render stored docutils fragments (excerpts) to HTML for the page they will appear on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def render_fragment(app: Sphinx, fragment: list[nodes.Node], pagename: str, source: str) -> str:
    """HTML for ``fragment``, taken from document ``source``, as it appears on page ``pagename``.

    References and image paths are resolved relative to ``pagename``; links within ``source``
    (footnotes, citations, its own sections) point back into ``source``, and the fragment's ids
    are dropped so that several excerpts on one page never repeat an id.
    """
    builder = app.builder
    document = new_document("<deepdive-fragment>", builder.docsettings.copy())
    for node in fragment:
        document.append(node.deepcopy())
    to_source = builder.get_relative_uri(pagename, source)
    for footnote_ref in list(document.findall(nodes.footnote_reference)):
        link = nodes.reference(
            "",
            "",
            refuri=f"{to_source}#{footnote_ref.get('refid', '')}",
            classes=["footnote-reference"],
        )
        link += nodes.superscript(text=footnote_ref.astext())
        footnote_ref.replace_self(link)
    for element in document.findall(nodes.Element):
        if element.get("ids"):
            element["ids"] = []
        if isinstance(element, nodes.reference) and element.get("refid"):
            element["refuri"] = f"{to_source}#{element['refid']}"
            del element["refid"]
    for xref in document.findall(addnodes.pending_xref):
        xref["refdoc"] = pagename
    # A broken reference in an excerpt was already reported where the post itself was resolved.
    with logging.suppress_logging():
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


_BUILDER_STATE = (
    "current_docname",
    "imgpath",
    "dlpath",
    "secnumbers",
    "fignumbers",
    "add_permalinks",
)
