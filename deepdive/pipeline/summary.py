"""A build with problems ends with them, one ``file:line: message`` a line, under Sphinx's output.

Sphinx prints a warning when it happens, so in a full build the first error scrolls away behind
progress lines and configuration dumps. Every warning passes through a logger under ``sphinx.``
(under ``-j``, the main process replays the workers' records through it), so a handler on that
logger sees each of them once; at ``build-finished`` they are printed again, together.

Sphinx reads and writes again only what changed, so an unchanged document would not repeat its
warning in the next build, and a strict build after a failed (or lenient) one would pass. The
documents that had problems are recorded beside the doctrees (:data:`RECORD`) and read again by the
next build, until a build finds none; ``pipeline/command.py`` never records a build with problems
as up to date.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from docutils import nodes
from sphinx.util.logging import get_node_location, is_suppressed_warning

from deepdive.pipeline.command import PROBLEMS as RECORD

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


class ProblemCollector(logging.Handler):
    """Keeps every warning and error of one build as a ``file:line: message`` line."""

    def __init__(self, app: Sphinx) -> None:
        super().__init__(logging.WARNING)
        self.app = app
        self.problems: set[tuple[str, int, str]] = set()  # (file, line, message)
        self.documents: set[str] = set()  # the documents the problems are in

    def emit(self, record: logging.LogRecord) -> None:
        """Record one warning, unless ``suppress_warnings`` hides it."""
        kind, subtype = getattr(record, "type", "") or "", getattr(record, "subtype", "") or ""
        if is_suppressed_warning(kind, subtype, self.app.config.suppress_warnings):
            return
        message = record.getMessage()
        # Sphinx's own handler may already have appended the warning type to the message.
        suffix = f" [{kind}.{subtype}]" if subtype else f" [{kind}]"
        message = " ".join(message.removesuffix(suffix).split())
        path, line = self.where(getattr(record, "location", None))
        self.problems.add((path, line, message))
        env = getattr(self.app, "env", None)
        docname = env.path2doc(os.path.abspath(path)) if env is not None and path else None
        if docname:
            self.documents.add(docname)

    def lines(self) -> list[str]:
        """The problems by file and line, one ``file:line: message`` each."""
        shown = []
        for path, line, message in sorted(self.problems):
            where = f"{path}:{line}" if line else path
            shown.append(f"{where}: {message}" if where else message)
        return shown

    def where(self, location: object) -> tuple[str, int]:
        """The file and line (0: none) of a record's location, in any form Sphinx accepts."""
        if isinstance(location, nodes.Node):
            location = get_node_location(location)
        if isinstance(location, tuple):
            docname, line = location
            if not docname or getattr(self.app, "env", None) is None:
                return "", 0
            return _shown(self.app.env.doc2path(docname)), line or 0
        if not location:
            return "", 0
        text = str(location)
        path, colon, line = text.rpartition(":")
        if colon and line.isdigit():
            return _shown(Path(path)), int(line)
        if getattr(self.app, "env", None) is not None and text in self.app.env.found_docs:
            return _shown(self.app.env.doc2path(text)), 0
        return _shown(Path(text)), 0


def _shown(path: Path) -> str:
    """A path as the author typed it: relative to the current folder when under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def print_summary(
    app: Sphinx, exception: Exception | None, collector: ProblemCollector, stream: TextIO
) -> None:
    """``build-finished``, after every other handler: list the build's problems, if any, and
    record the documents they are in for the next build."""
    record_documents(app, collector)
    if not collector.problems:
        return
    count = len(collector.problems)
    heading = f"deepdive: {count} problem{'s' if count != 1 else ''} in this build"
    if not app.config.deepdive_strict:
        heading += " (STRICT=0: the site was built anyway; `make html` fails until they are fixed)"
    lines = ["", heading + ":"]
    stream.write("\n".join([*lines, *collector.lines()]) + "\n")
    stream.flush()


def record_documents(app: Sphinx, collector: ProblemCollector) -> None:
    """Keep the documents with problems (and whether there were any) for the next build."""
    record = Path(app.doctreedir) / RECORD
    if not collector.problems:
        record.unlink(missing_ok=True)
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    listing = {"problems": len(collector.problems), "documents": sorted(collector.documents)}
    record.write_text(json.dumps(listing, indent=1), encoding="utf-8")


def reread_documents_with_problems(
    app: Sphinx, env: BuildEnvironment, added: set, changed: set, removed: set
) -> list[str]:
    """``env-get-outdated``: the documents the last build found problems in are read again."""
    try:
        listing = json.loads((Path(app.doctreedir) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    documents = listing.get("documents", []) if isinstance(listing, dict) else []
    return sorted(set(documents) & env.found_docs - removed)


def collect_problems(app: Sphinx) -> Callable[[Sphinx, Exception | None], None]:
    """Start collecting ``app``'s warnings; return the ``build-finished`` step that prints them."""
    # Sphinx gives the `sphinx` logger its handlers before it sets up extensions, and removes
    # them (ours too) when another application starts in this process.
    collector = ProblemCollector(app)
    logging.getLogger("sphinx").addHandler(collector)
    return partial(print_summary, collector=collector, stream=sys.stderr)
