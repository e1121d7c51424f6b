"""Every cache follows one rule (``deepdive.cache``): an entry is used only when its key, made of
public inputs, is the one computed now; a damaged or foreign file is an empty cache, never a crash;
``-E`` and ``-a`` use no entry; files are written whole, beside the doctrees."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site

from deepdive import cache
from deepdive.pipeline.command import STAMP
from deepdive.pipeline.templatecache import FOLDER as TEMPLATES
from deepdive.site.pagecache import SIGNATURES

FILES = {
    "posts/2024/leapfrog.md": post(
        "2024-02-03",
        "The leapfrog integrator",
        "Half a step in momentum, a full step in position.",
        tags="[hmc, numerics]",
    ),
    "posts/2024/tuning.md": post(
        "2024-04-20",
        "Tuning the step size",
        "Dual averaging aims for an acceptance rate near 0.65.",
        tags="[hmc]",
    ),
    "posts/2024/shadow.md": post(
        "2024-06-11",
        "Shadow Hamiltonians",
        "Symplectic integrators conserve a nearby energy exactly.",
        tags="[numerics]",
    ),
}
# These are the caches beside the doctrees, without the test run's shared folder.
pytestmark = pytest.mark.usefixtures("no_shared_cache")
RECORDS = [SIGNATURES, "deepdive-feed-signatures.json", "deepdive-icon-names.json"]
FONT = "fa-solid-900.woff2"


@pytest.fixture
def site(built_site) -> Path:
    """The site's folder after its first build."""
    return built_site(FILES).srcdir


def doctrees(srcdir: Path) -> Path:
    return srcdir / "_build/html-doctrees"


def rebuild(srcdir: Path, *args: str, env: dict | None = None):
    build = sphinx_build(srcdir, None, *args, env=env)
    assert build.returncode == 0, build.output
    assert "Traceback" not in build.output
    return build


def kept(output: str) -> tuple[int, int]:
    found = re.search(r"deepdive: (\d+) of (\d+) generated pages unchanged", output)
    assert found, output
    return int(found[1]), int(found[2])


def times(folder: Path, pattern: str) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.glob(pattern)}


def feeds(srcdir: Path) -> dict[str, int]:
    return times(srcdir / "_build/html", "**/*.xml")


def font_subsets(srcdir: Path) -> dict[str, int]:
    return times(doctrees(srcdir) / "deepdive-icon-fonts", f"*/{FONT}")


def test_the_same_inputs_are_taken_from_every_cache_with_two_processes(tmp_path: Path):
    srcdir = write_site(tmp_path / "site", FILES)
    first = rebuild(srcdir, "-j", "2")
    before = feeds(srcdir), font_subsets(srcdir)
    again = rebuild(srcdir, "-j", "2")
    kept_pages, total = kept(again.output)
    assert kept_pages == total > 0
    assert (feeds(srcdir), font_subsets(srcdir)) == before
    assert again.text("archive/index.html") == first.text("archive/index.html")


def test_a_changed_input_misses_and_the_new_value_is_kept(site: Path):
    feeds_before = feeds(site)
    conf = site / "conf.py"
    conf.write_text(conf.read_text() + 'html_title = "Notes on Hamiltonian Monte Carlo"\n')
    changed = rebuild(site)
    assert kept(changed.output)[0] == 0
    assert all(feeds(site)[name] != time for name, time in feeds_before.items())
    assert "Notes on Hamiltonian Monte Carlo" in changed.text("tags/hmc/index.html")
    kept_pages, total = kept(rebuild(site).output)
    assert kept_pages == total


def test_an_upgraded_distribution_is_a_changed_key(tmp_path: Path):
    """What is installed is an input: ``pip install -U`` renames a ``.dist-info`` folder."""
    packages = tmp_path / "venv" / "site-packages"
    (packages / "pybtex_apa_style-1.3.dist-info").mkdir(parents=True)
    path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(packages)]))
    srcdir = write_site(tmp_path / "site", FILES)
    rebuild(srcdir, env={"PYTHONPATH": path})
    assert kept(rebuild(srcdir, env={"PYTHONPATH": path}).output)[0] > 0
    (packages / "pybtex_apa_style-1.3.dist-info").rename(
        packages / "pybtex_apa_style-1.4.dist-info"
    )
    assert kept(rebuild(srcdir, env={"PYTHONPATH": path}).output)[0] == 0


DAMAGE = {
    "cut short": lambda text: text[: len(text) // 2],
    "not UTF-8": lambda text: "\udcff\udcfe" + text,
    "another format": lambda text: json.dumps({**json.loads(text), "#format": 0}),
    "not ours": lambda text: "[1, 2]",
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_or_foreign_cache_file_is_an_empty_cache(site: Path, damage):
    for name in [*RECORDS, cache.DOCUMENT_PAGES]:
        path = doctrees(site) / name
        path.write_bytes(damage(path.read_text()).encode("utf-8", "surrogateescape"))
    feeds_before = feeds(site)
    build = rebuild(site)
    assert kept(build.output)[0] == 0
    assert all(feeds(site)[name] != time for name, time in feeds_before.items())
    kept_pages, total = kept(rebuild(site).output)
    assert kept_pages == total  # and the files written again are trusted again


def test_a_damaged_compiled_template_or_feed_body_is_no_crash_and_is_made_again(site: Path):
    for path in (doctrees(site) / TEMPLATES).glob("*.cache"):
        path.write_bytes(path.read_bytes()[:20])
    body = doctrees(site) / "deepdive-feed-bodies/posts/2024/tuning.html"
    body.write_bytes(b"\xff\xfe" + body.read_bytes())
    post_file = site / "posts/2024/tuning.md"
    post_file.write_text(post_file.read_text().replace("0.65", "0.8"))
    build = rebuild(site)
    assert "acceptance rate near 0.8" in build.text("atom.xml")
    assert "acceptance rate near 0.8" in build.text("posts/2024/tuning/index.html")


@pytest.mark.parametrize("full", ["-E", "-a"])
def test_a_full_rebuild_uses_no_cache_entry_and_leaves_them_trusted(site: Path, full: str):
    feeds_before, fonts_before = feeds(site), font_subsets(site)
    templates_before = times(doctrees(site) / TEMPLATES, "*.cache")
    build = rebuild(site, full)
    assert kept(build.output)[0] == 0
    assert all(feeds(site)[name] != time for name, time in feeds_before.items())
    assert font_subsets(site).keys() == fonts_before.keys()
    assert all(font_subsets(site)[name] != time for name, time in fonts_before.items())
    if full == "-E":  # a fresh environment; -a is known only once pages are written
        templates_after = times(doctrees(site) / TEMPLATES, "*.cache")
        assert all(templates_after[name] != time for name, time in templates_before.items())
    kept_pages, total = kept(rebuild(site).output)
    assert kept_pages == total


def test_caches_live_beside_the_doctrees_and_leave_no_partial_file(tmp_path: Path):
    scratch = tmp_path / "system-temp"
    scratch.mkdir()
    srcdir = write_site(tmp_path / "site", FILES)
    rebuild(srcdir, env={"TMPDIR": str(scratch)})
    for name in [*RECORDS, cache.DOCUMENT_PAGES]:
        assert json.loads((doctrees(srcdir) / name).read_text())["#format"] == cache.FORMAT
    assert font_subsets(srcdir)
    assert any((doctrees(srcdir) / TEMPLATES).glob("*.cache"))
    assert not list(doctrees(srcdir).rglob("*.tmp"))
    assert not list(scratch.iterdir())


def test_make_html_reads_a_damaged_record_of_its_last_build_as_none(tmp_path: Path):
    srcdir = write_site(tmp_path / "site", FILES)
    command = [sys.executable, "-m", "deepdive.pipeline", "-b", "dirhtml", "-W", "-n", "-d"]
    command += ["_build/html-doctrees", ".", "_build/html"]

    def make_html() -> str:
        result = subprocess.run(command, capture_output=True, text=True, cwd=srcdir)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result.stdout

    make_html()
    assert "is up to date" in make_html()
    stamp = doctrees(srcdir) / STAMP
    stamp.write_text(stamp.read_text()[:40])
    assert "build succeeded" in make_html()
    assert "is up to date" in make_html()


def test_a_records_file_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch):
    path = tmp_path / "deepdive-feed-signatures.json"
    records = cache.Records(path)
    records.put("atom.xml", ["4be1c0", 2048, 1718000000], None)
    records.save()
    saved = path.read_text()

    def crash(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    records.put("rss.xml", ["77aa01", 1024, 1718000000], None)
    with pytest.raises(OSError):
        records.save()
    assert path.read_text() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_entry_is_used_only_under_its_own_key(tmp_path: Path):
    path = tmp_path / "deepdive-icon-names.json"
    records = cache.Records(path)
    records.put("index.html", [5120, 1718000000], ["moon", "sun"])
    records.save()
    assert cache.Records(path).get("index.html", [5120, 1718000000]) == ["moon", "sun"]
    assert cache.Records(path).get("index.html", [5121, 1718000000]) is None
    assert cache.Records(path).get("archive/index.html", [5120, 1718000000]) is None
    assert cache.Records(path, use=False).get("index.html", [5120, 1718000000]) is None


def test_a_changed_deepdive_package_changes_its_environment_version(tmp_path: Path):
    package = tmp_path / "deepdive"
    (package / "post").mkdir(parents=True)
    (package / "post" / "model.py").write_text("class Post: pass\n", encoding="utf-8")
    before = cache.package_version(package)
    assert cache.package_version(package) == before
    (package / "post" / "model.py").write_text("class Post: changes = []\n", encoding="utf-8")
    assert cache.package_version(package) != before


def test_an_environment_pickled_by_other_deepdive_code_is_read_afresh_not_a_crash(tmp_path: Path):
    """Authors upgrade Deep Dives and keep _build: the pickled posts then lack the new fields."""
    site = write_site(tmp_path / "site", {"posts/a.md": post(title="A"), "posts/b.md": post()})
    first = sphinx_build(site)
    assert first.returncode == 0, first.output
    pickled = first.outdir.parent / "html-doctrees" / "environment.pickle"
    env = pickle.loads(pickled.read_bytes())
    for stored in env.domaindata["deepdive"]["posts"].values():
        del stored.__dict__["changes"]  # as an older Post, before versions, was pickled
    if "deepdive" in env.version:  # the number other code gave it
        env.version = {**env.version, "deepdive": env.version["deepdive"] + 1}
    pickled.write_bytes(pickle.dumps(env))
    edited = site / "posts/a.md"  # so the listings are rendered again, from every post
    edited.write_text(edited.read_text() + "\nOne more line.\n", encoding="utf-8")

    again = sphinx_build(site)
    assert again.returncode == 0, again.output
    assert "build environment version not current" in again.output
    assert "Traceback" not in again.output and "AttributeError" not in again.output
