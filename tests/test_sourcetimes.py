"""CI keeps the last build in a cache; a fresh clone must still build only what a push changed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from conftest import post, sphinx_build, write_site

GIT = ["git", "-c", "user.name=Tess", "-c", "user.email=tess@example.org"]


def git(*args: str, cwd) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def sourcetimes(*args: str, repo) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "deepdive.tools.sourcetimes", *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def changed_count(output: str) -> int:
    return int(re.search(r"updating environment: .*?(\d+) changed", output).group(1))


def test_a_fresh_clone_with_the_cached_build_reads_only_the_post_a_push_changed(tmp_path):
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path)
    author = write_site(
        tmp_path / "author",
        {f"posts/2024/p{n}.md": post(f"2024-0{n + 1}-01", f"Post {n}", "Text.") for n in range(4)},
    )
    git("init", "-q", "-b", "main", cwd=author)
    git("add", ".", cwd=author)
    git("commit", "-qm", "four posts", cwd=author)
    git("push", "-q", str(origin), "main", cwd=author)

    # The first CI run: clone, build, record the sources' times with the build it caches.
    runner = tmp_path / "runner"
    git("clone", "-q", str(origin), str(runner), cwd=tmp_path)
    assert sphinx_build(runner).returncode == 0
    sourcetimes("save", str(runner / "_build" / "sourcetimes.json"), repo=runner)
    shutil.copytree(runner / "_build", tmp_path / "cache")  # copies keep their times
    shutil.rmtree(runner)

    (author / "posts/2024/p2.md").write_text(
        post("2024-03-01", "Post 2", "Corrected text."), encoding="utf-8"
    )
    git("commit", "-qam", "correct post 2", cwd=author)
    git("push", "-q", str(origin), "main", cwd=author)

    # The next run: a fresh clone, every file dated now; the cache comes back.
    git("clone", "-q", str(origin), str(runner), cwd=tmp_path)
    shutil.copytree(tmp_path / "cache", runner / "_build")
    report = sourcetimes("restore", str(runner / "_build" / "sourcetimes.json"), repo=runner)
    assert "1 are new or changed" in report

    build = sphinx_build(runner)
    assert build.returncode == 0, build.output
    assert changed_count(build.output) == 1
    assert "Corrected text." in build.text("posts/2024/p2/index.html")


def test_without_a_record_every_file_counts_as_changed(tmp_path):
    site = write_site(tmp_path / "site", {"posts/2024/a.md": post()})
    git("init", "-q", cwd=site)
    git("add", ".", cwd=site)
    report = sourcetimes("restore", str(tmp_path / "missing.json"), repo=site)
    assert "0 unchanged files keep their time, 3 are new or changed" in report
