"""Find draft posts before Sphinx reads anything, so a production build never sees them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from deepdive.frontmatter import split_front_matter

POST_SUFFIXES = (".md", ".ipynb")


def is_draft(path: Path) -> bool:
    """True when the file's front matter says ``draft: true``; unreadable front matter is not a draft
    here (the build's own validation reports it)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            source = cells[0].get("source", "") if cells else ""
            text = "".join(source) if isinstance(source, list) else source
        split = split_front_matter(text)
        front = yaml.safe_load(split[0]) if split else None
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return isinstance(front, dict) and front.get("draft") is True


def draft_patterns(srcdir: str | Path, posts_dir: str = "posts") -> list[str]:
    """``exclude_patterns`` entries for every draft under ``posts_dir``, sorted for stable config."""
    root = Path(srcdir)
    found = [
        path.relative_to(root).as_posix()
        for suffix in POST_SUFFIXES
        for path in (root / posts_dir).rglob(f"*{suffix}")
        if is_draft(path)
    ]
    return sorted(found)
