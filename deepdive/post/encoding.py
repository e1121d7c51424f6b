"""A source file that is not valid UTF-8 is one error naming the file and byte, never a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.util import logging

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)


def decoding_problem(data: bytes, encoding: str) -> tuple[str, int] | None:
    """What is wrong with ``data`` read as ``encoding``, and its line; None when it decodes."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        bad = data[error.start : error.end].hex(" ")
        name = "UTF-8" if encoding.replace("-", "").lower() in ("utf8", "utf8sig") else encoding
        return (
            f"the file is not valid {name}: byte 0x{bad} at byte offset {error.start} "
            f"(line {line}, column {column}) cannot be read ({error.reason}), so the page "
            f"is left out of the site. Save the file as {name} (in most editors: "
            f"“Save with Encoding” → {name}) and build again",
            line,
        )
    except LookupError:
        return None  # an unknown `source_encoding` is Sphinx's to report
    return None


def skip_undecodable(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: report every file about to be read that cannot be decoded, and take
    it out of the build, so Sphinx never reads it (its reader would crash with a traceback)."""
    for docname in sorted(added | changed):
        path = env.doc2path(docname)
        try:
            problem = decoding_problem(path.read_bytes(), app.config.source_encoding)
        except OSError:
            continue  # a file that vanished is Sphinx's to report
        if problem is None:
            continue
        message, line = problem
        logger.error(message, location=(docname, line), type="deepdive", subtype="encoding")
        added.discard(docname)
        changed.discard(docname)
        env.found_docs.discard(docname)
        if docname in env.all_docs:
            removed.add(docname)  # its last good reading is purged with its page
    return []


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("env-get-outdated", skip_undecodable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
