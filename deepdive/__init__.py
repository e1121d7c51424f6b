"""Deep Dives: the Sphinx extension behind a research blog built on ABlog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata

__version__ = "0.1.0"
TEMPLATES = str(Path(__file__).parent / "templates")
STATIC = str(Path(__file__).parent / "static")
PAGE_STYLESHEET = "deepdive-pages.css"


def add_page_stylesheet(app: Sphinx) -> None:
    """Link the one stylesheet of ours a reading page waits for; each module that styles the page
    asks for it, and Sphinx links it once. It comes after the stylesheets of the extensions it
    adjusts (sphinx-proof's and myst-nb's, priority 500) and before the site's own
    (``html_css_files``, 800)."""
    app.add_css_file(PAGE_STYLESHEET, priority=600)


FEATURES = (
    "deepdive.config",
    "deepdive.cache",
    "deepdive.compat.ablog",
    "deepdive.compat.assets",
    "deepdive.post.drafts",
    "deepdive.post.encoding",
    "deepdive.post.model",
    "deepdive.post.reading",
    "deepdive.post.checks",
    "deepdive.research.math",
    "deepdive.site.listings",
    "deepdive.site.series",
    "deepdive.research.citations",
    "deepdive.compat.bibtex",
    "deepdive.post.notebooks",
    "deepdive.post.kernel",
    "deepdive.research.numbering",
    "deepdive.site.linkindex",
    "deepdive.research.crossrefs",
    "deepdive.site.postpage",
    "deepdive.research.pdfs",
    "deepdive.site.cards",
    "deepdive.research.citethis",
    "deepdive.site.feeds",
    "deepdive.site.sitefiles",
    "deepdive.site.pagecache",
    "deepdive.pipeline.templatecache",
    "deepdive.site.outputs",
    "deepdive.compat.sitemap",
    "deepdive.site.csp",
    "deepdive.site.design",
    "deepdive.compat.pygments",
    "deepdive.compat.settled_config",
    "deepdive.compat.viewport",
    "deepdive.compat.search_summary",
    "deepdive.research.previews",
    "deepdive.research.sidenotes",
    "deepdive.pipeline.finish",
)


def _add_paths(app: Sphinx, config: Config) -> None:
    # config-inited runs before Sphinx compares the configuration with the saved one, so these
    # additions are the same on every run and never force a rebuild.
    if TEMPLATES not in config.templates_path:
        config.templates_path.append(TEMPLATES)
    if STATIC not in config.html_static_path:
        config.html_static_path.append(STATIC)


def setup(app: Sphinx) -> ExtensionMetadata:
    from deepdive.cache import package_version
    from deepdive.compat.opengraph import skip_social_cards_import

    skip_social_cards_import(app)
    for feature in FEATURES:
        app.setup_extension(feature)
    app.connect("config-inited", _add_paths)
    return {
        "version": __version__,
        "env_version": package_version(),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
