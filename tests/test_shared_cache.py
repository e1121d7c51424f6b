"""With ``DEEPDIVE_SHARED_CACHE``, every build, clean ones and other sites' included, takes compiled
templates and icon-font subsets from one folder; what a page shows never comes from a stale entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site

from deepdive.cache import SHARED
from deepdive.pipeline.templatecache import FOLDER as TEMPLATES

FONTS = "_static/vendor/fontawesome/webfonts"
MUSIC = '<i class="fa-solid fa-music"></i>'


@pytest.fixture
def shared(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "shared"
    monkeypatch.setenv(SHARED, str(folder))
    return folder


def times(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*.*")}


def built(srcdir: Path, *args: str):
    build = sphinx_build(srcdir, None, *args)
    assert build.returncode == 0, build.output
    return build


def test_another_site_s_clean_build_uses_what_the_first_one_stored(tmp_path, shared):
    first = built(write_site(tmp_path / "one", {"posts/2024/a.md": post(title="One")}))
    stored = times(shared)
    assert any(name.startswith(f"{TEMPLATES}/") for name in stored)
    assert any(name.startswith("deepdive-icon-fonts/") for name in stored)

    second = built(write_site(tmp_path / "two", {"posts/2024/b.md": post(title="Two")}))
    # Nothing stored was made again (the site's own templates, at another path, are added).
    assert {name: time for name, time in times(shared).items() if name in stored} == stored
    assert not (second.outdir.parent / "html-doctrees" / TEMPLATES).exists()
    for font in ("fa-solid-900.woff2", "fa-brands-400.woff2"):
        assert (second.outdir / FONTS / font).read_bytes() == (
            first.outdir / FONTS / font
        ).read_bytes()
    assert "Two" in second.text("posts/2024/b/index.html")


def test_a_template_changed_between_clean_builds_is_compiled_again(tmp_path, shared):
    srcdir = write_site(
        tmp_path / "site", {"posts/2024/a.md": post()}, 'templates_path.insert(0, "_extra")\n'
    )
    layout = srcdir / "_extra/layout.html"
    layout.parent.mkdir()
    page = (
        '{% extends "!layout.html" %}{% block footer %}{{ super() }}<p>Edition N</p>{% endblock %}'
    )
    layout.write_text(page.replace("N", "1"))
    assert "Edition 1" in built(srcdir).text("posts/2024/a/index.html")
    layout.write_text(page.replace("N", "2"))
    assert "Edition 2" in built(srcdir, "-E").text("posts/2024/a/index.html")


def test_the_subsets_of_a_site_with_other_icons_stay(tmp_path, shared):
    built(write_site(tmp_path / "one", {"posts/2024/a.md": post(body=f"Listen.\n\n{MUSIC}\n")}))
    built(write_site(tmp_path / "two", {"posts/2024/a.md": post()}))
    assert len(list((shared / "deepdive-icon-fonts").iterdir())) == 2
