"""ABlog's directives, transform, options and handlers, without its own pages and feeds.

ABlog's ``setup()`` connects two ``html-collect-pages`` generators, its archive pages and its Atom
feeds; no option turns the pages off, and both are replaced here by :mod:`deepdive.site.listings`
and :mod:`deepdive.site.feeds`. So ABlog is not loaded as an extension: :func:`setup` registers
what ``ablog.setup`` registers, from ABlog's public modules, leaving out those two generators and
the handler that puts ABlog's templates in front of the theme's (ours cover every page it showed).
``tests/test_compat.py`` compares the two, so a new ABlog registration fails there, loudly.

Not loading ``ablog`` also means its ``parallel_read_safe: False`` does not apply: the only
per-document state it keeps outside Sphinx's domains, ``env.ablog_posts``, is merged here.

One private name is left, ``Blog._dict``: ABlog keeps its posts in that class-level dict, shared
by every build in the process. Waits for ABlog to keep its posts in the build environment, to
declare parallel reading safe and to let a site switch its archive pages and feeds off (no
upstream issue found to link yet).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import ablog
from ablog.blog import CONFIG, Blog
from ablog.post import (
    CheckFrontMatter,
    PostDirective,
    PostListDirective,
    UpdateDirective,
    UpdateNode,
    missing_reference,
    process_postlist,
    process_posts,
    purge_posts,
)

from deepdive.errors import SetupError

if TYPE_CHECKING:
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


def visit_update(translator, node: UpdateNode) -> None:
    translator.visit_admonition(node)


def depart_update(translator, node: UpdateNode) -> None:
    translator.depart_admonition(node)


def setup(app: Sphinx) -> ExtensionMetadata:
    if "ablog" in app.config.extensions:
        raise SetupError(
            "conf.py: remove 'ablog' from `extensions`: deepdive loads ABlog's directives and "
            "front matter itself, and makes the listing pages and feeds ABlog would make"
        )
    for name, default, rebuild, *_ in CONFIG:
        app.add_config_value(name, default, rebuild)
    app.add_directive("post", PostDirective)
    app.add_directive("postlist", PostListDirective)
    app.add_directive("update", UpdateDirective)
    app.add_node(
        UpdateNode,
        html=(visit_update, depart_update),
        latex=(visit_update, depart_update),
    )
    app.add_transform(CheckFrontMatter)
    app.add_message_catalog(ablog.MESSAGE_CATALOG_NAME, str(Path(ablog.PKGDIR) / "locales"))
    app.connect("config-inited", ablog.config_inited)
    app.connect("doctree-read", process_posts)
    app.connect("env-purge-doc", purge_posts)
    app.connect("doctree-resolved", process_postlist)
    app.connect("missing-reference", missing_reference)
    app.connect("html-page-context", ablog.html_page_context)
    app.connect("builder-inited", reset_blog_singleton)
    app.connect("env-merge-info", merge_ablog_posts)
    return {"version": ablog.__version__, "parallel_read_safe": True, "parallel_write_safe": True}
