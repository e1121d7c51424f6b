"""Nikola: rST posts with ``.. key: value`` comment metadata (or a ``.meta`` file beside the post),
Markdown posts with the same metadata in an HTML comment (or a ``.meta`` file), and notebooks with
a ``.meta`` file; their images and files come along."""

from __future__ import annotations

import ast
import contextlib
import json
import posixpath
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from deepdive.tools.importer import MORE_MD, MORE_RST, Imported
from deepdive.tools.importer.report import Report

NAME = "Nikola"
_META = re.compile(r"^\.\.\s+([\w-]+):\s*(.*?)\s*$")
_DATE = re.compile(
    r"^(\d{4})[-/](\d\d)[-/](\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?\s*(?:UTC|GMT)?\s*([+-]\d\d:?\d\d)?$"
)
# Tags Nikola reads as switches, not as topics.
_SWITCH_TAGS = {"mathjax", "draft", "private"}
# Nikola's own directives: nothing here builds them.
_NIKOLA_DIRECTIVES = {
    "youtube",
    "vimeo",
    "soundcloud",
    "gist",
    "media",
    "chart",
    "post-list",
    "listing",
    "doc",
    "graphviz",
    "split",
    "thumbnail-gallery",
}
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
_IMAGE = re.compile(r"^(\s*\.\.\s+(?:image|figure|thumbnail)::\s*|\s+:target:\s*)(\S+)\s*$")
_LINK = re.compile(r"`([^`<]*?)\s*<([^>`]+)>`__?")
_DOC_ROLE = re.compile(r":doc:`(?:([^`<]*?)\s*<)?([^`>]+)>?`")
_SHORTCODE = re.compile(r"\{\{[%<].*?[%>]\}\}")
_MARKDOWN = (".md", ".markdown", ".mdown")
_MD_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")
_MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
# Nikola's Markdown writes MathJax's delimiters with doubled backslashes (Markdown eats one).
_MD_MATH = (("\\\\(", "$"), ("\\\\)", "$"), ("\\\\[", "$$"), ("\\\\]", "$$"))
_UNSAFE_HTML = re.compile(
    r"<(script|iframe|object|embed)\b|\son\w+\s*=|src=[\"']?(https?:)?//", re.I
)


def read_blog(src: Path, report: Report) -> list:
    """Every post of the Nikola site in ``src``."""
    conf = _conf(src)
    tz = conf.get("TIMEZONE", "UTC")
    pretty = conf.get("PRETTY_URLS", True)
    found = []
    for pattern, destination, *_ in conf.get("POSTS", _DEFAULT_POSTS):
        for path in sorted(src.glob(pattern)):
            if path.suffix in (".rst", ".txt", ".ipynb", *_MARKDOWN):
                found.append((path, destination))
            elif path.suffix != ".meta":
                report.cannot_convert(
                    _rel(src, path),
                    None,
                    f"a Nikola {path.suffix} post: only rST, Markdown and notebook posts are imported; copy it by hand",
                )
    metas = []
    for path, destination in found:
        meta, body_start = _metadata(path)
        if not meta.get("title") or not meta.get("date"):
            report.cannot_convert(
                _rel(src, path),
                1,
                "no `.. title:` or `.. date:` metadata (nor a .meta file): not imported",
            )
            continue
        slug = meta.get("slug") or path.stem
        metas.append((path, destination, meta, body_start, slug))
    years, dates = {}, {}
    for path, _, meta, _, slug in metas:
        dates[path] = _date(meta["date"], tz, report, _rel(src, path))
        years[slug] = dates[path][1]
    posts = []
    for path, destination, meta, body_start, slug in metas:
        date, year = dates[path]
        tags = [t.strip() for t in meta.get("tags", "").split(",") if t.strip()]
        switches = [t for t in tags if t.lower() in _SWITCH_TAGS]
        report.changed("Nikola switch tags dropped (mathjax, draft, private)", len(switches))
        front: dict[str, object] = {
            "date": date,
            "tags": [t for t in tags if t not in switches],
            "category": meta.get("category"),
            "description": meta.get("description"),
            "author": meta.get("author"),
        }
        if meta.get("status") in ("draft", "private") or {"draft", "private"} & {
            t.lower() for t in switches
        }:
            front["draft"] = True
        old = (
            f"/{destination.strip('/')}/{slug}/"
            if pretty
            else f"/{destination.strip('/')}/{slug}.html"
        )
        front["redirect"] = old.replace("//", "/")
        if meta.get("link"):
            report.cannot_convert(
                _rel(src, path),
                None,
                f"`.. link: {meta['link']}` (the original's address) has no field here; it was left out",
            )
        suffix = ".md" if path.suffix in _MARKDOWN else path.suffix
        post = Imported(
            path,
            slug,
            year,
            suffix if suffix in (".md", ".ipynb") else ".rst",
            front,
            title=meta["title"],
        )
        if suffix == ".md":
            post.body = _convert_markdown(src, path, body_start, post, report)
        elif path.suffix == ".ipynb":
            post.notebook = json.loads(path.read_text(encoding="utf-8"))
            post.notebook.get("metadata", {}).pop("nikola", None)
            report.changed("notebooks marked not to be executed (their stored outputs are kept)")
        else:
            post.body = _convert(src, path, body_start, post, years, report)
        posts.append(post)
    return posts


_DEFAULT_POSTS = (
    ("posts/*.rst", "posts", "post.tmpl"),
    ("posts/*.txt", "posts", "post.tmpl"),
    ("posts/*.md", "posts", "post.tmpl"),
    ("posts/*.ipynb", "posts", "post.tmpl"),
)


def _conf(src: Path) -> dict:
    """POSTS, TIMEZONE and PRETTY_URLS from Nikola's conf.py, read without running it."""
    path = src / "conf.py"
    values = {}
    if not path.is_file():
        return values
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return values
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = node.targets[0].id
            if name in ("POSTS", "TIMEZONE", "PRETTY_URLS"):
                with contextlib.suppress(ValueError):
                    values[name] = ast.literal_eval(node.value)
    return values


def _rel(src: Path, path: Path) -> str:
    return f"{src.name}/{path.relative_to(src).as_posix()}"


def _metadata(path: Path) -> tuple[dict[str, str], int]:
    """The post's metadata and the index of its first body line (0 with a .meta file)."""
    meta_file = path.with_suffix(".meta")
    if meta_file.is_file():
        lines = meta_file.read_text(encoding="utf-8").splitlines()
        return {m.group(1): m.group(2) for m in map(_META.match, lines) if m}, 0
    if path.suffix == ".ipynb":
        data = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("nikola", {})
        return {k: str(v) for k, v in data.items()}, 0
    lines = path.read_text(encoding="utf-8").splitlines()
    meta = {}
    index = 0
    if path.suffix in _MARKDOWN:  # the same lines, inside an HTML comment at the top
        if not lines or lines[0].strip() != "<!--":
            return meta, 0
        end = next((i for i, line in enumerate(lines) if line.strip() == "-->"), None)
        if end is None:
            return meta, 0
        meta = {m.group(1): m.group(2) for m in map(_META.match, lines[1:end]) if m}
        return meta, end + 1
    while index < len(lines) and (lines[index].strip() == "" or _META.match(lines[index])):
        match = _META.match(lines[index])
        if match:
            meta[match.group(1)] = match.group(2)
        index += 1
    return meta, index


def _date(text: str, tz: str, report: Report, where: str) -> tuple[str, int]:
    """Nikola's date (``2017-01-27 09:05:00 UTC-05:00``) as ISO 8601, and its year."""
    match = _DATE.match(text.strip())
    if not match:
        report.cannot_convert(
            where, None, f"the date {text!r} is not one Nikola writes; set `date:` by hand"
        )
        return text, int(text[:4]) if text[:4].isdigit() else 1970
    year, month, day, hour, minute, second, offset = match.groups()
    when = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )
    if offset:
        offset = offset if ":" in offset else offset[:3] + ":" + offset[3:]
        iso = when.isoformat() + offset
    else:
        iso = when.replace(tzinfo=ZoneInfo(tz)).isoformat()
    report.changed(
        "dates converted to ISO 8601 (from Nikola's `2017-01-27 09:05:00 UTC-05:00` form)"
    )
    return iso, int(year)


def _convert(src: Path, path: Path, start: int, post: Imported, years: dict, report: Report) -> str:
    """The rST body of a Nikola post, with its markers, links and Nikola-only parts converted."""
    lines = path.read_text(encoding="utf-8").splitlines()
    where = _rel(src, path)
    out: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if re.match(r"^\.\.\s+TEASER_END\b", line):
            out.append(MORE_RST)
            report.changed("`.. TEASER_END` markers became the excerpt marker")
            index += 1
            continue
        directive = _DIRECTIVE.match(line)
        if directive and directive.group(2) in _NIKOLA_DIRECTIVES:
            indent, name, _ = directive.groups()
            report.cannot_convert(
                where,
                number,
                f"Nikola's `{name}` directive has no equivalent here; it was left in the post as an rST comment",
            )
            out.append(line.replace(f".. {name}::", f".. NOT IMPORTED {name}::", 1))
            index += 1
            while index < len(lines) and (
                not lines[index].strip() or lines[index].startswith(indent + " ")
            ):
                out.append(lines[index])
                index += 1
            continue
        if directive and directive.group(2) == "thumbnail":
            line = line.replace(".. thumbnail::", ".. figure::", 1)
            report.changed("Nikola `thumbnail` directives became figures")
        substitution = re.match(r"^\.\.\s+\|([^|]+)\|\s+raw::\s*html", line)
        if substitution:
            block = [line]
            probe = index + 1
            while probe < len(lines) and (not lines[probe].strip() or lines[probe].startswith(" ")):
                block.append(lines[probe])
                probe += 1
            if _UNSAFE_HTML.search("\n".join(block)):
                report.cannot_convert(
                    where,
                    number,
                    f"the raw-HTML substitution |{substitution.group(1)}| loads a script, frame or remote file, which the site's Content-Security-Policy blocks; replace it (it was kept as it is)",
                )
            else:
                report.changed("raw-HTML substitutions kept as raw HTML")
        line = _relink(src, line, post, report)
        line = _DOC_ROLE.sub(lambda m: _doc_link(m, post, years, report), line)
        for shortcode in _SHORTCODE.findall(line):
            report.cannot_convert(
                where,
                number,
                f"the Nikola shortcode {shortcode} cannot be converted; it was left as text",
            )
        out.append(line)
        index += 1
    return "\n".join(out)


def _asset(src: Path, link: str) -> Path | None:
    """The file of the old site that ``link`` (as a post wrote it) points to."""
    clean = re.sub(r"^(\.\./)+|^/", "", link)
    for folder, prefix in (("images", "images/"), ("files", "")):
        candidate = src / folder / clean.removeprefix(prefix)
        if clean.startswith(prefix) and candidate.is_file():
            return candidate
    return None


def _relink(src: Path, line: str, post: Imported, report: Report) -> str:
    image = _IMAGE.match(line)
    if image:
        found = _asset(src, image.group(2))
        if found:
            post.assets[found.name] = found
            report.changed("image links rewritten to files copied beside their post")
            return image.group(1) + f"{post.slug}/{found.name}"
        return line

    def download(match: re.Match) -> str:
        found = _asset(src, match.group(2)) if "://" not in match.group(2) else None
        if not found:
            return match.group(0)
        post.assets[found.name] = found
        report.changed("file links rewritten to downloads of files copied beside their post")
        text = match.group(1) or found.name
        return f":download:`{text} <{post.slug}/{found.name}>`"

    return _LINK.sub(download, line)


def _doc_link(match: re.Match, post: Imported, years: dict, report: Report) -> str:
    text, slug = match.group(1), match.group(2).strip()
    if slug not in years:
        return match.group(0)
    report.changed("Nikola `:doc:` links rewritten to the imported posts")
    target = posixpath.join("/posts", str(years[slug]), slug)
    return f":doc:`{text} <{target}>`" if text else f":doc:`{target}`"


def _convert_markdown(src: Path, path: Path, start: int, post: Imported, report: Report) -> str:
    """The Markdown body of a Nikola post: its teaser marker, math delimiters, images and files."""
    lines = path.read_text(encoding="utf-8").splitlines()
    where = _rel(src, path)
    out: list[str] = []
    for index in range(start, len(lines)):
        line = lines[index]
        if line.strip() == "<!-- TEASER_END -->":
            out.append(MORE_MD)
            report.changed("`<!-- TEASER_END -->` markers became the excerpt marker")
            continue
        for nikola, ours in _MD_MATH:
            if nikola in line:
                line = line.replace(nikola, ours)
                report.changed("Markdown math delimiters `\\\\(` and `\\\\[` became `$` and `$$`")
        line = _MD_IMAGE.sub(lambda m: _md_asset(src, m, post, report), line)
        line = _MD_LINK.sub(lambda m: _md_download(src, m, post, report), line)
        for shortcode in _SHORTCODE.findall(line):
            report.cannot_convert(
                where,
                index + 1,
                f"the Nikola shortcode {shortcode} cannot be converted; it was left as text",
            )
        out.append(line)
    return "\n".join(out)


def _md_asset(src: Path, match: re.Match, post: Imported, report: Report) -> str:
    found = _copied(src, match.group(2), post)
    if not found:
        return match.group(0)
    report.changed("image links rewritten to files copied beside their post")
    return f"{match.group(1)}{post.slug}/{found.name}{match.group(3)}"


def _md_download(src: Path, match: re.Match, post: Imported, report: Report) -> str:
    found = _copied(src, match.group(2), post)
    if not found:
        return match.group(0)
    report.changed("file links rewritten to downloads of files copied beside their post")
    return f"{{download}}`{match.group(1) or found.name} <{post.slug}/{found.name}>`"


def _copied(src: Path, link: str, post: Imported) -> Path | None:
    """The old site's file ``link`` points to, noted to be copied beside ``post``; None for an
    address elsewhere or a file the old site does not have."""
    found = _asset(src, link) if "://" not in link else None
    if found:
        post.assets[found.name] = found
    return found
