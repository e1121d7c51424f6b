"""Citations: ``{cite:p}``/``{cite:t}`` from BibTeX, References per post, a Bibliography page.

A post's citations are made while the post is read, from what that post cites alone: its keys are
looked up in the site's bib files and in the post's own ``.bib`` (both read with pybtex), its
References list is formatted with a pybtex style, and its in-text citations with one of
sphinxcontrib-bibtex's referencing styles. Nothing is resolved across posts, so each post numbers
its own works, a clean build grows with the number of citations, and ``-j`` and incremental builds
give the pages a clean serial build gives. sphinxcontrib-bibtex's ``cite`` domain is used as it
is, for a page with a ``{bibliography}`` written by hand.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pybtex.errors
import pybtex.plugin
import pybtex_docutils
from docutils import nodes
from pybtex.database.input.bibtex import Parser
from pybtex.exceptions import PybtexError
from pybtex.richtext import Tag
from pybtex.style import FormattedEntry
from pybtex.style.template import FieldIsMissing
from sphinx import addnodes
from sphinx.domains import Domain
from sphinx.util import logging
from sphinxcontrib.bibtex.nodes import bibliography as bibliography_node
from sphinxcontrib.bibtex.roles import CiteRole
from sphinxcontrib.bibtex.style.referencing import format_references
from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo

from deepdive import cache
from deepdive.compat.bibtex import AFTER_BIBTEX_PARSES
from deepdive.post.model import get_posts
from deepdive.post.sourcelines import inline_lines
from deepdive.research.bibtex_styles import STYLES, CitationStyle
from deepdive.site.pagecache import LazyPage, only_changed
from deepdive.site.render import render_fragment

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pybtex.database import Entry
    from pybtex.style.formatting import BaseStyle
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata
    from sphinxcontrib.bibtex.style.referencing import BaseReferenceStyle

logger = logging.getLogger(__name__)

SITE_BIB = "references.bib"

# name: (default, rebuild, what a valid value looks like)
OPTIONS: dict[str, tuple[Any, str, str]] = {
    "deepdive_citation_style": ("numeric", "env", " or ".join(repr(s) for s in STYLES)),
    "deepdive_references_title": ("References", "env", "a heading such as 'References'"),
    "deepdive_bibliography_page": (
        "bibliography",
        "html",
        "a page name such as 'bibliography', or ''",
    ),
}


# pybtex looks plugins up through package entry points, a slow scan (a style takes 28 ms to make):
# each style and backend is made once.
@functools.cache
def _plaintext_backend():
    return pybtex.plugin.find_plugin("pybtex.backends", "plaintext")()


@functools.cache
def _docutils_backend() -> pybtex_docutils.Backend:
    return pybtex_docutils.Backend()


@functools.cache
def _entry_style(name: str) -> BaseStyle:
    return STYLES[name].entries()


@functools.cache
def _reference_style(name: str) -> BaseReferenceStyle:
    return STYLES[name].references()


def _report(message: str, location: Any, subtype: str = "citation") -> None:
    logger.warning(message, location=location, type="deepdive", subtype=subtype)


# -- What a post cites ----------------------------------------------------------------------------


class Target(NamedTuple):
    """One key of a citation, with the text written before and after it: ``{see}key{p. 3}``."""

    key: str
    pre: str
    post: str


_TARGET = re.compile(
    r"\s*(?:\{(?P<pre>[^{}]+)\})?\s*(?P<key>[^{}\s,]+)\s*(?:\{(?P<post>[^{}]+)\})?\s*"
)


def parse_targets(text: str) -> list[Target]:
    """The comma-separated targets of a citation, read as sphinxcontrib-bibtex reads them;
    ``ValueError`` when they are malformed."""
    targets: list[Target] = []
    position = 0
    while True:
        match = _TARGET.match(text, position)
        if match is None:
            raise ValueError(f"malformed citation target: {text}")
        targets.append(Target(match["key"], match["pre"] or "", match["post"] or ""))
        position = match.end()
        if position == len(text):
            return targets
        if text[position] != ",":
            raise ValueError(f"malformed citation target: {text}")
        position += 1


def _target_text(target: Target) -> str:
    pre = f"{{{target.pre}}}" if target.pre else ""
    post = f"{{{target.post}}}" if target.post else ""
    return f"{pre}{target.key}{post}"


class CheckedCiteRole(CiteRole):
    """``{cite:p}`` and friends; a malformed key list is a located warning, not a traceback."""

    def result_nodes(self, document, env, node, is_ref):  # type: ignore[override]
        try:
            parse_targets(self.target)
        except ValueError:
            _report(
                f"malformed citation {{{self.name}}}`{self.text}`: separate keys with commas, "
                "e.g. {cite:p}`neal2011mcmc,hoffman2014nuts`",
                (env.docname, self.lineno),
            )
            get_domain(env).invalid.add(env.docname)  # read again next time: the error stays
            return [nodes.inline(self.rawtext, self.rawtext, classes=["dd-cite-missing"])], []
        return super().result_nodes(document, env, node, is_ref)


@dataclass
class References:
    """What one post cites, in order of first citation, as its References section shows it."""

    keys: list[str]
    entries: dict[str, Entry]  # each cited key's entry, from the post's .bib or the site's
    local: set[str]  # the keys found in the post's own .bib
    anchors: dict[str, str]  # key -> id of its entry in the References section
    digest: str  # of everything the section and the post's in-text citations show


class SiteBib(NamedTuple):
    """The site-wide bib files as parsed, and the problems found in them."""

    stamp: str  # the key of the files' paths, sizes and times and the encoding
    entries: dict[str, Entry]
    problems: list[tuple[str, str]]  # (location, message)


def _fingerprint(entry: Entry) -> str:
    """Everything about a BibTeX entry that its formatted form depends on."""
    persons = {role: [str(person) for person in people] for role, people in entry.persons.items()}
    return repr((entry.key, entry.type, sorted(entry.fields.items()), sorted(persons.items())))


class CitationsDomain(Domain):
    """Each document's :class:`References` and the parsed site bib files.

    Per document, with ``clear_doc`` and ``merge_domaindata``, so parallel and incremental builds
    keep exactly the references of the documents as last read.
    """

    name = "deepdive-citations"
    label = "Deep Dives citations"
    data_version = 1
    initial_data = {"references": {}, "invalid": set(), "site": None}

    @property
    def references(self) -> dict[str, References]:
        return self.data["references"]

    @property
    def invalid(self) -> set[str]:
        """Documents with a citation problem: read again on every build so the error persists."""
        return self.data["invalid"]

    @property
    def site(self) -> dict[str, Entry]:
        """The entries of the site-wide bib files, by key."""
        site = self.data["site"]
        return site.entries if site is not None else {}

    def clear_doc(self, docname: str) -> None:
        self.references.pop(docname, None)
        self.invalid.discard(docname)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        for docname, refs in otherdata["references"].items():
            if docname in docnames:
                self.references[docname] = refs
        self.invalid.update(d for d in otherdata["invalid"] if d in docnames)

    def formatted(self, style: str, label: str, entry: Entry) -> FormattedEntry:
        """``entry`` formatted with ``style`` under ``label``. A pybtex style formats an entry's
        text without its label, so a work cited by many posts, under whatever label, is formatted
        once per process (about 5 ms each)."""
        formatted = self.__dict__.setdefault("_formatted", {})
        key = cache.digest([style, _fingerprint(entry)])
        if key not in formatted:
            formatted[key] = _entry_style(style).format_entry(label, entry).text
        return FormattedEntry(entry.key, formatted[key], label)


def get_domain(env: BuildEnvironment) -> CitationsDomain:
    return env.get_domain("deepdive-citations")  # type: ignore[return-value]


# -- A post's References, made while it is read ---------------------------------------------------


def add_references(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: check every cited key, format the in-text citations and give a document
    that cites anything its References section (a page with a hand-written ``{bibliography}`` is
    left to sphinxcontrib-bibtex)."""
    xrefs = [n for n in doctree.findall(addnodes.pending_xref) if n.get("refdomain") == "cite"]
    if not xrefs:
        return
    env = app.env
    domain = get_domain(env)
    docname = env.docname
    local_file, local = _local_bib(env, docname)
    for path in _site_paths(app.confdir, app.config):
        if path.is_file():
            env.note_dependency(path)
    cited: list[tuple[addnodes.pending_xref, list[Target]]] = []
    lines = inline_lines([(xref, xref["reftarget"]) for xref in xrefs])
    for xref, line in zip(xrefs, lines, strict=True):
        targets = parse_targets(xref["reftarget"])
        known = [t for t in targets if t.key in local or t.key in domain.site]
        for target in targets:
            if target not in known:
                _report(_unknown(env, domain, target.key, local, local_file), (docname, line))
        if len(known) < len(targets):
            domain.invalid.add(docname)
            if known:
                xref["reftarget"] = ",".join(_target_text(t) for t in known)
        if not known:
            missing = ", ".join(t.key for t in targets)
            xref.replace_self(nodes.inline(missing, f"[{missing}?]", classes=["dd-cite-missing"]))
        else:
            cited.append((xref, known))
    keys = list(dict.fromkeys(t.key for _, known in cited for t in known))
    if not keys or any(True for _ in doctree.findall(bibliography_node)):
        return  # nothing to list, or the author placed a {bibliography} by hand
    entries = {key: local[key] if key in local else domain.site[key] for key in keys}
    line = next((xref.line for xref, _ in cited if xref.line), None)
    items, anchors = _entry_nodes(doctree, keys, citation_style(env.config).labelled)
    formatted = _format_entries(domain, env.config, entries, docname, line, local_file, local)
    backrefs = _format_in_text(app, docname, cited, entries, formatted, anchors)
    _append_section(doctree, env.config, items, formatted, backrefs)
    shown = [
        (key, key in local, _fingerprint(entries[key]), anchors[key], formatted[key].label)
        for key in keys
    ]
    domain.references[docname] = References(
        keys, entries, set(local) & set(keys), anchors, cache.signature(shown)
    )


def _site_paths(confdir: str | Path, config: Config) -> list[Path]:
    return [(Path(confdir) / name).resolve() for name in config.bibtex_bibfiles]


def _local_bib(env: BuildEnvironment, docname: str) -> tuple[str | None, dict[str, Entry]]:
    """The post's own ``<name>.bib`` beside its source file, if there is one."""
    path = Path(env.doc2path(docname)).with_suffix(".bib")
    if not path.is_file():
        return None, {}
    env.note_dependency(path)
    parser = Parser(encoding=env.config.bibtex_encoding)
    problems = _parse_into(parser, path)
    for location, message in problems:
        _report(message, location, subtype="bibtex")
    if problems:
        get_domain(env).invalid.add(docname)
    return path.relative_to(env.srcdir).as_posix(), dict(parser.data.entries.items())


def _unknown(
    env: BuildEnvironment,
    domain: CitationsDomain,
    key: str,
    local: dict[str, Entry],
    local_file: str | None,
) -> str:
    candidates = sorted(domain.site.keys() | local.keys())
    close = [c for c in candidates if c.lower() == key.lower()]
    close += [
        c for c in difflib.get_close_matches(key, candidates, n=3, cutoff=0.6) if c not in close
    ]
    suggestion = f" Did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else ""
    site = ", ".join(env.config.bibtex_bibfiles) or SITE_BIB
    own = local_file or str(Path(env.doc2path(env.docname, False)).with_suffix(".bib"))
    return (
        f"unknown citation key {key!r}.{suggestion} Add an entry with this key to {site} "
        f"(shared by every post) or to {own} (this post only)"
    )


def _entry_nodes(
    doctree: nodes.document, keys: list[str], labelled: bool
) -> tuple[dict[str, nodes.Element], dict[str, str]]:
    """An empty node for each key's entry, ``ref-<key>`` as its id where that is free."""
    items: dict[str, nodes.Element] = {}
    for key in keys:
        anchor = nodes.make_id(f"ref-{key}")
        kind = nodes.citation if labelled else nodes.list_item
        item = kind(ids=[anchor] if anchor not in doctree.ids else [])
        doctree.note_explicit_target(item, item)
        items[key] = item
    return items, {key: item["ids"][0] for key, item in items.items()}


def _format_entries(
    domain: CitationsDomain,
    config: Config,
    entries: dict[str, Entry],
    docname: str,
    line: int | None,
    local_file: str | None,
    local: dict[str, Entry],
) -> dict[str, FormattedEntry]:
    """Each entry labelled and formatted in the order the style gives; one that cannot be
    formatted is reported at the post's first citation."""
    name = option(config, "deepdive_citation_style")
    style = _entry_style(name)
    ordered = list(style.sort(entries.values()))
    formatted: dict[str, FormattedEntry] = {}
    for label, entry in zip(style.format_labels(ordered), ordered, strict=True):
        try:
            formatted[entry.key] = domain.formatted(name, label, entry)
        except FieldIsMissing as error:
            where = local_file if entry.key in local else ", ".join(config.bibtex_bibfiles)
            _report(
                f"the entry {entry.key!r} in {where} cannot be formatted: {error}; "
                "add the missing field to the entry",
                (docname, line),
                subtype="bibtex",
            )
            domain.invalid.add(docname)  # formatted (and reported) again on the next build
            formatted[entry.key] = FormattedEntry(entry.key, Tag("b", str(error)), label)
    return formatted


def _format_in_text(
    app: Sphinx,
    docname: str,
    cited: list[tuple[addnodes.pending_xref, list[Target]]],
    entries: dict[str, Entry],
    formatted: dict[str, FormattedEntry],
    anchors: dict[str, str],
) -> dict[str, list[str]]:
    """Replace each citation by its text, linked to the entries; return the ids of the citations
    of each key, for the links back."""
    style = _reference_style(option(app.config, "deepdive_citation_style"))
    plaintext = _plaintext_backend()
    titles = {
        # A tooltip is plain text: "$I$-divergence" reads "I-divergence" there.
        key: _INLINE_TEX.sub(r"\1", entry.text.render(plaintext).replace("\\url ", ""))
        if app.config.bibtex_tooltips
        else None
        for key, entry in formatted.items()
    }
    backrefs: dict[str, list[str]] = {key: [] for key in entries}
    for xref, known in cited:
        info = [
            SphinxReferenceInfo(
                builder=app.builder,
                fromdocname=docname,
                todocname=docname,
                citation_id=anchors[t.key],
                title=titles[t.key],
                pre_text=t.pre,
                post_text=t.post,
            )
            for t in known
        ]
        references = [
            (entries[t.key], formatted[t.key], i) for t, i in zip(known, info, strict=True)
        ]
        text = format_references(style, xref["reftype"], references)
        result = nodes.inline(xref["reftarget"], "", classes=["bibtex-citation"], ids=xref["ids"])
        result += text.render(_docutils_backend())
        xref.replace_self(result)
        for target in known:
            backrefs[target.key].extend(xref["ids"])
    return backrefs


def _append_section(
    doctree: nodes.document,
    config: Config,
    items: dict[str, nodes.Element],
    formatted: dict[str, FormattedEntry],
    backrefs: dict[str, list[str]],
) -> None:
    """The References section at the end of the post: ``[label]`` citations, or for author-year
    a plain list whose entries end with links back to the text."""
    title = option(config, "deepdive_references_title")
    section = nodes.section("", classes=["dd-references"])
    section += nodes.title(title, title)
    section["names"].append(nodes.fully_normalize_name(title))
    doctree.note_implicit_target(section, section)
    labelled = citation_style(config).labelled
    listing = nodes.container() if labelled else nodes.bullet_list(classes=["dd-references__list"])
    for key, entry in formatted.items():  # in the style's order
        item = items[key]
        paragraph = _docutils_backend().paragraph(entry)
        _link_urls(paragraph)
        _typeset_tex(paragraph)
        if labelled:
            if backrefs[key]:
                item["backrefs"] = backrefs[key]
            item += nodes.label("", entry.label, support_smartquotes=False)
        else:
            for number, backref in enumerate(backrefs[key], 1):
                text = "↩" if len(backrefs[key]) == 1 else f"↩{number}"
                paragraph += [
                    nodes.Text(" "),
                    nodes.reference(
                        "",
                        text,
                        refid=backref,
                        reftitle="Back to the citation",
                        classes=["dd-backref"],
                    ),
                ]
        item += paragraph
        listing += item
    section += listing
    tops = [child for child in doctree.children if isinstance(child, nodes.section)]
    (tops[0] if len(tops) == 1 else doctree).append(section)


def _link_urls(node: nodes.Element) -> None:
    r"""A ``\url `` that pybtex leaves before a URL becomes a link to it."""
    children = list(node.children)
    for child, following in zip(children, [*children[1:], None], strict=True):
        if isinstance(child, nodes.Text):
            if child.endswith("\\url ") and isinstance(following, nodes.Text):
                node.replace(child, nodes.Text(child[:-5]))
                link = nodes.reference(refuri=following.astext())
                link += nodes.Text(following.astext())
                node.replace(following, link)
        elif isinstance(child, nodes.Element):
            _link_urls(child)


_INLINE_TEX = re.compile(r"(?<!\\)\$([^$]+?)(?<!\\)\$")


def _typeset_tex(node: nodes.Element) -> None:
    r"""Math in an entry's fields (a title such as ``{$I$}-Divergence Geometry``), which pybtex
    leaves as TeX between dollars, becomes a math node: the page typesets it like the post's
    own formulas, instead of printing ``$I$``."""
    for text in list(node.findall(nodes.Text)):
        parts = _INLINE_TEX.split(text.astext())
        if len(parts) == 1:
            continue
        replacement: list[nodes.Node] = []
        for index, part in enumerate(parts):
            if index % 2:
                replacement.append(nodes.math(part, part))
            elif part:
                replacement.append(nodes.Text(part))
        text.parent.replace(text, replacement)


# -- The Bibliography page -------------------------------------------------------------------------


@dataclass
class Work:
    """One cited work on the Bibliography page, with the posts that cite it."""

    anchor: str
    key: str
    html: str
    cited_in: list[tuple[str, str]]


def bibliography_context(app: Sphinx, pagename: str) -> dict[str, Any]:
    """Every work cited anywhere, sorted by author and year, with links to the citing posts."""
    domain = get_domain(app.env)
    posts = get_posts(app.env)
    # A work is a site-wide key, or a key of one post's own .bib: ("", key) or (docname, key).
    citing: dict[tuple[str, str], list[str]] = {}
    entries: dict[tuple[str, str], Entry] = {}
    for docname, refs in domain.references.items():
        for key in refs.keys:
            work = (docname if key in refs.local else "", key)
            citing.setdefault(work, []).append(docname)
            entries[work] = refs.entries[key]
    sorting = _entry_style("author-year").sorting_style
    formatting = _entry_style("numeric")
    result: list[Work] = []
    used: set[str] = set()
    for work in sorted(entries, key=lambda w: (sorting.sorting_key(entries[w]), w)):
        entry = entries[work]
        try:
            paragraph = _docutils_backend().paragraph(formatting.format_entry("", entry))
        except FieldIsMissing as error:
            paragraph = nodes.paragraph("", f"{entry.key}: {error}")
        _link_urls(paragraph)
        _typeset_tex(paragraph)
        links = [
            (
                _doc_title(app, posts, docname),
                app.builder.get_relative_uri(pagename, docname)
                + f"#{domain.references[docname].anchors[entry.key]}",
            )
            for docname in sorted(
                citing[work], key=lambda d: _post_sort_key(posts, d), reverse=True
            )
        ]
        anchor = nodes.make_id("-".join(work) if work[0] else work[1])
        while anchor in used:
            anchor += "-1"
        used.add(anchor)
        result.append(
            Work(
                anchor,
                entry.key,
                render_fragment(app, [paragraph], pagename, source=pagename),
                links,
            )
        )
    return {
        "title": "Bibliography",
        "deepdive_works": result,
        "deepdive_citing_count": len({d for docnames in citing.values() for d in docnames}),
    }


def _post_sort_key(posts: dict, docname: str) -> tuple:
    post = posts.get(docname)
    return (post.date.isoformat() if post else "", docname)


def _doc_title(app: Sphinx, posts: dict, docname: str) -> str:
    post = posts.get(docname)
    if post is not None:
        return post.title
    title = app.env.titles.get(docname)
    return title.astext() if title is not None else docname


def collect_bibliography_page(app: Sphinx) -> Iterator[LazyPage]:
    """The Bibliography page, from the environment (``html-collect-pages``, through
    :func:`deepdive.site.pagecache.only_changed`)."""
    pagename = option(app.config, "deepdive_bibliography_page")
    if not pagename or app.builder.format != "html" or app.builder.name in ("json", "pickle"):
        return
    if pagename in app.env.found_docs:
        _report(
            f"{app.env.doc2path(pagename, False)} takes the address of the generated Bibliography "
            "page; rename it, or set deepdive_bibliography_page to another name (or '' for none)",
            pagename,
            subtype="bibliography",
        )
        return
    yield LazyPage(
        pagename,
        "deepdive/bibliography.html",
        inputs=functools.partial(bibliography_inputs, app),
        make_context=functools.partial(bibliography_context, app, pagename),
    )


def bibliography_inputs(app: Sphinx) -> list[Any]:
    """What the Bibliography page is made from, without formatting any entry: each citing post's
    title and date, and the digest of its reference list (keys, entries' fields and anchors)."""
    domain = get_domain(app.env)
    posts = get_posts(app.env)
    return [
        [docname, _doc_title(app, posts, docname), _post_sort_key(posts, docname), refs.digest]
        for docname, refs in sorted(domain.references.items())
    ]


# -- Events ----------------------------------------------------------------------------------------


def check_config(app: Sphinx, config: Config) -> None:
    """Validate the options; the site-wide ``references.bib`` is used when none are configured."""
    for name, (default, _, expected) in OPTIONS.items():
        value = config[name]
        if not isinstance(value, str) or (
            name == "deepdive_citation_style" and value not in STYLES
        ):
            _report(
                f"conf.py: {name} = {value!r} is not valid; expected {expected}. "
                f"Using {default!r} for now",
                None,
                subtype="config",
            )
    if config.bibtex_bibfiles is None:
        # config-inited comes before Sphinx compares configurations, so this default is stable.
        config.bibtex_bibfiles = [SITE_BIB] if (Path(app.confdir) / SITE_BIB).is_file() else []


def option(config: Config, name: str) -> str:
    """The value of one of our options, or its default when the value is not valid."""
    value = config[name]
    valid = isinstance(value, str) and (name != "deepdive_citation_style" or value in STYLES)
    return value if valid else OPTIONS[name][0]


def citation_style(config: Config) -> CitationStyle:
    return STYLES[option(config, "deepdive_citation_style")]


def load_bibfiles(app: Sphinx) -> None:
    """``builder-inited``: parse the site's bib files when they changed, each bad entry reported
    at its file and line and the good ones kept. The problems are kept too, and reported again on
    every build until the files are fixed."""
    domain = get_domain(app.env)
    paths = _site_paths(app.confdir, app.config)
    encoding = app.config.bibtex_encoding
    stamp = cache.digest([encoding, *([str(path), *cache.file_key(path)] for path in paths)])
    site = domain.data["site"]
    if site is None or site.stamp != stamp:
        parser = Parser(encoding=encoding)
        problems: list[tuple[str, str]] = []
        for path in paths:
            if not path.is_file():
                problems.append(
                    (str(path), f"{path.name} is listed in bibtex_bibfiles but does not exist")
                )
            else:
                problems.extend(_parse_into(parser, path))
        site = domain.data["site"] = SiteBib(stamp, dict(parser.data.entries.items()), problems)
    for location, message in site.problems:
        _report(message, location, subtype="bibtex")


def _parse_into(parser: Parser, path: Path) -> list[tuple[str, str]]:
    """Parse ``path`` with ``parser``; each error as (``file:line``, message), good entries kept."""
    with pybtex.errors.capture() as errors:
        try:
            parser.parse_file(path)
        except PybtexError as error:  # e.g. an undecodable file: nothing of it can be read
            errors.append(error)
    problems = []
    for error in errors:
        line, key = _entry_of(error, path)
        if "repeated" in str(error) and key:
            message = (
                f"{path.name}: the key {key!r} is defined twice (again at line {line}); "
                "keep one entry per key"
            )
        elif key:
            message = (
                f"{path.name}: {error}, in the entry {key!r} that starts at line {line}; "
                "check its braces and commas"
            )
        else:
            message = f"{path.name}: {error}"
        problems.append((f"{path}:{line}" if line else str(path), message))
    return problems


def _entry_of(error: PybtexError, path: Path) -> tuple[int | None, str | None]:
    """The line where the entry an error is about starts, and its key when known."""
    scanner = getattr(error, "parser", None)
    if scanner is not None and getattr(scanner, "text", None) is not None:
        start = getattr(scanner, "command_start", 0)
        return scanner.text.count("\n", 0, start) + 1, getattr(scanner, "current_entry_key", None)
    match = re.search(r"entry:\s*(\S+)", str(error))
    if match:  # "repeated bibliography entry: key": point at its last occurrence
        text = path.read_text(encoding="utf-8", errors="replace")
        starts = [
            m.start()
            for m in re.finditer(r"@\w+\s*[{(]\s*" + re.escape(match.group(1)) + r"\s*,", text)
        ]
        if starts:
            return text.count("\n", 0, starts[-1]) + 1, match.group(1)
    return getattr(error, "lineno", None), None


def rewrite_stale_excerpts(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: rewrite the pages showing excerpts whose citations now read differently.

    A post whose bib entries changed is read again (its bib files are dependencies), but the home
    page shows its first paragraph too, and Sphinx would not rewrite that page. The pages with
    excerpts are those linkindex.refresh_links names for listings: the root and categories.
    """
    previous = getattr(env, "deepdive_citation_signatures", None)
    signatures = {docname: refs.digest for docname, refs in get_domain(env).references.items()}
    env.deepdive_citation_signatures = signatures
    if previous is None:
        return []
    changed = {
        d for d in signatures.keys() | previous.keys() if signatures.get(d) != previous.get(d)
    }
    posts = get_posts(env)
    if not any(_excerpt_cites(posts[d].excerpt) for d in changed if d in posts):
        return []
    root = app.config.root_doc
    return sorted(d for d in env.found_docs if d == root or d.startswith("categories/"))


def _excerpt_cites(excerpt: list[nodes.Node]) -> bool:
    return any(
        "bibtex-citation" in inline["classes"]
        for node in excerpt
        if isinstance(node, nodes.Element)
        for inline in node.findall(nodes.inline)
    )


def reread_invalid(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: a document citing unknown keys is read again, so the error persists."""
    return sorted(get_domain(env).invalid - removed)


def accessible_reference_list(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object
) -> None:
    """``html-page-context``: docutils writes each entry of a reference list as
    ``role="doc-biblioentry"`` inside ``role="list"``; that DPUB role is deprecated and assistive
    technology (and axe-core) do not accept it as a list item, so entries become plain list
    items."""
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinxcontrib.bibtex")
    app.setup_extension("deepdive.compat.bibtex")
    for name, (default, rebuild, _) in OPTIONS.items():
        app.add_config_value(name, default, rebuild, types=(str,))
    app.add_domain(CitationsDomain)
    app.add_role("cite", CheckedCiteRole(), override=True)
    for role in sorted({r for style in STYLES.values() for r in style.references().role_names()}):
        app.add_role_to_domain("cite", role, CheckedCiteRole(), override=True)
    app.connect("config-inited", check_config)
    # After sphinxcontrib-bibtex parses the same files (deepdive.compat.bibtex).
    app.connect("builder-inited", load_bibfiles, priority=AFTER_BIBTEX_PARSES + 1)
    app.connect("env-get-outdated", reread_invalid)
    # After math (400), so excerpts keep typeset equations; before the table of contents and
    # the posts' excerpts (500), so the page TOC lists References and excerpts show citations.
    app.connect("doctree-read", add_references, priority=450)
    app.connect("env-updated", rewrite_stale_excerpts)
    app.connect("html-page-context", accessible_reference_list)
    app.connect("html-collect-pages", only_changed(collect_bibliography_page))
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
