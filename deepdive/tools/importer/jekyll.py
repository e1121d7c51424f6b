"""Jekyll: ``_posts/YYYY-MM-DD-slug.md`` with YAML front matter, kramdown math, Liquid tags and
``{{ site.baseurl }}/assets/...`` links; the old permalink becomes ``redirect:``."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from pathlib import Path

import yaml

from deepdive.post.slugs import slugify
from deepdive.tools.importer import MORE_MD, Imported
from deepdive.tools.importer.report import Report

NAME = "Jekyll"
_FILENAME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)-(.+)\.(md|markdown)$")
_JEKYLL_DATE = re.compile(
    r"^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d(?::\d\d)?))?\s*(?:([+-]\d\d):?(\d\d)|Z)?$"
)
_PERMALINKS = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
# Keys that only mattered to Jekyll's templates or plugins.
_DROPPED = {
    "layout",
    "mathjax",
    "math",
    "comments",
    "share",
    "sitemap",
    "image",
    "header",
    "toc",
    "excerpt_separator",
    "last_modified_at",
}
_BASEURL = re.compile(
    r"\{\{\s*site\.baseurl\s*\}\}|\{\{\s*[\"']([^\"']+)[\"']\s*\|\s*(?:relative|absolute)_url\s*\}\}"
)
_ASSET = re.compile(r"(?<![\w./])/?((?:assets|images|files)/[^\s)\"'>]+)")
_POST_URL = re.compile(r"\{%\s*post_url\s+(\d{4}-\d\d-\d\d-[^\s%]+)\s*%\}")
_HIGHLIGHT = re.compile(r"^\{%\s*highlight\s+(\w+)[^%]*%\}\s*$")
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")
_INLINE_DISPLAY = re.compile(r"\$\$(.+?)\$\$")


def read_blog(src: Path, report: Report) -> list:
    """Every post under ``_posts/`` of the Jekyll site in ``src``."""
    config = _load(src / "_config.yml") or {}
    permalink = str(config.get("permalink", "date"))
    permalink = _PERMALINKS.get(permalink, permalink)
    separator = str(config.get("excerpt_separator", "")).strip()
    files = sorted(p for p in (src / "_posts").rglob("*") if _FILENAME.match(p.name))
    slugs = {_FILENAME.match(p.name).group(0).rsplit(".", 1)[0]: p for p in files}
    posts = []
    for path in files:
        year, month, day, slug, _ = _FILENAME.match(path.name).groups()
        where = f"{src.name}/{path.relative_to(src).as_posix()}"
        text = path.read_text(encoding="utf-8")
        front, body, body_line = _split(text)
        if front is None:
            report.cannot_convert(where, 1, "no YAML front matter: not imported")
            continue
        date = _date(front.get("date"), f"{year}-{month}-{day}", report)
        categories = _words(front.get("categories", front.get("category")))
        tags = _words(front.get("tags"))
        if len(categories) > 1:
            report.changed("categories beyond the first became tags (a post has one category here)")
        tags += [c for c in categories[1:] if slugify(c) not in {slugify(t) for t in tags}]
        old = _old_address(
            str(front.get("permalink") or permalink), categories, year, month, day, slug
        )
        result = {
            "date": date,
            "tags": tags,
            "category": categories[0] if categories else None,
            "description": front.get("description") or front.get("excerpt"),
            "author": front.get("author") if isinstance(front.get("author"), str) else None,
            "draft": True if front.get("published") is False else None,
            "redirect": old,
        }
        for key in sorted(
            set(front)
            - {
                "title",
                "date",
                "categories",
                "category",
                "tags",
                "permalink",
                "description",
                "excerpt",
                "author",
                "published",
            }
        ):
            if key in _DROPPED:
                report.changed(f"`{key}:` keys dropped (Jekyll's templates used them)")
            else:
                report.cannot_convert(
                    where,
                    _key_line(text, key),
                    f"front-matter key `{key}` has no field here; it was left out",
                )
        post = Imported(
            path,
            slug,
            int(year),
            ".md",
            result,
            title=str(front.get("title") or slug.replace("-", " ").capitalize()),
        )
        post.body = _convert(src, where, body, body_line, post, slugs, separator, report)
        posts.append(post)
    if (src / "feed.xml").exists() or "jekyll-feed" in str(config.get("plugins", "")):
        report.advice.append(
            "The old feed was at /feed.xml (jekyll-feed, Atom): add "
            '`deepdive_feed_aliases = {"feed.xml": "atom.xml"}` to conf.py to keep serving it.'
        )
    return posts


def _load(path: Path) -> dict | None:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError:
        return None


def _split(text: str) -> tuple[dict | None, str, int]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return None, text, 1
    try:
        front = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError:
        return None, text, 1
    return front, "\n".join(lines[end + 1 :]), end + 2


def _key_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return None


def _words(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return str(value).split() if value else []


def _date(value: object, from_name: str, report: Report) -> str:
    """Jekyll's ``2019-03-04 10:00:00 +0100`` (or the date in the file name) as ISO 8601."""
    if isinstance(value, dt.datetime):
        report.changed(
            "dates converted to ISO 8601 (from Jekyll's `2019-03-04 10:00:00 +0100` form)"
        )
        return value.isoformat()
    match = _JEKYLL_DATE.match(str(value).strip()) if value else None
    if not match:
        return str(value) if isinstance(value, dt.date) else from_name
    day, clock, hours, minutes = match.groups()
    if not clock:
        return day
    iso = f"{day}T{clock if clock.count(':') == 2 else clock + ':00'}"
    report.changed("dates converted to ISO 8601 (from Jekyll's `2019-03-04 10:00:00 +0100` form)")
    return iso + (f"{hours}:{minutes}" if hours else "")


def _old_address(
    pattern: str, categories: list[str], year: str, month: str, day: str, slug: str
) -> str:
    """The address Jekyll gave the post (its ``permalink`` pattern filled in)."""
    values = {
        ":categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        ":year": year,
        ":month": month,
        ":day": day,
        ":i_month": str(int(month)),
        ":i_day": str(int(day)),
        ":short_year": year[2:],
        ":title": slug,
        ":slug": slug,
        ":output_ext": ".html",
        ":y_day": f"{dt.date(int(year), int(month), int(day)).timetuple().tm_yday:03d}",
    }
    for name in sorted(values, key=len, reverse=True):
        pattern = pattern.replace(name, values[name])
    return re.sub("/+", "/", "/" + pattern)


def _convert(
    src: Path,
    where: str,
    body: str,
    first: int,
    post: Imported,
    slugs: dict,
    separator: str,
    report: Report,
) -> str:
    out = []
    in_code = False
    for number, line in enumerate(body.splitlines(), first):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
        if in_code and not stripped.startswith(("```", "~~~")):
            out.append(line)
            continue
        if re.fullmatch(r"<!--\s*more\s*-->", stripped) or (separator and stripped == separator):
            out.append(MORE_MD)
            report.changed("excerpt markers normalised to `<!-- more -->`")
            continue
        highlight = _HIGHLIGHT.match(stripped)
        if highlight:
            out.append(f"```{highlight.group(1)}")
            report.changed("`{% highlight %}` blocks became fenced code")
            continue
        if re.fullmatch(r"\{%\s*endhighlight\s*%\}", stripped):
            out.append("```")
            continue
        if re.fullmatch(r"\{%\s*(end)?raw\s*%\}", stripped):
            continue
        line = _POST_URL.sub(lambda m: _post_link(m, post, slugs, report), line)
        line = _BASEURL.sub(lambda m: m.group(1) or "", line)
        line = _ASSET.sub(lambda m: _asset_link(src, m, post, report), line)
        if stripped.startswith("$$") and stripped.endswith("$$") or stripped == "$$":
            out.append(line)  # a display equation on lines of its own: MyST's form too
        else:
            line, count = _INLINE_DISPLAY.subn(r"$\1$", line)
            report.changed("kramdown inline `$$…$$` formulas written as `$…$`", count)
            out.append(line)
        for liquid in _LIQUID.findall(line):
            report.cannot_convert(
                where, number, f"the Liquid tag {liquid} cannot be converted; it was left as text"
            )
    return "\n".join(out)


def _post_link(match: re.Match, post: Imported, slugs: dict, report: Report) -> str:
    name = match.group(1)
    target = _FILENAME.match(slugs[name].name) if name in slugs else None
    if not target:
        return match.group(0)
    report.changed("`{% post_url %}` links rewritten to the imported posts")
    return posixpath.relpath(f"{target.group(1)}/{target.group(4)}.md", str(post.year))


def _asset_link(src: Path, match: re.Match, post: Imported, report: Report) -> str:
    found = src / match.group(1)
    if not found.is_file():
        return match.group(0)
    post.assets[found.name] = found
    report.changed("asset links rewritten to files copied beside their post")
    return f"{post.slug}/{found.name}"
