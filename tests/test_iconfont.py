"""The theme's icon fonts are cut down to the icons the site shows."""

from __future__ import annotations

import io

from conftest import post
from fontTools.ttLib import TTFont

from deepdive.site.iconfont import icon_names, theme_fonts

FONTS = "_static/vendor/fontawesome/webfonts"


def code_points(data: bytes) -> set[int]:
    return set(TTFont(io.BytesIO(data)).getBestCmap())


def test_icon_fonts_keep_only_the_icons_in_use(build_site):
    build = build_site(
        {"posts/2024/a.md": post()},
        'deepdive_social_links = [{"name": "GitHub", "url": "https://github.com/x", '
        '"icon": "fa-brands fa-github"}]\n',
    )
    assert build.returncode == 0, build.output
    solid = (build.outdir / FONTS / "fa-solid-900.woff2").read_bytes()
    brands = (build.outdir / FONTS / "fa-brands-400.woff2").read_bytes()
    original = (theme_fonts() / "fa-solid-900.woff2").stat().st_size
    assert len(solid) < original / 10
    assert {0xF185, 0xF186, 0xF002} <= code_points(solid)  # sun, moon, magnifying glass
    assert 0xF09B in code_points(brands)  # github
    assert 0xF001 not in code_points(solid)  # music: on no page


def test_rebuilding_keeps_the_subset(make_site):
    from conftest import sphinx_build

    srcdir = make_site({"posts/2024/a.md": post()})
    first = sphinx_build(srcdir)
    second = sphinx_build(srcdir)
    assert second.returncode == 0, second.output
    assert (first.outdir / FONTS / "fa-solid-900.woff2").read_bytes() == (
        second.outdir / FONTS / "fa-solid-900.woff2"
    ).read_bytes()
    assert (second.outdir / FONTS / "fa-solid-900.woff2").stat().st_size < 20_000


def test_an_icon_first_used_in_an_incremental_build_is_kept(make_site):
    from conftest import sphinx_build

    srcdir = make_site({"posts/2024/a.md": post()})
    assert sphinx_build(srcdir).returncode == 0
    path = srcdir / "posts/2024/a.md"
    path.write_text(path.read_text() + '\n<i class="fa-solid fa-music"></i>\n')
    rebuilt = sphinx_build(srcdir)
    assert rebuilt.returncode == 0, rebuilt.output
    assert 0xF001 in code_points((rebuilt.outdir / FONTS / "fa-solid-900.woff2").read_bytes())


def test_the_icon_cache_remembers_pages_as_finally_written(make_site):
    """The cache is taken after every other step has rewritten pages (the CSP meta tag), so the next
    build finds every untouched page in it and reads none of them again."""
    import json

    from conftest import sphinx_build

    srcdir = make_site({"posts/2024/a.md": post(), "posts/2024/b.md": post(title="B")})
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    cache = json.loads((srcdir / "_build/html-doctrees/deepdive-icon-names.json").read_text())
    pages = sorted(build.outdir.rglob("*.html"))
    assert pages
    for page in pages:
        size, mtime, _ = cache[page.relative_to(build.outdir).as_posix()]
        assert [size, mtime] == [page.stat().st_size, page.stat().st_mtime_ns], page


def test_an_icon_class_is_fa_dash_at_the_start_of_a_word():
    assert icon_names('<i class="fa-solid fa-star"></i>') == {"solid", "star"}
    assert icon_names("fa-moon x-fa-sun") == {"moon", "sun"}
    assert icon_names("xfa-star _fa-star éfa-star 9fa-star") == set()
    assert icon_names("xfa-fa-star") == {"star"}  # the dash starts a word inside the longer name
