"""Whole-blog checks once every post is read: duplicate slugs and colliding tags."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from deepdive.post.frontmatter import Problem
from deepdive.post.model import get_posts
from deepdive.post.reading import warn
from deepdive.post.slugs import slugify

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


def check_slugs(app: Sphinx, env: BuildEnvironment) -> None:
    """Two posts with one slug would share ABlog's label and confuse links; name both files."""
    by_slug: dict[str, list[str]] = defaultdict(list)
    for docname in get_posts(env):
        by_slug[slugify(docname.rsplit("/", 1)[-1])].append(docname)
    for slug, docnames in sorted(by_slug.items()):
        if len(docnames) < 2:
            continue
        files = [str(env.doc2path(d, False)) for d in sorted(docnames)]
        for docname in sorted(docnames)[1:]:
            warn(
                app,
                docname,
                Problem(
                    f"duplicate slug {slug!r}: {' and '.join(files)} would both be '{slug}'. "
                    "Rename one of the files (the file name is the post's slug)"
                ),
                subtype="slug",
            )


def check_tags(app: Sphinx, env: BuildEnvironment) -> None:
    """Tags whose URLs collide (``Python``/``python``, ``C``/``C++``) must be spelled one way."""
    spellings: dict[str, dict[str, str]] = defaultdict(dict)
    for docname, post in sorted(get_posts(env).items()):
        for tag in post.tags:
            slug = slugify(tag)
            if not slug:
                warn(
                    app,
                    docname,
                    Problem(f"tag {tag!r} has no letters or digits to make a URL from"),
                    subtype="tags",
                )
                continue
            spellings[slug].setdefault(tag, docname)
    for slug, tags in sorted(spellings.items()):
        if len(tags) < 2:
            continue
        where = "; ".join(f"{tag!r} in {env.doc2path(d, False)}" for tag, d in tags.items())
        first = next(iter(tags.values()))
        warn(
            app,
            first,
            Problem(
                f"tags {', '.join(repr(t) for t in tags)} would share the page "
                f"tags/{slug}/ ({where}). "
                "Spell the tag the same way in every post"
            ),
            subtype="tags",
        )


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("env-check-consistency", check_slugs)
    app.connect("env-check-consistency", check_tags)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
