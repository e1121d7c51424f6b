"""Hand Sphinx the figure, table, listing and theorem numbers deepdive counts per post.

``env.toc_fignumbers`` is where Sphinx's numbering leaves its result and the one place its
``{numref}`` resolution and the HTML writer's "Fig. 1" read numbers from; no option or API lets
an extension supply them. ``numfig`` numbers only documents in the toctree (an orphan's figures
get none) and counts on across documents, so a numbered hidden toctree of posts would give
"Fig. 37" or "Fig. 12.1". Without this dict both the role and the captions would have to be
replaced. Sphinx rebuilds the dict before ``env-get-updated`` handlers run, so an update is all
it takes.

Waits for sphinx-doc/sphinx#11457 (orphans numbered) and sphinx-doc/sphinx#8170 (numbering per
document), or an API to hand Sphinx a document's numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

    Numbers = dict[str, dict[str, tuple[int, ...]]]  # figtype -> node id -> number


def supply_numbers(env: BuildEnvironment, numbers: dict[str, Numbers]) -> None:
    """Give each document in ``numbers`` (docname -> its numbers) those numbers in Sphinx."""
    env.toc_fignumbers.update(numbers)
