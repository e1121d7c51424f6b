"""Delete output that lost its source: pages of deleted posts, listings and feeds of vanished
tags, copied sources, and search-index words no page contains any more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepdive.compat.sphinx_search import drop_ghost_search_terms

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

MANIFEST = "deepdive-outputs.json"


def record_output(app: Sphinx, path: Path | str) -> None:
    """Note a file this build wrote outside Sphinx's own page writing (feeds, robots.txt, …)."""
    app.env.__dict__.setdefault("_deepdive_outputs", set()).add(
        Path(path).resolve().relative_to(Path(app.outdir).resolve()).as_posix()
    )


def recorded_outputs(app: Sphinx) -> set[str]:
    """The files this build wrote or kept outside Sphinx's page writing, relative to the output."""
    return set(app.env.__dict__.get("_deepdive_outputs", set()))


def keep_page(app: Sphinx, pagename: str) -> None:
    """A generated page this build did not render again, because what it shows has not changed:
    it stays in the output, the sitemap and the manifest as if it had been written."""
    record_output(app, app.builder.get_outfilename(pagename))
    app.env.__dict__.setdefault("_deepdive_kept_pages", set()).add(pagename)


def kept_pages(app: Sphinx) -> set[str]:
    return app.env.__dict__.get("_deepdive_kept_pages", set())


def record_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: generated pages (listings, search, …), rendered in the main process."""
    if app.builder.format == "html":
        record_output(app, app.builder.get_outfilename(pagename))


def remove_stale_outputs(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: Sphinx never deletes the page of a removed document, and a listing page
    nobody generates any more (a tag no post uses) would otherwise be deployed for ever."""
    if exception or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    current = set(app.env.__dict__.pop("_deepdive_outputs", set()))
    app.env.__dict__.pop("_deepdive_kept_pages", None)
    for docname in app.env.found_docs:
        current.add(Path(app.builder.get_outfilename(docname)).relative_to(outdir).as_posix())
        if app.config.html_copy_source:
            current.add(_copied_source(app, docname))
    manifest = Path(app.doctreedir) / MANIFEST
    previous = set(json.loads(manifest.read_text())) if manifest.exists() else set()
    for relative in sorted(previous - current):
        stale = outdir / relative
        stale.unlink(missing_ok=True)
        _remove_empty_parents(stale.parent, outdir)
    manifest.write_text(json.dumps(sorted(current), indent=0), encoding="utf-8")


def _copied_source(app: Sphinx, docname: str) -> str:
    """Where Sphinx copies a document's source (``html_copy_source``), named as Sphinx names it."""
    suffix = app.env.doc2path(docname, False).suffix
    link_suffix = app.config.html_sourcelink_suffix
    name = docname + suffix
    if not name.endswith(link_suffix):
        name += link_suffix
    return f"_sources/{name}"


def _remove_empty_parents(folder: Path, outdir: Path) -> None:
    while folder != outdir and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", record_page)
    app.connect("html-collect-pages", drop_ghost_search_terms)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
