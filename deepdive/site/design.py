"""sphinx-design in posts: valid tab markup, and its stylesheet and script only where used.

sphinx-design 0.8 writes ``aria-controls`` on each tab's ``<label>``, which HTML does not allow on
a label bound to a form control (the Nu validator's error); on the radio ``<input>`` it is valid and
tells assistive technology the same thing.

It also links its stylesheet (about 50 KB, 8 KB gzipped) and its tabs script from every page and
has no setting to stop that; most pages have no grid, card, dropdown or tab, so on those pages the
two entries are taken out of the page's ``css_files`` / ``script_files`` again.
"""

from __future__ import annotations

import re
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


# sphinx-design's own files, as its builder-inited handler adds them to every page.
STYLESHEET = "sphinx-design.min.css"
TABS_SCRIPT = "design-tabs.js"
# An element with one of sphinx-design's classes (every component has an `sd-` class); a tab set.
_COMPONENT = re.compile(r'\bclass="(?:[^"]*\s)?sd-')
_TAB_SET = re.compile(r'\bclass="(?:[^"]*\s)?sd-tab-set[\s"]')


def content_html(context: dict[str, Any]) -> str:
    """What the page shows of posts: its body, and the excerpts a home page lists."""
    excerpts = [teaser.excerpt_html for teaser in context.get("deepdive_teasers") or []]
    return "".join([context.get("body") or "", *excerpts])


def design_assets_where_used(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: sphinx-design's stylesheet only on a page with one of its
    components, its tabs script only on a page with a tab set."""
    if "sphinx_design" not in app.extensions or app.registry.html_assets_policy == "always":
        return
    html = content_html(context)
    unused = set()
    if not _COMPONENT.search(html):
        unused.add(STYLESHEET)
    if not _TAB_SET.search(html):
        unused.add(TABS_SCRIPT)
    for key in ("css_files", "script_files"):
        if unused and key in context:
            # In place: an asset another handler adds to this page later still lands in the list.
            context[key][:] = [a for a in context[key] if asset_name(a) not in unused]


def asset_name(asset: object) -> str:
    """The file name of a ``css_files`` / ``script_files`` entry (Sphinx writes ``_static/x.js``)."""
    return str(getattr(asset, "filename", asset) or "").rsplit("/", 1)[-1]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", use_valid_tab_markup)
    # After the listings have put their excerpts in the context.
    app.connect("html-page-context", design_assets_where_used, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
