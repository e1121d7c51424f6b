"""sphinx-sitemap lists only the pages the current build wrote; give it every page, in one order.

sphinx-sitemap collects a link per page as the page is written (``html-page-context``), so after an
incremental build ``sitemap.xml`` held only the rewritten pages, and with ``-j`` the order of its
entries depended on which process finished first.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata


def complete_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``, before sphinx-sitemap writes: queue a link for every page the site has
    (documents not rewritten, listing pages kept from the last build), then sort the queue."""
    if exception or "sphinx_sitemap" not in app.extensions or app.builder.format != "html":
        return
    links = getattr(app.env.app, "sitemap_links", None)
    if links is None:
        return
    from sphinx_sitemap import add_html_link

    from deepdive.outputs import kept_pages

    for pagename in sorted(set(app.env.found_docs) | kept_pages(app)):
        add_html_link(app, pagename, None, {}, None)
    entries = set()
    while True:
        try:
            entries.add(links.get_nowait())
        except queue.Empty:
            break
    for entry in sorted(entries, key=lambda e: (e[0], e[1] or "")):
        links.put(entry)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("build-finished", complete_sitemap, priority=450)  # sphinx-sitemap's runs at 500
    return {"parallel_read_safe": True, "parallel_write_safe": True}
