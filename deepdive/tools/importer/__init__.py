"""``make import SRC=path/to/old/blog``: a Nikola, Jekyll or ABlog blog's posts, with this site's
front matter, under ``posts/<year>/<slug>``; its old addresses kept as ``redirect:``.

One module per kind of blog (:mod:`.nikola`, :mod:`.jekyll`, :mod:`.ablog`) turns its posts into
:class:`Imported` records; this module recognises the kind, writes the records (never over an
existing file) and prints the :mod:`.report`. reStructuredText stays reStructuredText, with the
metadata as the field list before the title (ABlog's form); notebooks keep their stored outputs
and are marked not to be executed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from deepdive.tools.importer.report import Report

MORE_MD = "<!-- more -->"
MORE_RST = ".. raw:: html\n\n   <!-- more -->\n"
# Imported notebooks were run on the old blog; their stored outputs are what readers saw.
NO_EXECUTION = {"execution_mode": "off"}
FRONT_ORDER = (
    *("date", "tags", "category", "description", "author", "draft"),
    *("location", "language", "excerpt", "image", "external_url", "redirect"),
)


@dataclass
class Imported:
    """One post on its way over: where it goes, its front matter and its converted text."""

    source: Path
    slug: str
    year: int
    suffix: str  # ".md", ".rst" or ".ipynb"
    front: dict[str, object]
    title: str | None = None  # a title heading to add; None when the body has its own
    body: str = ""
    notebook: dict | None = None
    assets: dict[str, Path] = field(default_factory=dict)  # name beside the post -> file

    @property
    def relative(self) -> str:
        return f"{self.year}/{self.slug}{self.suffix}"


def detect(src: Path) -> str | None:
    """The kind of blog in ``src``: "ablog", "nikola", "jekyll", or None."""
    conf = src / "conf.py"
    conf_text = conf.read_text(encoding="utf-8", errors="replace") if conf.is_file() else ""
    if re.search(r"""extensions\s*[=+].*?["']ablog["']""", conf_text, re.S):
        return "ablog"
    if re.search(r"^(POSTS|PAGES)\s*=", conf_text, re.M):
        return "nikola"
    if any(
        re.match(r"\.\.\s+title:", p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(src.glob("posts/*.rst"))
    ):
        return "nikola"
    if (src / "_config.yml").is_file() and (src / "_posts").is_dir():
        return "jekyll"
    return None


def yaml_value(value: object) -> str:
    """``value`` as one line of YAML flow style, quoted only where YAML needs it."""
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and re.fullmatch(
        r"\d{4}-\d\d-\d\d(T[\d:]+([+-]\d\d:\d\d|Z)?)?", value
    ):
        return value  # a date: written as the sample posts write it
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return text.removesuffix("\n...\n").strip()


def ordered(front: dict[str, object]) -> list[tuple[str, object]]:
    keys = [k for k in FRONT_ORDER if k in front] + [k for k in front if k not in FRONT_ORDER]
    return [(k, front[k]) for k in keys if front[k] not in (None, "", [])]


def markdown_text(post: Imported) -> str:
    """A Markdown post: YAML front matter, the title heading, the body."""
    lines = ["---", *(f"{k}: {yaml_value(v)}" for k, v in ordered(post.front)), "---"]
    title = f"# {post.title}\n\n" if post.title else ""
    return "\n".join(lines) + "\n" + title + post.body.strip("\n") + "\n"


def rst_field(value: object) -> str:
    return (
        ", ".join(str(v) for v in value)
        if isinstance(value, list)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def rst_text(post: Imported) -> str:
    """An rST post: the metadata as the field list before the title (its docinfo), then the text."""
    fields = "".join(f":{k}: {rst_field(v)}\n" for k, v in ordered(post.front))
    title = ""
    if post.title:
        mark = next(
            c for c in "=#*~^+" if not re.search(rf"^{re.escape(c)}{{3,}}\s*$", post.body, re.M)
        )
        rule = mark * max(len(post.title), 3)
        title = f"{rule}\n{post.title}\n{rule}\n\n"
    return fields + "\n" + title + post.body.strip("\n") + "\n"


def notebook_text(post: Imported) -> str:
    """A notebook whose first Markdown cell holds the front matter (and the title)."""
    notebook = post.notebook or {}
    front = dict(post.front)
    front["mystnb"] = NO_EXECUTION
    header = "---\n" + "".join(f"{k}: {yaml_value(v)}\n" for k, v in ordered(front)) + "---\n"
    cells = notebook.setdefault("cells", [])
    first = cells[0] if cells else None
    first_source = (
        "".join(first["source"])
        if first and isinstance(first.get("source"), list)
        else (first or {}).get("source", "")
    )
    if first and first.get("cell_type") == "markdown" and re.match(r"#\s", first_source):
        first["source"] = header + first_source
    else:
        title = f"# {post.title}\n" if post.title else ""
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": header + title})
    for cell in cells:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


RENDER = {".md": markdown_text, ".rst": rst_text, ".ipynb": notebook_text}


def write_posts(posts: list[Imported], root: Path, posts_dir: str, report: Report) -> None:
    """Write each post and its files under ``root/posts_dir``; an existing file stays as it is."""
    base = root / posts_dir
    for post in sorted(posts, key=lambda p: p.relative):
        path = base / post.relative
        existing = sorted(base.glob(f"*/{post.slug}.*")) if base.is_dir() else []
        if existing:
            report.skipped.append(f"{existing[0].relative_to(root)} (from {post.source.name})")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, source in sorted(post.assets.items()):
            target = path.parent / post.slug / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        path.write_text(RENDER[post.suffix](post), encoding="utf-8")
        report.written.append(str(path.relative_to(root)))
        report.posts[post.suffix] += 1
        report.redirects += bool(post.front.get("redirect"))


def import_blog(src: Path, root: Path, posts_dir: str = "posts") -> Report:
    """Import the blog in ``src`` into the site at ``root``; returns the report."""
    from deepdive.tools.importer import ablog, jekyll, nikola

    kind = detect(src)
    readers = {"nikola": nikola, "jekyll": jekyll, "ablog": ablog}
    if kind is None:
        raise ValueError(
            f"{src} is not a blog this can import: expected a Nikola site (conf.py with POSTS, or "
            "posts/*.rst with `.. title:` comments), a Jekyll site (_config.yml and _posts/) or "
            "an ABlog site (conf.py with 'ablog' in extensions)"
        )
    report = Report(source=str(src), kind=readers[kind].NAME)
    posts = readers[kind].read_blog(src, report)
    write_posts(posts, root, posts_dir, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deepdive.tools.importer", description=__doc__.splitlines()[0]
    )
    parser.add_argument("src", type=Path, help="the old blog's folder")
    parser.add_argument("--dest", default="posts", help="the posts folder (default: posts)")
    parser.add_argument("--root", type=Path, default=Path("."), help="the site (default: .)")
    args = parser.parse_args(argv)
    if not args.src.is_dir():
        print(
            f"make import: {args.src} is not a folder; give the old blog's folder: make import SRC=../old-blog",
            file=sys.stderr,
        )
        return 1
    try:
        report = import_blog(args.src, args.root, args.dest)
    except ValueError as error:
        print(f"make import: {error}", file=sys.stderr)
        return 1
    print(report.render())
    return 0
