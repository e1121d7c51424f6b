"""Sidenotes: a copy of each footnote beside its first reference, in the margin on wide screens.

The ordinary footnote list stays in the page, so readers without CSS and narrow screens get plain
footnotes; ``deepdive-pages.css`` shows one or the other by screen width. A footnote of plain
paragraphs becomes a ``<span class="dd-sidenote">`` right after its reference (a ``<p>`` may not
hold an ``<aside>``); one with lists, code or display math becomes an
``<aside class="dd-sidenote">`` after the paragraph that refers to it. A reference inside a table,
an admonition, a figure, a heading or another footnote gets no sidenote: its footnote stays in
the list on every screen. Where no sidenote is, ``deepdive-margin.js`` widens into that margin a
code block or table too wide for the column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from deepdive import add_page_stylesheet

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata
    from sphinx.writers.html5 import HTML5Translator

# Marks footnotes that have a sidenote (and the "footnotes" rule above the list, when all do):
# on wide screens deepdive-pages.css hides exactly these.
SIDENOTED = "dd-sidenoted"
# Blocks a sidenote may sit in: their right edge is the article's, so the margin is in reach
# (not block quotes, tables, admonitions or figures, which are padded, boxed or captioned).
_OPEN_BLOCKS = (
    nodes.section, nodes.document, nodes.bullet_list, nodes.enumerated_list, nodes.list_item,
    nodes.definition_list, nodes.definition_list_item, nodes.definition, nodes.compound,
)  # fmt: skip
# Footnote content that needs no block sidenote: paragraphs, and what renders as nothing.
_INVISIBLE = (nodes.target, nodes.comment, nodes.substitution_definition)


class sidenote(nodes.General, nodes.Element):  # noqa: N801 - docutils names nodes in lower case
    """A copy of a footnote's content beside its reference; ``inline``: a span, else an aside."""


def _label(footnote: nodes.footnote) -> str:
    label = footnote.next_node(nodes.label)
    return label.astext() if label is not None else ""


def _placement(ref: nodes.footnote_reference) -> tuple[nodes.paragraph, nodes.Node] | None:
    """The paragraph around ``ref`` and its child holding ``ref``, if the margin is in reach."""
    top: nodes.Node = ref
    while isinstance(top.parent, nodes.Inline):
        top = top.parent
    paragraph = top.parent
    if type(paragraph) is not nodes.paragraph:
        return None
    node = paragraph.parent
    while node is not None:
        if type(node) not in _OPEN_BLOCKS:
            return None
        node = node.parent
    return paragraph, top


def _content(footnote: nodes.footnote) -> tuple[list[nodes.Node], bool]:
    """Copies of the footnote's content without ids, and whether it fits in a ``<span>``."""
    body = [
        child.deepcopy()
        for child in footnote.children
        if not isinstance(child, (nodes.label, *_INVISIBLE))
    ]
    for child in body:
        for node in child.findall(nodes.Element):
            node["ids"] = []
            node["names"] = []
            if isinstance(node, nodes.footnote_reference):
                node["classes"].append("dd-sidenote__ref")
    inline = all(type(child) is nodes.paragraph for child in body)
    if inline:
        body = [
            nodes.inline("", "", *child.children, classes=["dd-sidenote__para"]) for child in body
        ]
    return body, inline


class AddSidenotes(SphinxPostTransform):
    """Put a sidenote after the first reference to each footnote, where the margin is reachable."""

    default_priority = 900  # after cross-references (and citations in footnotes) are resolved
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        footnotes = list(self.document.findall(nodes.footnote))
        done: set[str] = set()
        for ref in list(self.document.findall(nodes.footnote_reference)):
            refid = ref.get("refid")
            footnote = self.document.ids.get(refid) if refid else None
            if not isinstance(footnote, nodes.footnote) or refid in done:
                continue
            place = _placement(ref)
            if place is None:
                continue
            paragraph, top = place
            done.add(refid)
            body, inline = _content(footnote)
            note = sidenote("", *body, inline=inline, label=_label(footnote), footnote=refid)
            if inline:  # after the reference, outside any emphasis or link around it
                paragraph.insert(paragraph.index(top) + 1, note)
            else:
                paragraph.parent.insert(paragraph.parent.index(paragraph) + 1, note)
            footnote["classes"].append(SIDENOTED)
        if footnotes and all(SIDENOTED in f["classes"] for f in footnotes):
            for rule in self.document.findall(nodes.transition):
                if "footnotes" in rule["classes"]:
                    rule["classes"].append(SIDENOTED)


def visit_sidenote(self: HTML5Translator, node: sidenote) -> None:
    """Open ``<span class="dd-sidenote">`` (or ``<aside>``) with the footnote's label."""
    tag = "span" if node["inline"] else "aside"
    classes = ["dd-sidenote"] + ([] if node["inline"] else ["dd-sidenote--block"])
    attributes = {"role": "note", "data-dd-footnote": node["footnote"]}
    self.body.append(self.starttag(node, tag, "", classes=classes, **attributes))
    self.body.append(f'<span class="dd-sidenote__label">{self.encode(node["label"])}</span> ')


def depart_sidenote(self: HTML5Translator, node: sidenote) -> None:
    """Close the sidenote."""
    self.body.append("</span>" if node["inline"] else "</aside>\n")


def skip(self: Any, node: nodes.Node) -> None:
    """Other formats keep their ordinary footnotes."""
    raise nodes.SkipNode


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_node(
        sidenote,
        html=(visit_sidenote, depart_sidenote),
        **{name: (skip, None) for name in ("latex", "text", "man", "texinfo")},
    )
    app.add_post_transform(AddSidenotes)
    add_page_stylesheet(app)
    # The margin the sidenotes leave free takes code and tables too wide for the column.
    app.add_js_file("deepdive-margin.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
