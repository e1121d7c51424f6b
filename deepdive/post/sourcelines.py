"""The source line of an inline element, which MyST does not record."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docutils import nodes


def inline_lines(found: list[tuple[nodes.Node, str]]) -> list[int | None]:
    """For each ``(node, text)`` in document order, the line where ``text`` is written.

    MyST gives an inline element (a formula, a role) the line of the paragraph it is in: its own
    line is the paragraph's plus the line breaks before ``text`` in the paragraph's source, found
    in order, so the same text written twice is found twice. Falls back to the node's line.
    """
    searched_from: dict[int, int] = {}
    lines: list[int | None] = []
    for node, text in found:
        holder = node.parent
        while holder is not None and not (holder.line and holder.rawsource):
            holder = holder.parent
        start = (
            -1 if holder is None else holder.rawsource.find(text, searched_from.get(id(holder), 0))
        )
        if start < 0:
            lines.append(node.line or (holder.line if holder is not None else None))
            continue
        searched_from[id(holder)] = start + len(text)
        lines.append(holder.line + holder.rawsource.count("\n", 0, start))
    return lines
