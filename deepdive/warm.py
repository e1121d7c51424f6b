"""Warm builds: one process imports Sphinx and the extensions once, then forks each build.

``python -m deepdive.warm`` is the zygote. It imports the stack (Sphinx, ``deepdive.build``, and
the extensions and theme that ``conf.py`` in its folder names), reports every file it loaded,
and then serves one build per JSON line on stdin, ``{"argv": [...], "cwd": ..., "env": {...}}``:
it forks, the child runs ``deepdive.build.main(argv)`` and ends as ``python -m deepdive.build``
would, and the zygote answers ``{"returncode": ..., "cpu_s": ..., "max_rss_mib": ...}`` on stdout.
The zygote never builds, so every child starts from the same import-only state and writes what
a cold ``python -m deepdive.build`` writes. :class:`WarmBuilder` is the other end of the pipe.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

STACK = (
    "sphinx.cmd.build",
    "sphinx.application",
    "sphinx.builders.dirhtml",
    "sphinx.builders.html",
    "deepdive.build",
)


def conf_modules(conf: Path) -> list[str]:
    """The modules a ``conf.py`` names as literals in ``extensions`` and ``html_theme``."""
    try:
        tree = ast.parse(conf.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = getattr(node.targets[0], "id", None)
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue
        if target == "extensions" and isinstance(value, list):
            names += [name for name in value if isinstance(name, str)]
        elif target == "html_theme" and isinstance(value, str):
            names.append(value)
    return names


def preload(names: Iterable[str]) -> None:
    """Import each module that can be imported; the build reports the others itself."""
    for name in names:
        try:
            importlib.import_module(name)
        except (Exception, SystemExit):
            continue


def loaded_files() -> dict[str, int]:
    """The file and modification time (ns) of every loaded module that has one."""
    stamps = {}
    for module in list(sys.modules.values()):
        try:
            stamps[module.__file__] = os.stat(module.__file__).st_mtime_ns
        except Exception:  # built in, a namespace package, a file gone, or not a module at all
            continue
    return stamps


def first_changed(stamps: dict[str, int]) -> str | None:
    """The first of ``stamps``' files that changed or vanished since it was stamped."""
    for path, mtime_ns in stamps.items():
        try:
            if os.stat(path).st_mtime_ns != mtime_ns:
                return path
        except OSError:
            return path
    return None


def wait(pid: int) -> dict[str, float]:
    """Wait for the child ``pid``: its exit code, CPU time (user + system) and peak memory."""
    _, status, usage = os.wait4(pid, 0)
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux counts in KiB
    }


def load_stack() -> dict[str, int]:
    """Import what every build in this folder imports; return the files it loaded (with conf.py).

    Garbage collection stays off and what was imported is frozen: a forked child's collections
    then never touch (and so never copy) the zygote's memory.
    """
    gc.disable()
    extensions = conf_modules(Path("conf.py"))
    preload([*STACK, *extensions])
    # Most of the stack is imported by setup() functions: preload what Sphinx sets up for every
    # build, and the features our own extension sets up when the site uses it.
    preload(getattr(sys.modules.get("sphinx.application"), "builtin_extensions", ()))
    if "deepdive" in extensions:
        preload(getattr(sys.modules.get("deepdive"), "FEATURES", ()))
    _compile_lazy_patterns()
    stamps = loaded_files()
    if os.path.exists("conf.py"):  # a new extensions list is preloaded by a new zygote
        stamps[os.path.abspath("conf.py")] = os.stat("conf.py").st_mtime_ns
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    return stamps


def _compile_lazy_patterns() -> None:
    """Compile the regular expressions soupsieve compiles on first use, as an import would: the
    theme selects with CSS on every page, and a child would otherwise spend 0.05 s on them."""
    try:
        import soupsieve

        soupsieve.compile("li.toctree-l1 > details, .toc-h1, details > p.caption, a[href]:not(.x)")
    except Exception:  # not installed, or a version that parses differently: just slower
        return


def _enter_build(cwd: str, env: dict[str, str]) -> None:
    """In a forked child: take the folder and environment of the build it runs."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    gc.enable()
    os.chdir(cwd)
    os.environ.clear()  # in place: modules hold references to os.environ
    os.environ.update(env)
    time.tzset()


def serve() -> int:
    """Be the zygote: import the stack, report ready, fork one child per request until EOF."""
    # Ctrl-C reaches the whole process group: the build dies, the zygote waits for its stdin to end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The protocol gets descriptors of its own; fd 1 goes to the terminal (stderr) so that nothing
    # printed by an import or a build can corrupt it, and fd 0 is nobody's to read.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    # Line by line, so that status lines and warnings interleave as they do on a terminal.
    sys.stdout.reconfigure(line_buffering=True)

    _reply(replies, {"ready": True, "files": load_stack()})

    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            _child(request)  # ends the process as a cold build's would end
        _reply(replies, wait(pid))
    return 0


def _reply(replies, message: dict) -> None:
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def _child(request: dict) -> NoReturn:
    """In the forked child: become a fresh ``python -m deepdive.build <argv>`` and run it."""
    run_child(request, lambda build: build.main(request["argv"]))


def run_child(request: dict, build: Callable[[ModuleType], int]) -> NoReturn:
    """In a forked child: take the request's folder, environment, umask and log file, become
    ``python -m deepdive.build <argv>``, call ``build`` with that module, and end the process
    as that command ends: same exit codes, no interpreter teardown (:func:`deepdive.build.finish`)."""
    try:
        _enter_build(request["cwd"], request["env"])
        if "umask" in request:
            os.umask(request["umask"])
        if request.get("log"):  # the build's output to a file instead of the terminal
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
        import deepdive.build

        sys.argv = [deepdive.build.__file__, *request["argv"]]
        returncode = build(deepdive.build)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        # Ctrl-C in the terminal reaches the build too: stop quietly, as sphinx-build does
        returncode = 130
    except BaseException:
        traceback.print_exc()
        returncode = 1
    from deepdive.build import finish

    finish(returncode)


@dataclass(frozen=True)
class WarmResult:
    """How one build ended: exit code, CPU seconds (user + system) and peak memory in MiB."""

    returncode: int
    cpu_s: float
    max_rss_mib: float


class WarmBuilder:
    """The parent's end: builds through a zygote, or cold when it cannot start or dies."""

    def __init__(
        self, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.cwd = Path(cwd or os.getcwd())
        self.env = env  # the zygote's environment (default: this process's): where it imports from
        self._zygote: subprocess.Popen[str] | None = None
        self._stamps: dict[str, int] | None = None  # set once the zygote said it is ready
        self._cold = False

    @property
    def zygote_pid(self) -> int | None:
        """The process id of the zygote, while there is one."""
        return self._zygote.pid if self._zygote else None

    def start(self) -> None:
        """Start the zygote; it imports in the background and is waited for by the first build."""
        try:
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "deepdive.warm"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                text=True,
            )
        except OSError as error:
            self._give_up(f"it could not start: {error}")

    def build(
        self,
        argv: list[str],
        cwd: str | os.PathLike[str] | None = None,
        env: dict | None = None,
        log: str | os.PathLike[str] | None = None,
    ) -> WarmResult:
        """Run ``deepdive.build.main(argv)`` in ``cwd`` with ``env`` (default: this process's),
        its output going to the terminal, or to the file ``log``."""
        cwd, env = os.fspath(cwd or os.getcwd()), dict(os.environ if env is None else env)
        if not self._cold and self._zygote is None:
            self.start()
        if self._ready() and (changed := first_changed(self._stamps)):
            print(f"deepdive.warm: {changed} changed; restarting the warm builder", file=sys.stderr)
            self.close()
            self.start()
        if self._ready():
            try:
                request = {"argv": argv, "cwd": cwd, "env": env, "log": log and os.fspath(log)}
                self._zygote.stdin.write(json.dumps(request) + "\n")
                self._zygote.stdin.flush()
                return WarmResult(**json.loads(self._zygote.stdout.readline()))
            except (OSError, ValueError):
                self._give_up("it stopped during a build")
            except BaseException:
                self.close()  # its answer would be read as the next build's
                raise
        cold = [sys.executable, "-m", "deepdive.build", *argv]
        with contextlib.ExitStack() as stack:
            output = stack.enter_context(open(log, "w")) if log else None  # noqa: SIM115
            process = stack.enter_context(
                subprocess.Popen(cold, cwd=cwd, env=env, stdout=output, stderr=output)
            )
            result = wait(process.pid)
            process.returncode = result["returncode"]
        return WarmResult(**result)

    def _ready(self) -> bool:
        """Whether the zygote is ready to build, waiting for its ready message if need be."""
        if self._stamps is None and self._zygote is not None:
            try:
                self._stamps = json.loads(self._zygote.stdout.readline())["files"]
            except (OSError, ValueError, KeyError, TypeError):
                self._give_up("it stopped while starting")
        return self._stamps is not None

    def _give_up(self, reason: str) -> None:
        print(f"deepdive.warm: no warm builder ({reason}); building cold", file=sys.stderr)
        self._cold = True
        self.close()

    def close(self) -> None:
        """End the zygote: it exits when its input ends (killed if it has not after 10 s)."""
        zygote, self._zygote, self._stamps = self._zygote, None, None
        if zygote is None:
            return
        try:
            zygote.stdin.close()
            zygote.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            zygote.kill()
            zygote.wait()
        zygote.stdout.close()

    def __enter__(self) -> WarmBuilder:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(serve())
