"""Whether a push changes only what an author writes: posts (with their pictures and notebooks),
category introductions, the site's own pages at the top level and the bibliography.

Such a push is checked by the strict build and the link check, which fail on any problem in
what was written; the test suite tests the platform's code, which such a push leaves as it was
tested, so CI publishes it without running the suite again (the weekly workflow still runs it).
Anything else, or a list that cannot be known (a new branch, a forced push), runs the suite.

    git diff --name-only --no-renames BEFORE HEAD | python deepdive/tools/contentonly.py

exits 0 when the push is content only. Without ``--no-renames``, a file moved from ``deepdive/``
into ``posts/`` would be listed by its new name alone.

Run by path before anything is installed: it imports nothing outside the standard library.
"""

from __future__ import annotations

import sys
from pathlib import PurePosixPath

CONTENT_FOLDERS = ("posts", "categories")
# Top-level Markdown that is about the project, not a page of the site.
PROJECT_DOCUMENTS = {"README.md", "ARCHITECTURE.md", "CHANGELOG.md", "CONTRIBUTING.md"}


def is_content(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if len(parts) > 1:
        return parts[0] in CONTENT_FOLDERS
    name = parts[0] if parts else ""
    return (name.endswith(".md") and name not in PROJECT_DOCUMENTS) or name.endswith(".bib")


def only_content(paths: list[str]) -> bool:
    """True for a non-empty list of changed paths that are all content."""
    return bool(paths) and all(is_content(path) for path in paths)


def main() -> int:
    paths = [line.strip() for line in sys.stdin if line.strip()]
    return 0 if only_content(paths) else 1


if __name__ == "__main__":
    sys.exit(main())
