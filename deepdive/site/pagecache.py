"""Generated pages (listings, series, the Bibliography) are rendered again only when what they show
or how they are rendered changed since the build that wrote them.

A page's signature covers its own context (the teasers, excerpts and links it shows, as computed
for this build) and everything Sphinx and the theme add to every page: the global template context,
the configuration, the templates, the checksums of the page's CSS and scripts, the navigation, and
the code that renders it. A page is kept only when its signature equals the one recorded when it
was last written and its file is still the one that build left (:mod:`deepdive.cache` keeps the
records and says when none is used).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepdive import cache
from deepdive.cache import Unknowable, digest, plain
from deepdive.cache import signature as signature  # for listings.py, which imports it from here
from deepdive.site.outputs import keep_page

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

    Page = tuple[str, dict[str, Any], str]

SIGNATURES = "deepdive-page-signatures.json"
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
            if state["site"] is None:
                raise Unknowable("what every page shows")
            signed = plain(page.inputs()) if isinstance(page, LazyPage) else plain(context)
        except Unknowable:
            yield pagename, context if context is not None else page.make_context(), template
            continue
        key = digest([state["site"], pagename, template, signed])
        state["signed"][pagename] = key
        output = outdir / app.builder.get_outfilename(pagename)
        if state["records"].hit(pagename, [key, *cache.file_key(output)]):
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
    if exception:
        records = state["records"] if state else _records(app, use=False)
        records.forget()  # a failed build may have left any page half done
        return
    if state is None:
        return
    outdir = Path(app.outdir)
    for pagename, key in state["signed"].items():
        state["records"].put(
            pagename, [key, *cache.file_key(outdir / app.builder.get_outfilename(pagename))]
        )
    state["records"].save()
    if state["signed"]:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "deepdive: %d of %d generated pages unchanged, kept as written",
            state["kept"],
            len(state["signed"]),
        )


def _records(app: Sphinx, use: bool) -> cache.Records:
    return cache.Records(cache.folder(app) / SIGNATURES, use=use)


def _state(app: Sphinx) -> dict[str, Any]:
    state = app.env.__dict__.get(_STATE)
    if state is None:
        try:
            site = site_signature(app)
        except Unknowable:
            site = None  # something on every page cannot be described: render them all
        state = {
            "site": site,
            "records": _records(app, use=not cache.rebuilding_everything(app)),
            "signed": {},
            "kept": 0,
        }
        app.env.__dict__[_STATE] = state
    return state


# -- What every page depends on --------------------------------------------------------------------


def site_signature(app: Sphinx) -> str:
    """What Sphinx, the theme and the extensions put on every page, whatever the page shows."""
    builder, env = app.builder, app.env
    return digest(
        [
            plain(builder.globalcontext),
            plain(cache.configuration(app)),
            _asset_checksums(app),
            _folder_state(_template_folders(app)),
            cache.code_state(app),
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
                state.append([str(path), *cache.file_key(path)])
    return state


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


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", count_warnings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
