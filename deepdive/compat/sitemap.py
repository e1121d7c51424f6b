"""sphinx-sitemap lists only the pages the current build wrote; give it every content page, in one
order, each post with the date of its last change.

sphinx-sitemap collects a link per page as the page is written (``html-page-context``), so after an
incremental build ``sitemap.xml`` held only the rewritten pages, and with ``-j`` the order of its
entries depended on which process finished first. It also passes those links through a
``multiprocessing.Manager`` queue, which starts a server process every build and costs a round
trip per page (0.2 s of a one-post edit at 500 posts). Since every page is queued again in the main
process at the end, a plain queue does: the links queued by ``-j`` writer processes are not needed.

Waits for sphinx-sitemap to list every page after an incremental build
(jdillard/sphinx-sitemap#13).
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata


# The search page, the general index and the "not found" page are pages, but not content.
NOT_CONTENT = ("search", "genindex", "404")


def complete_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``, before sphinx-sitemap writes: queue a link for every page the site has
    (documents not rewritten, listing pages kept from the last build), then sort the queue."""
    if exception or "sphinx_sitemap" not in app.extensions or app.builder.format != "html":
        return
    links = getattr(
        app, "sitemap_links", None
    )  # sphinx-sitemap reads it as env.app, the same object
    if links is None:
        return
    from sphinx_sitemap import add_html_link

    from deepdive.post.model import published_posts
    from deepdive.post.slugs import ascii_url
    from deepdive.site.outputs import kept_pages

    for pagename in sorted(set(app.env.found_docs) | kept_pages(app)):
        add_html_link(app, pagename, None, {}, None)
    entries = set()
    while True:
        try:
            entries.add(links.get_nowait())
        except queue.Empty:
            break
    # Pages no search engine should list; a post's last change is its lastmod.
    not_content = {app.builder.get_target_uri(page) for page in NOT_CONTENT}
    changed = {
        app.builder.get_target_uri(post.docname): post.last_changed.date().isoformat()
        for post in published_posts(app.env)
    }
    for link, lastmod in sorted(entries, key=lambda e: (e[0], e[1] or "")):
        if link not in not_content:
            lastmod = changed.get(link, lastmod)
            links.put((ascii_url(link), lastmod))  # sitemaps.org: a URL is ASCII, percent-encoded


def use_a_plain_queue(app: Sphinx, config: Config) -> None:
    """``config-inited`` (every extension is set up by then): swap sphinx-sitemap's
    ``builder-inited`` handler, which creates the ``Manager`` queue, for ours."""
    if "sphinx_sitemap" not in app.extensions:
        return
    import sphinx_sitemap

    for listener in list(app.events.listeners["builder-inited"]):
        if listener.handler is sphinx_sitemap.record_builder_type:
            app.disconnect(listener.id)
            app.connect("builder-inited", record_builder_type, priority=listener.priority)


def record_builder_type(app: Sphinx) -> None:
    """What sphinx-sitemap's ``record_builder_type`` does, with a queue local to this process."""
    builder = app.builder
    builder.env.is_directory_builder = type(builder).__name__ == "DirectoryHTMLBuilder"
    app.sitemap_links = queue.Queue()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("config-inited", use_a_plain_queue)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
