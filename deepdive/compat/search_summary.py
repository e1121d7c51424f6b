"""Search results' summaries read a formula once, as it is shown, not with its hidden TeX.

Sphinx's search page fetches each result's page and shows a passage of its text. Before taking
the text, ``searchtools.js`` removes only ``.headerlink``, ``script`` and ``style`` elements (a
fixed list since sphinx-doc/sphinx#12057; nothing lets a site add to it), so every KaTeX formula
is read three times: its MathML copy for screen readers, the TeX of that copy's annotation, and
its rendering ("step ε\\varepsilonε"). ``deepdive-search-summary.js``, loaded on the search page
only, wraps ``Search.htmlToText`` to drop KaTeX's MathML copy first. Waits for Sphinx to let a
site choose what the summary leaves out; ``tests/test_compat.py`` fails when the function it
wraps changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

SCRIPT = "deepdive-search-summary.js"


def add_to_search_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: on the search page only (Sphinx adds a script given here to the
    page being written), after ``searchtools.js`` has defined ``Search``."""
    if templatename == "search.html" and app.builder.format == "html":
        app.add_js_file(SCRIPT, defer="defer")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", add_to_search_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
