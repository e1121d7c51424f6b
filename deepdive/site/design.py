"""sphinx-design's tabs as valid HTML: the radio input, not its label, names the panel it controls.

sphinx-design 0.8 writes ``aria-controls`` on each tab's ``<label>``, which HTML does not allow on
a label bound to a form control (the Nu validator's error); on the radio ``<input>`` it is valid and
tells assistive technology the same thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sphinx.transforms.post_transforms import SphinxPostTransform

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata
    from sphinx.writers.html5 import HTML5Translator


class TabControlsOnInput(SphinxPostTransform):
    """Move each tab label's ``aria_controls`` to the radio input it is ``for``."""

    default_priority = 250  # after sphinx-design's TabSetHtmlTransform (200) made the inputs
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        from sphinx_design.tabs import sd_tab_input, sd_tab_label

        inputs = {node["id"]: node for node in self.document.findall(sd_tab_input)}
        for label in self.document.findall(sd_tab_label):
            target = inputs.get(label.get("input_id"))
            if target is not None and "aria_controls" in label:
                target["aria_controls"] = label.attributes.pop("aria_controls")


def visit_tab_input(translator: HTML5Translator, node: nodes.Element) -> None:
    """Write a tab's radio input as sphinx-design does, with the panel it controls."""
    attributes = {"ids": [node["id"]], "type": node["type"], "name": node["set_id"]}
    if node["checked"]:
        attributes["checked"] = "checked"
    if "aria_controls" in node:
        attributes["aria-controls"] = node["aria_controls"]
    translator.body.append(translator.starttag(node, "input", **attributes))


def depart_tab_input(translator: HTML5Translator, node: nodes.Element) -> None:
    """An input is a void element: nothing to close."""


def use_valid_tab_markup(app: Sphinx) -> None:
    """``builder-inited``: when sphinx-design is on, its tabs get the markup above."""
    if "sphinx_design" not in app.extensions:
        return
    from sphinx_design.tabs import sd_tab_input

    app.add_node(sd_tab_input, override=True, html=(visit_tab_input, depart_tab_input))
    app.add_post_transform(TabControlsOnInput)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", use_valid_tab_markup)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
