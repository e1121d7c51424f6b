"""``make html`` through a resident warm process, so a rebuild does not pay for importing Sphinx.

A new build process spends about 0.9 s importing Sphinx, the theme and some sixty extensions before
it reads a single post: most of a one-post edit. ``make live`` avoids that with the zygote of
``deepdive.warm``; this module gives ``make html`` the same. A build that finds no zygote starts
one (``python -m deepdive.daemon serve``), which imports the stack and listens on a Unix socket
only this user can reach, and builds cold meanwhile: the zygote's imports run beside that build
instead of before it. Every later build connects to it and hands over its terminal (stdin,
stdout, stderr), folder, environment, umask and command line; the zygote forks, and the child
runs the build as ``python -m deepdive.build`` would, writing to the author's terminal. Ctrl-C
stops the build.

The zygote never builds itself. There is one per project folder, Python and ``sys.path``. It exits
after ``DEEPDIVE_DAEMON_IDLE`` seconds without a build (default 1800), on
``python -m deepdive.daemon stop`` (``make clean`` runs it), and as soon as a module it imported
or ``conf.py`` changed: the build that notices starts a fresh one. When no zygote can be started
or reached, the build runs cold in the calling process and says why.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

IDLE_SECONDS = 1800
_STDIO = (0, 1, 2)
_started: list[subprocess.Popen] = []  # zygotes this process started
_MAX_SOCKET_PATH = 107  # bytes, on Linux


def socket_path() -> Path:
    """Where this folder's zygote listens: one per Python, ``sys.path`` (which starts with the
    project folder) and user, in a folder only the user can open."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    key = hashlib.sha256(json.dumps([sys.executable, sys.path]).encode()).hexdigest()[:20]
    return Path(runtime) / f"deepdive-{os.getuid()}" / f"{key}.sock"


def _private_folder(path: Path) -> bool:
    """Create the socket's folder with mode 0700; False if it exists and is not ours alone."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    return (
        path.is_dir()
        and not path.is_symlink()
        and info.st_uid == os.getuid()
        and (info.st_mode & 0o077 == 0)
    )


# -- The author's side: deepdive.build -----------------------------------------------------------


def build(argv: list[str], inputs: str | None) -> int | None:
    """Run ``deepdive.build.run(argv, inputs)`` in a child of this folder's zygote; its exit
    code, or None when the build should run here, cold: also when there was no zygote, which this
    starts for the next build."""
    idle = os.environ.get("DEEPDIVE_DAEMON_IDLE", "")
    if idle and not _is_seconds(idle):
        return _cold(f"DEEPDIVE_DAEMON_IDLE={idle!r} is not a number of seconds")
    path = socket_path()
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        return _cold(f"{path.parent} is too long a path for a socket; set XDG_RUNTIME_DIR")
    try:
        if not _private_folder(path.parent):
            return _cold(f"{path.parent} is not private to this user")
    except OSError as error:
        return _cold(f"{path.parent}: {error.strerror}")
    interrupts = _Interrupts()
    previous = signal.signal(signal.SIGINT, interrupts)
    try:
        for _attempt in range(2):
            connection = _connect(path)
            if connection is None:
                # A cold process imports only what this build needs, while the zygote imports
                # everything on another core; waiting for it made a first build slower.
                if _start(path):
                    return None
                return _cold(f"it did not start; see {path.with_suffix('.log')}")
            with connection:
                try:
                    _send_request(connection, argv, inputs)
                    replies = connection.makefile("r", encoding="utf-8")
                    first = json.loads(replies.readline())
                    if "restart" in first:
                        print(
                            f"deepdive: {first['restart']} changed; restarting the warm build "
                            "process",
                            file=sys.stderr,
                        )
                        if interrupts.count:
                            return 130
                        continue
                    interrupts.stop(first["pid"])
                    result = json.loads(replies.readline())
                    _report_usage(result)
                    return int(result["returncode"])
                except (OSError, ValueError, KeyError):
                    if interrupts.build:  # it died during the build: let that end first
                        _wait_until_gone(interrupts.build)
                    return _cold("it stopped answering")
        return _cold("it kept restarting")
    finally:
        signal.signal(signal.SIGINT, previous)


def _is_seconds(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


class _Interrupts:
    """The SIGINT handler while a build runs elsewhere: the first Ctrl-C interrupts the build,
    the next kills it, with any worker processes (the build leads a process group of its own)."""

    def __init__(self) -> None:
        self.count = 0
        self.build: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        self.count += 1
        self._forward()

    def stop(self, build: int) -> None:
        """Known from now on: the build to forward Ctrl-C to (and any pressed already)."""
        self.build = build
        self._forward()

    def _forward(self) -> None:
        if self.build and self.count:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.build, signal.SIGINT if self.count == 1 else signal.SIGKILL)


def _wait_until_gone(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _report_usage(result: dict) -> None:
    """For ``make bench``: the CPU time and peak memory of the build, which a ``wait4`` on this
    process cannot see, written where ``DEEPDIVE_DAEMON_USAGE`` says."""
    if report := os.environ.get("DEEPDIVE_DAEMON_USAGE"):
        Path(report).write_text(json.dumps(result), encoding="utf-8")


def _cold(reason: str) -> None:
    print(f"deepdive: no warm build process ({reason}); building in this one", file=sys.stderr)
    return None


def _connect(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(os.fspath(path))
    except OSError:
        connection.close()
        return None
    return connection


def _start(path: Path) -> bool:
    """Start a zygote in a session of its own, without waiting for it; False if it cannot run."""
    try:
        with open(path.with_suffix(".log"), "w", encoding="utf-8") as log:
            zygote = subprocess.Popen(
                [sys.executable, "-m", "deepdive.daemon", "serve", os.fspath(path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C in the terminal must not reach it
            )
    except OSError:
        return False
    _started.append(zygote)  # outlives this process: never collected (and warned about) here
    return True


def _send_request(connection: socket.socket, argv: list[str], inputs: str | None) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    request = {
        "argv": argv,
        "inputs": inputs,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
    }
    payload = (json.dumps(request) + "\n").encode()
    with contextlib.ExitStack() as stack:
        fds = []
        for fd in _STDIO:
            try:
                os.fstat(fd)
                fds.append(fd)
            except OSError:  # closed: the child gets /dev/null there
                fds.append(stack.enter_context(open(os.devnull, "r+b")).fileno())  # noqa: SIM115
        sent = socket.send_fds(connection, [payload], fds)
    if sent < len(payload):  # not an empty send: a zygote that answers "restart" has hung up
        connection.sendall(payload[sent:])


# -- The zygote's side -----------------------------------------------------------------------------


def serve(path: Path) -> int:
    """Listen at ``path`` and fork one build per connection, until idle, stopped or stale."""
    from deepdive import warm

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = open(path.with_suffix(".lock"), "w")  # noqa: SIM115 - held for the zygote's life
    deadline = time.monotonic() + 5  # a stale zygote releases it as it exits
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if time.monotonic() > deadline:
                return 0  # another zygote serves this folder
            time.sleep(0.01)
    listener = _Listener(path)
    zygote = os.getpid()
    try:
        stamps = warm.load_stack()
        listener.socket.settimeout(float(os.environ.get("DEEPDIVE_DAEMON_IDLE") or IDLE_SECONDS))
        while True:
            try:
                connection, _ = listener.socket.accept()
            except TimeoutError:
                return 0
            try:
                with connection:
                    outcome = _serve_one(connection, listener, stamps)
            except OSError:  # the build's side hung up mid-request: serve the next one
                if os.getpid() != zygote:
                    raise
                outcome = None
            if outcome is not None:  # stopped, stale, or (in a child) the build's exit code
                return outcome
    finally:
        if os.getpid() == zygote:
            listener.close()


class _Listener:
    """The zygote's socket, bound at ``path``; builds arriving while it imports wait in line."""

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.bind(os.fspath(path))
        self.socket.listen(8)
        self._inode = path.stat().st_ino
        self.cpu_reported = 0.0  # the zygote's CPU seconds as of its last answer

    def close(self) -> None:
        """Stop listening and remove the socket file, unless it is another zygote's by now."""
        if self.socket.fileno() == -1:
            return
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()
        self.socket.close()


def _serve_one(
    connection: socket.socket, listener: _Listener, stamps: dict[str, int]
) -> int | None:
    """Answer one connection. In the zygote: an exit code when it should stop, else None; in
    the child it forked: the build's exit code."""
    from deepdive import warm

    connection.settimeout(None)
    payload, fds, _flags, _address = socket.recv_fds(connection, 1 << 16, len(_STDIO))
    try:
        while not payload.endswith(b"\n"):
            more = connection.recv(1 << 16)
            if not more:
                break
            payload += more
        try:
            request = json.loads(payload)
        except ValueError:
            request = {}
        if request.get("stop"):
            listener.close()
            return 0
        if len(fds) != len(_STDIO) or "argv" not in request:
            return None
        if changed := warm.first_changed(stamps):
            # Gone before the author's build hears of it, so that it starts a fresh zygote.
            listener.close()
            connection.sendall(json.dumps({"restart": changed}).encode() + b"\n")
            return 0
        child = os.fork()
        if child == 0:
            listener.socket.close()  # not close(): the socket file stays the zygote's
            connection.close()
            received, fds = fds, []
            _child(request, received)
    finally:
        for fd in fds:
            os.close(fd)
    with contextlib.suppress(OSError):
        os.setpgid(child, child)  # the child does so too; whichever runs first wins the race
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"pid": child}).encode() + b"\n")
    result = warm.wait(child)
    # The zygote's own CPU time since its last build (the imports, for the first): make bench
    # counts it, as it counts a cold build's imports.
    result["zygote_cpu_s"] = round(_cpu_seconds() - listener.cpu_reported, 3)
    listener.cpu_reported = _cpu_seconds()
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps(result).encode() + b"\n")
    return None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(request: dict, fds: list[int]) -> NoReturn:
    """In the forked child: take over the author's terminal and run the build."""
    os.setpgid(0, 0)  # a group of its own, with any -j workers: Ctrl-C stops them all
    for target, fd in zip(_STDIO, fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    if sys.stdout.isatty():  # progress lines as they happen, as on any terminal
        sys.stdout.reconfigure(line_buffering=True)
    from deepdive import warm

    warm.run_child(request, lambda build: build.run(request["argv"], request["inputs"]))


def stop(path: Path, timeout: float = 10) -> bool:
    """Ask this folder's zygote to exit and wait until it has; whether one was running."""
    connection = _connect(path)
    if connection is None:
        return False
    with connection:
        connection.sendall(json.dumps({"stop": True}).encode() + b"\n")
        connection.recv(1)  # returns when the zygote closed the connection
    # It holds its lock until its very end (after a build in progress, if there was one).
    with open(path.with_suffix(".lock"), "a") as lock:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:
                time.sleep(0.01)
    return True


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        return serve(Path(argv[1]))
    if argv == ["stop"]:
        if stop(socket_path()):
            print("deepdive: stopped the warm build process")
        return 0
    print("usage: python -m deepdive.daemon stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
