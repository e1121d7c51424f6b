"""The test-only build server (tests/buildserver.py) runs a build as a new Python would."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import BUILD_SERVER, post, write_site

# conf.py lines that leave a mark in an imported module and in the environment, and print both.
MARKING_CONF = """
import os, deepdive
deepdive.builds_seen = getattr(deepdive, "builds_seen", 0) + 1
os.environ["DEEPDIVE_SEEN"] = os.environ.get("DEEPDIVE_SEEN", "") + "x"
print("builds seen:", deepdive.builds_seen, "environment mark:", os.environ["DEEPDIVE_SEEN"])
"""


def sphinx_argv(srcdir) -> list[str]:
    return ["-b", "dirhtml", "-W", "--keep-going", "-n", str(srcdir), str(srcdir / "_build")]


def problems(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if "WARNING" in line or "ERROR" in line)


def test_a_failing_build_reports_and_exits_as_a_new_process_does(tmp_path):
    files = {"posts/a.md": post(body="See {cite:p}`no-such-key`.\n\n```{nosuch}\n```\n")}
    srcdir = write_site(tmp_path / "site", files)
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    code, stdout, stderr = BUILD_SERVER.run("sphinx", sphinx_argv(srcdir), srcdir, env)
    fresh = subprocess.run(
        [sys.executable, "-m", "sphinx", *sphinx_argv(srcdir)],
        cwd=srcdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert code == fresh.returncode != 0
    assert problems(stdout + stderr) == problems(fresh.stdout + fresh.stderr) != []


def test_nothing_a_build_changes_reaches_the_next_build(tmp_path):
    srcdir = write_site(tmp_path / "site", {"posts/a.md": post()}, MARKING_CONF)
    for _ in range(2):
        code, stdout, _ = BUILD_SERVER.run("sphinx", sphinx_argv(srcdir), srcdir, {"HOME": "/"})
        assert code == 0
        assert "builds seen: 1 environment mark: x\n" in stdout


@pytest.mark.parametrize(
    ("unbuffered", "expected"),
    [("", "err second\nout first\n"), ("1", "out first\nerr second\n")],
    ids=["buffered", "PYTHONUNBUFFERED"],
)
def test_output_is_buffered_as_in_a_new_process(tmp_path, unbuffered, expected):
    """Written to a file, stdout is flushed in blocks and stderr line by line, unless
    PYTHONUNBUFFERED is set."""
    (tmp_path / "unflushed.py").write_text(
        "import sys\nprint('out first')\nprint('err second', file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    fresh = subprocess.run(
        [sys.executable, "-m", "unflushed"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output, _ = BUILD_SERVER.run("unflushed", [], tmp_path, env, interleaved=True)
    assert code == fresh.returncode == 0
    assert fresh.stdout == expected
    assert output == expected


def test_interleaved_output_is_in_the_order_it_was_printed(tmp_path):
    (tmp_path / "alternate.py").write_text(
        "import sys\n"
        "for n in range(3):\n"
        "    print('out', n, flush=True)\n"
        "    print('err', n, file=sys.stderr, flush=True)\n"
    )
    code, output, rest = BUILD_SERVER.run("alternate", [], tmp_path, {}, interleaved=True)
    assert code == 0 and rest == ""
    assert output.split() == [
        "out",
        "0",
        "err",
        "0",
        "out",
        "1",
        "err",
        "1",
        "out",
        "2",
        "err",
        "2",
    ]
