"""Old addresses keep working: a redirect page at each earlier address of a post, and a copy of
the feed at each earlier address of the feed.

A post names its old addresses in its front matter (``redirect:``, ABlog's key, one address, a
comma-separated list or a YAML list; ``permalink:``, Jekyll's key). Each address becomes a small
page written where a static host serves it (``/posts/old-slug/`` is ``posts/old-slug/index.html``,
``/2017/01/27/title.html`` is that file; a suffixless page name, ABlog's form, gets both
``name.html`` and ``name/index.html``). The page needs no script, so it passes the site's
Content-Security-Policy: a ``<meta http-equiv="refresh">``, a canonical link to the new address and
a visible link, and ``noindex``. It is not a document, so neither the sitemap nor the search index
lists it. The pages are written at the end of every build from the posts in the environment, and
recorded as outputs, so :mod:`deepdive.site.outputs` deletes the page of an address no post names
any more, also after an incremental build.

Why not sphinx-reredirects: it reads one static ``redirects`` dict from ``conf.py`` (in its
``html-collect-pages`` handler) and writes what it lists. Redirects named in front matter are only
known once posts are read, so using it would mean changing a configuration value in the middle of
a build, which Sphinx then sees as a changed configuration (and a full rebuild) on the next run.
It also overwrites a real page at the same address without a word, never deletes a redirect page
that is no longer wanted, and its default page redirects with an inline script. Writing the pages
here is a few lines and keeps all three right.
"""

from __future__ import annotations

import html
import posixpath
import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

from sphinx.util import logging

from deepdive.post.model import get_posts
from deepdive.post.slugs import ascii_url
from deepdive.site.outputs import record_output, recorded_outputs

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from deepdive.post.model import Post

logger = logging.getLogger(__name__)

FEEDS = ("atom.xml", "rss.xml")

PAGE = """\
<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8" />
<title>{title}</title>
<meta name="robots" content="noindex" />
<link rel="canonical" href="{canonical}" />
<meta http-equiv="refresh" content="0; url={target}" />
</head>
<body>
<p>This post has moved to <a href="{target}">{title}</a>.</p>
</body>
</html>
"""


def redirect_files(address: str) -> list[str]:
    """The files, relative to the output folder, that a static host serves at ``address``."""
    path = address.strip().lstrip("/")
    if path.endswith("/"):
        return [path + "index.html"]
    if "." in path.rsplit("/", 1)[-1]:
        return [path]
    return [path + ".html", path + "/index.html"]


def redirect_page(title: str, target: str, canonical: str, language: str = "en") -> str:
    """The HTML of a page that sends its reader to ``target`` (a URL relative to the page)."""
    return PAGE.format(
        title=html.escape(title),
        target=html.escape(target),
        canonical=html.escape(canonical),
        language=html.escape(language or "en"),
    )


def relative_url(from_file: str, to_uri: str) -> str:
    """``to_uri`` (a page's URI from the site root) as seen from the file ``from_file``."""
    folder = posixpath.dirname(from_file) or "."
    relative = posixpath.relpath(to_uri or ".", folder)
    if to_uri.endswith("/") or not to_uri:
        relative = relative.rstrip("/") + "/"
    return relative


def _pages_of_this_build(app: Sphinx) -> set[str]:
    outdir = Path(app.outdir)
    pages = recorded_outputs(app)
    for docname in app.env.found_docs:
        pages.add(Path(app.builder.get_outfilename(docname)).relative_to(outdir).as_posix())
    return pages


def _warn(post: Post, message: str) -> None:
    location = (post.docname, post.redirect_line) if post.redirect_line else post.docname
    logger.warning(message, location=location, type="deepdive", subtype="redirect")


def planned_redirects(app: Sphinx) -> dict[str, Post]:
    """Each redirect file to write and the post it leads to; a collision is a warning at the
    post's ``redirect:`` line and the address gets no page."""
    taken = _pages_of_this_build(app)
    claimed: dict[str, tuple[Post, str]] = {}
    for post in sorted(get_posts(app.env).values(), key=lambda p: p.docname):
        for address in post.redirects:
            for relative in redirect_files(address):
                if relative in taken:
                    _warn(
                        post,
                        f"the old address {address!r} is a page of this site ({relative}), so it "
                        "cannot redirect here: remove it from `redirect:`/`permalink:`",
                    )
                elif relative in claimed and claimed[relative][0] is not post:
                    other, other_address = claimed[relative]
                    _warn(
                        post,
                        f"the old address {address!r} is also claimed by "
                        f"{app.env.doc2path(other.docname, False)} ({other_address!r}): "
                        "an address can redirect to one post only; remove it from one of them",
                    )
                else:
                    claimed[relative] = (post, address)
    return {relative: post for relative, (post, _) in claimed.items()}


def write_redirects(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the redirect pages of every post's old addresses, and the feed's copies
    at its old addresses."""
    if exception or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    language = app.config.language or "en"
    for relative, post in sorted(planned_redirects(app).items()):
        uri = app.builder.get_target_uri(post.docname)
        canonical = (
            urljoin(app.config.html_baseurl, ascii_url(uri)) if app.config.html_baseurl else uri
        )
        page = redirect_page(post.title, quote(relative_url(relative, uri)), canonical, language)
        path = outdir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        record_output(app, path)
    _copy_feeds(app)


def _copy_feeds(app: Sphinx) -> None:
    outdir = Path(app.outdir)
    taken = _pages_of_this_build(app)
    for alias, feed in sorted(app.config.deepdive_feed_aliases.items()):
        relative = alias.strip().lstrip("/")
        if relative in taken:
            logger.warning(
                f"conf.py: deepdive_feed_aliases: {alias!r} is already a file of this site; "
                "remove it from deepdive_feed_aliases",
                type="deepdive",
                subtype="redirect",
            )
            continue
        source = outdir / feed
        if not source.exists():
            continue  # no feed without html_baseurl; feeds.py says so
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        record_output(app, target)
