"""Cite this post: a BibTeX entry at the end of each post, with its DOI and licence, and Google
Scholar's meta tags."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from deepdive.post.licences import Licence, licence_of
from deepdive.post.model import Post, get_posts
from deepdive.research.citeformats import citation_key, download_links
from deepdive.research.pdfs import has_pdf, pdf_url
from deepdive.site.feeds import absolute_url

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# LaTeX's special characters as text, each with balanced braces: BibTeX counts every brace,
# escaped or not, so `\{` would unbalance the field.
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _LATEX))


def bibtex_escape(text: str) -> str:
    """Text as the value of a BibTeX field: LaTeX specials escaped, braces balanced."""
    return _SPECIAL.sub(lambda m: _LATEX[m.group()], " ".join(text.split()))


def bibtex_entry(post: Post, author: str, blog: str, url: str, key: str) -> str:
    """The ``@online`` entry for a post (biblatex; BibTeX styles read it as ``@misc``)."""
    fields = [
        ("author", "{" + bibtex_escape(author) + "}"),
        ("title", "{{" + bibtex_escape(post.title) + "}}"),
        ("organization", "{" + bibtex_escape(blog) + "}"),
        ("year", "{" + f"{post.date:%Y}" + "}"),
        ("month", MONTHS[post.date.month - 1]),
        ("url", "{" + quote(url, safe=":/?&=#%+@,;~!$'()*[]") + "}"),
    ]
    fields.append(("version", "{" + str(post.version) + "}"))
    if post.updated:
        fields.append(("note", "{" + post.version_note + "}"))
    if post.doi:
        fields.append(("doi", "{" + bibtex_escape(post.doi) + "}"))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {value}" for name, value in fields)
    return f"@online{{{key},\n{body},\n}}"


def citation_meta(post: Post, author: str, url: str, licence: Licence) -> list[tuple[str, str]]:
    """The meta tags reference managers read, as (name, content) pairs: Google Scholar's
    ``citation_*`` and what Zotero's Embedded Metadata translator needs to file a blog post.

    That translator files a page that has ``citation_journal_title`` as a journal article, so the
    blog's name is not given there but as ``og:site_name`` (sphinxext-opengraph's), which Zotero
    takes as the blog's title; ``z.itemType`` (Zotero's own namespace) says "blog post", where
    ``citation_title`` alone would make it guess a journal article; ``DC.rights`` fills its Rights
    field."""
    meta = [("citation_title", post.title)]
    meta += [("citation_author", name.strip()) for name in author.split(" and ") if name.strip()]
    meta += [
        ("citation_publication_date", f"{post.date:%Y/%m/%d}"),
        ("citation_public_url", url),
        ("citation_fulltext_html_url", url),
    ]
    if post.doi:
        meta.append(("citation_doi", post.doi))
    meta.append(("z.itemType", "blogPost"))
    rights = licence.name + (f" ({licence.url})" if licence.url else "")
    meta.append(("DC.rights", rights))
    return meta


def json_ld(post: Post, author: str, blog: str, url: str, licence: Licence, site_url: str) -> str:
    """schema.org metadata of a post (a ``BlogPosting``), as JSON for a ``<script
    type="application/ld+json">``: search engines and reference managers read it."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "author": [
            {"@type": "Person", "name": name.strip()}
            for name in author.split(" and ")
            if name.strip()
        ],
        "datePublished": post.date.isoformat(),
        "dateModified": post.last_changed.isoformat(),
        "version": str(post.version),
        "isPartOf": {"@type": "Blog", "name": blog, "url": site_url},
    }
    if post.description:
        data["description"] = post.description
    if post.tags:
        data["keywords"] = list(post.tags)
    if licence.url:
        data["license"] = licence.url
    if post.image:
        data["image"] = post.image
    if post.doi:
        doi_url = f"https://doi.org/{quote(post.doi, safe='/')}"
        data["sameAs"] = doi_url
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": post.doi}
    # "<" escaped, so no value can end the script element early.
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def cite_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: a post's "Cite this post" block and Scholar meta tags."""
    post = get_posts(app.env).get(pagename)
    if post is None or post.external_url or app.builder.format != "html" or "body" not in context:
        return
    author = post.author or app.config.author
    blog = app.config.project
    url = absolute_url(app, pagename)
    key = citation_key(app, post)
    entry = bibtex_entry(post, author, blog, url, key)
    context["deepdive_citation_meta"] = citation_meta(post, author, url, licence_of(app, post))
    if has_pdf(app, post):
        context["deepdive_citation_meta"].append(("citation_pdf_url", pdf_url(app, pagename)))
    site_url = app.config.html_baseurl or url
    context["deepdive_json_ld"] = json_ld(post, author, blog, url, licence_of(app, post), site_url)
    context["deepdive_cite_this"] = app.builder.templates.render(
        "deepdive/cite-this.html",
        {
            **context,
            "bibtex": entry,
            "doi": post.doi,
            "licence": licence_of(app, post),
            "downloads": download_links(app, pagename, key),
        },
    )


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", cite_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
