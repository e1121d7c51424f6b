"""Every cache the build keeps between runs: where it lives, its file format, its keys, and the one
rule for using an entry.

Where: beside the doctrees (``-d``, ``_build/html-doctrees`` or ``_build/doctrees``), never the
system's temporary folder, so ``make clean`` or a new doctree folder empties every cache.

Format: a records file is one JSON object, entries by name, each entry its key followed by its
value, and a ``#format`` member. Files are written whole to a temporary name in the same folder
and then renamed, so a build stopped halfway leaves the old file or the new one. A file that is
damaged, cut short, or written by another version of this module reads as empty: every entry
misses and is made again.

Keys: digests of public inputs only (content, configuration values, versions of installed
distributions, this package's files), or a file's size and modification time when the entry
describes that file. Never other packages' private attributes.

The rule: an entry is used only when its key equals the key computed now. A build that writes
every document page again (a clean build, ``-E``, ``-a``, or a change every page depends on) uses
no entry at all (:func:`rebuilding_everything`); it still records entries for the next build.

One exception, when asked for: the folder the ``DEEPDIVE_SHARED_CACHE`` environment variable names
holds the two caches whose entries depend on nothing of one site (compiled templates, keyed by the
template's source and Jinja's and Python's versions; icon-font subsets, keyed by the code points and
the installed distributions). Every build that names it, clean ones and other sites' included,
uses them: a CI job that keeps one folder between runs, or an author with several blogs, compiles
the theme's templates once. The test suite names one per run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepdive.compat.sphinx_assets import describe_asset
from deepdive.errors import SetupError

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

FORMAT = 1
_FORMAT_MEMBER = "#format"
# The states of every document's page as the last successful build left them.
DOCUMENT_PAGES = "deepdive-document-pages.json"
_BUILD_STATE = "_deepdive_cache_build"


SHARED = "DEEPDIVE_SHARED_CACHE"


def folder(app: Sphinx) -> Path:
    """The folder every cache lives in: the doctree folder."""
    return Path(app.doctreedir)


def shared_folder() -> Path | None:
    """The folder ``DEEPDIVE_SHARED_CACHE`` names, made if need be, for entries any site's build
    may use (see the module's documentation), or None: then those caches live beside the doctrees
    too. A name that cannot be a folder this build writes to is an error that says so."""
    named = os.environ.get(SHARED, "")
    if not named:
        return None
    shared = Path(named).expanduser()
    try:
        shared.mkdir(parents=True, exist_ok=True)
        problem = None if os.access(shared, os.W_OK | os.X_OK) else "it cannot be written to"
    except OSError as error:
        problem = error.strerror.lower() if error.strerror else str(error)
    if problem:
        raise SetupError(
            f"{SHARED}={named} names no folder this build can keep its cache in ({problem}): "
            "name a folder you can write to, or unset it"
        )
    return shared


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``path`` so that a reader finds the old file or the new one, never half of one.

    The temporary name carries the process id and a random part: ``-j`` processes writing the same
    file never share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(temporary, "xb") as file:
            file.write(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_text(path: Path) -> str | None:
    """A cached text file, or None when it is missing or not readable as UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


class Records:
    """One records file: entries by name, each stored with its key (a list of strings and numbers).

    ``get`` returns an entry's value only when its key equals the one given, and nothing at all
    when ``use`` is false (a full rebuild). ``save`` writes the entries ``put`` in this build, so
    an entry no build asks for again does not stay for ever."""

    def __init__(self, path: Path, use: bool = True) -> None:
        self.path = path
        self.previous: dict[str, Any] = _read_records(path) if use else {}
        self.current: dict[str, list] = {}

    def get(self, name: str, key: list) -> Any:
        """The value stored under ``name`` with ``key``, or None."""
        entry = self.previous.get(name)
        if isinstance(entry, list) and entry[:-1] == key:
            return entry[-1]
        return None

    def hit(self, name: str, key: list) -> bool:
        """Whether an entry is stored under ``name`` with ``key``."""
        entry = self.previous.get(name)
        return isinstance(entry, list) and entry[:-1] == key

    def put(self, name: str, key: list, value: Any = None) -> None:
        self.current[name] = [*key, value]

    def save(self) -> None:
        data = {**self.current, _FORMAT_MEMBER: FORMAT}
        write_atomically(self.path, json.dumps(data, indent=0, sort_keys=True))

    def forget(self) -> None:
        """Delete the file: the next build finds no entry."""
        self.path.unlink(missing_ok=True)


def _read_records(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):  # missing, cut short, not UTF-8, not JSON
        return {}
    if not isinstance(data, dict) or data.get(_FORMAT_MEMBER) != FORMAT:
        return {}  # written by another version, or by something else
    return data


def file_key(path: Path) -> list[int]:
    """A file's size and modification time: changed when anything rewrites the file."""
    try:
        stat = path.stat()
    except OSError:
        return [-1, -1]
    return [stat.st_size, stat.st_mtime_ns]


# -- The one rule's exception: a build that writes everything again ---------------------------------


def rebuilding_everything(app: Sphinx) -> bool:
    """Whether this build wrote the page of every document again: a clean build, ``-E``, ``-a``,
    or a change every page depends on. Then no cache entry is used. Known once the documents are
    written (Sphinx has no public flag for ``-a``): a document page still as the last successful
    build left it means an incremental build."""
    state = app.env.__dict__.get(_BUILD_STATE)
    if state is None:
        records = Records(folder(app) / DOCUMENT_PAGES)
        outdir = Path(app.outdir)
        state = not any(
            records.hit(docname, file_key(outdir / app.builder.get_outfilename(docname)))
            for docname in app.env.found_docs
        )
        app.env.__dict__[_BUILD_STATE] = state
    return state


def record_document_pages(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``, after every step that rewrites pages: remember each document page as it
    stands, for the next build's :func:`rebuilding_everything`. After a failed build, nothing is
    remembered, so the next build uses no cache."""
    if app.builder.format != "html":
        return
    rebuilding_everything(app)  # decided for this build's later steps before the records change
    records = Records(folder(app) / DOCUMENT_PAGES, use=False)
    if exception:
        records.forget()  # a failed build may have left any page half done
        return
    outdir = Path(app.outdir)
    for docname in app.env.found_docs:
        records.put(docname, file_key(outdir / app.builder.get_outfilename(docname)))
    records.save()


def start_build(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """``env-before-read-docs``: whether a build rewrites everything is decided anew for each."""
    env.__dict__.pop(_BUILD_STATE, None)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("env-before-read-docs", start_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# -- Keys ------------------------------------------------------------------------------------------


def installed_distributions() -> list[str]:
    """Every installed distribution, with its version, as its ``.dist-info`` folder names it: a
    ``pip install`` or upgrade changes this list."""
    found = []
    for entry in sys.path:
        if entry.endswith("site-packages") and os.path.isdir(entry):
            found += [
                f"{entry}/{name}" for name in os.listdir(entry) if name.endswith(".dist-info")
            ]
    return sorted(found)


def package_version(package: Path = Path(__file__).parent) -> int:
    """A number that changes whenever this package's code does: a digest of its files' contents.

    It is Deep Dives' ``env_version``. Sphinx keeps the environment it pickled only when every
    extension's number is the one it was pickled with, so an environment pickled by other code,
    whose posts may lack a field this code reads, is read afresh instead of failing the build."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return int(digest.hexdigest()[:12], 16)


def configuration(app: Sphinx) -> dict[str, Any]:
    """Every configuration value, by name."""
    return {item.name: item.value for item in app.config}


def code_state(app: Sphinx) -> list:
    """The code that makes the output: the installed distributions, the loaded extensions'
    versions, Python, this package's own files and ``conf.py`` (by size and time)."""
    package = Path(__file__).parent
    own = [
        [path.relative_to(package).as_posix(), *file_key(path)]
        for path in sorted(package.rglob("*.py"))
    ]
    conf = Path(app.confdir, "conf.py")
    return [
        sys.version,
        installed_distributions(),
        sorted((name, str(ext.version)) for name, ext in app.extensions.items()),
        own,
        file_key(conf),
    ]


_ATOMS = frozenset({type(None), bool, int, float, str})
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


class Unknowable(Exception):
    """A value whose repr does not show its state: what holds one is never taken from a cache."""


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data that is equal across runs exactly when the value is: lists keep
    their order, functions become their qualified names. Raises :class:`Unknowable` for an object
    that cannot be described that way, rather than guess."""
    kind = type(value)
    if kind in _ATOMS:  # the exact types first: most values are these, and this is hot
        return value
    if depth > 20:
        raise Unknowable(kind.__qualname__)
    depth += 1
    if kind is list or kind is tuple:
        return [plain(item, depth) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            type(value).__qualname__,
            {f.name: plain(getattr(value, f.name), depth) for f in dataclasses.fields(value)},
        ]
    if isinstance(value, dict):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        return {key: plain(item, depth) for key, item in items}
    if isinstance(value, (list, tuple)):
        return [plain(item, depth) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(item, depth) for item in value), key=json.dumps)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    asset = describe_asset(value)
    if asset is not None:
        return [asset[0], asset[1], plain(asset[2], depth)]
    text = repr(value)
    if _ADDRESS.search(text):
        raise Unknowable(type(value).__qualname__)
    return text


def digest(data: Any) -> str:
    """The key of JSON-ready ``data`` (as :func:`plain` returns it)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signature(value: Any) -> str:
    """The key of any ``value``: equal across runs exactly when the value is (see :func:`plain`)."""
    return digest(plain(value))
