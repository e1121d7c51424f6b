"""Shared fixtures: build the real site once, and small sites in tmp_path, with the real CLI."""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import buildserver
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
# Sphinx colours its output when CI=true; tests read that output, so every build they start is
# plain text (subprocesses inherit this).
os.environ["NO_COLOR"] = "1"

# The smallest conf.py that is still a Deep Dives site; tests append what they need.
SMALL_CONF = """
project = "Test Blog"
author = "Tess Author"
copyright = "2026, Tess Author"
extensions = ["myst_parser", "deepdive", "sphinx_copybutton"]
html_theme = "pydata_sphinx_theme"
html_baseurl = "https://blog.example.org/"
templates_path = [{templates!r}]
html_sidebars = {{"**": []}}
myst_enable_extensions = ["dollarmath", "amsmath"]
exclude_patterns = ["_build"]
nitpicky = True
deepdive_pdf = False  # printing with Chromium is tested in test_pdfs.py, not in every small site
"""


@dataclass
class Build:
    """The outcome of one ``sphinx-build`` run."""

    returncode: int
    output: str
    srcdir: Path
    outdir: Path

    def html(self, page: str = "") -> BeautifulSoup:
        """Parse ``page`` (a URL path such as ``"posts/2024/hmc/"``) of the built site."""
        path = self.outdir / page
        if path.is_dir() or not path.suffix:
            path = path / "index.html"
        return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")

    def text(self, path: str) -> str:
        return (self.outdir / path).read_text(encoding="utf-8")


def sphinx_build(
    srcdir: Path, outdir: Path | None = None, *args: str, env: dict | None = None
) -> Build:
    """Run the strict build the Makefile runs (warnings are errors) and capture its output."""
    outdir = outdir or srcdir / "_build" / "html"
    doctrees = outdir.parent / (outdir.name + "-doctrees")
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "dirhtml",
        "-W",
        "--keep-going",
        "-n",
        "-d",
        str(doctrees),
        *args,
        str(srcdir),
        str(outdir),
    ]
    run_env = {**os.environ, **(env or {})}
    if "DEEPDIVE_DRAFTS" not in (env or {}):
        run_env.pop("DEEPDIVE_DRAFTS", None)
    returncode, output = run_module(command[2:], srcdir, run_env, changed=env or {})
    return Build(returncode, output, srcdir, outdir)


def run_module(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    changed: dict,
    new_process: bool = False,
    interleaved: bool = False,
) -> tuple[int, str]:
    """Run ``python -m <argv>`` in ``cwd`` with ``env``; return its exit code and its output:
    stdout then stderr, or both as printed if ``interleaved``. It is a fork of the build server,
    unless ``changed`` (the variables set for this run) alters how Python starts or ``new_process``
    is asked for: a test of what a process does as it starts or ends."""
    if new_process or not buildserver.can_serve(changed):
        command = [sys.executable, "-m", *argv]
        streams = {
            "stdout": subprocess.PIPE,
            "stderr": subprocess.STDOUT if interleaved else subprocess.PIPE,
        }
        result = subprocess.run(command, **streams, text=True, env=env, cwd=cwd)
        return result.returncode, result.stdout + (result.stderr or "")
    returncode, stdout, stderr = BUILD_SERVER.run(argv[0], argv[1:], cwd, env, interleaved)
    return returncode, stdout + stderr


class BuildServer:
    """This test process's client of ``tests/buildserver.py``, started at its first build: each
    ``python -m`` run it is given is a fork of a process that has imported Sphinx and the
    extensions already, instead of a new Python."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.folder = Path()

    def run(self, module: str, argv: list[str], cwd: Path, env: dict[str, str], interleaved=False):
        """Run ``python -m module *argv`` in ``cwd`` with ``env``; return (code, stdout, stderr),
        or (code, both as printed, "") if ``interleaved``."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        stdout = self.folder / "stdout"
        stderr = stdout if interleaved else self.folder / "stderr"
        request = {"module": module, "argv": argv, "cwd": str(cwd), "env": env}
        request |= {"stdout": str(stdout), "stderr": str(stderr)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            log = (self.folder / "server.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"the build server stopped; its output:\n{log}")
        read = lambda path: path.read_text(encoding="utf-8", errors="backslashreplace")  # noqa: E731
        return json.loads(reply)["returncode"], read(stdout), "" if interleaved else read(stderr)

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="deepdive-buildserver-"))
        with (self.folder / "server.log").open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(buildserver.__file__))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


BUILD_SERVER = BuildServer()


def top_level_make_environment() -> dict[str, str]:
    """This environment without what a make running the tests passes to the makes they run: its
    flags, and the Makefile's variables it was given (make exports those, so ``make html test
    BUILDDIR=_build/py3.12`` would otherwise set BUILDDIR for them too)."""
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", *MAKEFILE_VARIABLES}
    return {k: v for k, v in os.environ.items() if k not in outer}


# The variables the Makefile reads (`make help` lists them).
MAKEFILE_VARIABLES = re.findall(
    r"^# var ([A-Z_]+) ", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M
)


def makefile_command(target: str, marker: str, *variables: str) -> list[str]:
    """The command the real Makefile's ``make <target>`` runs (from ``make -n``: the line holding
    ``marker``), to run with this Python."""
    venv = Path(sys.executable).parents[1]
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", target, f"VENV={venv}", *variables],
        cwd=ROOT,
        env=top_level_make_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if marker in line)
    return [sys.executable, *shlex.split(line)[1:]]


def post(
    date: str = "2024-03-01", title: str = "A post", body: str = "Some text.", **front: object
) -> str:
    """The text of a post file with the given front matter."""
    lines = [f"date: {date}"] if date else []
    for key, value in front.items():
        lines.append(f"{key}: {value}")
    return "---\n" + "\n".join(lines) + f"\n---\n# {title}\n\n{textwrap.dedent(body)}\n"


def write_site(srcdir: Path, files: dict[str, str], conf: str = "") -> Path:
    """Write a small site (``{relative path: text}``) with the minimal conf.py into ``srcdir``."""
    srcdir.mkdir(parents=True, exist_ok=True)
    (srcdir / "conf.py").write_text(
        SMALL_CONF.format(templates=str(ROOT / "_templates")) + textwrap.dedent(conf),
        encoding="utf-8",
    )
    files = {"index.md": "# Home\n\nWelcome.\n", **files}
    for name, text in files.items():
        path = srcdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return srcdir


@pytest.fixture
def make_site(tmp_path: Path):
    """Write a small site with the minimal conf.py; return its folder."""
    return lambda files, conf="": write_site(tmp_path / "site", files, conf)


@pytest.fixture
def build_site(make_site):
    """Make a small site and build it strictly; returns the :class:`Build`."""

    def build(files: dict[str, str], conf: str = "", *args: str, env: dict | None = None) -> Build:
        return sphinx_build(make_site(files, conf), None, *args, env=env)

    return build


@pytest.fixture(scope="module")
def _first_builds() -> dict[str, tuple[Path, Path]]:
    """The module's first builds by name: (where it was built, a pristine copy of it)."""
    return {}


@pytest.fixture
def first_build(_first_builds, tmp_path_factory) -> Callable[[str, Callable[[Path], None]], Path]:
    """``first_build(name, make)``: a folder in which ``make(folder)`` wrote and built a site,
    made once per test module and handed to each test that asks for ``name`` as a fresh copy.

    The copy is restored at the absolute path it was built at (Sphinx's pickled environment and
    ``make html``'s record of its last build name their folders, and a build elsewhere starts
    over), with every file's modification time, so the next build finds exactly what it would
    have found after building the site itself. A test process runs one test at a time and has
    its own copies, so no two tests hold the folder at once; a test asks for each name once."""
    asked: set[str] = set()

    def get(name: str, make: Callable[[Path], None]) -> Path:
        assert name not in asked, f"{name}: one copy per test; build a second site by hand"
        asked.add(name)
        if name in _first_builds:
            place, pristine = _first_builds[name]
            shutil.rmtree(place)
            shutil.copytree(pristine, place, symlinks=True)
            return place
        place = tmp_path_factory.mktemp(name)
        make(place)
        pristine = tmp_path_factory.mktemp(f"{name}-pristine") / name
        shutil.copytree(place, pristine, symlinks=True)
        _first_builds[name] = place, pristine
        return place

    return get


@pytest.fixture
def built_site(first_build) -> Callable[..., Build]:
    """``built_site(files, conf="")``: the successful build of a small site, as
    :func:`build_site` gives it, except that a site of the same files and conf.py built earlier in
    this test module is a fresh copy of that build (see :func:`first_build`), not built again."""

    def get(files: dict[str, str], conf: str = "") -> Build:
        key = hashlib.sha256(json.dumps([files, conf], sort_keys=True).encode()).hexdigest()

        def make(place: Path) -> None:
            first = sphinx_build(write_site(place / "site", files, conf))
            assert first.returncode == 0, first.output
            (place / "output.txt").write_text(first.output, encoding="utf-8")

        place = first_build(f"site-{key[:16]}", make)
        output = (place / "output.txt").read_text(encoding="utf-8")
        return Build(0, output, place / "site", place / "site/_build/html")

    return get


# Only the site's sources: the extension is imported from the installed package (a copy of
# deepdive/ in the source folder would shadow it), and bench/ holds whole virtualenvs.
NOT_SITE_SOURCES = shutil.ignore_patterns(
    "_build",
    ".venv*",  # .venv, and .venv-3.12 and the like (make VENV=...)
    ".git",
    "node_modules",
    ".jupyter_cache",
    "__pycache__",
    ".pytest_cache",
    "deepdive",
    "bench",
    "tests",
    ".github",
)


def copy_site_sources(destination: Path, root: Path = ROOT) -> Path:
    """Copy what Sphinx reads of the real site (conf.py, posts, templates, …) to ``destination``."""
    shutil.copytree(root, destination, ignore=NOT_SITE_SOURCES)
    return destination


def shared_by_workers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This test run's folder that every pytest-xdist worker sees (each worker's own temporary
    folder is a child of it); without workers, the run's own temporary folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """Every build of this run shares one folder of compiled templates and icon-font subsets
    (``DEEPDIVE_SHARED_CACHE``, as a CI job may keep one): compiling the theme's templates and
    cutting its fonts for each new test site was a third of a small build. Tests of the caches
    that live beside the doctrees turn it off (:func:`no_shared_cache`)."""
    from deepdive.cache import SHARED

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SHARED, str(shared_by_workers(tmp_path_factory) / "deepdive-shared-cache"))
        yield


@pytest.fixture
def no_shared_cache(monkeypatch):
    from deepdive.cache import SHARED

    monkeypatch.delenv(SHARED, raising=False)


@contextmanager
def held(lock: Path):
    """Wait until no other worker holds ``lock``, then hold it for the block."""
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Build:
    """The real blog, copied and built with warnings as errors once per test run: the first worker
    that needs it builds it while the others wait, then all of them read the same build."""
    workdir = shared_by_workers(tmp_path_factory) / "real-site"
    with held(workdir.with_name("real-site.lock")):
        record = workdir / "build.json"
        if record.is_file():
            saved = json.loads(record.read_text(encoding="utf-8"))
            build = Build(saved["returncode"], saved["output"], workdir / "src", workdir / "html")
        else:
            copy_site_sources(workdir / "src")
            build = sphinx_build(workdir / "src", workdir / "html", "-j", "auto")
            saved = {"returncode": build.returncode, "output": build.output}
            record.write_text(json.dumps(saved), encoding="utf-8")
    assert build.returncode == 0, build.output[-5000:]
    return build
