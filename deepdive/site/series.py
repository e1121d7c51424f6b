"""Multi-part series: "Part k of n", links between the parts, and a page per series."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from deepdive.post.model import Post
from deepdive.post.series import group_series
from deepdive.post.slugs import slugify
from deepdive.site.pagecache import only_changed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


@dataclass
class Part:
    title: str
    url: str
    number: int
    current: bool


def all_series(app: Sphinx) -> dict[str, list[Post]]:
    """Every series among the listed posts."""
    from deepdive.site.listings import listed_posts

    return group_series(listed_posts(app))


def series_context(app: Sphinx, post: Post, pagename: str) -> dict[str, Any] | None:
    """Navigation for a post's series, as seen from ``pagename``."""
    from deepdive.post.model import get_posts
    from deepdive.site.linkindex import post_links

    parts = post_links(app, post.docname).series
    if not post.series or post.docname not in parts:
        return None
    posts = get_posts(app.env)
    index = parts.index(post.docname)
    uri = app.builder.get_relative_uri
    links = [
        Part(posts[d].title, uri(pagename, d), n, d == post.docname)
        for n, d in enumerate(parts, start=1)
    ]
    return {
        "name": post.series,
        "url": uri(pagename, f"series/{slugify(post.series)}"),
        "number": index + 1,
        "total": len(parts),
        "parts": links,
        "previous": links[index - 1] if index > 0 else None,
        "next": links[index + 1] if index + 1 < len(links) else None,
    }


def check_series(app: Sphinx, env: BuildEnvironment) -> None:
    """Two parts of one series may not claim the same ``series_order``."""
    from deepdive.post.frontmatter import Problem
    from deepdive.post.reading import warn

    for name, parts in all_series(app).items():
        seen: dict[int, Post] = {}
        for post in parts:
            if post.series_order is None:
                continue
            if post.series_order in seen:
                other = seen[post.series_order]
                warn(
                    app,
                    post.docname,
                    Problem(
                        f"series {name!r}: part {post.series_order} is claimed by both this post and "
                        f"{env.doc2path(other.docname, False)}; give each part its own `series_order`"
                    ),
                    subtype="series",
                )
            seen[post.series_order] = post


def collect_pages(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """``html-collect-pages``: one page per series listing its parts in order."""
    from deepdive.site.listings import teaser

    if app.builder.format != "html":
        return
    for name, parts in all_series(app).items():
        pagename = f"series/{slugify(name)}"
        yield (
            pagename,
            {
                "title": escape(name),  # Sphinx's `title` context value is HTML
                "deepdive_heading": f"Series: {name}",
                "deepdive_teasers": [teaser(app, p, pagename) for p in parts],
                "deepdive_numbered": True,
            },
            "deepdive/group.html",
        )


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-collect-pages", only_changed(collect_pages))
    app.connect("env-check-consistency", check_series)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
