"""Parse and validate a post's metadata, with the line of every problem.

The metadata comes as YAML front matter (ours, ABlog's, a notebook's), as the field list at the top
of a reStructuredText post, or as ABlog's ``post`` directive; all three are validated here alike.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import yaml
from dateutil import parser as dateutil_parser

from deepdive.post.licences import find_licence, unknown_licence

FIELDS = {
    "date": "publication date, ISO 8601: 2024-03-01 or 2024-03-01T14:30:00+01:00",
    "tags": "a list of tags: [mcmc, bayesian]",
    "category": "one category name: Research Deep Dives",
    "author": "the author's name (defaults to the site author)",
    "title": "the post's title, when it is not (only) its `# Title` heading",
    "description": "a one-sentence summary for listings and <meta name=description>",
    "draft": "true to keep the post out of the published site",
    "external_url": "https://… of an article published elsewhere",
    "series": "the name of a multi-part series this post belongs to",
    "series_order": "this post's position in its series: 1, 2, …",
    "excerpt": "how many paragraphs listings show when there is no `<!-- more -->`: 2",
    "image": "the post's image for social cards: 1 (its first image) or a path or https:// address",
    "language": "the language the post is written in: English",
    "location": "where the post was written: Pittsburgh",
    "blogpost": "ABlog's mark of a post: true (every file under posts/ is one here)",
    "redirect": "the post's old addresses on this site, redirected here: /posts/old-slug/",
    "permalink": "the post's old address (Jekyll's key), redirected here: /2017/01/27/title.html",
    "license": "this post's licence, when not the site's (deepdive_license): CC-BY-SA-4.0",
    "doi": "the post's DOI, once an archive has given it one: 10.59350/abcd-1234",
}
# ABlog's names for keys that have another name here.
ALIASES = {"external_link": "external_url", "licence": "license"}
# Keys that belong to MyST / MyST-NB / Jupyter and pass through untouched (Jupyter writes
# `language_info` into every notebook it saves; it is not a misspelled `language`).
PASSTHROUGH = {
    *("myst", "mystnb", "html_meta", "kernelspec", "language_info", "jupytext", "file_format"),
    "orphan",
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")
# Two defaults dateutil fills missing parts from: a date that differs between them lacks a part.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


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
    title: str | None = None
    description: str | None = None
    draft: bool = False
    external_url: str | None = None
    series: str | None = None
    series_order: int | None = None
    excerpt: int | None = None
    image: int | str | None = None
    language: str | None = None
    location: str | None = None
    # ABlog's `post` directive: its content replaces the excerpt, `:exclude:` keeps it off the page.
    exclude_excerpt: bool = False
    redirects: list[str] = field(default_factory=list)
    redirect_line: int | None = None
    license: str | None = None
    doi: str | None = None
    problems: list[Problem] = field(default_factory=list)
    present: bool = False


@dataclass
class Entry:
    """One ``key: value`` of a post's metadata and the file line it is on."""

    key: str
    value: Any
    line: int


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
    text: str,
    first_line: int,
    tz: str = "UTC",
    now: datetime | None = None,
    date_format: str | None = None,
) -> FrontMatter:
    """Validate front matter YAML; every problem carries the file line it was found on."""
    entries, problem = yaml_entries(text, first_line)
    if problem:
        return FrontMatter(present=True, problems=[problem])
    if entries is None:
        return FrontMatter(present=True)
    return validate(entries, first_line, tz, now, date_format)


def yaml_entries(text: str, first_line: int) -> tuple[list[Entry] | None, Problem | None]:
    """The ``key: value`` pairs of a YAML mapping with their lines (None when it is empty)."""
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
        message = f"front matter is not valid YAML ({reason}); check the indentation and quoting"
        return None, Problem(message, line)
    if root is None:
        return None, None
    if not isinstance(root, yaml.MappingNode):
        return None, Problem("front matter must be a set of `key: value` lines", first_line)
    entries = [
        Entry(key.value, values[key.value], first_line + key.start_mark.line)
        for key, _value in root.value
    ]
    return entries, None


_FIELD = re.compile(r"^:([^:\s][^:]*):(?:\s+(.*))?$")
_MYST_POST = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{post\}(?:\s+(.*))?$")
_RST_POST = re.compile(r"^(\s*)\.\.\s+post::(?:\s+(.*))?$")
_INT = re.compile(r"^-?\d+$")


def field_value(text: str) -> object:
    """A field's or directive option's text as a value: numbers, true/false and ``[a, b]`` lists
    as in YAML, anything else as text (``:title: Yes: a note`` stays the text written)."""
    text = text.strip()
    if not text:
        return None
    if _INT.match(text):
        return int(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.startswith("[") and text.endswith("]"):
        try:
            loaded = yaml.load(text, Loader=_StringLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError:
            return text
        return loaded
    return text


def field_list_entries(source: str, start: int = 0) -> list[Entry]:
    """The ``:key: value`` lines from line index ``start`` on, up to the first other line;
    an indented line continues the value before it."""
    lines = source.splitlines()
    entries: list[Entry] = []
    texts: list[str] = []
    for index in range(start, len(lines)):
        line = lines[index].strip()
        match = _FIELD.match(line)
        if match:
            entries.append(Entry(match.group(1).strip(), None, index + 1))
            texts.append(match.group(2) or "")
        elif entries and line and lines[index][:1] in (" ", "\t") and not _FIELD.match(line):
            texts[-1] += " " + line
        else:
            break
    for entry, text in zip(entries, texts, strict=True):
        entry.value = field_value(text)
    return entries


def rst_docinfo(source: str) -> list[Entry] | None:
    """The field list that opens a reStructuredText post (its docinfo), or None."""
    lines = source.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or not _FIELD.match(lines[start]):
        return None
    return field_list_entries(source, start)


def post_directives(source: str, rst: bool) -> list[tuple[int, list[Entry]]]:
    """ABlog's ``post`` directives (MyST ```` ```{post} ````, rST ``.. post::``): each one's line
    and its entries, the date argument as ``date``."""
    lines = source.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = (_RST_POST if rst else _MYST_POST).match(line)
        if not match:
            continue
        entries = []
        if match.group(2) and match.group(2).strip():
            entries.append(Entry("date", match.group(2).strip(), index + 1))
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if not rst and following == "---":
            end = next((i for i in range(index + 2, len(lines)) if lines[i].strip() == "---"), None)
            if end is not None:
                block, problem = yaml_entries("\n".join(lines[index + 2 : end]), index + 3)
                entries += block or []
                if problem:
                    entries.append(Entry("", problem, problem.line or index + 1))
        else:
            entries += field_list_entries(source, index + 1)
        found.append((index + 1, entries))
    return found


def read_metadata(
    source: str,
    rst: bool = False,
    tz: str = "UTC",
    now: datetime | None = None,
    date_format: str | None = None,
) -> FrontMatter:
    """The validated metadata of a Markdown or reStructuredText post, in any form it accepts:
    front matter (Markdown), a field list before the title (rST), or ABlog's ``post`` directive."""
    opening: list[Entry] | None = None
    problem = None
    if rst:
        opening = rst_docinfo(source)
        first_line = opening[0].line if opening else 1
    else:
        split = split_front_matter(source)
        first_line = split[1] if split else 1
        if split:
            opening, problem = yaml_entries(*split)
            opening = opening or []
    directives = post_directives(source, rst)
    if problem:
        return FrontMatter(present=True, problems=[problem])
    if not directives:
        if opening is None:
            return FrontMatter(problems=[Problem(_NO_METADATA[rst], 1)])
        return validate(opening, first_line, tz, now, date_format)

    line, entries = directives[0]
    problems = []
    if any(ALIASES.get(e.key, e.key) not in PASSTHROUGH for e in opening or []):
        problems.append(
            Problem(
                "the post's metadata is written twice, above and in this `post` directive: keep "
                "one of them",
                line,
            )
        )
    problems += [
        Problem("a second `post` directive: a file is one post here; split it in two", other)
        for other, _ in directives[1:]
    ]
    exclude = any(e.key == "exclude" for e in entries)
    for entry in entries:
        if entry.key == "" and isinstance(entry.value, Problem):
            problems.append(entry.value)
    entries = [e for e in entries if e.key not in ("", "exclude")]
    front = validate([*(opening or []), *entries], line, tz, now, date_format)
    front.exclude_excerpt = exclude
    front.problems[:0] = problems
    return front


_NO_METADATA = {
    False: "no front matter: start the post with a `---` block holding at least `date:`",
    True: "no metadata: start the post with a field list holding at least its date, "
    "`:date: 2024-03-01`, above its title (or use ABlog's `.. post:: 2024-03-01`)",
}


def validate(
    entries: list[Entry],
    first_line: int,
    tz: str = "UTC",
    now: datetime | None = None,
    date_format: str | None = None,
    ignore_unknown: bool = False,
) -> FrontMatter:
    """Check a post's metadata field by field, whichever form it was written in.

    ``date_format`` is ABlog's ``post_date_format``, tried before the forms parse_date knows.
    With ``ignore_unknown`` (a notebook's metadata, shared with Jupyter and its extensions),
    an unknown key is only a problem when it looks like a misspelling of a known one.
    """
    result = FrontMatter(present=True)
    seen: dict[str, Entry] = {}
    for entry in entries:
        key = ALIASES.get(entry.key, entry.key)
        if key in PASSTHROUGH:
            continue
        if key not in FIELDS:
            if not ignore_unknown or _close_key(key):
                result.problems.append(Problem(_unknown_key_message(key), entry.line))
            continue
        first = seen.get(key)
        # One field under its two names (ABlog's `external_link`, `licence`); a name written
        # twice, in front matter and a `post` directive, has its own message.
        if first is not None and first.key != entry.key:
            result.problems.append(
                Problem(
                    f"`{entry.key}` gives `{key}` again (line {first.line} has `{first.key}`): "
                    "keep one",
                    entry.line,
                )
            )
            continue
        seen[key] = entry
        if key in ("redirect", "permalink") and result.redirect_line is None:
            result.redirect_line = entry.line
        try:
            if key == "date":
                result.date = parse_date(entry.value, tz, date_format)
            else:
                _CHECKS[key](result, entry.value, tz)
        except _Invalid as invalid:
            result.problems.append(Problem(f"`{entry.key}`: {invalid}", entry.line))

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
        date_line = next((e.line for e in entries if e.key == "date"), first_line)
        result.problems.append(
            Problem(
                f"`date` {result.date:%Y-%m-%d %H:%M} UTC is in the future, so this post would be "
                "hidden from the home page, archive and feeds until then. Add `draft: true` to keep "
                "it as a draft, "
                "or correct the date",
                date_line,
            )
        )
    return result


def _close_key(key: str) -> str | None:
    close = difflib.get_close_matches(key, [*FIELDS, *ALIASES], n=1)
    return close[0] if close else None


def _unknown_key_message(key: str) -> str:
    close = _close_key(key)
    hint = f" Did you mean `{close}`?" if close else ""
    known = ", ".join(FIELDS)
    return f"unknown front-matter key `{key}`.{hint} Known keys: {known}"


class _Invalid(ValueError):
    """A front-matter value of the wrong form; the message shows the right one."""


def parse_date(value: object, tz: str = "UTC", date_format: str | None = None) -> datetime:
    """Parse a post's date; naive values are in ``tz``. Returns UTC.

    ISO 8601 is the form written here; ABlog's forms are read too: its ``post_date_format``
    (``date_format``), then what ABlog hands to dateutil (``Jan 14, 2022``, ``2022/01/14``) as
    long as it names a day, a month and a year and cannot be read two ways.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        parsed = _parse_date_text(value.strip(), date_format)
    else:
        raise _Invalid(f"{value!r} is not a date. Write it as 2024-03-01")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


def _parse_date_text(text: str, date_format: str | None) -> datetime:
    if date_format:
        try:
            return datetime.strptime(text, date_format)
        except ValueError:
            pass
    slashed = _SLASHED.match(text)
    if slashed:
        a, b, year = slashed.groups()
        raise _Invalid(
            f"{text!r} is ambiguous (day/month or month/day?). Write it as ISO 8601, "
            f"e.g. {_iso_guess(year, b, a)} or {_iso_guess(year, a, b)}"
        )
    if _ISO_DATE.match(text) or _ISO_DATETIME.match(text):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as error:
            raise _Invalid(
                f"{text!r} is not a real date ({error}). Write it as 2024-03-01"
            ) from None
    not_a_date = f"{text!r} is not a date. Write it as 2024-03-01 or 2024-03-01T14:30:00+01:00"
    if not re.search(r"\d", text):
        raise _Invalid(not_a_date)
    try:
        first, second = (dateutil_parser.parse(text, default=d) for d in _DEFAULTS)
    except dateutil_parser.ParserError as error:
        if "out of range" in str(error):
            raise _Invalid(
                f"{text!r} is not a real date ({error}). Write it as 2024-03-01"
            ) from None
        raise _Invalid(not_a_date) from None
    except (ValueError, OverflowError):
        raise _Invalid(not_a_date) from None
    if first.date() != second.date():
        raise _Invalid(f"{text!r} does not name a day, a month and a year. Write it as 2024-03-01")
    return first


def _iso_guess(year: str, month: str, day: str) -> str:
    year = year if len(year) == 4 else "20" + year
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _check_date(result: FrontMatter, value: object, tz: str) -> None:
    result.date = parse_date(value, tz)


def _names(value: object) -> list[str] | None:
    """A list of names, or ABlog's comma-separated text of them; None if it is neither."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        return None
    return value


def _check_tags(result: FrontMatter, value: object, tz: str) -> None:
    if value is None:
        return
    value = _names(value)
    if value is None:
        raise _Invalid(
            "must be a list of non-empty words or phrases: `tags: [mcmc, bayesian]` "
            "or `tags: mcmc, bayesian`"
        )
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


def _check_category(result: FrontMatter, value: object, tz: str) -> None:
    names = _names(value)
    if not names:
        raise _Invalid(f"must be non-empty text: {FIELDS['category']}")
    if len(names) > 1:
        listed = ", ".join(n.strip() for n in names)
        raise _Invalid(
            f"names {len(names)} categories ({listed}); a post has one category here: "
            "keep one and make the others tags"
        )
    result.category = names[0].strip()


def _check_author(result: FrontMatter, value: object, tz: str) -> None:
    names = _names(value)
    if not names:
        raise _Invalid(f"must be non-empty text: {FIELDS['author']} (several: `Ada, Bo`)")
    result.author = ", ".join(n.strip() for n in names)


def _check_blogpost(result: FrontMatter, value: object, tz: str) -> None:
    if value is not True:
        raise _Invalid(
            f"must be `true`, not {value!r}: every file under posts/ is a post; "
            "move a page that is not one out of posts/"
        )


def _check_excerpt(result: FrontMatter, value: object, tz: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"must be a number of paragraphs from 1 up, not {value!r}")
    result.excerpt = value


def _check_image(result: FrontMatter, value: object, tz: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        result.image = value
    elif isinstance(value, str) and value.strip() and not value.strip().isdigit():
        result.image = value.strip()
    else:
        raise _Invalid(
            f"must be the number of one of the post's images (1 for the first), a path or an "
            f"https:// address, not {value!r}"
        )


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


def _check_license(result: FrontMatter, value: object, tz: str) -> None:
    licence = find_licence(value) if isinstance(value, str) else None
    if licence is None:
        raise _Invalid(unknown_licence(value) if value else "is empty: " + unknown_licence(""))
    result.license = licence.spdx


# A DOI is "10.", a registrant code, "/", and a suffix without spaces (doi.org's handbook).
_DOI = re.compile(r"^10\.\d{4,9}(\.\d+)*/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def _check_doi(result: FrontMatter, value: object, tz: str) -> None:
    doi = value.strip() if isinstance(value, str) else ""
    for prefix in _DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    if not _DOI.match(doi):
        raise _Invalid(
            f"must be a DOI such as 10.59350/abcd-1234 (or https://doi.org/10.59350/abcd-1234), "
            f"not {value!r}"
        )
    result.doi = doi


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
    "category": _check_category,
    "author": _check_author,
    "title": _check_text("title"),
    "description": _check_text("description"),
    "draft": _check_draft,
    "external_url": _check_url,
    "series": _check_text("series"),
    "series_order": _check_series_order,
    "excerpt": _check_excerpt,
    "image": _check_image,
    "language": _check_text("language"),
    "location": _check_text("location"),
    "blogpost": _check_blogpost,
    "redirect": _check_redirect,
    "permalink": _check_redirect,
    "license": _check_license,
    "doi": _check_doi,
}
