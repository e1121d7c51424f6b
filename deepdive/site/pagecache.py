"""Generated pages (listings, series, the Bibliography) are rendered again only when what they show
or how they are rendered changed since the build that wrote them.

A page's signature covers its own context (the teasers, excerpts and links it shows, as computed
for this build) and everything Sphinx and the theme add to every page: the global template context,
the configuration, the templates, the checksums of the page's CSS and scripts, the navigation, and
the code that renders it. A page is kept only when its signature equals the one recorded when it
was last written and its file is still the one that build left.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepdive.site.outputs import keep_page

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

    Page = tuple[str, dict[str, Any], str]

SIGNATURES = "deepdive-page-signatures.json"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
_STATE = "_deepdive_page_cache"


@dataclass
class LazyPage:
    """A generated page that can name what its context is made from more cheaply than by making
    the context (rendering every excerpt or reference on it): ``inputs`` is signed in place of
    the context, and ``make_context`` runs only when the page is rendered."""

    pagename: str
    template: str
    inputs: Callable[[], Any]
    make_context: Callable[[], dict[str, Any]]


class WarningCounter(logging.Handler):
    """Counts the warnings Sphinx logs, through the ``sphinx`` logger every extension logs to."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


WARNINGS = WarningCounter()


def count_warnings(app: Sphinx) -> None:
    """``builder-inited``: start counting (once per process)."""
    sphinx_logger = logging.getLogger("sphinx")
    if WARNINGS not in sphinx_logger.handlers:
        sphinx_logger.addHandler(WARNINGS)


def only_changed(
    collect: Callable[[Sphinx], Iterable[Page | LazyPage]],
) -> Callable[[Sphinx], Iterator[Page]]:
    """The ``html-collect-pages`` handler for ``collect``'s pages that need rendering again."""

    def collect_changed(app: Sphinx) -> Iterator[Page]:
        return render_if_changed(app, collect(app))

    collect_changed.__qualname__ = f"only_changed({collect.__module__}.{collect.__qualname__})"
    return collect_changed


def render_if_changed(app: Sphinx, pages: Iterable[Page | LazyPage]) -> Iterator[Page]:
    """Pass on the ``html-collect-pages`` entries whose output would differ from the file on disk;
    keep the others as they are."""
    state = _state(app)
    outdir = Path(app.outdir)
    for page in pages:
        pagename, context, template = _unpack(page)
        try:
            signed = plain(page.inputs()) if isinstance(page, LazyPage) else plain(context)
            signature = _digest([state["site"], pagename, template, signed])
        except Unknowable:
            yield pagename, context if context is not None else page.make_context(), template
            continue
        state["signed"][pagename] = signature
        output = outdir / app.builder.get_outfilename(pagename)
        trusted = state["site"] and not state["everything"]
        if trusted and state["records"].up_to_date(pagename, signature, output):
            keep_page(app, pagename)
            state["kept"] += 1
            continue
        warnings = WARNINGS.count
        if context is None:
            context = page.make_context()
        yield pagename, context, template  # Sphinx renders the page before asking for the next
        if WARNINGS.count != warnings:
            del state["signed"][pagename]  # render it again next time, so the warning is too


def _unpack(page: Page | LazyPage) -> tuple[str, dict[str, Any] | None, str]:
    if isinstance(page, LazyPage):
        return page.pagename, None, page.template
    return page


def record_signatures(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``, after every step that rewrites pages (the CSP tag): remember each
    generated page's signature with the size and time of the file as it now stands."""
    state = app.env.__dict__.pop(_STATE, None)
    if app.builder.format != "html":
        return
    records = state["records"] if state else FileRecords(Path(app.doctreedir) / SIGNATURES)
    if exception:
        records.forget()  # a failed build may have left any page half done
        return
    if state is None:
        return
    outdir = Path(app.outdir)
    for pagename, signature in state["signed"].items():
        records.record(pagename, signature, outdir / app.builder.get_outfilename(pagename))
    for docname in app.env.found_docs:
        records.record(f"doc:{docname}", _DOCUMENT, outdir / app.builder.get_outfilename(docname))
    records.save()
    if state["signed"]:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "deepdive: %d of %d generated pages unchanged, kept as written",
            state["kept"],
            len(state["signed"]),
        )


_DOCUMENT = "document page"


def rebuilding_everything(app: Sphinx) -> bool:
    """Whether this build wrote the page of every document again: a clean build, ``-E``, ``-a``,
    or a change every page depends on. Then every generated page and feed is made again too, and
    no record of an earlier build is trusted. Known once the documents are written: a document
    page still as the last build left it means an incremental build."""
    state = app.env.__dict__.get(_STATE)
    if state is not None:
        return state["everything"]
    records = FileRecords(Path(app.doctreedir) / SIGNATURES)
    return _wrote_every_document(app, records)


def _wrote_every_document(app: Sphinx, records: FileRecords) -> bool:
    outdir = Path(app.outdir)
    return not any(
        records.up_to_date(
            f"doc:{docname}", _DOCUMENT, outdir / app.builder.get_outfilename(docname)
        )
        for docname in app.env.found_docs
    )


def _state(app: Sphinx) -> dict[str, Any]:
    state = app.env.__dict__.get(_STATE)
    if state is None:
        records = FileRecords(Path(app.doctreedir) / SIGNATURES)
        everything = _wrote_every_document(app, records)
        try:
            site = site_signature(app)
        except Unknowable:
            site = ""  # something on every page cannot be described: render them all
        state = {
            "site": site,
            "records": records,
            "signed": {},
            "kept": 0,
            "everything": everything,
        }
        app.env.__dict__[_STATE] = state
    return state


class FileRecords:
    """Output files recorded, in a JSON file, with the signature of what each was made from and
    the size and time it had when the build ended. A file is up to date when its signature is the
    same and it is still the file that build left; a records file of any other shape is ignored,
    so everything is made again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        self.previous: dict[str, Any] = previous if isinstance(previous, dict) else {}
        self.current: dict[str, list] = {}

    def up_to_date(self, key: str, signature: str, output: Path) -> bool:
        return self.previous.get(key) == [signature, *file_state(output)]

    def record(self, key: str, signature: str, output: Path) -> None:
        self.current[key] = [signature, *file_state(output)]

    def save(self) -> None:
        self.path.write_text(json.dumps(self.current, indent=0, sort_keys=True), encoding="utf-8")

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def file_state(path: Path) -> list[int]:
    """A written file's size and modification time: changed when anything rewrites the file."""
    try:
        stat = path.stat()
    except OSError:
        return [-1, -1]
    return [stat.st_size, stat.st_mtime_ns]


# -- What every page depends on --------------------------------------------------------------------


def site_signature(app: Sphinx) -> str:
    """What Sphinx, the theme and the extensions put on every page, whatever the page shows."""
    builder, env = app.builder, app.env
    return _digest(
        [
            plain(builder.globalcontext),
            plain({item.name: item.value for item in app.config}),
            _asset_checksums(app),
            _folder_state(_template_folders(app)),
            code_state(app),
            _navigation(app),
            sorted(env.all_docs),  # `hasdoc()` in templates
        ]
    )


def _asset_checksums(app: Sphinx) -> list:
    """The ``?v=`` checksum each page's CSS and script links carry."""
    from deepdive.compat.sphinx_assets import page_assets

    return page_assets(app)


def _template_folders(app: Sphinx) -> list[Path]:
    folders = [Path(folder) for folder in getattr(app.builder.templates, "pathchain", [])]
    folders += [Path(app.confdir, folder) for folder in app.config.templates_path]
    return sorted(set(folders))


def _folder_state(folders: list[Path]) -> list:
    """Every file under the template folders, by size and modification time."""
    state = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                state.append([str(path), stat.st_size, stat.st_mtime_ns])
    return state


def code_state(app: Sphinx) -> list:
    """The versions of Sphinx and every extension, and this package's own files and conf.py."""
    import sphinx

    package = Path(__file__).parents[1]
    own = [
        [path.relative_to(package).as_posix(), path.stat().st_size, path.stat().st_mtime_ns]
        for path in sorted(package.rglob("*.py"))
    ]
    conf = Path(app.confdir, "conf.py")
    return [
        sphinx.__version__,
        sys.version,
        sorted((name, str(ext.version)) for name, ext in app.extensions.items()),
        own,
        [conf.stat().st_size, conf.stat().st_mtime_ns] if conf.is_file() else None,
    ]


def _navigation(app: Sphinx) -> list:
    """The toctrees a page's navigation is drawn from, and the titles and sections they show."""
    env = app.env
    shown = {app.config.root_doc}
    for parent, children in env.toctree_includes.items():
        shown.add(parent)
        shown.update(children)
    return [
        sorted(env.toctree_includes.items()),
        [
            [doc, env.titles[doc].astext() if doc in env.titles else None, _toc(env, doc)]
            for doc in sorted(shown)
        ],
    ]


def _toc(env: Any, docname: str) -> str | None:
    toc = env.tocs.get(docname)
    return toc.pformat() if toc is not None else None


# -- Stable text for any context value -------------------------------------------------------------


_ATOMS = frozenset({type(None), bool, int, float, str})


class Unknowable(Exception):
    """A value whose repr does not show its state: a page holding one is always rendered."""


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
    if type(value).__name__ in ("_CascadingStyleSheet", "_JavaScript"):  # Sphinx's page assets
        return [str(value.filename), value.priority, plain(value.attributes, depth)]
    text = repr(value)
    if _ADDRESS.search(text):
        raise Unknowable(type(value).__qualname__)
    return text


def signature(value: Any) -> str:
    """A digest of ``value`` that is equal across runs exactly when the value is (see
    :func:`plain`)."""
    return _digest(plain(value))


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", count_warnings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
