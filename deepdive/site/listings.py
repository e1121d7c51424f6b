"""Generated listing pages: paginated home, archive, tags, categories and series."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes

from deepdive.post.model import Post
from deepdive.post.slugs import slugify
from deepdive.site.pagecache import LazyPage, Unknowable, only_changed, signature
from deepdive.site.render import render_fragment

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

DATE_FORMAT = "%B %-d, %Y"


@dataclass
class Link:
    """A label and a URL relative to the page it is printed on."""

    label: str
    url: str
    count: int = 0


@dataclass
class Teaser:
    """One post as a listing shows it; templates print every text field escaped."""

    title: str
    url: str
    date: str
    iso_date: str
    updated: str
    description: str
    minutes: int
    tags: list[Link]
    category: Link | None
    series: str
    external_url: str | None
    draft: bool
    author: str = ""
    published_iso: str = ""
    modified_iso: str = ""
    excerpt_html: str = ""
    description_html: str = ""  # the first paragraph, rendered, when the post has no description
    read_more: bool = True
    doi: str = ""
    version: int = 1


@dataclass
class Group:
    """A titled run of teasers: a year in the archive, a tag's posts."""

    title: str
    teasers: list[Teaser] = field(default_factory=list)


def show_drafts(app: Sphinx) -> bool:
    return app.config.deepdive_show_drafts


def listed_posts(app: Sphinx) -> list[Post]:
    """The posts listings show, newest first (drafts only in preview builds)."""
    from deepdive.site.linkindex import listed

    return listed(app.env, show_drafts(app))


def uri(app: Sphinx, from_page: str, to_page: str) -> str:
    return app.builder.get_relative_uri(from_page, to_page)


def teaser(
    app: Sphinx,
    post: Post,
    pagename: str,
    with_excerpt: bool = False,
    typeset_description: bool = False,
) -> Teaser:
    """Build the listing entry for ``post`` as seen from ``pagename``; ``typeset_description``
    shows a post without a ``description`` by its first paragraph as rendered (formulas typeset,
    links kept), not as the plain text that stands in for it in metadata."""
    from deepdive.site.linkindex import series_label

    card = Teaser(
        title=post.title,
        url=post.external_url or uri(app, pagename, post.docname),
        date=post.date.strftime(DATE_FORMAT),
        iso_date=post.date.strftime("%Y-%m-%d"),
        updated=post.updated.strftime(DATE_FORMAT) if post.updated else "",
        description=post.description,
        minutes=post.minutes,
        tags=[Link(tag, uri(app, pagename, f"tags/{slug}")) for tag, slug in post.tag_slugs()],
        category=(
            Link(post.category, uri(app, pagename, f"categories/{slugify(post.category)}"))
            if post.category
            else None
        ),
        series=series_label(app, post),
        external_url=post.external_url,
        draft=post.draft,
        author=post.author or app.config.author,
        published_iso=post.date.isoformat(),
        modified_iso=post.last_changed.isoformat(),
        doi=post.doi or "",
        version=post.version,
    )
    if with_excerpt:
        card.excerpt_html = render_fragment(app, post.excerpt, pagename, post.docname)
    elif typeset_description and not post.description_given:
        first = first_paragraph(post)
        if first is not None:
            card.description_html = render_fragment(app, [first], pagename, post.docname)
    return card


def home_page_name(number: int) -> str:
    return "index" if number == 1 else f"page/{number}"


def home_chunk(app: Sphinx, posts: list[Post], number: int) -> tuple[list[Post], int]:
    """The ``posts`` on page ``number`` of the home listing, and how many pages it has."""
    per_page = app.config.deepdive_posts_per_page
    total = max(1, -(-len(posts) // per_page))
    return posts[(number - 1) * per_page : number * per_page], total


def home_context(
    app: Sphinx, posts: list[Post], number: int, with_excerpts: bool = True
) -> dict[str, Any]:
    """Context for page ``number`` of the home listing of ``posts`` (newest first)."""
    chunk, total = home_chunk(app, posts, number)
    pagename = home_page_name(number)
    pages = [Link(str(n), uri(app, pagename, home_page_name(n))) for n in range(1, total + 1)]
    return {
        "deepdive_teasers": [teaser(app, p, pagename, with_excerpt=with_excerpts) for p in chunk],
        "deepdive_pagination": {
            "current": number,
            "total": total,
            "pages": pages,
            "newer": pages[number - 2].url if number > 1 else None,
            "older": pages[number].url if number < total else None,
        },
    }


def home_page_context(app: Sphinx, posts: list[Post], number: int, total: int) -> dict[str, Any]:
    context = home_context(app, posts, number)
    context["title"] = f"Posts, page {number} of {total}"  # Sphinx's `title` is HTML
    return context


def teaser_digests(app: Sphinx, posts: list[Post]) -> dict[str, str]:
    """Each post's teaser as the root page shows it, as a digest.

    The same teaser on any other page differs only in where its links lead from, and that
    follows from the page's name; so a listing is described by its name and its teasers' digests,
    and listings whose posts did not change are known to be unchanged without building them.
    """
    root = app.config.root_doc
    return {post.docname: signature(teaser(app, post, root)) for post in posts}


def listing_inputs(digests: dict[str, str], posts: list[Post], *extra: Any) -> list[Any]:
    """What a listing of ``posts`` is made from, besides its page name: its teasers and
    ``extra``."""
    return [[digests[post.docname] for post in posts], *extra]


def home_inputs(app: Sphinx, posts: list[Post], number: int, digests: dict[str, str]) -> list[Any]:
    """What page ``number`` of the home listing is made from, without rendering its excerpts."""
    chunk, total = home_chunk(app, posts, number)
    return listing_inputs(digests, chunk, total, [excerpt_inputs(app.env, post) for post in chunk])


# Cross-references whose target `related.resolve_target` finds, and citations.
_FOLLOWED_REFERENCES = {"ref", "numref", "doc", "eq", "myst"}


def excerpt_inputs(env: BuildEnvironment, post: Post) -> list[Any]:
    """What a post's excerpt renders from, besides the page it is shown on: the post as read (its
    read time changes whenever it is read again), what its cross-references print of their targets,
    and its formatted citations. An excerpt with another kind of reference cannot be described."""
    from deepdive.site.linkindex import reference_inputs

    for node in post.excerpt:
        if isinstance(node, nodes.Element):
            for xref in node.findall(addnodes.pending_xref):
                if (
                    xref.get("refdomain") != "cite"
                    and xref.get("reftype") not in _FOLLOWED_REFERENCES
                ):
                    raise Unknowable(f"{xref.get('refdomain')}:{xref.get('reftype')}")
    return [
        post.docname,
        env.all_docs.get(post.docname),
        reference_inputs(env, post),
        getattr(env, "deepdive_citation_signatures", {}).get(post.docname),
    ]


def collect_pages(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str] | LazyPage]:
    """Every listing page except home page 1, which is the root document (``html-collect-pages``,
    through :func:`deepdive.site.pagecache.only_changed`)."""
    if app.builder.format != "html" or app.builder.name in ("json", "pickle"):
        return
    posts = listed_posts(app)
    digests = teaser_digests(app, posts)
    _, total = home_chunk(app, posts, 1)
    for number in range(2, total + 1):
        yield LazyPage(
            home_page_name(number),
            "deepdive/home.html",
            inputs=partial(home_inputs, app, posts, number, digests),
            make_context=partial(home_page_context, app, posts, number, total),
        )

    yield LazyPage(
        "archive",
        "deepdive/archive.html",
        inputs=partial(listing_inputs, digests, posts),
        make_context=partial(archive_context, app, posts),
    )

    by_tag: dict[str, list[Post]] = defaultdict(list)
    names: dict[str, str] = {}
    for post in posts:
        for tag, slug in post.tag_slugs():
            by_tag[slug].append(post)
            names.setdefault(slug, tag)
    yield "tags", index_context(app, "tags", "Tags", names, by_tag), "deepdive/index.html"
    for slug, tagged in by_tag.items():
        yield group_page(
            app, f"tags/{slug}", f"Posts tagged “{names[slug]}”", tagged, digests, True
        )

    by_category: dict[str, list[Post]] = defaultdict(list)
    category_names: dict[str, str] = {}
    for post in posts:
        if post.category:
            by_category[slugify(post.category)].append(post)
            category_names.setdefault(slugify(post.category), post.category)
    yield (
        "categories",
        index_context(app, "categories", "Categories", category_names, by_category),
        "deepdive/index.html",
    )
    for slug, filed in by_category.items():
        pagename = f"categories/{slug}"
        if pagename in app.env.found_docs:
            continue  # the author wrote an introduction page; the listing is added to it
        yield group_page(app, pagename, category_names[slug], filed, digests)


def archive_context(app: Sphinx, posts: list[Post]) -> dict[str, Any]:
    years: dict[int, Group] = {}
    for post in posts:
        group = years.setdefault(post.date.year, Group(str(post.date.year)))
        group.teasers.append(teaser(app, post, "archive"))
    return {
        "title": "Archive",
        "deepdive_groups": list(years.values()),
        "deepdive_count": len(posts),
    }


def index_context(
    app: Sphinx, pagename: str, title: str, names: dict[str, str], members: dict[str, list[Post]]
) -> dict[str, Any]:
    entries = [
        Link(names[slug], uri(app, pagename, f"{pagename}/{slug}"), len(members[slug]))
        for slug in sorted(names, key=lambda s: names[s].lower())
    ]
    return {"title": escape(title), "deepdive_entries": entries}


def group_page(
    app: Sphinx,
    pagename: str,
    title: str,
    posts: list[Post],
    digests: dict[str, str],
    feed: bool = False,
) -> LazyPage:
    """A tag's or category's page, built only when it is rendered."""
    return LazyPage(
        pagename,
        "deepdive/group.html",
        inputs=partial(group_inputs, app, digests, posts, title, feed),
        make_context=partial(group_context, app, pagename, title, posts, feed),
    )


def group_inputs(app: Sphinx, digests: dict[str, str], posts: list[Post], *extra: Any) -> list[Any]:
    """What a tag's or category's page is made from: its teasers, and the first paragraph of each
    post it shows in place of a description."""
    described = [first_paragraph_inputs(app.env, p) for p in posts if not p.description_given]
    return listing_inputs(digests, posts, *extra, described)


def first_paragraph(post: Post) -> nodes.paragraph | None:
    return next((n for n in post.excerpt if isinstance(n, nodes.paragraph)), None)


def first_paragraph_inputs(env: BuildEnvironment, post: Post) -> list[Any]:
    """What a post's first paragraph renders from: the paragraph itself (so an edit elsewhere in
    the post leaves its listings alone), its references' targets and its citations."""
    from deepdive.site.linkindex import reference_inputs

    paragraph = first_paragraph(post)
    if paragraph is not None:
        for xref in paragraph.findall(addnodes.pending_xref):
            if xref.get("refdomain") != "cite" and xref.get("reftype") not in _FOLLOWED_REFERENCES:
                raise Unknowable(f"{xref.get('refdomain')}:{xref.get('reftype')}")
    return [
        post.docname,
        paragraph.pformat() if paragraph is not None else None,
        reference_inputs(env, post),
        getattr(env, "deepdive_citation_signatures", {}).get(post.docname),
    ]


def group_context(
    app: Sphinx, pagename: str, title: str, posts: list[Post], feed: bool = False
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "title": escape(title),  # Sphinx's `title` context value is HTML
        "deepdive_heading": title,
        "deepdive_teasers": [teaser(app, p, pagename, typeset_description=True) for p in posts],
    }
    if feed and app.config.html_baseurl:
        context["deepdive_feeds"] = {
            "atom": uri(app, pagename, pagename) + "atom.xml",
            "rss": uri(app, pagename, pagename) + "rss.xml",
        }
    return context


def category_intro_listing(app: Sphinx, pagename: str, context: dict[str, Any]) -> None:
    """``html-page-context``: an author-written ``categories/<slug>`` page gets its posts."""
    if not pagename.startswith("categories/") or app.builder.format != "html":
        return
    slug = pagename.split("/", 1)[1]
    filed = [p for p in listed_posts(app) if p.category and slugify(p.category) == slug]
    context["deepdive_category_teasers"] = [
        teaser(app, p, pagename, typeset_description=True) for p in filed
    ]


def home_page_listing(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: the root document is page 1 of the home listing."""
    if app.builder.format != "html":
        return
    if pagename == app.config.root_doc:
        context.update(home_context(app, listed_posts(app), 1))
    category_intro_listing(app, pagename, context)


def orphan_category_intros(app: Sphinx, doctree: Any) -> None:
    """``doctree-read``: category introductions are reached from listings, not from a toctree."""
    if app.env.docname.startswith("categories/"):
        app.env.metadata[app.env.docname]["orphan"] = True


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-collect-pages", only_changed(collect_pages))
    app.connect("doctree-read", orphan_category_intros)
    app.connect("html-page-context", home_page_listing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
