"""``make html`` with ``WARM=1`` (``deepdive.daemon``): each build forks from a resident process that
imported Sphinx once, writes what a cold build writes, and talks to the author's terminal."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Build, write_site
from test_build import EXIT_PROBE, assert_ended_without_teardown, make_html, make_html_command
from test_warm import FLAVOUR, POSTS, assert_same_site, edit, flavour

WARM_OFF = "no warm build process"


class Author:
    """An author's shell in one site's folder: ``make html`` with the warm process on or off."""

    def __init__(self, srcdir: Path, runtime: Path, **env: str) -> None:
        self.srcdir = srcdir
        self.env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        # A short folder of its own: Unix socket paths are limited to 107 bytes.
        self.env.update(XDG_RUNTIME_DIR=str(runtime), DEEPDIVE_DAEMON="1", **env)

    def make_html(self, warm: bool = True) -> Build:
        return make_html(self.srcdir, env={**self.env, "DEEPDIVE_DAEMON": "1" if warm else "0"})

    def daemon(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "deepdive.daemon", *args]
        return subprocess.run(
            command, capture_output=True, text=True, cwd=self.srcdir, env=self.env
        )

    @property
    def socket(self) -> Path:
        """The zygote's socket: the one file in the runtime folder that is a socket."""
        found = [p for p in Path(self.env["XDG_RUNTIME_DIR"]).glob("deepdive-*/*.sock")]
        assert len(found) <= 1
        return found[0] if found else Path("/nonexistent")

    def zygote(self) -> int | None:
        """The process id of the zygote listening for this folder, if one is."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return None
            credentials = probe.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
            )
            return struct.unpack("3i", credentials)[0]


@pytest.fixture
def runtime() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dd-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def author(tmp_path: Path, runtime: Path) -> Iterator[Author]:
    srcdir = write_site(tmp_path / "warm", POSTS)
    writer = Author(srcdir, runtime, DEEPDIVE_DAEMON_IDLE="120")
    yield writer
    writer.daemon("stop")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of no one here, so it is reaped by init: a zombie is as good as gone.
    return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {seconds} s"
        time.sleep(0.05)


def test_warm_builds_write_what_cold_builds_write_from_one_resident_process(author, tmp_path):
    cold = Author(write_site(tmp_path / "cold", POSTS), author.env["XDG_RUNTIME_DIR"])

    def build_both() -> Build:
        warm_build, cold_build = author.make_html(), cold.make_html(warm=False)
        assert warm_build.returncode == 0, warm_build.output[-3000:]
        assert cold_build.returncode == 0, cold_build.output[-3000:]
        assert_same_site(warm_build.outdir, cold_build.outdir)
        return warm_build

    # The first build runs in its own process while the zygote it started imports beside it.
    first = build_both()
    assert "build succeeded" in first.output and WARM_OFF not in first.output
    zygote = author.zygote()
    assert zygote is not None
    for words in ("is conserved exactly", "is conserved, always"):
        for site in (author, cold):
            edit(site.srcdir / "posts/2024/hmc.md", "is conserved", words)
        rebuilt = build_both()
        assert "reading sources... [100%] posts/2024/hmc" in rebuilt.output
        assert author.zygote() == zygote
    assert "always" in (author.srcdir / "_build/html/posts/2024/hmc/index.html").read_text()


def test_a_failing_build_reports_its_error_and_fails_and_the_fix_builds(author):
    edit(author.srcdir / "posts/2024/gibbs.md", "2024-04-01", "2024-04-31")
    failed = author.make_html()
    assert failed.returncode != 0
    assert "posts/2024/gibbs.md:2:" in failed.output
    assert "'2024-04-31' is not a real date" in failed.output
    assert "Traceback" not in failed.output
    zygote = author.zygote()

    edit(author.srcdir / "posts/2024/gibbs.md", "2024-04-31", "2024-04-30")
    fixed = author.make_html()
    assert fixed.returncode == 0, fixed.output[-3000:]
    assert author.zygote() == zygote
    assert (author.srcdir / "_build/html/posts/2024/gibbs/index.html").exists()


def test_a_module_the_resident_process_imported_changes_and_it_is_replaced(tmp_path, runtime):
    conf = 'extensions = ["myst_parser", "deepdive", "sphinx_copybutton", "flavour"]\n'
    srcdir = write_site(tmp_path / "src", POSTS, conf)
    (srcdir / "flavour.py").write_text(FLAVOUR.format(flavour="vanilla"), encoding="utf-8")
    writer = Author(srcdir, runtime)
    try:
        assert writer.make_html().returncode == 0
        assert flavour(srcdir / "_build/html") == "vanilla"
        first = writer.zygote()

        (srcdir / "flavour.py").write_text(FLAVOUR.format(flavour="pistachio"), encoding="utf-8")
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        rebuilt = writer.make_html()
        assert rebuilt.returncode == 0, rebuilt.output[-3000:]
        assert "flavour.py changed; restarting the warm build process" in rebuilt.output
        assert WARM_OFF not in rebuilt.output
        assert flavour(srcdir / "_build/html") == "pistachio"
        assert writer.zygote() not in (None, first)
        wait_until(lambda: not alive(first), 10, "exit of the replaced zygote")
    finally:
        writer.daemon("stop")


SLOW = """
import os, pathlib, time


def wait_while_asked(app):
    if pathlib.Path(app.srcdir, "slow").exists():
        pathlib.Path(app.srcdir, "building").write_text(str(os.getpid()))
        time.sleep(120)


def setup(app):
    app.connect("builder-inited", wait_while_asked)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


def test_ctrl_c_stops_the_build_and_the_next_build_is_still_warm(tmp_path, runtime):
    conf = 'extensions = ["myst_parser", "deepdive", "sphinx_copybutton", "slow"]\n'
    srcdir = write_site(tmp_path / "src", POSTS, conf)
    (srcdir / "slow.py").write_text(SLOW, encoding="utf-8")
    writer = Author(srcdir, runtime)
    try:
        assert writer.make_html().returncode == 0
        zygote = writer.zygote()
        (srcdir / "slow").touch()
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        client = subprocess.Popen(
            make_html_command(),
            cwd=srcdir,
            env=writer.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_until((srcdir / "building").exists, 60, "build in the slow extension")
        build = int((srcdir / "building").read_text())
        assert build not in (client.pid, zygote)  # the build runs in the zygote's child

        client.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends to `make html`
        output = client.communicate(timeout=30)[0].decode()
        assert client.returncode != 0
        assert "Traceback" not in output
        wait_until(lambda: not alive(build), 10, "end of the interrupted build")

        (srcdir / "slow").unlink()
        again = writer.make_html()
        assert again.returncode == 0, again.output[-3000:]
        assert writer.zygote() == zygote
        assert "exactly" in (srcdir / "_build/html/posts/2024/hmc/index.html").read_text()
    finally:
        writer.daemon("stop")


def test_it_stops_on_request_and_after_idling(tmp_path, runtime):
    writer = Author(write_site(tmp_path / "src", POSTS), runtime, DEEPDIVE_DAEMON_IDLE="1")
    assert writer.make_html().returncode == 0
    zygote = writer.zygote() or 0
    # With nothing to build for a second, it exits and takes its socket with it.
    wait_until(lambda: not alive(zygote), 15, "exit of the idle zygote")
    assert not writer.socket.exists()

    writer.env["DEEPDIVE_DAEMON_IDLE"] = "120"
    edit(writer.srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
    assert writer.make_html().returncode == 0
    zygote = writer.zygote() or 0
    stopped = writer.daemon("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    wait_until(lambda: not alive(zygote), 10, "exit of the stopped zygote")
    assert not writer.socket.exists()
    assert "stopped" not in writer.daemon("stop").stdout  # nothing left to stop


def test_without_a_private_socket_folder_it_builds_cold_and_says_why(tmp_path, runtime):
    shared = runtime / f"deepdive-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # as if anyone could have made it
    writer = Author(write_site(tmp_path / "src", POSTS), runtime)
    built = writer.make_html()
    assert built.returncode == 0, built.output[-3000:]
    assert f"{WARM_OFF} ({shared} is not private to this user); building in this one" in (
        built.output
    )
    assert (writer.srcdir / "_build/html/posts/2024/hmc/index.html").exists()
    assert list(shared.iterdir()) == []


def test_make_html_is_warm_for_authors_and_cold_in_ci():
    root = Path(__file__).resolve().parents[1]

    def dry_run(**env: str) -> str:
        environment = {k: v for k, v in os.environ.items() if k != "CI"} | env
        command = ["make", "-n", "-C", str(root), "html"]
        return subprocess.run(command, capture_output=True, text=True, env=environment).stdout

    assert "DEEPDIVE_DAEMON=1 .venv/bin/python -m deepdive.build" in dry_run()
    assert "DEEPDIVE_DAEMON=0 " in dry_run(CI="true")
    assert "DEEPDIVE_DAEMON=0 " in dry_run(WARM="0")
    clean = subprocess.run(
        ["make", "-n", "-C", str(root), "clean"], capture_output=True, text=True
    ).stdout
    assert "-m deepdive.daemon stop" in clean


def test_a_killed_resident_process_is_replaced_by_the_next_build(author):
    assert author.make_html().returncode == 0
    killed = author.zygote() or 0
    os.kill(killed, signal.SIGKILL)  # the OOM killer, a logout: its socket file stays behind
    wait_until(lambda: not alive(killed), 10, "death of the zygote")
    assert author.socket.exists()

    edit(author.srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
    rebuilt = author.make_html()
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert WARM_OFF not in rebuilt.output
    assert author.zygote() not in (None, killed)
    assert "exactly" in (author.srcdir / "_build/html/posts/2024/hmc/index.html").read_text()


def test_an_idle_time_that_is_not_seconds_is_named_and_the_build_runs_cold(tmp_path, runtime):
    writer = Author(write_site(tmp_path / "src", POSTS), runtime, DEEPDIVE_DAEMON_IDLE="30m")
    built = writer.make_html()
    assert built.returncode == 0, built.output[-3000:]
    assert f"{WARM_OFF} (DEEPDIVE_DAEMON_IDLE='30m' is not a number of seconds)" in built.output
    assert writer.zygote() is None


def test_a_warm_build_ends_as_a_cold_one_without_the_interpreter_teardown(
    tmp_path: Path, runtime: Path
) -> None:
    srcdir = write_site(tmp_path / "warm", POSTS, EXIT_PROBE)
    writer = Author(srcdir, runtime, DEEPDIVE_DAEMON_IDLE="120")
    try:
        assert writer.make_html().returncode == 0  # cold, starting the zygote
        zygote = writer.zygote()
        assert zygote is not None
        for probe in ("exit-handler.txt", "teardown.txt"):
            (srcdir / probe).unlink(missing_ok=True)
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        built = writer.make_html()
        assert built.returncode == 0, built.output[-3000:]
        assert "reading sources... [100%] posts/2024/hmc" in built.output
        assert writer.zygote() == zygote
        assert_ended_without_teardown(srcdir)
    finally:
        writer.daemon("stop")


def test_a_build_that_finds_no_zygote_runs_at_once_and_the_next_is_forked_from_one(
    tmp_path: Path, runtime: Path
) -> None:
    # conf.py runs in the build process: it notes that process's parent.
    parent_probe = "import os, pathlib\npathlib.Path('parent.txt').write_text(str(os.getppid()))\n"
    srcdir = write_site(tmp_path / "src", POSTS, parent_probe)
    writer = Author(srcdir, runtime)
    try:
        first = writer.make_html()
        assert first.returncode == 0, first.output[-3000:]
        assert WARM_OFF not in first.output
        assert int((srcdir / "parent.txt").read_text()) == os.getpid()  # make html's own process
        zygote = writer.zygote()
        assert zygote is not None

        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        assert writer.make_html().returncode == 0
        assert int((srcdir / "parent.txt").read_text()) == zygote
    finally:
        writer.daemon("stop")
