"""ABlog: MyST, rST and notebook posts (front matter, notebook metadata, or the ``post``
directive), copied with their front matter normalised to this site's."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path

import yaml
from dateutil import parser as dateparser

from deepdive.post.slugs import slugify
from deepdive.tools.importer import Imported
from deepdive.tools.importer.report import Report

NAME = "ABlog"
_KEYS = {"blogpost", "date", "tags", "category", "author", "redirect", "title", "description"}
# ABlog's keys that come over as they are (under this site's name for them), and those with no
# field here. `image` comes over when it needs no file copied: a number (the post's Nth image) or
# an address.
_CARRIED = {
    "location": "location",
    "language": "language",
    "excerpt": "excerpt",
    "external_link": "external_url",
}
_LEFT_OUT = {"nocomments", "exclude"}
_MYST_POST = re.compile(r"^(`{3,}|:{3,})\{post\}\s*(.*)$")
_RST_POST = re.compile(r"^\.\.\s+post::\s*(.*)$")
_OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*?)\s*$")
_SKIP = {"_build", "_static", "_templates", ".git", ".ipynb_checkpoints", "node_modules"}


def read_blog(src: Path, report: Report) -> list:
    """Every post of the ABlog site in ``src``."""
    pattern = _conf_value(src, "blog_post_pattern")
    patterns = [pattern] if isinstance(pattern, str) else list(pattern or [])
    posts = []
    for path in sorted(src.rglob("*")):
        relative = path.relative_to(src)
        if path.suffix not in (".md", ".rst", ".ipynb") or _SKIP & set(relative.parts):
            continue
        docname = relative.with_suffix("").as_posix()
        where = f"{src.name}/{relative.as_posix()}"
        values, body, line = _read(path)
        matched = any(fnmatch.fnmatch(docname, p) for p in patterns)
        if not values.pop("_is_post", False) and not matched:
            continue
        post = _normalise(path, docname, values, body, where, report)
        if post:
            posts.append(post)
    report.advice.append(
        "ABlog's feed was at /blog/atom.xml (blog_path): add "
        '`deepdive_feed_aliases = {"blog/atom.xml": "atom.xml"}` to conf.py to keep serving it.'
    )
    return posts


def _conf_value(src: Path, name: str) -> object:
    try:
        tree = ast.parse((src / "conf.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def _read(path: Path) -> tuple[dict, object, int]:
    """The post's ABlog metadata (``_is_post`` when it says it is one) and its body without it."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        notebook = json.loads(text)
        metadata = notebook.setdefault("metadata", {})
        values = {k: metadata.pop(k) for k in list(metadata) if k in _KEYS | _LEFT_OUT}
        values["_is_post"] = bool(values.get("blogpost") or values.get("date"))
        return values, notebook, 1
    lines = text.splitlines()
    values: dict = {}
    start = 0
    if path.suffix == ".md" and lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        values = yaml.safe_load("\n".join(lines[1:end])) or {}
        start = end + 1
        values["_is_post"] = bool(values.get("blogpost"))
    body = lines[start:]
    for index, line in enumerate(body):
        match = (_MYST_POST if path.suffix == ".md" else _RST_POST).match(line)
        if not match:
            continue
        end = index + 1
        argument = match.group(2) if path.suffix == ".md" else match.group(1)
        if argument.strip():
            values["date"] = argument.strip()
        while end < len(body) and _OPTION.match(body[end]):
            option = _OPTION.match(body[end])
            values[option.group(1)] = option.group(2)
            end += 1
        if path.suffix == ".md":  # the closing fence
            end = next(i for i in range(end, len(body)) if body[i].strip() == match.group(1)) + 1
        # The directive's blank line after it goes too: one blank line stays between the text
        # before and after it.
        if (
            end < len(body)
            and not body[end].strip()
            and (index == 0 or not body[index - 1].strip())
        ):
            end += 1
        del body[index:end]
        values["_is_post"] = True
        break
    return values, "\n".join(body), start + 1


def _list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _normalise(
    path: Path, docname: str, values: dict, body: object, where: str, report: Report
) -> Imported | None:
    raw_date = values.get("date")
    try:
        when = dateparser.parse(str(raw_date)) if raw_date else None
    except (ValueError, OverflowError):
        when = None
    if when is None:
        report.cannot_convert(where, None, f"the date {raw_date!r} cannot be read: not imported")
        return None
    iso = (
        when.isoformat()
        if (when.hour, when.minute, when.second) != (0, 0, 0) or when.tzinfo
        else when.date().isoformat()
    )
    if str(raw_date) != iso:
        report.changed("dates converted to ISO 8601 (from ABlog's `Jan 27, 2017` forms)")
    categories = _list(values.get("category"))
    authors = _list(values.get("author"))
    tags = _list(values.get("tags"))
    if len(categories) > 1:
        report.changed("categories beyond the first became tags (a post has one category here)")
        tags += [c for c in categories[1:] if slugify(c) not in {slugify(t) for t in tags}]
    if len(authors) > 1:
        report.changed("lists of authors joined into one `author:` text")
    slug = path.stem if path.stem != "index" else path.parent.name
    new = f"posts/{when.year}/{slug}"
    old = [] if docname == new else [f"/{docname}.html", f"/{docname}/"]
    old += [a if a.startswith("/") else "/" + a for a in _list(values.get("redirect"))]
    front = {
        "date": iso,
        "tags": tags,
        "category": categories[0] if categories else None,
        "description": values.get("description"),
        "author": " and ".join(authors) or None,
        **{ours: values[theirs] for theirs, ours in _CARRIED.items() if values.get(theirs)},
        "redirect": list(dict.fromkeys(old)),
    }
    image = values.get("image")
    if isinstance(image, int) or str(image or "").startswith(("https://", "http://")):
        front["image"] = image
    elif image:
        report.cannot_convert(
            where, None, f"ABlog's `image: {image}` names a file: copy it and set `image:` by hand"
        )
    for key in sorted(set(values) & _LEFT_OUT):
        report.cannot_convert(where, None, f"ABlog's `{key}` has no field here; it was left out")
    title = values.get("title")
    suffix = path.suffix
    post = Imported(path, slug, when.year, suffix, front)
    if suffix == ".ipynb":
        post.notebook = body
        report.changed("notebooks marked not to be executed (their stored outputs are kept)")
        if title:
            post.title = str(title)
    else:
        post.body = body
        has_title = (
            re.search(r"^#\s", body, re.M)
            if suffix == ".md"
            else re.search(r"^\S.*\n[=\-~#*^+]{3,}\s*$", body, re.M)
        )
        post.title = None if has_title else str(title or slug.replace("-", " ").capitalize())
    return post
