"""Cut the theme's icon fonts down to the icons the site shows (a third of a page's weight)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from deepdive import cache

if TYPE_CHECKING:
    from sphinx.application import Sphinx

FONT_FOLDER = Path("_static/vendor/fontawesome/webfonts")
THEME_CSS = Path("_static/styles/pydata-sphinx-theme.css")
SUBSETS = "deepdive-icon-fonts"  # the cache's folder: a folder per set of code points
# `.fa-magnifying-glass,.fa-search{--fa:"\f002"}` in the theme's stylesheet: classes -> code point.
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+,?)+)\{--fa:"\\([0-9a-f]+)"')
# `--pst-icon-info-circle:""`: glyphs the theme's CSS puts in ::before/::after content.
_CSS_GLYPH = re.compile(r'--pst-icon-[a-z-]+:"([\ue000-\uf8ff])"')
# `fa-star`: starts with the literal so the search is a fast scan; icon_names checks what precedes it.
_ICON_CLASS = re.compile(r"fa-([a-z0-9-]+)")


def icon_names(text: str) -> set[str]:
    """The names in ``fa-name`` classes of ``text``: ``fa-`` starting a word, as ``\\bfa-`` finds."""
    names = set()
    position = 0
    while match := _ICON_CLASS.search(text, position):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            position = start + 1  # `xfa-fa-star`: look for a name inside this one
            continue
        names.add(match[1])
        position = match.end()
    return names


def used_code_points(outdir: Path, names: cache.Records | None = None) -> set[int]:
    """Code points of every icon named in built pages and scripts, or used by the theme's CSS.

    ``names`` records the icon names of each file by its size and modification time, so an
    incremental build only reads the pages it wrote."""
    css = (outdir / THEME_CSS).read_text(encoding="utf-8")
    icons = {
        name: int(code, 16)
        for selectors, code in _ICON_RULE.findall(css)
        for name in re.findall(r"\.fa-([a-z0-9-]+)", selectors)
    }
    used: set[str] = set()
    for pattern in ("**/*.html", "_static/**/*.js"):
        for path in outdir.glob(pattern):
            relative, key = path.relative_to(outdir).as_posix(), cache.file_key(path)
            found = names.get(relative, key) if names is not None else None
            if not isinstance(found, list):
                found = sorted(icon_names(path.read_text(encoding="utf-8", errors="ignore")))
            if names is not None:
                names.put(relative, key, found)
            used.update(found)
    if names is not None:
        names.save()
    points = {icons[name] for name in used if name in icons}
    points.update(ord(glyph) for glyph in _CSS_GLYPH.findall(css))
    return points


def subset_font(original: Path, code_points: set[int]) -> bytes:
    """A WOFF2 font holding only ``code_points`` (and what they need) from ``original``."""
    from fontTools import subset  # only when the icons in use change: a fifth of a second
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = TTFont(original, recalcTimestamp=False)  # reproducible: keep the original timestamp
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff2"
    font.save(buffer)
    return buffer.getvalue()


def theme_fonts() -> Path:
    import pydata_sphinx_theme

    return (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme"
        / "pydata_sphinx_theme"
        / "static"
        / ("vendor/fontawesome/webfonts")
    )


def shrink_icon_fonts(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: Sphinx copied the theme's full fonts again; replace them with subsets.

    Subsets are cached beside the doctrees by the set of code points and the installed
    distributions (the theme's version names its fonts), so an incremental build only copies bytes;
    in the folder ``DEEPDIVE_SHARED_CACHE`` names, every build uses them, and other sites' stay.
    """
    if exception or app.builder.format != "html" or app.config.html_theme != "pydata_sphinx_theme":
        return
    outdir = Path(app.outdir)
    if not (outdir / THEME_CSS).is_file():
        return
    use = not cache.rebuilding_everything(app)
    names = cache.Records(cache.folder(app) / "deepdive-icon-names.json", use=use)
    points = used_code_points(outdir, names)
    key = cache.signature([sorted(points), cache.installed_distributions()])[:16]
    shared = cache.shared_folder()
    subsets = (shared or cache.folder(app)) / SUBSETS
    for original in sorted(theme_fonts().glob("*.woff2")):
        cached = subsets / key / original.name
        if (not use and shared is None) or not cached.is_file():
            cache.write_atomically(cached, subset_font(original, points))
        shutil.copyfile(cached, outdir / FONT_FOLDER / original.name)
    if shared is None and subsets.is_dir():  # a shared folder holds other sites' subsets too
        for other in subsets.iterdir():
            if other.name != key:
                shutil.rmtree(other, ignore_errors=True)  # subsets for icons no longer in use
