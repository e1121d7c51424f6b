"""One viewport tag per page, not two.

Sphinx's layout writes ``<meta name="viewport" ...>`` itself, and it also passes on, in the page's
``metatags``, the tags docutils' HTML5 writer makes, which since docutils 0.18 include a viewport
tag of their own. Browsers use one and validators flag the other, so docutils' copy is taken out of
``metatags`` as each page is rendered.

Waits for sphinx-doc/sphinx#11699 (Sphinx filtering docutils' viewport tag out of ``metatags``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

VIEWPORT = re.compile(r"""<meta\s+name=["']viewport["'][^>]*>\s*""")


def drop_docutils_viewport(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    metatags = context.get("metatags")
    if isinstance(metatags, str):
        context["metatags"] = VIEWPORT.sub("", metatags)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", drop_docutils_viewport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
