"""Sphinx's search index keeps words no document contains any more: forget them.

On an incremental build Sphinx prunes removed and rewritten documents from each word's set of
documents but keeps the emptied words, so ``searchindex.js`` after an edit differs from a clean
build's (and grows with every deleted word). No public API reaches the index's word tables, so
this edits ``IndexBuilder._mapping`` and ``_title_mapping``. Waits for Sphinx to prune the empty
entries itself (``IndexBuilder.prune`` is where it would); ``tests/test_compat.py`` fails when
the tables move, and ``tests/test_incremental.py`` when the index differs from a clean one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def drop_ghost_search_terms(app: Sphinx) -> list:
    """``html-collect-pages`` (before Sphinx dumps the search index): forget words that no
    document contains any more."""
    indexer = getattr(app.builder, "indexer", None)
    if indexer is not None:
        for mapping in (indexer._mapping, indexer._title_mapping):
            for word in [word for word, docnames in mapping.items() if not docnames]:
                del mapping[word]
    return []
