"""Site-wide pieces: the author card's data, the licence, robots.txt, CNAME, and the description
meta tag."""

from __future__ import annotations

import shutil
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
    not_found = outdir / "404" / "index.html"
    if not_found.exists():
        # GitHub Pages serves /404.html for every missing path; sphinx-notfound-page made its
        # links absolute, so the same file works at any depth.
        shutil.copyfile(not_found, outdir / "404.html")
        record_output(app, outdir / "404.html")
    cname = app.config.deepdive_cname
    if cname:
        (outdir / "CNAME").write_text(cname.strip() + "\n", encoding="utf-8")
        record_output(app, outdir / "CNAME")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", site_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
