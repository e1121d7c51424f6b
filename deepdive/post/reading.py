"""Read a post: validate its front matter, record a :class:`Post`, hand ABlog only clean data."""

from __future__ import annotations

import itertools
import json
import posixpath
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import yaml
from ablog.post import PostNode, UpdateNode
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from deepdive.post.frontmatter import (
    Entry,
    FrontMatter,
    Problem,
    parse_date,
    parse_front_matter,
    post_directives,
    read_metadata,
    split_front_matter,
    validate,
)
from deepdive.post.model import Post, detached, extract_excerpt, first_paragraph_text, get_posts
from deepdive.site.related import outgoing_references

if TYPE_CHECKING:
    from datetime import datetime

    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)
_TEMP_KEY = "deepdive_frontmatter"
_SOURCE_KEY = "deepdive_source"
_DIRECTIVE_EXCERPT_KEY = "deepdive_directive_excerpt"


def is_post(app: Sphinx, docname: str) -> bool:
    """Posts are the documents under ``deepdive_posts_dir``."""
    return docname.startswith(app.config.deepdive_posts_dir.rstrip("/") + "/")


def warn(app: Sphinx, docname: str, problem: Problem, subtype: str = "frontmatter") -> None:
    """Report a problem with a post at its file and line; the strict build turns it into a failure."""
    location = (docname, problem.line) if problem.line else docname
    logger.warning(problem.message, location=location, type="deepdive", subtype=subtype)


def validate_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: parse the front matter from the raw text, where we still know its lines."""
    if not is_post(app, docname):
        return
    text = source[0]
    suffix = app.env.doc2path(docname).suffix
    tz, date_format = app.config.deepdive_timezone, app.config.post_date_format
    if suffix == ".ipynb":
        front = _notebook_front_matter(text, tz, date_format)
    else:
        front = read_metadata(text, suffix == ".rst", tz, date_format=date_format)
    for problem in front.problems:
        warn(app, docname, problem)
    if front.problems:
        app.env.get_domain("deepdive").invalid.add(docname)
        if suffix == ".md":
            source[0] = _without_front_matter_myst_rejects(text)
    app.env.temp_data[_TEMP_KEY] = front
    if suffix != ".ipynb":
        app.env.temp_data[_SOURCE_KEY] = (text, suffix)


def _without_front_matter_myst_rejects(text: str) -> str:
    """``text`` with its front matter emptied (every line kept) when MyST could not load it either.

    MyST loads the front matter with PyYAML's timestamps, so a bad date is also its
    ``Malformed YAML`` warning, at line 1; ours, at the date's line, says what is wrong and how to
    fix it, and is enough.
    """
    lines = text.splitlines(keepends=True)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if not lines or lines[0].strip() != "---" or end is None or end == 1:
        return text
    try:
        loaded = yaml.safe_load("".join(lines[1:end]))
    except (yaml.YAMLError, ValueError, RecursionError):
        loaded = None
    if isinstance(loaded, dict):
        return text
    return "".join([lines[0], "{}\n", *["\n"] * (end - 2), *lines[end:]])


def _notebook_front_matter(text: str, tz: str, date_format: str | None = None) -> FrontMatter:
    """A notebook keeps its front matter in the first cell, a Markdown cell opening with ``---``,
    or (ABlog's way with myst-nb) as keys at the top level of the notebook's metadata."""
    try:
        notebook = json.loads(text)
        cells = notebook.get("cells", [])
    except (json.JSONDecodeError, AttributeError) as error:
        return FrontMatter(
            problems=[
                Problem(f"the notebook is not valid JSON ({error})", getattr(error, "lineno", 1))
            ]
        )
    first = cells[0] if cells else {}
    source = first.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    split = split_front_matter(source) if first.get("cell_type") in ("markdown", "raw") else None
    metadata = notebook.get("metadata")
    if not split and isinstance(metadata, dict) and ("date" in metadata or "blogpost" in metadata):
        lines = _metadata_key_lines(text)
        entries = [Entry(key, value, lines.get(key, 1)) for key, value in metadata.items()]
        return validate(entries, 1, tz, date_format=date_format, ignore_unknown=True)
    directive = None if split else _post_directive_cell(cells)
    if directive:
        number, cell_source = directive
        line, entries = post_directives(cell_source, rst=True)[0]
        exclude = any(e.key == "exclude" for e in entries)
        front = validate(
            [e for e in entries if e.key != "exclude"], line, tz, date_format=date_format
        )
        front.exclude_excerpt = exclude
        for problem in front.problems:
            problem.message = f"cell {number}, line {problem.line}: {problem.message}"
            problem.line = None
        return front
    if not split:
        return FrontMatter(
            problems=[
                Problem(
                    "no front matter: the first cell must be a Markdown cell holding it in `---` "
                    "fences, or the notebook's metadata must hold `date:` (and ABlog's "
                    "`blogpost: true`) at its top level"
                )
            ]
        )
    front = parse_front_matter(split[0], 1, tz=tz, date_format=date_format)
    for problem in front.problems:
        problem.message = f"cell 1, front-matter line {problem.line}: {problem.message}"
        problem.line = None
    return front


def _post_directive_cell(cells: list[dict]) -> tuple[int, str] | None:
    """ABlog's way for notebooks (with nbsphinx): a raw cell holding an rST ``.. post::``
    directive, after the title cell. Its number (from 1) and its text."""
    for number, cell in enumerate(cells, 1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "raw" and post_directives(source, rst=True):
            return number, source
    return None


def _metadata_key_lines(text: str) -> dict[str, int]:
    """The file line of each top-level key of a notebook's metadata, as Jupyter writes the file:
    one key a line; the notebook's own ``"metadata"`` is the least indented one."""
    lines = text.splitlines()
    openings = [
        (len(line) - len(line.lstrip()), index)
        for index, line in enumerate(lines)
        if re.match(r'^\s*"metadata":\s*\{\s*$', line)
    ]
    if not openings:
        return {}
    indent, opening = min(openings)
    found: dict[str, int] = {}
    key_indent = None
    for index in range(opening + 1, len(lines)):
        line = lines[index]
        depth = len(line) - len(line.lstrip())
        if depth <= indent:
            break
        key_indent = depth if key_indent is None else key_indent
        named = re.match(r'^\s*"([^"]+)":', line)
        if named and depth == key_indent:
            found.setdefault(named.group(1), index + 1)
    return found


class HandPostsToABlog(SphinxTransform):
    """Rewrite the docinfo of valid posts into the form ABlog parses, before ABlog looks at it.

    ABlog raises bare exceptions on dates it cannot parse and guesses at list syntax, so it only
    ever sees a post whose front matter we validated: ISO dates in UTC, tags joined by commas.
    """

    default_priority = 790  # ABlog's CheckFrontMatter runs at 800

    def apply(self) -> None:
        front: FrontMatter | None = self.env.temp_data.get(_TEMP_KEY)
        if front is None:
            return
        # Posts are reached through listings, not the toctree (ABlog does this too, for valid posts).
        self.env.metadata[self.env.docname]["orphan"] = True
        for docinfo in list(self.document.findall(nodes.docinfo)):
            docinfo.parent.remove(docinfo)
        self._take_post_directives(front)
        self._check_updates(front)
        if front.title:
            self.document["title"] = front.title  # the page's <title>
        source, suffix = self.env.temp_data.get(_SOURCE_KEY) or (None, ".ipynb")
        if front.title and not any(True for _ in self.document.findall(nodes.section)):
            _give_heading(self.document, front.title)
        missing_title = _missing_title(self.document, source, suffix)
        if missing_title:
            front.problems.append(missing_title)
            warn(self.app, self.env.docname, missing_title)
        if front.problems:
            self.env.get_domain("deepdive").invalid.add(self.env.docname)
            return
        fields = {
            "blogpost": "true",
            "date": front.date.replace(tzinfo=None).isoformat(),
            "tags": ",".join(front.tags),
            "category": front.category or "",
            "author": front.author or "",
            "title": front.title or "",
        }
        docinfo = nodes.docinfo()
        for name, value in fields.items():
            if value:
                docinfo += nodes.field(
                    "", nodes.field_name("", name), nodes.field_body("", nodes.paragraph("", value))
                )
        self.document.insert(0, docinfo)

    def _take_post_directives(self, front: FrontMatter) -> None:
        """ABlog's ``post`` directive was validated with the rest of the metadata; what stays is
        its content, which is the post's excerpt and, unless ``:exclude:``, part of the page."""
        for node in list(self.document.findall(PostNode)):
            if node.children:
                excerpt = [child.deepcopy() for child in node.children]
                self.env.temp_data[_DIRECTIVE_EXCERPT_KEY] = detached(excerpt)
            node.replace_self([] if front.exclude_excerpt else node.children)

    def _check_updates(self, front: FrontMatter) -> None:
        for update in self.document.findall(UpdateNode):
            try:
                when = parse_date(
                    update["date"], self.config.deepdive_timezone, self.config.post_date_format
                )
            except ValueError as error:
                problem = Problem(f"`update` note date: {error}", update.line)
                front.problems.append(problem)
                warn(self.app, self.env.docname, problem)
                update["date"] = (
                    front.date.replace(tzinfo=None).isoformat() if front.date else "2000-01-01"
                )
                continue
            update["date"] = when.replace(tzinfo=None).isoformat()
            update["deepdive_date"] = when


def _give_heading(document: nodes.document, title: str) -> None:
    """Put a post that has a ``title:`` but no heading into a section headed by that title,
    as a ``# Title`` would: the page shows it, and excerpts and descriptions find the text."""
    section = nodes.section()
    section["names"].append(nodes.fully_normalize_name(title))
    section += nodes.title(title, title)
    section.extend(document.children)
    document.clear()
    document += section
    document.note_implicit_target(section, section)


def _missing_title(doctree: nodes.document, source: str | None, suffix: str) -> Problem | None:
    """The problem of a post whose first heading is not a level-1 ``# Title``, at its line;
    ``source`` is the post's text (None for a notebook, whose lines we cannot name)."""
    rst = suffix == ".rst"
    fix = (
        "give the post a title, underlined with `=` above its text, after the field list"
        if rst
        else "start the post with `# Title` (one `#`) after the front matter"
    )
    example = (
        "Hamiltonian Monte Carlo\n=======================" if rst else "# Hamiltonian Monte Carlo"
    )
    section = next(iter(doctree.findall(nodes.section)), None)
    lines = source.splitlines() if source is not None else []
    if section is None or not section.children or not section[0].astext().strip():
        return Problem(
            f"the post has no title: {fix}, e.g. `{example}`, or give it a `title:`",
            _first_body_line(lines) if source is not None else None,
        )
    if rst:
        return None  # the first section of an rST document is always its top level
    level = _heading_level(lines, section.line) if section.line else None
    if level is None or level == 1:
        return None
    heading = lines[section.line - 1].strip()
    return Problem(
        f"the post has no title: its first heading `{heading}` is level {level}, and a post's "
        f"title is its level-1 heading; {fix}, e.g. `# {section[0].astext().strip()}`",
        section.line,
    )


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:\s|$)")
_SETEXT = {"=": 1, "-": 2}
_FIELD_LINE = re.compile(r"^:[^:\s][^:]*:(\s|$)")


def _heading_level(lines: list[str], line: int) -> int | None:
    """The level of the Markdown heading on ``line`` (from 1), or None if it is not one."""
    if not 0 < line <= len(lines):
        return None
    atx = _ATX.match(lines[line - 1])
    if atx:
        return len(atx.group(1))
    underline = lines[line].strip() if line < len(lines) else ""
    if underline and len(set(underline)) == 1 and underline[0] in _SETEXT:
        return _SETEXT[underline[0]]
    return None


def _first_body_line(lines: list[str]) -> int:
    """The line where a post's text starts: the first non-blank line after the front matter
    (or after an rST post's opening field list)."""
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), 0)
        start = end + 1
    while start < len(lines) and (_FIELD_LINE.match(lines[start]) or not lines[start].strip()):
        start += 1
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index + 1
    return max(start, 1)


def _title_of(doctree: nodes.document) -> str:
    section = next(iter(doctree.findall(nodes.section)), None)
    return section[0].astext().strip() if section is not None and section.children else ""


def record_post(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``, after ABlog: store the post's metadata in our domain."""
    env = app.env
    front: FrontMatter | None = env.temp_data.get(_TEMP_KEY)
    if front is None or front.problems:
        return
    docname = env.docname
    excerpt, has_more = extract_excerpt(doctree, front.excerpt or 1)
    if env.temp_data.get(_DIRECTIVE_EXCERPT_KEY):
        excerpt, has_more = env.temp_data[_DIRECTIVE_EXCERPT_KEY], False
    changes = update_notes(doctree)
    updates = [when for when, _, _ in changes]
    description = front.description or first_paragraph_text(doctree)
    wordcount = env.metadata[docname].get("wordcount", {})
    image = _image_address(app, doctree, front.image)
    if image:
        env.metadata[docname]["og:image"] = image  # what sphinxext-opengraph shows
    get_posts(env)[docname] = Post(
        docname=docname,
        title=front.title or _title_of(doctree),
        date=front.date,
        updated=max(updates) if updates else None,
        tags=front.tags,
        category=front.category,
        author=front.author or app.config.author,
        description=description,
        description_given=bool(front.description),
        draft=front.draft,
        external_url=front.external_url,
        series=front.series,
        series_order=front.series_order,
        image=image,
        language=front.language,
        location=front.location,
        minutes=max(1, round(wordcount.get("words", 0) / 230)),
        excerpt=excerpt,
        has_more=has_more,
        references=outgoing_references(doctree),
        redirects=front.redirects,
        redirect_line=front.redirect_line,
        license=front.license,
        doi=front.doi,
        changes=changes,
    )
    env.metadata[docname]["og:description"] = description
    env.metadata[docname]["og:type"] = "article"  # sphinxext-opengraph takes og: fields from here
    _slim_ablog_copy(env, docname, excerpt)


def update_notes(doctree: nodes.document) -> list[tuple[datetime, str, list[nodes.Node]]]:
    """Each dated update note, newest first: its date, an id to link to it (``update-2025-02-10``),
    and a copy of its first paragraph for the post's version history."""
    notes = []
    for update in doctree.findall(UpdateNode):
        if "deepdive_date" not in update:
            continue
        when = update["deepdive_date"]
        if not update["ids"]:
            anchor = base = f"update-{when:%Y-%m-%d}"
            number = 2
            while anchor in doctree.ids:
                anchor, number = f"{base}-{number}", number + 1
            update["ids"].append(anchor)
            doctree.ids[anchor] = update
        first = next((c for c in update.children if isinstance(c, nodes.paragraph)), None)
        notes.append((when, update["ids"][0], detached([first.deepcopy()]) if first else []))
    return sorted(notes, key=lambda note: note[0], reverse=True)


def _image_address(app: Sphinx, doctree: nodes.document, image: int | str | None) -> str | None:
    """The address of the post's ``image``: ABlog's number of one of its images, or a path from the
    site's root, or an address elsewhere."""
    if isinstance(image, int):
        found = list(itertools.islice(doctree.findall(nodes.image), image))
        if len(found) < image:
            problem = Problem(
                f"`image`: {image} names the post's image number {image}, but it has "
                f"{len(found)}; count its images from 1, or give a path or an https:// address"
            )
            warn(app, app.env.docname, problem)
            app.env.get_domain("deepdive").invalid.add(app.env.docname)
            return None
        uri = found[-1]["uri"]
        if "://" in uri:
            return uri
        # Sphinx copies a post's images to _images/ under a name unique in the site.
        image = posixpath.join(app.builder.imagedir, app.env.images[uri][1])
    if image is None or "://" in image:
        return image
    return urljoin(app.config.html_baseurl or "/", image.lstrip("/"))


def _slim_ablog_copy(env, docname: str, excerpt: list[nodes.Node]) -> None:
    """ABlog keeps a copy of the whole document in each post's record, and its excerpt refers to
    the document; nothing we use needs either, and the environment would pickle both. Its excerpt is usually ours node for node: it then shares our nodes, so
    the pickled environment holds them once (a tenth of it)."""
    for info in getattr(env, "ablog_posts", {}).get(docname, []):
        info["doctree"] = None
        theirs = info.get("excerpt") or []
        if [node.pformat() for node in theirs] == [node.pformat() for node in excerpt]:
            info["excerpt"] = excerpt  # ABlog copies a node before changing it, as we do
        else:
            detached(theirs)


def reread_invalid_posts(
    app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: a post with errors is read again, so an unchanged bad post still fails."""
    return sorted(env.get_domain("deepdive").invalid - removed)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("source-read", validate_source)
    app.connect("env-get-outdated", reread_invalid_posts)
    app.add_transform(HandPostsToABlog)
    app.connect("doctree-read", record_post, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
