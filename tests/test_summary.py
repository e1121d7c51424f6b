"""A build with problems ends with them: one ``file:line: message`` a line, after the progress."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import post, write_site
from test_build import make_html_command

GOOD = {f"posts/2024/fine{n}.md": post(f"2024-0{n}-01", f"Fine {n}") for n in range(1, 7)}
PROBLEMS = {
    "posts/2024/when.md": post(date="2024-13-45", title="When"),
    "posts/2024/sums.md": post(title="Sums", body="Text\nand $\\frac{1}{$ here.\n"),
}


def terminal(srcdir, *extra: str, module: str = "deepdive.pipeline") -> tuple[int, list[str]]:
    """The exit status of `make html` and the lines it shows in a terminal, stdout and stderr
    interleaved as printed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    result = subprocess.run(
        make_html_command(*extra, module=module),
        cwd=srcdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return result.returncode, result.stdout.splitlines()


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
