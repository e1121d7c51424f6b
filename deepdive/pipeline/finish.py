"""The end of a build: every step that runs once all pages are written, in the order they need,
and last the summary of the build's problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deepdive.cache import record_document_pages
from deepdive.compat.sitemap import complete_sitemap
from deepdive.pipeline.summary import collect_problems, reread_documents_with_problems
from deepdive.post.notebooks import fail_build
from deepdive.research.citeformats import write_citation_files
from deepdive.research.math import finish_build as stop_typesetting
from deepdive.research.pdfs import print_posts
from deepdive.site.cards import draw_cards
from deepdive.site.csp import protect_written_pages
from deepdive.site.feeds import write_feeds
from deepdive.site.iconfont import shrink_icon_fonts
from deepdive.site.outputs import remove_stale_outputs
from deepdive.site.pagecache import record_signatures
from deepdive.site.redirects import write_redirects
from deepdive.site.sitefiles import write_site_files

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# Each step takes (app, exception) and decides itself whether to run after a failure.
END_OF_BUILD = (
    stop_typesetting,  # stop the KaTeX process; say how many equations were typeset
    fail_build,  # a failed notebook fails the build, with or without -W
    write_feeds,  # from the post bodies captured as pages were written
    write_citation_files,  # each post's CSL-JSON and RIS, beside its page
    write_site_files,  # robots.txt, 404.html at the root, CNAME
    write_redirects,  # pages at posts' old addresses, feed copies: after the pages and feeds they
    # must not replace, before the CSP step and the removal of the ones no post names any more
    complete_sitemap,  # every page, sorted, handed to sphinx-sitemap before it writes (500)
    protect_written_pages,  # the CSP tag, into every page this build wrote
    record_signatures,  # generated pages as they stay (after the CSP step rewrote them)
    record_document_pages,  # document pages as they stay: the next build's cache rule
    draw_cards,  # each post's social card whose text changed
    print_posts,  # each changed post's PDF, from its page as it stays
    remove_stale_outputs,  # pages, feeds and sources whose document is gone
    shrink_icon_fonts,  # last: it remembers each page it read, so it must see them final
)


def finish(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: run :data:`END_OF_BUILD` in order."""
    for step in END_OF_BUILD:
        step(app, exception)


def setup(app: Sphinx) -> ExtensionMetadata:
    # Before other extensions' handlers (500): sphinx-sitemap writes sitemap.xml there.
    app.connect("build-finished", finish, priority=450)
    # After all of them, which may still warn: the build's problems, one file:line a line.
    app.connect("build-finished", collect_problems(app), priority=900)
    # Documents with problems in the last build are read again, so their problems are repeated.
    app.connect("env-get-outdated", reread_documents_with_problems)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
