"""A build with problems ends with them: one ``file:line: message`` a line, after the progress."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import makefile_command, post, run_module, write_site
from test_build import make_html_command

GOOD = {f"posts/2024/fine{n}.md": post(f"2024-0{n}-01", f"Fine {n}") for n in range(1, 7)}
PROBLEMS = {
    "posts/2024/when.md": post(date="2024-13-45", title="When"),
    "posts/2024/sums.md": post(title="Sums", body="Text\nand $\\frac{1}{$ here.\n"),
}


def terminal(srcdir, *extra: str, module: str = "deepdive.pipeline") -> tuple[int, list[str]]:
    """The exit status of `make html` and the lines it shows in a terminal, stdout and stderr
    interleaved as printed."""
    return run(make_html_command(*extra, module=module), srcdir)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failed_build_ends_with_its_problems_one_a_line(tmp_path, jobs) -> None:
    srcdir = write_site(tmp_path / "site", {**GOOD, **PROBLEMS})
    status, lines = terminal(srcdir, "-j", jobs)
    assert status != 0
    last = [line for line in lines if line.strip()][-4:]
    assert last == [
        "deepdive: 2 problems in this build:",
        "posts/2024/sums.md:7: math cannot be typeset: Missing close brace (KaTeX: Unexpected "
        "end of input in a macro argument, expected '}'), in `\\frac{1}{`",
        "posts/2024/when.md:2: `date`: '2024-13-45' is not a real date (month must be in 1..12). "
        "Write it as 2024-03-01",
        "build finished with problems, 2 warnings (with warnings treated as errors).",
    ], "\n".join(lines[-40:])


def test_plain_sphinx_build_ends_with_the_summary_too(tmp_path) -> None:
    srcdir = write_site(tmp_path / "site", PROBLEMS)
    status, lines = terminal(srcdir, "-j", "1", module="sphinx")
    assert status != 0
    assert "deepdive: 2 problems in this build:" in lines[-5:], "\n".join(lines[-40:])


def test_a_clean_build_has_no_summary(tmp_path) -> None:
    srcdir = write_site(tmp_path / "site", GOOD)
    status, lines = terminal(srcdir)
    assert status == 0 and "build succeeded." in lines
    assert not any("problems in this build" in line for line in lines)


def make_html_line(*variables: str) -> list[str]:
    """The command the real Makefile's `make html` runs (``make -n``), with this Python."""
    return makefile_command("html", "-m deepdive.pipeline", *variables)


def run(command: list[str], srcdir: Path) -> tuple[int, list[str]]:
    """Run ``python -m ...`` (``command``) as a terminal shows it: its exit status and its lines."""
    assert command[:2] == [sys.executable, "-m"], command
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    status, output = run_module(command[2:], srcdir, env, {}, interleaved=True)
    return status, output.splitlines()


# A post moved in from another blog, with the problems such a post has here.
MOVED_IN = post(
    title="Old post",
    body="""
    See {ref}`old-label`.

    ```{youtube} dQw4w9WgXcQ
    ```
    """,
)


def test_make_html_strict_0_builds_the_site_and_lists_every_problem(tmp_path) -> None:
    srcdir = write_site(tmp_path / "site", {**GOOD, **PROBLEMS, "posts/2024/old.md": MOVED_IN})
    lenient = make_html_line("STRICT=0")
    assert "-W" not in lenient
    status, lines = run(lenient, srcdir)
    assert status == 0, "\n".join(lines[-40:])
    start = lines.index(
        "deepdive: 4 problems in this build (STRICT=0: the site was built anyway; "
        "`make html` fails until they are fixed):"
    )
    problems = lines[start + 1 : start + 5]
    assert [line.split(": ", 1)[0] for line in problems] == [
        "posts/2024/old.md:7",
        "posts/2024/old.md:9",
        "posts/2024/sums.md:7",
        "posts/2024/when.md:2",
    ], "\n".join(lines[-40:])
    assert "Unknown directive type: 'youtube'" in problems[1]
    built = srcdir / "_build" / "html"
    assert (built / "index.html").is_file()
    assert (built / "posts/2024/fine1/index.html").is_file()
    assert (built / "posts/2024/old/index.html").is_file()


def test_a_strict_build_after_a_lenient_one_still_fails_on_the_same_problems(tmp_path) -> None:
    srcdir = write_site(tmp_path / "site", {**GOOD, **PROBLEMS, "posts/2024/old.md": MOVED_IN})
    lenient, strict = make_html_line("STRICT=0"), make_html_line()
    assert "-W" in strict
    assert run(lenient, srcdir)[0] == 0
    status, lines = run(strict, srcdir)
    assert status != 0
    assert "deepdive: 4 problems in this build:" in lines, "\n".join(lines[-40:])
    # Nothing changed, and the next preview lists the problems again instead of skipping.
    status, lines = run(lenient, srcdir)
    assert status == 0 and "nothing changed" not in "\n".join(lines)
    assert any(line.startswith("deepdive: 4 problems in this build (STRICT=0") for line in lines)


def test_an_unchanged_post_fails_every_strict_build_until_it_is_fixed(tmp_path) -> None:
    srcdir = write_site(tmp_path / "site", {**GOOD, "posts/2024/old.md": MOVED_IN})
    strict = make_html_line()
    for _ in range(2):
        status, lines = run(strict, srcdir)
        assert status != 0
        assert "deepdive: 2 problems in this build:" in lines, "\n".join(lines[-40:])
    (srcdir / "posts/2024/old.md").write_text(post(title="Old post"), encoding="utf-8")
    status, lines = run(strict, srcdir)
    assert status == 0 and "build succeeded." in lines, "\n".join(lines[-40:])
    status, lines = run(strict, srcdir)
    assert status == 0 and any(
        "nothing changed since the last successful build" in line for line in lines
    )
