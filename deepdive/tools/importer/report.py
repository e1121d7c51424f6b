"""What ``make import`` did: the posts that came over, what it changed, what it could not convert."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Report:
    """Collected while importing; :meth:`render` is what the terminal shows at the end."""

    source: str
    kind: str = ""
    posts: Counter = field(default_factory=Counter)  # by output suffix
    changes: Counter = field(default_factory=Counter)  # what was changed, how many times
    problems: list[tuple[str, int | None, str]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    redirects: int = 0
    advice: list[str] = field(default_factory=list)

    def changed(self, what: str, count: int = 1) -> None:
        """Note ``count`` changes of one kind (``what`` reads after a number: "dates converted")."""
        if count:
            self.changes[what] += count

    def cannot_convert(self, path: str, line: int | None, message: str) -> None:
        """Something of the old post that did not come over as it was, at its file and line."""
        self.problems.append((path, line, message))

    def render(self) -> str:
        """The report, a few lines per section, every problem as ``file:line: message``."""
        names = {".md": "Markdown", ".rst": "reStructuredText", ".ipynb": "notebook"}
        total = sum(self.posts.values())
        by_kind = ", ".join(f"{n} {names[s]} (*{s})" for s, n in sorted(self.posts.items()))
        lines = [
            f"make import: {total} post{'s' * (total != 1)} came over from the {self.kind} blog "
            f"in {self.source}" + (f": {by_kind}" if by_kind else "")
        ]
        lines += [f"  wrote {path}" for path in self.written]
        if self.skipped:
            lines.append("Skipped, because the file is already there (nothing was overwritten):")
            lines += [f"  {path}" for path in self.skipped]
        if self.changes:
            lines.append("Changed on the way:")
            lines += [f"  {n} {what}" for what, n in sorted(self.changes.items())]
        if self.redirects:
            lines.append(
                f"Old addresses: {self.redirects} post{'s' * (self.redirects != 1)} list their "
                "old address under `redirect:`; the build writes a page there that sends "
                "readers to the new one."
            )
        if self.problems:
            lines.append(
                f"Could not convert ({len(self.problems)}), at the file and line of the old blog; "
                "fix these in the imported post by hand:"
            )
            for path, line, message in sorted(self.problems, key=lambda p: (p[0], p[1] or 0)):
                lines.append(f"  {path}:{line}: {message}" if line else f"  {path}: {message}")
        else:
            lines.append("Nothing was left unconverted.")
        lines += self.advice
        return "\n".join(lines)
