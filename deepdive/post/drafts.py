"""Find draft posts before Sphinx reads anything, so a production build never sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from deepdive.post.frontmatter import rst_docinfo, split_front_matter

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata

POST_SUFFIXES = (".md", ".ipynb", ".rst")
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def is_draft(path: Path) -> bool:
    """True when the file's front matter says ``draft: true``; unreadable front matter is not a
    draft here (the build's own validation reports it)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".rst":
            return any(e.key == "draft" and e.value is True for e in rst_docinfo(text) or [])
        if path.suffix == ".ipynb":
            notebook = json.loads(text)
            if notebook.get("metadata", {}).get("draft") is True:
                return True  # front matter in the notebook's metadata (ABlog's way)
            cells = notebook.get("cells", [])
            source = cells[0].get("source", "") if cells else ""
            text = "".join(source) if isinstance(source, list) else source
        split = split_front_matter(text)
        if not split or ("draft" not in split[0] and "\\" not in split[0]):
            return False  # no `draft` key, not even spelled with escapes: skip the YAML parser
        front = yaml.load(split[0], Loader=SafeLoader)
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return False
    return isinstance(front, dict) and front.get("draft") is True


def draft_patterns(srcdir: str | Path, posts_dir: str = "posts") -> list[str]:
    """``exclude_patterns`` entries for every draft under ``posts_dir``, sorted (stable config)."""
    root = Path(srcdir)
    found = [
        path.relative_to(root).as_posix()
        for suffix in POST_SUFFIXES
        for path in (root / posts_dir).rglob(f"*{suffix}")
        if is_draft(path)
    ]
    return sorted(found)


def exclude_drafts(app: Sphinx, config: Config) -> None:
    """``config-inited``: unless drafts are shown, Sphinx never reads them, so no page, listing,
    feed, sitemap entry or search result can leak one.

    This runs before Sphinx compares the configuration with the previous build's, so the list is
    part of the configuration: publishing a draft changes it and triggers a full, correct rebuild.
    """
    if config.deepdive_show_drafts:
        return
    drafts = draft_patterns(app.srcdir, config.deepdive_posts_dir)
    config.exclude_patterns = [*config.exclude_patterns, *drafts]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("config-inited", exclude_drafts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
