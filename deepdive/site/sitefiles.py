"""Site-wide pieces: the author card's data, the licence, robots.txt, CNAME, and the description
meta tag."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from deepdive.post.licences import licence_of, site_licence
from deepdive.post.model import get_posts
from deepdive.site.outputs import record_output

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata


def site_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: who writes this blog, for the author card, footer and meta tags."""
    config = app.config
    context["deepdive_site"] = {
        "author": config.author,
        "bio": config.deepdive_author_bio,
        "links": config.deepdive_social_links,
        "newsletter_url": config.deepdive_newsletter_url,
    }
    # The licence a page's text is under (a post's own, else the site's), and the site's.
    context["deepdive_licence"] = licence_of(app, get_posts(app.env).get(pagename))
    context["deepdive_site_licence"] = site_licence(app)
    metadata = app.env.metadata.get(pagename, {})
    context["deepdive_description"] = metadata.get("og:description") or config.deepdive_author_bio
    if pagename == not_found_pagename(app):
        # It answers every unknown address: it has no address of its own to call canonical.
        context["pageurl"] = None


def write_site_files(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: ``robots.txt``, ``404.html`` at the root, and ``CNAME`` for a custom domain."""
    if exception or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    lines = ["User-agent: *", "Allow: /"]
    if app.config.html_baseurl:
        lines.append(f"Sitemap: {urljoin(app.config.html_baseurl, 'sitemap.xml')}")
    (outdir / "robots.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    record_output(app, outdir / "robots.txt")
    move_not_found_page(app, outdir)
    cname = app.config.deepdive_cname
    if cname:
        (outdir / "CNAME").write_text(cname.strip() + "\n", encoding="utf-8")
        record_output(app, outdir / "CNAME")


def not_found_pagename(app: Sphinx) -> str:
    config = app.config
    return config.notfound_pagename if "notfound_pagename" in config else "404"


def move_not_found_page(app: Sphinx, outdir: Path) -> None:
    """GitHub Pages answers every missing path with the root's ``404.html`` and status 404, but
    the dirhtml builder writes the page to ``404/index.html``, where ``/404/`` would answer 200 (a
    page that says "not found" and a status that says found). The page moves to the root;
    sphinx-notfound-page made its links absolute, so it works at any depth. Sphinx writes it again
    on every build, generated or not, so it is moved again each time."""
    written = Path(app.builder.get_outfilename(not_found_pagename(app)))
    if written.name != "index.html" or not written.exists():
        return  # the html builder writes 404.html at the root itself
    os.replace(written, outdir / "404.html")
    record_output(app, outdir / "404.html")
    if not any(written.parent.iterdir()):
        written.parent.rmdir()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", site_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
