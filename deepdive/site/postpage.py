"""A post's own page: the header under its title and the links in its footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deepdive.post.model import Post, get_posts
from deepdive.site.feeds import absolute_url
from deepdive.site.linkindex import post_links
from deepdive.site.listings import DATE_FORMAT, teaser
from deepdive.site.render import render_fragment
from deepdive.site.series import series_context

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata


def post_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: put the post header under the title and give the footer its links."""
    posts = get_posts(app.env)
    post = posts.get(pagename)
    if post is None or app.builder.format != "html" or "body" not in context:
        return
    links = post_links(app, pagename)

    def cards(docnames) -> list:
        return [teaser(app, posts[d], pagename) for d in docnames if d in posts]

    card = teaser(app, post, pagename)
    context["deepdive_post"] = card
    context["deepdive_older"] = next(iter(cards([links.older])), None) if links.older else None
    context["deepdive_newer"] = next(iter(cards([links.newer])), None) if links.newer else None
    context["deepdive_series"] = series_context(app, post, pagename)
    context["deepdive_backlinks"] = cards(links.backlinks)
    context["deepdive_related"] = cards(links.related)
    context["deepdive_versions"] = version_history(app, post, pagename)
    context["deepdive_post_url"] = absolute_url(app, pagename)  # printed under the title
    header = app.builder.templates.render("deepdive/post-header.html", {**context, "post": card})
    head, sep, rest = context["body"].partition("</h1>")
    context["body"] = head + sep + header + rest if sep else header + context["body"]


def version_history(app: Sphinx, post: Post, pagename: str) -> list[dict[str, Any]]:
    """The post's versions, newest first, for the list at its end: each update note's date, a
    link to the note and its first paragraph; then the first publication. Empty while the post
    has no update note."""
    if not post.changes:
        return []
    versions = [
        {
            "number": post.version - index,
            "date": when.strftime(DATE_FORMAT),
            "iso_date": when.strftime("%Y-%m-%d"),
            "url": f"#{anchor}",
            "html": render_fragment(app, paragraph, pagename, post.docname) if paragraph else "",
        }
        for index, (when, anchor, paragraph) in enumerate(post.changes)
    ]
    first = {"date": post.date.strftime(DATE_FORMAT), "iso_date": post.date.strftime("%Y-%m-%d")}
    return [*versions, {"number": 1, "url": "", "html": "", **first}]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", post_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
