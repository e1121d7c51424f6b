"""Under ``-j``, each writing process takes its own batch of pages from resolving to writing, and
what those steps record for the whole site (search index, images) reaches the main process."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import post, sphinx_build, write_site

# conf.py's own setup() records which process resolved each page's doctree and which rendered it.
RECORDER = """
import os
import pathlib

_LOG = pathlib.Path(__file__).parent / "processes.txt"


def _record(step, docname):
    with _LOG.open("a") as log:
        log.write(f"{step} {docname} {os.getpid()}\\n")


def setup(app):
    app.connect("builder-inited", lambda app: _record("main", "-"))
    app.connect("doctree-resolved", lambda app, doctree, docname: _record("resolved", docname))
    app.connect(
        "html-page-context",
        lambda app, pagename, template, context, doctree: doctree is not None
        and _record("rendered", pagename),
    )
"""

DIAGRAM = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>\n'


def twelve_posts() -> dict[str, str]:
    files = {
        f"posts/2024/post-{n:02d}.md": post(f"2024-01-{n:02d}", f"Post {n}", "Body.")
        for n in range(1, 12)
    }
    files["posts/2024/post-12.md"] = post(
        "2024-01-12", "Post 12", "A zymurgical aside.\n\n![A diagram](diagram.svg)\n"
    )
    files["posts/2024/diagram.svg"] = DIAGRAM
    return files


def processes(srcdir: Path) -> tuple[int, dict[str, dict[str, int]]]:
    """The main process's pid, and for each step the pid that did it, by document."""
    main, steps = 0, {"resolved": {}, "rendered": {}}
    for line in (srcdir / "processes.txt").read_text().splitlines():
        step, docname, pid = line.split()
        if step == "main":
            main = int(pid)
        else:
            steps[step][docname] = int(pid)
    return main, steps


def search_index(outdir: Path) -> dict:
    text = (outdir / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def test_a_clean_build_under_j2_resolves_and_renders_each_half_in_one_process(tmp_path: Path):
    srcdir = write_site(tmp_path / "site", twelve_posts(), RECORDER)
    build = sphinx_build(srcdir, tmp_path / "html", "-j", "2")
    assert build.returncode == 0, build.output

    main, steps = processes(srcdir)
    pids = steps["rendered"]
    resolved_by = {docname: steps["resolved"][docname] for docname in pids}
    assert resolved_by == pids, "a page was resolved in one process and rendered in another"
    first_half = ["index", *(f"posts/2024/post-{n:02d}" for n in range(1, 7))]
    second_half = [f"posts/2024/post-{n:02d}" for n in range(7, 13)]
    assert {pids[docname] for docname in first_half} == {main}
    assert len({pids[docname] for docname in second_half}) == 1
    assert pids["posts/2024/post-12"] != main


def test_pages_written_in_another_process_are_searchable_and_keep_their_images(tmp_path: Path):
    srcdir = write_site(tmp_path / "site", twelve_posts(), RECORDER)
    build = sphinx_build(srcdir, tmp_path / "html", "-j", "2")
    assert build.returncode == 0, build.output
    main, steps = processes(srcdir)
    assert steps["rendered"]["posts/2024/post-12"] != main

    index = search_index(build.outdir)
    assert len(index["docnames"]) == 13
    post_12 = index["docnames"].index("posts/2024/post-12")
    assert index["terms"]["zymurg"] == post_12
    assert index["titles"][post_12] == "Post 12"
    assert index["docnames"][index["terms"]["welcom"]] == "index"

    image = build.html("posts/2024/post-12/").find("img", alt="A diagram")
    copied = (build.outdir / "posts/2024/post-12" / image["src"]).resolve()
    assert copied.read_text() == DIAGRAM


def test_a_build_with_few_pages_to_write_writes_them_in_the_main_process(tmp_path: Path):
    srcdir = write_site(tmp_path / "site", twelve_posts(), RECORDER)
    outdir = tmp_path / "html"
    assert sphinx_build(srcdir, outdir, "-j", "2").returncode == 0
    (srcdir / "processes.txt").unlink()

    edited = srcdir / "posts/2024/post-12.md"
    edited.write_text(edited.read_text().replace("zymurgical", "oenological"))
    again = sphinx_build(srcdir, outdir, "-j", "2")
    assert again.returncode == 0, again.output

    main, steps = processes(srcdir)
    assert "posts/2024/post-12" in steps["rendered"]
    assert len(steps["rendered"]) < 8
    assert set(steps["rendered"].values()) == {main}
    assert "zymurg" not in search_index(outdir)["terms"]
    assert "oenolog" in search_index(outdir)["terms"]


def test_a_broken_reference_in_a_page_written_elsewhere_fails_the_build_once_at_its_line(
    tmp_path: Path,
):
    files = twelve_posts()
    files["posts/2024/post-12.md"] = post("2024-01-12", "Post 12", "See {ref}`no-such-label`.")
    srcdir = write_site(tmp_path / "site", files, RECORDER)
    build = sphinx_build(srcdir, tmp_path / "html", "-j", "2")

    assert build.returncode != 0
    assert "Traceback" not in build.output
    assert build.output.count("posts/2024/post-12.md:6:") == 1, build.output
    assert "no label 'no-such-label'" in build.output
    main, steps = processes(srcdir)
    assert steps["resolved"]["posts/2024/post-12"] != main
