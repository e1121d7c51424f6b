"""A post's own page: the header under its title, the footer links, and keeping them fresh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deepdive.listings import listed_posts, teaser
from deepdive.posts import Post, get_posts
from deepdive.series import series_context

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


def neighbours(app: Sphinx, post: Post) -> tuple[Post | None, Post | None]:
    """The next older and next newer post in the listing order."""
    posts = listed_posts(app)
    if post not in posts:
        return None, None
    index = posts.index(post)
    newer = posts[index - 1] if index > 0 else None
    older = posts[index + 1] if index + 1 < len(posts) else None
    return older, newer


def post_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """``html-page-context``: put the post header under the title and give the footer its links."""
    post = get_posts(app.env).get(pagename)
    if post is None or app.builder.format != "html" or "body" not in context:
        return
    card = teaser(app, post, pagename)
    older, newer = neighbours(app, post)
    context["deepdive_post"] = card
    context["deepdive_older"] = teaser(app, older, pagename) if older else None
    context["deepdive_newer"] = teaser(app, newer, pagename) if newer else None
    context["deepdive_series"] = series_context(app, post, pagename)
    header = app.builder.templates.render("deepdive/post-header.html", {**context, "post": card})
    head, sep, rest = context["body"].partition("</h1>")
    context["body"] = head + sep + header + rest if sep else header + context["body"]


def page_signature(app: Sphinx, post: Post) -> tuple:
    """Everything on a post's page that comes from *other* posts; a change means a rewrite."""
    older, newer = neighbours(app, post)
    series = series_context_key(app, post)
    return (
        (older.docname, older.title) if older else None,
        (newer.docname, newer.title) if newer else None,
        series,
    )


def series_context_key(app: Sphinx, post: Post) -> tuple:
    from deepdive.series import all_series

    if not post.series:
        return ()
    return tuple((p.docname, p.title) for p in all_series(app).get(post.series, []))


def listing_signature(post: Post) -> tuple:
    """What listing pages show of a post."""
    return (post.docname, post.title, post.date, post.updated, tuple(post.tags), post.category,
            post.description, post.draft, post.series, post.series_order, post.external_url,
            post.minutes, [n.astext() for n in post.excerpt].__repr__())


def pages_to_rewrite(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: pages Sphinx would not rewrite but whose content came from other posts.

    Sphinx rewrites only the documents it re-read; ABlog's answer is to regenerate everything. We
    rewrite exactly the post pages whose neighbours or series changed, and the pages with
    listings (home, category introductions) when anything a listing shows changed.
    """
    posts = get_posts(env)
    signatures = {docname: page_signature(app, post) for docname, post in posts.items()}
    listings = sorted(listing_signature(p) for p in posts.values())
    previous = getattr(env, "deepdive_page_signatures", {})
    previous_listings = getattr(env, "deepdive_listing_signature", None)
    env.deepdive_page_signatures = signatures
    env.deepdive_listing_signature = listings

    stale = [d for d, sig in signatures.items() if previous.get(d) != sig and d in env.all_docs]
    if previous_listings != listings:
        stale.append(app.config.root_doc)
        stale.extend(d for d in env.found_docs if d.startswith("categories/"))
    return sorted(set(stale) & set(env.found_docs))


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", post_context)
    app.connect("env-updated", pages_to_rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
