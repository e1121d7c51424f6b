"""Work around ABlog's known faults so it can serve as our post model and directive provider.

Waits for ABlog to keep its posts in the build environment instead of the class-level
``Blog`` dict and to declare parallel reading safe (no upstream issue found to link yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ablog
from ablog.blog import Blog
from ablog.post import generate_archive_pages, generate_atom_feeds, process_posts
from docutils import nodes

if TYPE_CHECKING:
    from docutils.nodes import document
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


def reset_blog_singleton(app: Sphinx) -> None:
    """ABlog's ``Blog`` shares one class-level dict across every build in the process.

    A second Sphinx app in the same process (tests, a live server) would see the first one's posts,
    so each build starts from an empty blog that ABlog repopulates from this build's environment.
    """
    Blog._dict.clear()


def merge_ablog_posts(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    """Carry ABlog's per-document post records back from parallel reader processes."""
    theirs = getattr(other, "ablog_posts", {})
    ours = env.__dict__.setdefault("ablog_posts", {})
    for docname in docnames:
        if docname in theirs:
            ours[docname] = theirs[docname]


def drop_ablog_generators(app: Sphinx) -> None:
    """ABlog renders every listing page and feed on every build, with unescaped titles and relative
    links in feeds; :mod:`deepdive.site.listings` and :mod:`deepdive.site.feeds` replace both."""
    listeners = app.events.listeners["html-collect-pages"]
    listeners[:] = [
        listener
        for listener in listeners
        if listener.handler not in (generate_archive_pages, generate_atom_feeds)
    ]


def process_posts_without_document_copy(app: Sphinx, doctree: document) -> None:
    """ABlog's ``doctree-read`` handler, minus its deep copy of the whole document.

    ABlog stores a copy of each single-post document in ``env.ablog_posts``; nothing reads it
    (:mod:`deepdive.post.reading` drops it), yet making it took a twentieth of reading a post. During
    the handler the document's own ``deepcopy`` returns an empty element instead; copies of its
    paragraphs and sections, which make ABlog's excerpt, are made as before.
    """
    doctree.deepcopy = nodes.Element
    try:
        process_posts(app, doctree)
    finally:
        del doctree.deepcopy


def skip_ablog_document_copy(app: Sphinx) -> None:
    listeners = app.events.listeners["doctree-read"]
    for index, listener in enumerate(listeners):
        if listener.handler is process_posts:
            listeners[index] = listener._replace(handler=process_posts_without_document_copy)


def keep_ablog_templates_out(app: Sphinx, config) -> None:
    """ABlog slips its own ``page.html`` in front of the theme's, printing neighbouring posts'
    titles unescaped; our templates cover everything it showed, so its templates stay out."""
    config.skip_injecting_base_ablog_templates = True


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("ablog")
    app.connect("config-inited", keep_ablog_templates_out)
    # ABlog declares itself unsafe for parallel reading only because it keeps posts in
    # ``env.ablog_posts`` without merging them; merge_ablog_posts does that merge.
    app.extensions["ablog"].parallel_read_safe = True
    drop_ablog_generators(app)
    skip_ablog_document_copy(app)
    app.connect("builder-inited", reset_blog_singleton)
    app.connect("env-merge-info", merge_ablog_posts)
    return {"version": ablog.__version__, "parallel_read_safe": True, "parallel_write_safe": True}
