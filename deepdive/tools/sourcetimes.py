"""Keep the modification times of unchanged sources across a CI cache, so builds stay incremental.

Sphinx decides which sources to read again by comparing their modification times with the ones it
saved. A fresh clone stamps every file with the moment of the clone, so a CI build that restores
the last build's doctrees would still read every post again. After a build, ``save`` records each
tracked file's content hash and time; before the next build, ``restore`` gives the recorded time
back to every file whose content hash is the same. A file that changed, or is new, keeps its clone
time, newer than anything recorded, so Sphinx reads it again: a changed file is never skipped.

    python -m deepdive.tools.sourcetimes save|restore RECORD [--repo FOLDER]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def tracked_files(repo: Path) -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return [name for name in listing.split("\0") if name and (repo / name).is_file()]


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(repo: Path, record: Path) -> int:
    """Write ``{path: [content hash, mtime in ns]}`` for every tracked file; returns the count."""
    times = {
        name: [content_hash(repo / name), (repo / name).stat().st_mtime_ns]
        for name in tracked_files(repo)
    }
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(times, sort_keys=True), encoding="utf-8")
    return len(times)


def restore(repo: Path, record: Path) -> tuple[int, int]:
    """Give each unchanged tracked file its recorded time; returns (restored, left as they are)."""
    try:
        times = json.loads(record.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        times = {}
    restored = 0
    files = tracked_files(repo)
    for name in files:
        known = times.get(name)
        if known and known[0] == content_hash(repo / name):
            os.utime(repo / name, ns=(known[1], known[1]))
            restored += 1
    return restored, len(files) - restored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepdive.tools.sourcetimes")
    parser.add_argument("action", choices=["save", "restore"])
    parser.add_argument("record", type=Path, help="the JSON file kept with the build cache")
    parser.add_argument("--repo", type=Path, default=Path("."), help="the git checkout")
    args = parser.parse_args(argv)
    try:
        if args.action == "save":
            print(f"sourcetimes: recorded {save(args.repo, args.record)} files")
        else:
            restored, changed = restore(args.repo, args.record)
            print(
                f"sourcetimes: {restored} unchanged files keep their time, {changed} are new or changed"
            )
    except subprocess.CalledProcessError as error:
        print(
            f"sourcetimes: {args.repo} is not a git checkout ({error.stderr.strip()})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
