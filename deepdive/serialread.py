"""Read a handful of changed documents in the main process, even under ``-j``.

Sphinx 9 reads in worker processes whenever ``-j`` is above 1, however few documents changed, and
each worker sends back the whole environment, pickled, to be merged. At 500 posts that round trip
costs more than reading one post: a one-post edit took 3.1 s with ``-j auto`` against 2.5 s with
``-j 1``. Older Sphinx versions read serially below six documents; this restores that rule, scaled
by the number of processes. Sphinx decides right after ``env-before-read-docs``, from
``app.parallel``, so the handler lowers it for the reading phase and ``env-updated`` puts it back
before the writing phase looks at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

DOCUMENTS_PER_PROCESS = 5  # fewer to read than this per process: read them in this one
_SAVED = "_deepdive_parallel"


def read_few_serially(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, after every handler that may add documents."""
    if app.parallel > 1 and len(docnames) < DOCUMENTS_PER_PROCESS * app.parallel:
        env.__dict__[_SAVED] = app.parallel
        app.parallel = 1


def restore_parallel(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: writing uses the ``-j`` the build was started with."""
    saved = env.__dict__.pop(_SAVED, None)
    if saved is not None:
        app.parallel = saved


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("env-before-read-docs", read_few_serially, priority=900)
    app.connect("env-updated", restore_parallel, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
