"""``make html``: Sphinx, skipped when nothing it reads has changed since the last successful build.

Even with nothing to do, a Sphinx build of this stack spends seconds importing itself and its
extensions, unpickling the environment and regenerating listing pages. Like ``make`` or Nikola's
doit, we first compare a fingerprint of every input with the one stored by the last build that
succeeded, and only start Sphinx when it differs. The fingerprint is deliberately broad: an input
we fail to notice would serve a stale site, an extra input only costs one unneeded build.

Inputs: every file under the source folder (path, size, modification time), except build output,
caches, virtual environments and ``node_modules`` (whose ``.package-lock.json`` stands for it);
this package's own files; the installed distributions; the Python executable; the environment
variables; the command line; and today's date (a post dated tomorrow becomes valid tomorrow).
Outputs: every file in the output and doctree folders as the last build left them, so a deleted or
hand-edited page is rebuilt.

Usage: ``python -m deepdive.pipeline <sphinx-build arguments>``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from deepdive import cache

STAMP = "deepdive-uptodate.json"
# Written by pipeline/summary.py when a build had problems (this module imports no Sphinx).
PROBLEMS = "deepdive-problems.json"
FORMAT = 1

# sphinx-build options that take a value, in both spellings.
_VALUE_OPTIONS = {
    "-b": "builder",
    "--builder": "builder",
    "-d": "doctreedir",
    "--doctree-dir": "doctreedir",
    "-j": None,
    "--jobs": None,
    "-D": None,
    "--define": None,
    "-A": None,
    "--html-define": None,
    "-t": None,
    "--tag": None,
}
# Options after which the fast path never applies: the author asked for a full build, or the
# build reads or writes something the fingerprint does not cover.
_ALWAYS_BUILD = {
    "-a", "--write-all", "-E", "--fresh-env", "-C", "--isolated",
    "-c", "--conf-dir", "-w", "--warning-file", "-M",
}  # fmt: skip
_FLAGS = {
    "-n", "--nitpicky", "-W", "--fail-on-warning", "--keep-going", "-v", "--verbose",
    "-q", "--quiet", "-Q", "--silent", "-N", "--no-color", "--color", "-T", "--show-traceback",
    "--exception-on-warning",
}  # fmt: skip
_SKIPPED_FOLDERS = {
    "_build", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    ".jupyter_cache", ".ipynb_checkpoints", "node_modules",
}  # fmt: skip
# Variables that differ between two shells running the same build and change nothing in it.
_VOLATILE_VARIABLES = {
    "_", "OLDPWD", "SHLVL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR",
    "COLUMNS", "LINES", "TERM_SESSION_ID", "WINDOWID",
}  # fmt: skip


@dataclass(frozen=True)
class Invocation:
    """The parts of a sphinx-build command line the fingerprint needs."""

    srcdir: Path
    outdir: Path
    doctreedir: Path


def parse(argv: Sequence[str]) -> Invocation | None:
    """Read a sphinx-build command line; None when the fast path must not be taken."""
    values: dict[str, str] = {}
    positional: list[str] = []
    items = iter(argv)
    for item in items:
        option, equals, inline = item.partition("=")
        if item in _ALWAYS_BUILD or option in _ALWAYS_BUILD:
            return None
        if option in _VALUE_OPTIONS:
            value = inline if equals else next(items, None)
            if value is None:
                return None
            if _VALUE_OPTIONS[option]:
                values[_VALUE_OPTIONS[option]] = value
        elif item in _FLAGS or item.startswith("-v"):
            continue
        elif item.startswith("-"):
            return None  # an option we do not know: let Sphinx handle it, every time
        else:
            positional.append(item)
    if len(positional) != 2:  # explicit filenames: a partial build, never recorded
        return None
    srcdir, outdir = (Path(p).resolve() for p in positional)
    doctreedir = (
        Path(values["doctreedir"]).resolve() if "doctreedir" in values else outdir / ".doctrees"
    )
    return Invocation(srcdir, outdir, doctreedir)


def _files(folder: Path, skip: set[Path]) -> Iterator[tuple[str, os.stat_result]]:
    """Every file under ``folder``, by relative path, minus build output, caches and venvs."""
    skipped = {str(path) for path in skip}
    stack = [(str(folder), "")]
    while stack:
        current, prefix = stack.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        if prefix and any(e.name == "pyvenv.cfg" for e in entries):
            continue
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=True):
                if entry.name == "node_modules":
                    lock = os.path.join(entry.path, ".package-lock.json")
                    if os.path.exists(lock):
                        yield f"{relative}/.package-lock.json", os.stat(lock)
                elif (
                    entry.name not in _SKIPPED_FOLDERS
                    and os.path.realpath(entry.path) not in skipped
                ):
                    stack.append((entry.path, f"{relative}/"))
            else:
                try:
                    yield relative, entry.stat(follow_symlinks=True)
                except FileNotFoundError:
                    continue  # a dangling symlink, or removed while we looked


def _listing(folder: Path, skip: set[Path] = frozenset()) -> dict[str, str]:
    return {name: f"{st.st_size} {st.st_mtime_ns}" for name, st in _files(folder, skip)}


def _digest_files(folder: Path, skip: set[Path] = frozenset()) -> list[str]:
    return sorted(f"{name}\t{state}" for name, state in _listing(folder, skip).items())


def inputs_fingerprint(invocation: Invocation, argv: Sequence[str]) -> str:
    skip = {invocation.outdir, invocation.doctreedir}
    package = Path(__file__).resolve().parents[1]
    parts = {
        "format": FORMAT,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "python": [sys.executable, sys.version],
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "environment": sorted(
            f"{k}={v}" for k, v in os.environ.items() if k not in _VOLATILE_VARIABLES
        ),
        "distributions": cache.installed_distributions(),
        "sources": _digest_files(invocation.srcdir, skip),
        "deepdive": _digest_files(package, skip),
    }
    return cache.digest(parts)


def outputs_fingerprint(invocation: Invocation) -> dict[str, dict[str, str]]:
    doctrees = _listing(invocation.doctreedir)
    doctrees.pop(STAMP, None)
    return {"outdir": _listing(invocation.outdir), "doctrees": doctrees}


def _records(invocation: Invocation, use: bool = True) -> cache.Records:
    """The last successful build's record: its inputs' key, and its output and doctree folders'
    files (keyed by nothing: what that build left, whatever its inputs)."""
    return cache.Records(invocation.doctreedir / STAMP, use=use)


def _forget_touched_pages(invocation: Invocation, before: dict, outputs: dict) -> None:
    """Delete pages changed by hand (or by another tool) since the last build: Sphinx only writes
    a page whose source is newer, so it would keep serving the changed copy. Other files are left
    alone: Sphinx rewrites feeds and static files itself, and it needs its ``searchindex.js``."""
    for name, state in outputs["outdir"].items():
        if name.endswith(".html") and name in before and before[name] != state:
            (invocation.outdir / name).unlink(missing_ok=True)


def conf_syntax_error(conf: Path) -> str | None:
    """``conf.py:<line>: <what>`` for a conf.py Python cannot parse (Sphinx would print it inside
    a crash report, with a traceback), else None."""
    try:
        compile(conf.read_bytes(), os.fspath(conf), "exec")
    except (SyntaxError, ValueError) as error:  # ValueError: a NUL byte, on older Pythons
        shown = os.path.relpath(conf)
        line = getattr(error, "lineno", None)
        what = getattr(error, "msg", None) or str(error)
        fix = "fix that line" if line else "fix it"
        where = f"{shown}:{line}" if line else shown
        return f"{where}: {what}: conf.py is not valid Python; {fix} and build again"
    except OSError as error:
        return f"{os.path.relpath(conf)}: cannot be read ({error.strerror})"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    invocation = parse(argv)
    if invocation and not (invocation.srcdir / "conf.py").is_file():
        print(
            f"deepdive: no conf.py in {invocation.srcdir}: run `make html` in the blog's folder "
            "(the one with conf.py and posts/)",
            file=sys.stderr,
        )
        return 2
    if invocation and (problem := conf_syntax_error(invocation.srcdir / "conf.py")):
        print(f"deepdive: {problem}", file=sys.stderr)
        return 2
    inputs = inputs_fingerprint(invocation, argv) if invocation else None
    if invocation:
        recorded = _records(invocation)
        outputs = outputs_fingerprint(invocation)
        before = recorded.get("outputs", [])
        before = before if isinstance(before, dict) else {}
        if recorded.hit("inputs", [inputs]) and before == outputs:
            shown = os.path.relpath(invocation.outdir)
            print(
                f"deepdive: nothing changed since the last successful build; {shown} is up to date."
            )
            return 0
        (invocation.doctreedir / STAMP).unlink(missing_ok=True)
        _forget_touched_pages(invocation, before.get("outdir", {}), outputs)
    return run(argv, inputs)


def run(argv: list[str], inputs: str | None) -> int:
    """Run Sphinx; after a success, record ``inputs`` (the fingerprint taken before it started)."""
    from sphinx.cmd.build import main as sphinx_build

    from deepdive.compat.sphinx_cli import report_failures_in_one_line
    from deepdive.pipeline import gctuning

    gctuning.tune()
    report_failures_in_one_line()
    returncode = sphinx_build(argv)
    gctuning.leave_to_exit()
    invocation = parse(argv) if inputs else None
    # A lenient build (STRICT=0) exits 0 with problems: it is never the record of a success.
    if (
        returncode == 0
        and invocation
        and invocation.doctreedir.is_dir()
        and not (invocation.doctreedir / PROBLEMS).exists()
    ):
        # The inputs as they were when the build started: a file saved during the build makes the
        # next fingerprint differ, so that change is built next time.
        records = _records(invocation, use=False)
        records.put("inputs", [inputs])
        records.put("outputs", [], outputs_fingerprint(invocation))
        records.save()
    return returncode


if __name__ == "__main__":
    sys.exit(main())
