"""Two clean builds of the real site from the same sources are identical, byte for byte, even when
one reads and writes in two processes (``-j 2``, as ``make html`` does on 2 cores) and the other
in one."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from conftest import Build, copy_site_sources, sphinx_build

# What CI sets (.github/workflows/build.yml): the last commit's time, and UTC.
CLOCK = {"SOURCE_DATE_EPOCH": "1735689600", "TZ": "UTC"}


def clean_build(sources: Path, workdir: Path, jobs: str) -> Build:
    """Copy the sources to a folder of their own and build them there, sharing nothing."""
    srcdir = workdir / "src"
    shutil.copytree(sources, srcdir)
    # PDFs are left out here (14 Chromium runs); test_pdfs.py shows two printings are identical.
    build = sphinx_build(srcdir, workdir / "html", "-j", jobs, "-D", "deepdive_pdf=0", env=CLOCK)
    assert build.returncode == 0, build.output[-5000:]
    return build


def files(root: Path) -> dict[str, bytes]:
    found = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    # `.buildinfo` is Sphinx's note to itself for incremental builds, not part of the site (and,
    # as a dotfile, never uploaded to Pages). Its `config:` line hashes the configuration, which
    # holds the absolute paths that extensions add to templates_path and html_static_path
    # (ABlog's and sphinx-copybutton's in the venv, deepdive's own in the sources), so it changes
    # with the folder a build runs in. Every other line of it must still match.
    if ".buildinfo" in found:
        lines = found[".buildinfo"].splitlines(keepends=True)
        found[".buildinfo"] = b"".join(line for line in lines if not line.startswith(b"config: "))
    return found


def first_difference(name: str, one: bytes, two: bytes) -> str:
    """The first differing lines of a text file, or the first differing byte offset."""
    try:
        a, b = one.decode("utf-8").splitlines(), two.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        offset = next(
            (i for i, (x, y) in enumerate(zip(one, two, strict=False)) if x != y),
            min(len(one), len(two)),
        )
        return f"{name}: binary, first difference at byte {offset} (sizes {len(one)}, {len(two)})"
    diff = [
        line[:200]
        for line in difflib.unified_diff(a, b, "one/" + name, "two/" + name, n=0, lineterm="")
    ]
    return "\n".join(diff[:12])


def test_two_clean_builds_one_with_j2_one_with_j1_are_byte_identical(tmp_path):
    # One snapshot of the working tree, so both builds start from the very same files.
    sources = tmp_path / "sources"
    copy_site_sources(sources)
    one = files(clean_build(sources, tmp_path / "one", "2").outdir)
    two = files(clean_build(sources, tmp_path / "two", "1").outdir)
    assert sorted(one) == sorted(two), (
        f"only in the first build: {sorted(set(one) - set(two))}; "
        f"only in the second: {sorted(set(two) - set(one))}"
    )
    differing = [name for name in one if one[name] != two[name]]
    assert differing == [], "the builds differ in:\n" + "\n\n".join(
        first_difference(name, one[name], two[name]) for name in differing
    )
    assert len(one) > 20 and "index.html" in one
