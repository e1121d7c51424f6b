"""With ``DEEPDIVE_SHARED_CACHE``, every build, clean ones and other sites' included, takes compiled
templates and icon-font subsets from one folder; what a page shows never comes from a stale entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site
from test_build import make_html
from test_templatecache import LAYOUT

from deepdive.cache import SHARED
from deepdive.pipeline.templatecache import FOLDER as TEMPLATES
from deepdive.site.iconfont import FONT_FOLDER as FONTS
from deepdive.site.iconfont import SUBSETS

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
    assert any(name.startswith(f"{SUBSETS}/") for name in stored)

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
    layout.write_text(LAYOUT.replace("NUMBER", "1"))
    assert "Edition 1" in built(srcdir).text("posts/2024/a/index.html")
    layout.write_text(LAYOUT.replace("NUMBER", "2"))
    assert "Edition 2" in built(srcdir, "-E").text("posts/2024/a/index.html")


def test_the_subsets_of_a_site_with_other_icons_stay(tmp_path, shared):
    built(write_site(tmp_path / "one", {"posts/2024/a.md": post(body=f"Listen.\n\n{MUSIC}\n")}))
    built(write_site(tmp_path / "two", {"posts/2024/a.md": post()}))
    assert len(list((shared / SUBSETS).iterdir())) == 2


@pytest.mark.parametrize("named", ["a-file", "a-file/cache"])
def test_a_shared_cache_that_cannot_be_a_folder_is_one_line_that_says_so(tmp_path, named):
    (tmp_path / "a-file").write_text("not a folder")
    srcdir = write_site(tmp_path / "site", {"posts/2024/a.md": post()})
    built = make_html(srcdir, env={SHARED: str(tmp_path / named)})
    assert built.returncode == 2
    assert f"{SHARED}={tmp_path / named} names no folder" in built.output, built.output
    assert "unset it" in built.output
    assert "Traceback" not in built.output and "report this error" not in built.output


def test_a_shared_cache_may_be_named_from_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(SHARED, "~/.cache/deepdive")
    built(write_site(tmp_path / "site", {"posts/2024/a.md": post()}))
    assert any((tmp_path / "home/.cache/deepdive" / TEMPLATES).glob("*.cache"))
