"""Parse and validate a post's YAML front matter, with the line of every problem."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import yaml

FIELDS = {
    "date": "publication date, ISO 8601: 2024-03-01 or 2024-03-01T14:30:00+01:00",
    "tags": "a list of tags: [mcmc, bayesian]",
    "category": "one category name: Research Deep Dives",
    "author": "the author's name (defaults to the site author)",
    "description": "a one-sentence summary for listings and <meta name=description>",
    "draft": "true to keep the post out of the published site",
    "external_url": "https://… of an article published elsewhere",
    "series": "the name of a multi-part series this post belongs to",
    "series_order": "this post's position in its series: 1, 2, …",
    "redirect": "the post's old addresses on this site, redirected here: /posts/old-slug/",
    "permalink": "the post's old address (Jekyll's key), redirected here: /2017/01/27/title.html",
}
# Keys that belong to MyST / MyST-NB / Jupyter and pass through untouched.
PASSTHROUGH = {"myst", "mystnb", "html_meta", "kernelspec", "jupytext", "file_format", "orphan"}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})$")


@dataclass
class Problem:
    """One thing wrong with a post's front matter."""

    message: str
    line: int | None = None


@dataclass
class FrontMatter:
    """The validated front matter of one post; dates are aware and in UTC."""

    date: datetime | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    author: str | None = None
    description: str | None = None
    draft: bool = False
    external_url: str | None = None
    series: str | None = None
    series_order: int | None = None
    redirects: list[str] = field(default_factory=list)
    redirect_line: int | None = None
    problems: list[Problem] = field(default_factory=list)
    present: bool = False


class _StringLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings, so we parse (and reject) dates ourselves."""


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(source: str) -> tuple[str, int] | None:
    """Return the YAML text between the leading ``---`` fences and the file line it starts on."""
    if not source.startswith("---"):
        return None
    lines = source.splitlines()
    if lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2
    return None


def parse_front_matter(
    text: str, first_line: int, tz: str = "UTC", now: datetime | None = None
) -> FrontMatter:
    """Validate front matter YAML; every problem carries the file line it was found on."""
    result = FrontMatter(present=True)
    try:
        loader = _StringLoader(text)
        try:
            root = loader.get_single_node()  # parsed once: the nodes know their lines
            values = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + mark.line if mark else first_line
        reason = getattr(error, "problem", None) or str(error)
        result.problems.append(
            Problem(
                f"front matter is not valid YAML ({reason}); check the indentation and quoting",
                line,
            )
        )
        return result
    if root is None:
        return result
    if not isinstance(root, yaml.MappingNode):
        result.problems.append(
            Problem("front matter must be a set of `key: value` lines", first_line)
        )
        return result

    for key_node, _value_node in root.value:
        key = key_node.value
        line = first_line + key_node.start_mark.line
        value = values[key]
        if key in PASSTHROUGH:
            continue
        if key not in FIELDS:
            result.problems.append(Problem(_unknown_key_message(key), line))
            continue
        check = _CHECKS[key]
        if key in ("redirect", "permalink") and result.redirect_line is None:
            result.redirect_line = line
        try:
            check(result, value, tz)
        except _Invalid as invalid:
            result.problems.append(Problem(f"`{key}`: {invalid}", line))

    if result.date is None and not any("`date`" in p.message for p in result.problems):
        result.problems.append(
            Problem(
                "missing `date`: add a line like `date: 2024-03-01` to the front matter", first_line
            )
        )
    if result.series_order is not None and result.series is None:
        result.problems.append(
            Problem("`series_order` is set but `series` is not: name the series", first_line)
        )
    now = now or datetime.now(UTC)
    if result.date is not None and result.date > now and not result.draft:
        result.problems.append(
            Problem(
                f"`date` {result.date:%Y-%m-%d %H:%M} UTC is in the future, so this post would be "
                "hidden from the home page, archive and feeds until then. Add `draft: true` to keep "
                "it as a draft, "
                "or correct the date",
                _line_of(root, "date", first_line),
            )
        )
    return result


def _line_of(root: yaml.MappingNode, key: str, first_line: int) -> int:
    for key_node, _ in root.value:
        if key_node.value == key:
            return first_line + key_node.start_mark.line
    return first_line


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, list(FIELDS), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    known = ", ".join(FIELDS)
    return f"unknown front-matter key `{key}`.{hint} Known keys: {known}"


class _Invalid(ValueError):
    """A front-matter value of the wrong form; the message shows the right one."""


def parse_date(value: object, tz: str = "UTC") -> datetime:
    """Parse an ISO 8601 date or datetime; naive values are in ``tz``. Returns UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        slashed = _SLASHED.match(text)
        if slashed:
            a, b, year = slashed.groups()
            raise _Invalid(
                f"{text!r} is ambiguous (day/month or month/day?). Write it as ISO 8601, "
                f"e.g. {_iso_guess(year, b, a)} or {_iso_guess(year, a, b)}"
            )
        if not (_ISO_DATE.match(text) or _ISO_DATETIME.match(text)):
            raise _Invalid(
                f"{text!r} is not a date. Write it as 2024-03-01 or 2024-03-01T14:30:00+01:00"
            )
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as error:
            raise _Invalid(
                f"{text!r} is not a real date ({error}). Write it as 2024-03-01"
            ) from None
    else:
        raise _Invalid(f"{value!r} is not a date. Write it as 2024-03-01")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


def _iso_guess(year: str, month: str, day: str) -> str:
    year = year if len(year) == 4 else "20" + year
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _check_date(result: FrontMatter, value: object, tz: str) -> None:
    result.date = parse_date(value, tz)


def _check_tags(result: FrontMatter, value: object, tz: str) -> None:
    if value is None:
        return
    if isinstance(value, str):
        raise _Invalid(f"must be a list, not the text {value!r}. Write `tags: [{value}]`")
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise _Invalid("must be a list of non-empty words or phrases: `tags: [mcmc, bayesian]`")
    seen = set()
    for tag in value:
        if tag.strip() in seen:
            raise _Invalid(f"lists {tag!r} twice")
        seen.add(tag.strip())
    result.tags = [t.strip() for t in value]


def _check_text(name: str):
    def check(result: FrontMatter, value: object, tz: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(f"must be non-empty text: {FIELDS[name]}")
        setattr(result, name, value.strip())

    return check


def _check_draft(result: FrontMatter, value: object, tz: str) -> None:
    if value not in (True, False):
        raise _Invalid(f"must be `true` or `false`, not {value!r}")
    result.draft = bool(value)


def _check_url(result: FrontMatter, value: object, tz: str) -> None:
    parsed = urlparse(value) if isinstance(value, str) else None
    if not parsed or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise _Invalid(
            f"must be a full http(s) address such as https://example.org/post, not {value!r}"
        )
    result.external_url = value


def _check_series_order(result: FrontMatter, value: object, tz: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"must be a whole number from 1 up, not {value!r}")
    result.series_order = value


def _check_redirect(result: FrontMatter, value: object, tz: str) -> None:
    if isinstance(value, str):
        addresses = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        addresses = [v.strip() for v in value if v.strip()]
    else:
        raise _Invalid(f"must be an address or a list of them: `/posts/old-slug/`, not {value!r}")
    if not addresses:
        raise _Invalid("is empty: give the old address, e.g. `/posts/old-slug/`")
    for address in addresses:
        problem = old_address_problem(address)
        if problem:
            raise _Invalid(problem)
    result.redirects.extend(a for a in addresses if a not in result.redirects)


def old_address_problem(address: str) -> str | None:
    """What is wrong with ``address`` as an old address of a post on this site, or None."""
    example = "write the path on this site, such as `/posts/old-slug/` or `/2017/01/27/title.html`"
    if "://" in address or address.startswith("//"):
        return f"{address!r} names a host: {example}"
    if any(char in address for char in "?#"):
        return f"{address!r} has a query or fragment, which a static site cannot serve: {example}"
    segments = address.strip("/").split("/")
    if not address.strip("/"):
        return f"{address!r} is the home page, which cannot redirect: {example}"
    if any(segment in ("", ".", "..") for segment in segments):
        return f"{address!r} has an empty, `.` or `..` part: {example}"
    last = segments[-1]
    if not address.endswith("/") and "." in last and not last.endswith((".html", ".htm")):
        return f"{address!r} is not a page (.html) or a folder (ending in /): {example}"
    return None


_CHECKS = {
    "date": _check_date,
    "tags": _check_tags,
    "category": _check_text("category"),
    "author": _check_text("author"),
    "description": _check_text("description"),
    "draft": _check_draft,
    "external_url": _check_url,
    "series": _check_text("series"),
    "series_order": _check_series_order,
    "redirect": _check_redirect,
    "permalink": _check_redirect,
}
