"""Under ``-j``, a build that reads only a few documents reads them in the main process: sending
the whole environment back from a worker costs more than reading one post. A build that reads
many gives each worker process one equal batch."""

from __future__ import annotations

from pathlib import Path

from conftest import post, sphinx_build, write_site

# conf.py's own setup() records what the build did: which documents came back from a worker
# process (env-merge-info), and the -j the writing phase saw.
RECORDER = """
import pathlib

_HERE = pathlib.Path(__file__).parent


def _merged(app, env, docnames, other):
    with (_HERE / "merged.txt").open("a") as record:
        record.write(" ".join(sorted(docnames)) + "\\n")


def _writing(app, builder):
    (_HERE / "writing-jobs.txt").write_text(str(app.parallel))


def setup(app):
    app.connect("env-merge-info", _merged)
    app.connect("write-started", _writing)
"""


def test_an_edit_under_j2_is_read_in_the_main_process_and_written_with_j2(tmp_path: Path):
    posts = {
        f"posts/2024/post-{n:02d}.md": post(f"2024-01-{n:02d}", f"Post {n}", "Body.")
        for n in range(1, 13)
    }
    srcdir = write_site(tmp_path / "site", posts, RECORDER)
    outdir = tmp_path / "html"
    clean = sphinx_build(srcdir, outdir, "-j", "2")
    assert clean.returncode == 0, clean.output
    merged = srcdir / "merged.txt"
    assert merged.read_text().split(), "a clean build of 13 documents reads in workers"
    assert (srcdir / "writing-jobs.txt").read_text() == "2"

    merged.unlink()
    edited = srcdir / "posts/2024/post-05.md"
    edited.write_text(edited.read_text() + "\nAn added sentence.\n")
    again = sphinx_build(srcdir, outdir, "-j", "2")
    assert again.returncode == 0, again.output
    assert not merged.exists(), "one edited post was read in a worker process"
    assert (srcdir / "writing-jobs.txt").read_text() == "2"
    assert "An added sentence." in again.text("posts/2024/post-05/index.html")


def test_a_clean_build_under_j2_reads_in_two_equal_batches(tmp_path: Path):
    # Sphinx's own batching forked a third worker, for the one document left over.
    posts = {
        f"posts/2024/post-{n:02d}.md": post(f"2024-01-{n:02d}", f"Post {n}", "Body.")
        for n in range(1, 13)
    }
    srcdir = write_site(tmp_path / "site", posts, RECORDER)
    clean = sphinx_build(srcdir, tmp_path / "html", "-j", "2")
    assert clean.returncode == 0, clean.output
    batches = [line.split() for line in (srcdir / "merged.txt").read_text().splitlines()]
    assert sorted(len(batch) for batch in batches) == [6, 7]
    assert sorted(sum(batches, [])) == sorted(["index", *(p[:-3] for p in posts)])
    assert (srcdir / "writing-jobs.txt").read_text() == "2"
