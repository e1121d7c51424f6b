"""Each post's metadata, collected at read time and kept per document in a domain."""

from __future__ import annotations

import itertools
import posixpath
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.domains import Domain
from sphinx.util import logging

from deepdive.post.slugs import slugify

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

MORE_MARKER = "<!-- more -->"


@dataclass
class Post:
    """What listings, feeds and post pages need to know about one post."""

    docname: str
    title: str
    date: datetime
    updated: datetime | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    author: str | None = None
    description: str = ""
    # False when `description` is the first paragraph's text, which may hold formulas as TeX.
    description_given: bool = False
    draft: bool = False
    external_url: str | None = None
    series: str | None = None
    series_order: int | None = None
    image: str | None = None
    language: str | None = None
    location: str | None = None
    minutes: int = 1
    excerpt: list[nodes.Node] = field(default_factory=list)
    has_more: bool = False
    references: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)  # old addresses, from front matter
    redirect_line: int | None = None
    license: str | None = None  # an SPDX identifier, when not the site's licence
    doi: str | None = None
    # The post's update notes, newest first: (date, the note's id on the page, its first paragraph).
    changes: list[tuple[datetime, str, list[nodes.Node]]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return posixpath.basename(self.docname)

    @property
    def version(self) -> int:
        """1 as first published; each update note adds one."""
        return 1 + len(self.changes)

    @property
    def version_note(self) -> str:
        """The note of an updated post: Version 3, updated February 10, 2025 (empty before any)."""
        if not self.updated:
            return ""
        when = self.updated
        return f"Version {self.version}, updated {when:%B} {when.day}, {when:%Y}"

    @property
    def last_changed(self) -> datetime:
        return self.updated or self.date

    def sort_key(self) -> tuple:
        return (self.date, self.title, self.docname)

    def tag_slugs(self) -> list[tuple[str, str]]:
        return [(tag, slugify(tag)) for tag in self.tags]


class PostsDomain(Domain):
    """Holds a :class:`Post` per document, so parallel reads and incremental builds stay correct."""

    name = "deepdive"
    label = "Deep Dives"
    data_version = 1
    initial_data: dict[str, Any] = {"posts": {}, "invalid": set()}

    @property
    def posts(self) -> dict[str, Post]:
        return self.data["posts"]

    @property
    def invalid(self) -> set[str]:
        """Posts whose front matter had problems: re-read on every build so the error persists."""
        return self.data["invalid"]

    def clear_doc(self, docname: str) -> None:
        self.posts.pop(docname, None)
        self.invalid.discard(docname)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        for docname, post in otherdata["posts"].items():
            if docname in docnames:
                self.posts[docname] = post
        self.invalid.update(d for d in otherdata["invalid"] if d in docnames)

    def resolve_any_xref(self, *args: Any) -> list:
        return []


def get_posts(env: BuildEnvironment) -> dict[str, Post]:
    """Every post read so far, by docname."""
    return env.get_domain("deepdive").posts


def published_posts(env: BuildEnvironment, include_drafts: bool = False) -> list[Post]:
    """Posts newest first, as listings and feeds show them."""
    posts = [p for p in get_posts(env).values() if include_drafts or not p.draft]
    return sorted(posts, key=Post.sort_key, reverse=True)


def extract_excerpt(doctree: nodes.document, paragraphs: int = 1) -> tuple[list[nodes.Node], bool]:
    """Everything above a ``<!-- more -->`` marker, else the first ``paragraphs`` paragraphs."""
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return [], False
    body = [child for child in section.children if not isinstance(child, nodes.title)]
    for index, child in enumerate(body):
        if isinstance(child, nodes.raw) and child.astext().strip() == MORE_MARKER:
            kept = [c.deepcopy() for c in body[:index] if not _is_invisible(c)]
            return detached(kept), True
    found = list(itertools.islice(section.findall(nodes.paragraph), paragraphs))
    return detached([paragraph.deepcopy() for paragraph in found]), False


def detached(fragment: list[nodes.Node]) -> list[nodes.Node]:
    """``fragment`` without its nodes' references to the whole document, which a copy keeps:
    pickled with the environment, each excerpt would otherwise carry its post's entire doctree."""
    for top in fragment:
        for node in top.findall():
            node.document = None
    return fragment


def _is_invisible(node: nodes.Node) -> bool:
    return isinstance(
        node, (nodes.target, nodes.comment, nodes.system_message, nodes.substitution_definition)
    )


def first_paragraph_text(doctree: nodes.document) -> str:
    """The first paragraph of the post as plain text, for a default description."""
    section = next(iter(doctree.findall(nodes.section)), None)
    paragraph = next(section.findall(nodes.paragraph), None) if section is not None else None
    return " ".join(paragraph.astext().split()) if paragraph is not None else ""


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_domain(PostsDomain)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
