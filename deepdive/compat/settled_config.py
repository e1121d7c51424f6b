"""Settle at ``config-inited`` the settings other extensions change once the builder exists.

Sphinx compares the configuration with the one saved by the last build right after
``config-inited``. Three packages of the stack change settings later, at ``builder-inited``, so
the saved configuration never matched a fresh one and every incremental build said "The
configuration has changed (4 options: ...)" with ``conf.py`` untouched:

- Sphinx's HTML builder gives each ``html_css_files`` / ``html_js_files`` entry its documented
  default ``priority`` (800) by writing it into the entry's attribute dict;
- sphinx-copybutton and sphinx-design append their static folders to ``html_static_path`` on
  every build;
- pydata-sphinx-theme appends its ``components`` folder to ``templates_path`` when the theme is
  loaded, fills in ``icon_links`` and ``logo`` in ``html_theme_options``, and sets
  ``html_permalinks_icon`` to ``#`` when ``conf.py`` does not;
- MyST writes its classes into ``mathjax4_config`` unless ``myst_update_mathjax`` is off. Deep
  Dives typesets math at build time (``research/math.py``), so it turns that off.

Here the same values are put in place at ``config-inited``, and after those packages ran the two
folder lists are left without the second copy they append. The configuration the build saves is
then the one the next build starts with. ``github_url``-style shortcuts in the theme options are
still rewritten by the theme (it inserts them into ``icon_links``); ``icon_links`` covers them.

Waits for sphinx-copybutton, sphinx-design and pydata-sphinx-theme to add their folders at ``config-inited``
(or only when missing), and for Sphinx to leave ``html_css_files`` entries as written; no upstream
issue found to link yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata

ASSET_PRIORITY = 800  # Sphinx's documented default for html_css_files and html_js_files
PYDATA_THEME = "pydata_sphinx_theme"


def copybutton_static(config: Config) -> str | None:
    """The folder sphinx-copybutton appends to ``html_static_path``, when it is enabled."""
    if "sphinx_copybutton" not in config.extensions:
        return None
    import sphinx_copybutton

    return str(Path(sphinx_copybutton.__file__).parent.joinpath("_static").absolute())


def design_static(config: Config) -> str | None:
    """The folder sphinx-design appends to ``html_static_path``, when it is enabled."""
    if "sphinx_design" not in config.extensions:
        return None
    from sphinx_design.extension import STATIC_DIR

    return str(STATIC_DIR)


def pydata_components(config: Config) -> str | None:
    """The folder pydata-sphinx-theme appends to ``templates_path``, when it is the theme."""
    if config.html_theme != PYDATA_THEME:
        return None
    import pydata_sphinx_theme

    return str(Path(pydata_sphinx_theme.__file__).parent / "theme" / PYDATA_THEME / "components")


def settle(app: Sphinx, config: Config) -> None:
    for entries in (config.html_css_files, config.html_js_files):
        for entry in entries:
            if isinstance(entry, tuple) and isinstance(entry[1], dict):
                entry[1].setdefault("priority", ASSET_PRIORITY)
    for folders, folder in (
        (config.html_static_path, copybutton_static(config)),
        (config.html_static_path, design_static(config)),
        (config.templates_path, pydata_components(config)),
    ):
        if folder and folder not in folders:
            folders.append(folder)
    config.myst_update_mathjax = False
    if config.html_theme == PYDATA_THEME:
        options = config.html_theme_options
        options.setdefault("icon_links", [])
        if not options.get("logo"):
            options["logo"] = {}
        if config.html_permalinks_icon == "¶":  # Sphinx's default: the theme replaces it
            config.html_permalinks_icon = "#"


def drop_second_copies(app: Sphinx) -> None:
    for folders in (app.config.html_static_path, app.config.templates_path):
        seen: set[str] = set()
        folders[:] = [f for f in folders if not (str(f) in seen or seen.add(str(f)))]


def setup(app: Sphinx) -> ExtensionMetadata:
    # After Sphinx turns html_css_files into (name, attributes) pairs at priority 800.
    app.connect("config-inited", settle, priority=850)
    app.connect("builder-inited", drop_second_copies, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
