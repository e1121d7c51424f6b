"""Series membership: which posts form a series, in which order."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deepdive.post.model import Post


def group_series(posts: list[Post]) -> dict[str, list[Post]]:
    """Series name -> its parts in order (``series_order`` first, then date)."""
    grouped: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        if post.series:
            grouped[post.series].append(post)
    for parts in grouped.values():
        parts.sort(key=lambda p: (p.series_order or 10**6, p.date, p.docname))
    return dict(sorted(grouped.items()))
