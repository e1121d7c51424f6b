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

FEATURES = (
    "deepdive.config",
    "deepdive.ablog_compat",
    "deepdive.assets_compat",
    "deepdive.drafts",
    "deepdive.posts",
    "deepdive.reading",
    "deepdive.checks",
    "deepdive.math",
    "deepdive.listings",
    "deepdive.series",
    "deepdive.citations",
    "deepdive.bibtex_compat",
    "deepdive.notebooks",
    "deepdive.numbering",
    "deepdive.linkindex",
    "deepdive.crossrefs",
    "deepdive.postpage",
    "deepdive.citethis",
    "deepdive.feeds",
    "deepdive.site",
    "deepdive.pagecache",
    "deepdive.templatecache",
    "deepdive.outputs",
    "deepdive.sitemap_compat",
    "deepdive.csp",
    "deepdive.iconfont",
    "deepdive.pygments_compat",
    "deepdive.previews",
    "deepdive.sidenotes",
)


def _add_paths(app: Sphinx, config: Config) -> None:
    # config-inited runs before Sphinx compares the configuration with the saved one, so these
    # additions are the same on every run and never force a rebuild.
    if TEMPLATES not in config.templates_path:
        config.templates_path.append(TEMPLATES)
    if STATIC not in config.html_static_path:
        config.html_static_path.append(STATIC)


def setup(app: Sphinx) -> ExtensionMetadata:
    from deepdive.opengraph_compat import skip_social_cards_import

    skip_social_cards_import(app)
    for feature in FEATURES:
        app.setup_extension(feature)
    app.connect("config-inited", _add_paths)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
