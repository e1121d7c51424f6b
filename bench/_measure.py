"""Run one build as a child process and measure wall, CPU, peak RSS, sources read, pages written."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

_ENV_LINE = re.compile(
    r"updating environment: (?:\[(?P<reason>[^\]]*)\] )?"
    r"(?P<added>\d+) added, (?P<changed>\d+) changed, "
    r"(?P<removed>\d+) removed"
)
_READING = re.compile(r"reading sources\.\.\. \[\s*\d+%\] (?P<item>\S.*?)\s*$")
_WRITING = re.compile(r"writing output\.\.\. \[\s*\d+%\] (?P<item>\S.*?)\s*$")
_CONFIG_CHANGED = re.compile(r"The configuration has changed \((?P<what>.*)\)")
_PDFS = re.compile(r"^deepdive: (?P<printed>\d+) post PDFs printed, (?P<kept>\d+) unchanged", re.M)
_REBUILD_ALL = re.compile(r"^building \[\w+\]: (?P<why>.*all docs will be rebuilt.*)$", re.M)
_NIKOLA_TASK = re.compile(r"^\.\s+(?P<task>[\w.-]+):(?P<target>\S+)", re.M)


@dataclass
class Usage:
    """What the operating system says one finished child process tree used."""

    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mib: float
    returncode: int
    timed_out: bool = False

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


def run_measured(
    command: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> Usage:
    """Run ``command`` with output to ``log``; CPU and peak RSS come from ``wait4`` on the child.

    ``wait4`` reports the child's own usage plus that of every descendant it waited for, so the
    worker processes of a parallel build are counted too. ``ru_maxrss`` is the peak resident set
    of the largest single process in that tree (not the sum of concurrent workers).
    """
    with log.open("w", encoding="utf-8") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): leave no build running behind us
            kill()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Usage(
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        returncode=process.returncode,
        timed_out=timed_out.is_set(),
    )


def snapshot(outdir: Path) -> dict[str, int]:
    """Every file under ``outdir`` with its modification time in nanoseconds."""
    found: dict[str, int] = {}
    if not outdir.is_dir():
        return found
    stack = [outdir]
    while stack:
        for entry in os.scandir(stack.pop()):
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                found[os.path.relpath(entry.path, outdir)] = entry.stat(
                    follow_symlinks=False
                ).st_mtime_ns
    return found


@dataclass
class Written:
    """Output files a build created or rewrote (by mtime, the same way for every tool)."""

    pages: int
    files: int
    pages_list: list[str] = field(default_factory=list)


def written(before: dict[str, int], after: dict[str, int], keep_list: int = 40) -> Written:
    changed = sorted(path for path, mtime in after.items() if before.get(path) != mtime)
    pages = [path for path in changed if path.endswith(".html")]
    return Written(pages=len(pages), files=len(changed), pages_list=pages[:keep_list])


@dataclass
class SphinxLog:
    """What a ``sphinx-build`` log says about one incremental build."""

    added: int | None = None
    changed: int | None = None
    removed: int | None = None
    read: int | None = None  # added + changed: exactly the documents Sphinx (re-)read
    read_names: list[str] = field(default_factory=list)  # "a .. b" is a parallel chunk
    read_names_exact: bool = True  # False when a parallel chunk hides some names
    written_docs_logged: int = 0  # progress lines; with -j N the parallel chunks hide documents
    config_changed: str = ""
    rebuild_all: str = ""
    env_reason: str = ""
    warnings: int = 0
    succeeded: bool = False
    skipped: bool = False  # deepdive.pipeline found nothing changed and did not start Sphinx
    pdfs_printed: int | None = None  # deepdive_pdf: posts printed again, and posts that kept theirs
    pdfs_unchanged: int | None = None


_UP_TO_DATE = re.compile(r"^deepdive: nothing changed since the last successful build", re.M)


def parse_sphinx(text: str) -> SphinxLog:
    result = SphinxLog()
    if _UP_TO_DATE.search(text):
        result.added = result.changed = result.removed = result.read = 0
        result.skipped = result.succeeded = True
        return result
    match = _ENV_LINE.search(text)
    if match:
        result.added, result.changed, result.removed = (
            int(match[k]) for k in ("added", "changed", "removed")
        )
        result.read = result.added + result.changed
        result.env_reason = match["reason"] or ""
    for line in text.splitlines():
        reading = _READING.search(line)
        if reading:
            item = reading["item"]
            if " .. " in item:
                result.read_names_exact = False
            result.read_names.append(item)
        if _WRITING.search(line):
            result.written_docs_logged += 1
        if "WARNING:" in line:
            result.warnings += 1
    config = _CONFIG_CHANGED.search(text)
    result.config_changed = config["what"] if config else ""
    rebuild = _REBUILD_ALL.search(text)
    result.rebuild_all = rebuild["why"] if rebuild else ""
    result.succeeded = "build succeeded" in text
    pdfs = _PDFS.search(text)
    if pdfs:
        result.pdfs_printed, result.pdfs_unchanged = int(pdfs["printed"]), int(pdfs["kept"])
    return result


@dataclass
class NikolaLog:
    """What ``nikola build`` printed: the doit tasks it ran."""

    tasks: int = 0
    compiled: int = 0  # posts and pages whose source was compiled again (Nikola's "re-read")
    compiled_names: list[str] = field(default_factory=list)
    warnings: int = 0
    errors: int = 0


def parse_nikola(text: str) -> NikolaLog:
    result = NikolaLog()
    for match in _NIKOLA_TASK.finditer(text):
        result.tasks += 1
        if match["task"] == "render_posts" and match["target"].startswith("cache/"):
            result.compiled += 1
            result.compiled_names.append(match["target"])
    result.warnings = text.count("WARNING:")
    result.errors = text.count("ERROR:")
    return result


def as_dict(obj: object) -> dict:
    return asdict(obj)
