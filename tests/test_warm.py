"""Warm builds (``deepdive.warm``, ``make live``) write exactly what cold builds write, only sooner."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site

from deepdive.warm import WarmBuilder

POSTS = {
    "posts/2024/hmc.md": post(
        "2024-03-01",
        "Hamiltonian Monte Carlo",
        "Energy $H(q, p) = U(q) + K(p)$ is conserved.\n\n$$\\int_0^1 x^2\\,dx = 1/3$$\n",
        tags="[mcmc, physics]",
    ),
    "posts/2024/gibbs.md": post("2024-04-01", "Gibbs sampling", "A sweep per coordinate."),
    "posts/2024/unfinished.md": post("2024-05-01", "Unfinished", "Not yet.", draft="true"),
}
# What the real conf.py does: `make live` shows drafts, every other build hides them.
DRAFTS_CONF = 'import os\ndeepdive_show_drafts = os.environ.get("DEEPDIVE_DRAFTS") == "1"\n'


STRICT = ["-b", "dirhtml", "-W", "--keep-going", "-n"]


def strict_args(srcdir: Path, outdir: Path) -> list[str]:
    """The arguments ``conftest.sphinx_build`` gives Sphinx, for the same site and output."""
    doctrees = outdir.parent / (outdir.name + "-doctrees")
    return [*STRICT, "-d", str(doctrees), str(srcdir), str(outdir)]


def published_env() -> dict[str, str]:
    """The environment ``conftest.sphinx_build`` builds in: drafts hidden."""
    return {k: v for k, v in os.environ.items() if k != "DEEPDIVE_DRAFTS"}


def files(root: Path) -> dict[str, bytes]:
    """Every file of a built site, except Sphinx's note to itself (``.buildinfo``)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".buildinfo"
    }


def assert_same_site(warm: Path, cold: Path) -> None:
    one, two = files(warm), files(cold)
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name]] == []
    assert "posts/2024/hmc/index.html" in one


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_warm_builds_and_rebuilds_equal_cold_ones_byte_for_byte(tmp_path, capfd, monkeypatch):
    warm_src = write_site(tmp_path / "warm" / "src", POSTS, DRAFTS_CONF)
    cold_src = write_site(tmp_path / "cold" / "src", POSTS, DRAFTS_CONF)
    # The zygote starts in a shell that shows drafts; each build runs in the environment it is given.
    monkeypatch.setenv("DEEPDIVE_DRAFTS", "1")
    warm_out, cold_out = tmp_path / "warm" / "html", tmp_path / "cold" / "html"

    def build_both() -> None:
        result = warm.build(strict_args(warm_src, warm_out), cwd=warm_src, env=published_env())
        cold = sphinx_build(cold_src, cold_out)
        assert result.returncode == 0, capfd.readouterr().err[-3000:]
        assert cold.returncode == 0, cold.output[-3000:]
        assert result.cpu_s > 0 and result.max_rss_mib > 50
        assert_same_site(warm_out, cold_out)

    with WarmBuilder(cwd=warm_src) as warm:
        build_both()
        for src in (warm_src, cold_src):
            edit(src / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        build_both()
    assert "exactly" in (warm_out / "posts/2024/hmc/index.html").read_text(encoding="utf-8")
    assert not (warm_out / "posts/2024/unfinished").exists()
    assert "no warm builder" not in capfd.readouterr().err


def test_a_failing_build_fails_and_the_zygote_builds_again_after_the_fix(tmp_path, capfd):
    srcdir = write_site(tmp_path / "src", {"posts/2024/when.md": post(date="2024-02-30")})
    # Relative paths, as `make html` gives them: each build runs in the folder it is given.
    args = [*STRICT, "-d", "_build/doctrees", ".", "_build/html"]
    with WarmBuilder(cwd=tmp_path) as warm:
        assert warm.build(args, cwd=srcdir).returncode != 0
        zygote = warm.zygote_pid
        output = capfd.readouterr().err
        assert "posts/2024/when.md:2:" in output and "'2024-02-30' is not a real date" in output
        assert "Traceback" not in output

        edit(srcdir / "posts/2024/when.md", "2024-02-30", "2024-02-29")
        assert warm.build(args, cwd=srcdir).returncode == 0
        assert warm.zygote_pid == zygote
    assert (srcdir / "_build/html/posts/2024/when/index.html").exists()


FLAVOUR = """
def add_flavour(app, pagename, templatename, context, doctree):
    context["metatags"] = context.get("metatags", "") + '<meta name="flavour" content="{flavour}">'


def setup(app):
    app.connect("html-page-context", add_flavour)
    return {{"parallel_read_safe": True, "parallel_write_safe": True}}
"""


def flavour(build_dir: Path) -> str:
    html = (build_dir / "posts/2024/hmc/index.html").read_text(encoding="utf-8")
    return html.split('<meta name="flavour" content="')[1].split('"')[0]


def test_editing_a_module_the_zygote_loaded_restarts_it(tmp_path, capfd):
    # An extension module beside conf.py (on sys.path as the folder Python was started in), named
    # in the literal `extensions` list, so the zygote imports it before any build.
    conf = 'extensions = ["myst_parser", "deepdive", "sphinx_copybutton", "flavour"]\n'
    srcdir = write_site(tmp_path / "src", POSTS, conf)
    (srcdir / "flavour.py").write_text(FLAVOUR.format(flavour="vanilla"), encoding="utf-8")
    args = strict_args(srcdir, tmp_path / "html")
    with WarmBuilder(cwd=srcdir) as warm:
        assert warm.build(args, cwd=srcdir).returncode == 0
        assert flavour(tmp_path / "html") == "vanilla"
        first = warm.zygote_pid
        assert warm.build(args, cwd=srcdir).returncode == 0  # nothing changed: same zygote
        assert warm.zygote_pid == first
        assert "restarting" not in capfd.readouterr().err

        # The old zygote still holds the vanilla module: a child forked from it would use it.
        (srcdir / "flavour.py").write_text(FLAVOUR.format(flavour="pistachio"), encoding="utf-8")
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        assert warm.build(args, cwd=srcdir).returncode == 0
        assert warm.zygote_pid not in (None, first)
        assert "flavour.py changed; restarting the warm builder" in capfd.readouterr().err
        assert flavour(tmp_path / "html") == "pistachio"


def test_without_a_zygote_it_builds_cold_and_says_so_once(tmp_path, capfd):
    srcdir = write_site(tmp_path / "src", POSTS)
    args = strict_args(srcdir, tmp_path / "html")
    with WarmBuilder(cwd=srcdir) as warm:
        assert warm.build(args, cwd=srcdir).returncode == 0
        os.kill(warm.zygote_pid, signal.SIGKILL)
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        assert warm.build(args, cwd=srcdir).returncode == 0
        edit(srcdir / "posts/2024/hmc.md", "exactly", "always")
        assert warm.build(args, cwd=srcdir).returncode == 0
    assert capfd.readouterr().err.count("no warm builder") == 1
    assert "always" in (tmp_path / "html/posts/2024/hmc/index.html").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return ""


def wait_for(condition, seconds: float, what: str, live: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert live.poll() is None, f"deepdive.live exited:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, (
            f"no {what} after {seconds} s:\n{log.read_text()[-3000:]}"
        )
        time.sleep(0.2)


def test_make_live_serves_each_edit_and_stops_on_ctrl_c(tmp_path):
    srcdir = write_site(tmp_path / "src", POSTS)
    port, log = free_port(), tmp_path / "live.log"
    command = [sys.executable, "-m", "deepdive.live", "-b", "dirhtml", "-j", "1"]
    command += ["-d", str(tmp_path / "doctrees"), "--host", "127.0.0.1", "--port", str(port)]
    command += [".", str(tmp_path / "live")]
    url = f"http://127.0.0.1:{port}/posts/2024/hmc/"
    with log.open("w") as output:
        # A session of its own, like a terminal: Ctrl-C signals every process in it.
        live = subprocess.Popen(
            command, cwd=srcdir, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(lambda: "is conserved" in page(url), 60, "page", live, log)
        edit(srcdir / "posts/2024/hmc.md", "is conserved", "is conserved exactly")
        wait_for(lambda: "conserved exactly" in page(url), 60, "edit", live, log)
    finally:
        os.killpg(live.pid, signal.SIGINT)
        returncode = live.wait(timeout=30)
    text = log.read_text()
    assert returncode == 0, text[-3000:]
    assert "> python -m deepdive.build" in text and "Detected changes (posts/2024/hmc.md)" in text
    assert "no warm builder" not in text, text[-3000:]
    assert "Traceback" not in text, text[text.find("Traceback") - 500 :][:4000]
    with pytest.raises(ProcessLookupError):  # the zygote and every build ended with it
        os.killpg(live.pid, 0)
