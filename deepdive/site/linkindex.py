"""What each post page shows of *other* posts, computed once per build; which pages go stale."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deepdive.post.model import Post, get_posts, published_posts
from deepdive.post.series import group_series
from deepdive.research.citekeys import citation_keys
from deepdive.site.related import backlink_index, related_index, resolve_target

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


@dataclass(frozen=True)
class PostLinks:
    """Docnames a post page links to besides itself; ``series`` holds every part, in order."""

    older: str | None = None
    newer: str | None = None
    series: tuple[str, ...] = ()
    backlinks: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # Not a link: the "Cite this post" key, which depends on the other posts' keys.
    citation_key: str = ""

    def docnames(self) -> list[str]:
        return [
            d for d in (self.older, self.newer, *self.series, *self.backlinks, *self.related) if d
        ]


def listed(env: BuildEnvironment, show_drafts: bool) -> list[Post]:
    """Posts in listing order, newest first (drafts only when previewing)."""
    return published_posts(env, include_drafts=show_drafts)


def build_links(env: BuildEnvironment, show_drafts: bool) -> dict[str, PostLinks]:
    """The links of every listed post page, from the posts read so far."""
    posts = listed(env, show_drafts)
    series = group_series(posts)
    back = backlink_index(env, posts)
    related = _related_docnames(env, posts)
    keys = citation_keys(posts, env.config.author)
    links = {}
    for index, post in enumerate(posts):
        links[post.docname] = PostLinks(
            older=posts[index + 1].docname if index + 1 < len(posts) else None,
            newer=posts[index - 1].docname if index > 0 else None,
            series=tuple(p.docname for p in series.get(post.series, [])),
            backlinks=tuple(back.get(post.docname, ())),
            related=related[post.docname],
            citation_key=keys[post.docname],
        )
    return links


def _related_docnames(env: BuildEnvironment, posts: list[Post]) -> dict[str, tuple[str, ...]]:
    """``related_index`` as docnames, kept from the last build while no post's tags or date
    changed: it scores every pair of posts sharing a tag (0.1 s a build at 500 posts), and most
    edits change neither."""
    inputs = tuple((post.docname, tuple(post.tags), post.date) for post in posts)
    kept = getattr(env, "deepdive_related", None)
    if kept and kept[0] == inputs:
        return kept[1]
    related = {
        docname: tuple(post.docname for post in others)
        for docname, others in related_index(posts).items()
    }
    env.deepdive_related = (inputs, related)
    return related


def post_links(app: Sphinx, docname: str) -> PostLinks:
    return getattr(app.env, "deepdive_links", {}).get(docname, PostLinks())


def _page_signature(links: PostLinks, posts: dict[str, Post]) -> tuple:
    """What a post page prints of other posts: their docnames and titles, in place."""
    return (links, tuple(posts[d].title for d in links.docnames()))


def _listing_signature(post: Post) -> tuple:
    """What listing pages print of a post."""
    return (
        post.docname,
        post.title,
        post.date,
        post.updated,
        tuple(post.tags),
        post.category,
        post.description,
        post.draft,
        post.series,
        post.series_order,
        post.external_url,
        post.minutes,
        tuple(node.astext() for node in post.excerpt),
    )


def refresh_links(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: rebuild the link index; return the pages Sphinx must rewrite unread.

    Sphinx rewrites only documents it re-read, and ABlog's answer is to regenerate everything.
    Here the index is compared with the previous build's, and exactly the post pages whose links
    changed are rewritten (the neighbours of an added, removed, redated or retitled post, the parts
    of a changed series, backlinks, related posts), plus the home page and category introductions
    when anything a listing shows has changed.
    """
    posts = get_posts(env)
    links = build_links(env, app.config.deepdive_show_drafts)
    # Signatures are kept as digests: only equality matters, and the environment stays small.
    signatures = {d: _digest(_page_signature(entry, posts)) for d, entry in links.items()}
    previous = getattr(env, "deepdive_page_signatures", {})
    env.deepdive_links = links
    env.deepdive_page_signatures = signatures

    stale = {d for d, sig in signatures.items() if previous.get(d) != sig}
    reread = getattr(env, "deepdive_reread", set()) & env.all_docs.keys()
    # Stored as digests: only equality matters, and listings compare them for every post.
    exported = {d: _digest(v) for d, v in exported_by(env, reread).items()}
    previous_exported = getattr(env, "deepdive_exported", {})
    changed = {d for d in reread if previous_exported.get(d) != exported[d]}
    env.deepdive_exported = {
        **{d: sig for d, sig in previous_exported.items() if d in env.all_docs},
        **exported,
    }
    stale.update(_referrers_of(env, changed, posts.values()))

    # An excerpt prints what its links point to, so a listing changes with its links' targets too.
    listings = _digest(
        sorted(_listing_signature(p) + (reference_inputs(env, p),) for p in posts.values())
    )
    previous_listings = getattr(env, "deepdive_listing_signature", None)
    env.deepdive_listing_signature = listings
    if previous_listings != listings:
        stale.add(app.config.root_doc)
        stale.update(d for d in env.found_docs if d.startswith("categories/"))
    return sorted(stale & env.found_docs)


def note_reread(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: remember which documents this build re-reads."""
    env.deepdive_reread = set(docnames)


def exported_by(env: BuildEnvironment, docnames: set[str]) -> dict[str, tuple]:
    """What a page can print about each of ``docnames`` by linking to it: the document's title,
    its labels with their titles and anchors, and the numbers of its equations, figures, tables
    and theorems. Editing anything else in a post leaves the pages that link to it unchanged."""
    found: dict[str, list[tuple[str, ...]]] = {d: [] for d in docnames}
    if not docnames:
        return {}
    for domain in env.domains.sorted():
        for name, shown, kind, docname, anchor, _ in domain.get_objects():
            if docname in found:
                found[docname].append((domain.name, kind, name, str(shown), anchor))
    for label, (docname, number) in env.domains["math"].equations.items():
        if docname in found:
            found[docname].append(("math", "equation", label, str(number)))
    for label, entry in getattr(env, "proof_list", {}).items():
        if entry.get("docname") in found:
            found[entry["docname"]].append(("proof", label, repr(sorted(entry.items()))))
    return {
        docname: (
            tuple(sorted(objects)),
            _sorted_repr(env.toc_fignumbers.get(docname, {})),
            _sorted_repr(env.toc_secnumbers.get(docname, {})),
        )
        for docname, objects in found.items()
    }


def reference_inputs(env: BuildEnvironment, post: Post) -> tuple:
    """What ``post``'s cross-references print of their targets: each target document with what
    it exports (title, labels, numbers), from this build's index."""
    exported = getattr(env, "deepdive_exported", {})
    targets = {str(resolve_target(env, post.docname, kind, x)) for kind, x in post.references}
    return tuple((target, exported.get(target)) for target in sorted(targets))


def _digest(value: tuple | list) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


def _sorted_repr(numbers: dict) -> str:
    return repr(
        sorted((k, sorted(v.items()) if isinstance(v, dict) else v) for k, v in numbers.items())
    )


def _referrers_of(env: BuildEnvironment, targets: set[str], posts) -> set[str]:
    """Posts that link into ``targets``, documents whose title, labels or numbers changed: Sphinx
    does not rewrite a page when only what it links to changed."""
    from deepdive.site.related import resolve_target

    if not targets:
        return set()
    return {
        post.docname
        for post in posts
        if post.docname not in targets
        and any(resolve_target(env, post.docname, t, x) in targets for t, x in post.references)
    }


def series_label(app: Sphinx, post: Post) -> str:
    """``"Part 2 of 3 of Variational Autoencoders"``, or "" for a standalone post."""
    parts = post_links(app, post.docname).series
    if not post.series or post.docname not in parts:
        return ""
    return f"Part {parts.index(post.docname) + 1} of {len(parts)} of {post.series}"


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("env-before-read-docs", note_reread)
    app.connect("env-updated", refresh_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
