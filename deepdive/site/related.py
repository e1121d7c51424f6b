"""Which posts link to a post ("Referenced by") and which share its tags ("Related posts")."""

from __future__ import annotations

import heapq
import posixpath
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes

from deepdive.post.model import Post

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

RELATED_COUNT = 3


def outgoing_references(doctree: nodes.document) -> list[tuple[str, str]]:
    """``(reftype, target)`` of every cross-reference in a post, as written (resolved later)."""
    found = set()
    for xref in doctree.findall(addnodes.pending_xref):
        reftype = xref.get("reftype", "")
        target = xref.get("reftarget", "")
        if reftype == "myst" and xref.get("refdomain") == "doc":
            found.add(("docname", target))  # MyST has already resolved `[text](file.md)` links
        elif reftype in ("ref", "numref", "doc", "eq", "myst") and target:
            found.add((reftype, target))
    return sorted(found)


def resolve_target(env: BuildEnvironment, source: str, reftype: str, target: str) -> str | None:
    """The document a reference points to, from the domains' tables after reading."""
    labels = env.domains.standard_domain.labels
    anonlabels = env.domains.standard_domain.anonlabels
    if reftype in ("ref", "numref"):
        entry = labels.get(target.lower()) or anonlabels.get(target.lower())
        return entry[0] if entry else None
    if reftype == "eq":
        entry = env.domains["math"].equations.get(target)
        return entry[0] if entry else None
    if reftype == "docname":
        return target if target in env.all_docs else None
    if reftype == "doc":
        return _as_docname(env, source, target)
    # MyST links: `[text](other.md)`, `[text](other.md#section)`, or a label.
    path, _, fragment = target.partition("#")
    if path:
        return _as_docname(env, source, path)
    entry = labels.get(fragment.lower()) or anonlabels.get(fragment.lower())
    return entry[0] if entry else None


def _as_docname(env: BuildEnvironment, source: str, path: str) -> str | None:
    base, ext = posixpath.splitext(path)
    base = base if ext in (".md", ".ipynb", ".rst", "") else path
    if base.startswith("/"):
        candidate = base.lstrip("/")
    else:
        candidate = posixpath.normpath(posixpath.join(posixpath.dirname(source), base))
    return candidate if candidate in env.all_docs else None


def backlink_index(env: BuildEnvironment, posts: list[Post]) -> dict[str, list[str]]:
    """For every document, the posts that reference it, in the order of ``posts``."""
    index: dict[str, list[str]] = {}
    for post in posts:
        targets = {
            resolve_target(env, post.docname, reftype, target)
            for reftype, target in post.references
        }
        for target in sorted(t for t in targets if t and t != post.docname):
            index.setdefault(target, []).append(post.docname)
    return index


def related_index(posts: list[Post], count: int = RELATED_COUNT) -> dict[str, list[Post]]:
    """For every post, the posts sharing the most tags with it (rarer tags count more), newest
    first on ties. Only posts that share a tag are scored, so this stays fast as a blog grows."""
    by_tag: dict[str, list[Post]] = {}
    for post in posts:
        for tag in dict.fromkeys(post.tags):
            by_tag.setdefault(tag, []).append(post)
    related = {}
    for post in posts:
        scores: dict[str, float] = {}
        others: dict[str, Post] = {}
        for tag in sorted(set(post.tags)):  # one order of addition, so equal scores stay equal
            weight = 1 / len(by_tag[tag])
            for other in by_tag[tag]:
                if other.docname != post.docname:
                    scores[other.docname] = scores.get(other.docname, 0.0) + weight
                    others[other.docname] = other
        ranked = heapq.nsmallest(
            count, ((-score, -others[d].date.timestamp(), d) for d, score in scores.items())
        )
        related[post.docname] = [others[d] for _, _, d in ranked]
    return related
