"""A post's citation in the two formats reference managers import besides BibTeX: CSL-JSON (Zotero,
Mendeley, Pandoc) and RIS (EndNote and every other manager). Written beside each post page at
the end of the build, and linked from its "Cite this post" block."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from deepdive.post.licences import Licence, licence_of
from deepdive.post.model import Post, published_posts
from deepdive.research.citekeys import base_citation_key
from deepdive.site.feeds import absolute_url
from deepdive.site.linkindex import post_links
from deepdive.site.outputs import record_output

if TYPE_CHECKING:
    from sphinx.application import Sphinx

FORMATS = {"csl-json": ".json", "ris": ".ris"}


def _names(author: str) -> list[tuple[str, str]]:
    """(family, given) of each author in a BibTeX-style "A and B" list; the last word is the
    family name, as in "Ada Quant"."""
    names = []
    for name in (part.strip() for part in author.split(" and ")):
        if name:
            given, _, family = name.rpartition(" ")
            names.append((family, given))
    return names


def csl_json(post: Post, author: str, blog: str, url: str, key: str, licence: Licence) -> str:
    """The post as a one-item CSL-JSON list (type ``post-weblog``)."""
    item: dict = {
        "id": key,
        "type": "post-weblog",
        "title": post.title,
        "author": [
            {"family": family, "given": given} if given else {"literal": family}
            for family, given in _names(author)
        ],
        "container-title": blog,
        "issued": {"date-parts": [[post.date.year, post.date.month, post.date.day]]},
        "URL": url,
        "version": str(post.version),
        "license": licence.url or licence.name,
    }
    if post.updated:
        item["note"] = post.version_note
    if post.doi:
        item["DOI"] = post.doi
    if post.description:
        item["abstract"] = post.description
    if post.language:
        item["language"] = post.language
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def ris(post: Post, author: str, blog: str, url: str, licence: Licence) -> str:
    """The post as one RIS record (type ``BLOG``)."""
    lines = [("TY", "BLOG")]
    lines += [("AU", f"{family}, {given}" if given else family) for family, given in _names(author)]
    lines += [
        ("TI", post.title),
        ("T2", blog),
        ("PY", f"{post.date:%Y}"),
        ("DA", f"{post.date:%Y/%m/%d}"),
        ("UR", url),
    ]
    if post.doi:
        lines.append(("DO", post.doi))
    if post.description:
        lines.append(("AB", post.description))
    if post.updated:
        lines.append(("N1", post.version_note))
    lines.append(("N1", f"Licence: {licence.name}" + (f" ({licence.url})" if licence.url else "")))
    lines.append(("ER", ""))
    # RIS is one field a line: a line break inside a value would start a bogus field.
    return "".join(f"{tag}  - {' '.join(value.split())}\n" for tag, value in lines)


def download_path(app: Sphinx, docname: str, kind: str) -> Path:
    """Where the ``kind`` file of a post goes: ``cite.ris`` in a post's folder (dirhtml), or
    beside its page, named after it (html)."""
    page = Path(app.builder.get_outfilename(docname))
    suffix = FORMATS[kind]
    return page.parent / f"cite{suffix}" if page.name == "index.html" else page.with_suffix(suffix)


def download_links(app: Sphinx, docname: str, key: str) -> list[dict[str, str]]:
    """The "Cite this post" block's download links, relative to the post's page."""
    page_folder = Path(app.builder.get_outfilename(docname)).parent
    return [
        {
            "label": {"csl-json": "CSL-JSON", "ris": "RIS"}[kind],
            "href": posixpath.join(
                *download_path(app, docname, kind).relative_to(page_folder).parts
            ),
            "filename": key + suffix,
        }
        for kind, suffix in FORMATS.items()
    ]


def citation_key(app: Sphinx, post: Post) -> str:
    return post_links(app, post.docname).citation_key or base_citation_key(
        post, post.author or app.config.author
    )


def write_citation_files(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: each post's CSL-JSON and RIS files, written when they changed."""
    if exception or app.builder.format != "html":
        return
    blog = app.config.project
    for post in published_posts(app.env, include_drafts=app.config.deepdive_show_drafts):
        if post.external_url:
            continue
        author = post.author or app.config.author
        url = absolute_url(app, post.docname)
        licence = licence_of(app, post)
        texts = {
            "csl-json": csl_json(post, author, blog, url, citation_key(app, post), licence),
            "ris": ris(post, author, blog, url, licence),
        }
        for kind, text in texts.items():
            path = download_path(app, post.docname, kind)
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            record_output(app, path)
