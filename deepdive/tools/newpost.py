"""``make new``: start a post with complete front matter at ``posts/<year>/<slug>.md``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from deepdive.post.slugs import slugify

TEMPLATE = """\
---
date: {date}
tags: [{tags}]
category: {category}
description: {description}
draft: true
---
# {title}

The opening paragraph: what this post is about and why it matters. It becomes the excerpt on the
home page.

<!-- more -->

## The idea

Inline math such as $p(\\theta \\mid x)$ and numbered equations:

$$
p(\\theta \\mid x) = \\frac{{p(x \\mid \\theta)\\, p(\\theta)}}{{p(x)}}
$$ ({slug}-bayes)

Refer to it as {{eq}}`{slug}-bayes`.
"""


def new_post(title: str, tags: list[str], root: Path, today: datetime | None = None) -> Path:
    """Write the post file and return its path; refuse to overwrite an existing slug."""
    title = title.strip()
    if not title:
        raise ValueError('give the post a title: make new TITLE="Hamiltonian Monte Carlo"')
    slug = slugify(title)
    if not slug:
        raise ValueError(f"the title {title!r} has no letters or digits to make a file name from")
    today = today or datetime.now(UTC)
    existing = sorted((root / "posts").glob(f"*/{slug}.*"))
    if existing:
        raise FileExistsError(
            f"a post with the slug {slug!r} already exists: {existing[0].relative_to(root)}"
        )
    path = root / "posts" / f"{today:%Y}" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        TEMPLATE.format(
            date=f"{today:%Y-%m-%d}",
            tags=", ".join(tags),
            category="Research Deep Dives",
            description=f"One sentence on {title}.",
            title=title,
            slug=slug,
        ),
        encoding="utf-8",
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--title", required=True)
    parser.add_argument("--tags", default="", help="comma-separated tags")
    parser.add_argument("--root", default=".", type=Path)
    args = parser.parse_args(argv)
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]
    try:
        path = new_post(args.title, tags, args.root)
    except (ValueError, FileExistsError) as error:
        print(f"make new: {error}", file=sys.stderr)
        return 1
    print(f"Created {path} (a draft: set `draft: false` or delete the line to publish).")
    print("Preview it with: make live")
    return 0


if __name__ == "__main__":
    sys.exit(main())
