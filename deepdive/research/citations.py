"""Citations: ``{cite:p}``/``{cite:t}`` from BibTeX, References per post, a Bibliography page."""

from __future__ import annotations

import ast
import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pybtex.plugin
import pybtex_docutils
from docutils import nodes
from pybtex.database.input.bibtex import Parser
from pybtex.errors import capture as capture_errors
from pybtex.exceptions import PybtexError
from pybtex.richtext import Tag
from pybtex.style import FormattedEntry
from pybtex.style.template import FieldIsMissing
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinxcontrib.bibtex.bibfile import BibData, BibFile, get_mtime, is_bibdata_outdated
from sphinxcontrib.bibtex.citation_target import CitationTarget, parse_citation_targets
from sphinxcontrib.bibtex.directives import BibliographyKey, BibliographyValue
from sphinxcontrib.bibtex.domain import BibtexDomain, Citation, get_docnames
from sphinxcontrib.bibtex.nodes import bibliography as bibliography_node
from sphinxcontrib.bibtex.roles import CiteRole
from sphinxcontrib.bibtex.style.referencing import format_references
from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo
from sphinxcontrib.bibtex.transforms import node_text_transform

from deepdive.post.model import get_posts
from deepdive.research.bibtex_styles import STYLES, AuthorYearStyle, CitationStyle, NumericStyle
from deepdive.site.pagecache import LazyPage, only_changed, signature
from deepdive.site.render import render_fragment

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pybtex.database import Entry
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)


@functools.cache
def _plaintext_backend():
    """pybtex looks plugins up through package entry points, a slow scan; once is enough."""
    return pybtex.plugin.find_plugin("pybtex.backends", "plaintext")()


SITE_BIB = "references.bib"
CITING_DOC = "deepdive_citing_doc"  # set on each citation: copies in excerpts keep their post

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


@dataclass
class References:
    """What one document cites, in order of first citation, and where its reference list lives."""

    bib_key: BibliographyKey
    keys: list[str]
    line: int | None = None
    local_file: str | None = None
    local: dict[str, Entry] = field(default_factory=dict)


def _fingerprint(entry: Entry) -> str:
    """Everything about a BibTeX entry that its formatted form depends on."""
    persons = {role: [str(person) for person in people] for role, people in entry.persons.items()}
    return repr((entry.key, entry.type, sorted(entry.fields.items()), sorted(persons.items())))


def _report(message: str, location: Any, subtype: str = "citation") -> None:
    logger.warning(message, location=location, type="deepdive", subtype=subtype)


class CheckedCiteRole(CiteRole):
    """``{cite:p}`` and friends; a malformed key list is a located warning, not a traceback."""

    def result_nodes(self, document, env, node, is_ref):  # type: ignore[override]
        try:
            list(parse_citation_targets(self.target))
        except ValueError:
            _report(
                f"malformed citation {{{self.name}}}`{self.text}`: separate keys with commas, "
                "e.g. {cite:p}`neal2011mcmc,hoffman2014nuts`",
                (env.docname, self.lineno),
            )
            get_domain(env).invalid.add(env.docname)  # read again next time: the error stays
            return [nodes.inline(self.rawtext, self.rawtext, classes=["dd-cite-missing"])], []
        return super().result_nodes(document, env, node, is_ref)


class CitationDomain(BibtexDomain):
    """sphinxcontrib-bibtex's ``cite`` domain, with one bibliography per document.

    The stock domain treats every bibliography as site-wide, so a key cited by two posts is a
    "duplicate citation" and two posts' ``[1]`` are "duplicate labels". Here each document keeps
    its own :class:`References`; labels and targets are computed per document, and citations
    resolve only within the document that makes them.
    """

    data_version = BibtexDomain.data_version * 100 + 1
    initial_data = {
        **BibtexDomain.initial_data,
        "references": {},
        "invalid": set(),
        "bib_problems": [],
    }
    roles = {name: CheckedCiteRole() for name in BibtexDomain.roles}
    _by_doc: dict[str, dict[str, Citation]] | None = None

    @property
    def references(self) -> dict[str, References]:
        return self.data["references"]

    @property
    def invalid(self) -> set[str]:
        """Documents citing unknown keys: read again on every build so the error persists."""
        return self.data["invalid"]

    @property
    def reread(self) -> set[str]:
        """Documents read (or removed) in this build: only their reference lists are formatted."""
        return self.__dict__.setdefault("_reread", set())

    def clear_doc(self, docname: str) -> None:
        super().clear_doc(docname)
        self.references.pop(docname, None)
        self.invalid.discard(docname)
        self.reread.add(docname)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        super().merge_domaindata(docnames, otherdata)
        self.reread.update(docnames)
        for docname, refs in otherdata["references"].items():
            if docname in docnames:
                self.references[docname] = refs
        self.invalid.update(d for d in otherdata["invalid"] if d in docnames)

    def entry(self, docname: str, key: str) -> Entry | None:
        """The entry ``key`` names in ``docname``: the post's own ``.bib`` first, then the site."""
        refs = self.references.get(docname)
        if refs is not None and key in refs.local:
            return refs.local[key]
        return self.bibdata.data.entries.get(key) if key in self.site_keys() else None

    def site_keys(self) -> set[str]:
        """Keys of the site-wide bib files, exactly as spelled there."""
        data = self.bibdata.data
        cached = getattr(self, "_site_keys", None)
        if cached is None or cached[0] is not data:
            cached = (data, set(data.entries.keys()))
            self._site_keys = cached
        return cached[1]

    def env_updated(self) -> list[str]:
        """Format the reference lists of the documents read in this build; the others keep theirs.

        Labels and targets are per document. A list depends only on its document (read again when
        it or one of its bib files changes) and on the formatting options, so a list is formatted
        again only when its document was read or those options changed.
        """
        options = self._formatting_options()
        kept: dict[str, list[Citation]] = {}
        if self.data.get("formatted_with") == options:
            for citation in self.citations:
                docname = citation.bibliography_key.docname
                refs = self.references.get(docname)
                if (
                    docname not in self.reread
                    and refs
                    and citation.bibliography_key == refs.bib_key
                ):
                    kept.setdefault(docname, []).append(citation)
        else:
            self.data["formatted"] = {}  # entries formatted with other options are of no use
        self.data["formatted_with"] = options
        digests = self.data.setdefault("list_digests", {})
        self.citations.clear()
        self._by_doc = None
        self.formatted_now: set[str] = set()
        self._used_formats: set[tuple[str, str]] = set()
        style = citation_style(self.env.config).entries()
        for docname, refs in sorted(self.references.items()):
            if docname in kept:
                self.citations.extend(kept[docname])
            else:
                digests[docname] = self._format_list(style, docname, refs)
                self.formatted_now.add(docname)
        for docname in digests.keys() - self.references.keys():
            del digests[docname]
        if not kept:  # every list was formatted now: forget entries no list shows any more
            self.data["formatted"] = {
                key: value
                for key, value in self.data["formatted"].items()
                if key in self._used_formats
            }
        self._format_written_bibliographies()
        self.reread.clear()
        return []

    def _formatting_options(self) -> list[Any]:
        config = self.env.config
        return [option(config, "deepdive_citation_style"), bool(config.bibtex_tooltips)]

    def _format_list(self, style, docname: str, refs: References) -> str:
        """Add ``docname``'s formatted references to ``self.citations``; return a digest of what
        the Bibliography page takes from them."""
        bibliography = self.bibliographies[refs.bib_key]
        entries = [e for e in (self.entry(docname, key) for key in refs.keys) if e is not None]
        ordered = list(style.sort(entries))
        shown = []
        for label, entry in zip(style.format_labels(ordered), ordered, strict=True):
            fingerprint = _fingerprint(entry)
            formatted = self._format(style, label, entry, fingerprint, docname, refs)
            citation_id = bibliography.citation_nodes[entry.key]["ids"][0]
            self.citations.append(
                Citation(
                    citation_id=citation_id,
                    bibliography_key=refs.bib_key,
                    key=entry.key,
                    entry=entry,
                    formatted_entry=formatted,
                    tooltip_entry=formatted if self.env.config.bibtex_tooltips else None,
                )
            )
            shown.append((entry.key in refs.local, fingerprint, citation_id))
        return signature([refs.keys, shown])

    def resolve_xref(  # type: ignore[override]
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: addnodes.pending_xref,
        contnode: nodes.Element,
    ) -> nodes.Element:
        """In-text citations resolve to the citing document's own list, wherever they are shown.

        An excerpt on the home page or in a feed keeps its post's labels and links to that post's
        References, not to whichever post happens to cite the same key first.
        """
        citing = node.get(CITING_DOC)
        if citing not in self.references:
            return super().resolve_xref(env, fromdocname, builder, typ, target, node, contnode)
        own = self._citations_by_doc().get(citing, {})
        plaintext = _plaintext_backend()
        references = []
        for cited in parse_citation_targets(target):
            citation = own.get(cited.key)
            if citation is None:
                continue  # an unknown key, already reported where it is written
            title = (
                citation.tooltip_entry.text.render(plaintext) if citation.tooltip_entry else None
            )
            info = SphinxReferenceInfo(
                builder=builder,
                fromdocname=fromdocname,
                todocname=citing,
                citation_id=citation.citation_id,
                title=title.replace("\\url ", "") if title else None,
                pre_text=cited.pre,
                post_text=cited.post,
            )
            references.append((citation.entry, citation.formatted_entry, info))
        result = nodes.inline(rawsource=target, classes=["bibtex-citation"])
        result += format_references(self.reference_style, typ, references).render(self.backend)
        return result

    def _citations_by_doc(self) -> dict[str, dict[str, Citation]]:
        """``self.citations`` by document and key; built once per build, after env_updated."""
        if self._by_doc is None:
            self._by_doc = {}
            for citation in self.citations:
                own = self._by_doc.setdefault(citation.bibliography_key.docname, {})
                own.setdefault(citation.key, citation)
        return self._by_doc

    def _format(
        self, style, label: str, entry: Entry, fingerprint: str, docname: str, refs: References
    ) -> FormattedEntry:
        # A work cited by many posts is formatted once: the result depends only on the options
        # (the cache is emptied when they change), the label and the entry's own fields.
        cache = self.data.setdefault("formatted", {})
        key = (label, fingerprint)
        self._used_formats.add(key)
        if key in cache:
            return cache[key]
        try:
            cache[key] = style.format_entry(label, entry)
        except FieldIsMissing as error:
            where = (
                refs.local_file
                if entry.key in refs.local
                else ", ".join(self.env.config.bibtex_bibfiles)
            )
            _report(
                f"the entry {entry.key!r} in {where} cannot be formatted: {error}; "
                "add the missing field to the entry",
                (docname, refs.line),
                subtype="bibtex",
            )
            self.invalid.add(docname)  # formatted (and reported) again on the next build
            return FormattedEntry(entry.key, Tag("b", str(error)), label)
        return cache[key]

    def _format_written_bibliographies(self) -> None:
        """A ``{bibliography}`` written by hand is formatted as sphinxcontrib-bibtex does."""
        auto = {refs.bib_key for refs in self.references.values()}
        written = [key for key in self.bibliographies if key not in auto]
        self.written_now = {key.docname for key in written}
        if not written:
            return
        docnames = list(get_docnames(self.env))
        config = self.env.config
        for bib_key in written:
            bibliography = self.bibliographies[bib_key]
            for entry, formatted, tooltip in self.get_formatted_entries(
                bib_key, docnames, config.bibtex_tooltips, config.bibtex_tooltips_style
            ):
                key = bibliography.keyprefix + formatted.key
                self.citations.append(
                    Citation(
                        bibliography.citation_nodes[key]["ids"][0],
                        bib_key,
                        key,
                        entry,
                        formatted,
                        tooltip,
                    )
                )


def get_domain(env: BuildEnvironment) -> CitationDomain:
    return env.get_domain("cite")  # type: ignore[return-value]


class AddReferences(SphinxTransform):
    """Check every cited key and give a document that cites anything its References section."""

    default_priority = 850  # before doctree-read (880), so the page TOC lists the section

    def apply(self) -> None:
        xrefs = [
            n for n in self.document.findall(addnodes.pending_xref) if n.get("refdomain") == "cite"
        ]
        if not xrefs:
            return
        domain = get_domain(self.env)
        docname = self.env.docname
        local_file, local = self._local_bib(docname)
        for path in domain.bibdata.bibfiles:
            self.env.note_dependency(path)
        cited: list[str] = []
        for xref in xrefs:
            xref[CITING_DOC] = docname
            cited.extend(self._check(domain, xref, local, local_file))
        keys = list(dict.fromkeys(cited))
        if not keys or any(True for _ in self.document.findall(bibliography_node)):
            return  # nothing to list, or the author placed a {bibliography} by hand
        bib_key, line = self._append_section(domain, keys, xrefs)
        domain.references[docname] = References(bib_key, keys, line, local_file, local)

    def _local_bib(self, docname: str) -> tuple[str | None, dict[str, Entry]]:
        """The post's own ``<name>.bib`` beside its source file, if there is one."""
        path = Path(self.env.doc2path(docname)).with_suffix(".bib")
        if not path.is_file():
            return None, {}
        self.env.note_dependency(path)
        relative = path.relative_to(self.env.srcdir).as_posix()
        parser = Parser(encoding=self.config.bibtex_encoding)
        problems = _parse_into(parser, path)
        for location, message in problems:
            _report(message, location, subtype="bibtex")
        if problems:
            get_domain(self.env).invalid.add(docname)
        data = parser.data
        return relative, dict(data.entries.items())

    def _check(
        self,
        domain: CitationDomain,
        xref: addnodes.pending_xref,
        local: dict[str, Entry],
        local_file: str | None,
    ) -> list[str]:
        """The known keys of one citation; each unknown key is reported where it is written."""
        targets = list(parse_citation_targets(xref["reftarget"]))
        known = [t for t in targets if t.key in local or t.key in domain.site_keys()]
        for target in targets:
            if target not in known:
                _report(
                    self._unknown(domain, target.key, local, local_file),
                    (self.env.docname, xref.line),
                )
        if len(known) == len(targets):
            return [t.key for t in known]
        domain.invalid.add(self.env.docname)
        ref_id = xref["ids"][0] if xref["ids"] else None
        domain.data["citation_refs"] = [
            ref._replace(targets=known) if ref.citation_ref_id == ref_id else ref
            for ref in domain.citation_refs
        ]
        if known:
            xref["reftarget"] = ",".join(_target_text(t) for t in known)
        else:
            missing = ", ".join(t.key for t in targets)
            xref.replace_self(nodes.inline(missing, f"[{missing}?]", classes=["dd-cite-missing"]))
        return [t.key for t in known]

    def _unknown(
        self, domain: CitationDomain, key: str, local: dict[str, Entry], local_file: str | None
    ) -> str:
        candidates = sorted(domain.site_keys() | set(local))
        close = [c for c in candidates if c.lower() == key.lower()]
        close += [
            c for c in difflib.get_close_matches(key, candidates, n=3, cutoff=0.6) if c not in close
        ]
        suggestion = f" Did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else ""
        site = ", ".join(self.config.bibtex_bibfiles) or SITE_BIB
        own = local_file or str(
            Path(self.env.doc2path(self.env.docname, False)).with_suffix(".bib")
        )
        return (
            f"unknown citation key {key!r}.{suggestion} Add an entry with this key to {site} "
            f"(shared by every post) or to {own} (this post only)"
        )

    def _append_section(
        self, domain: CitationDomain, keys: list[str], xrefs: list[addnodes.pending_xref]
    ) -> tuple[BibliographyKey, int | None]:
        document = self.document
        title = option(self.config, "deepdive_references_title")
        section = nodes.section("", classes=["dd-references"])
        section += nodes.title(title, title)
        section["names"].append(nodes.fully_normalize_name(title))
        document.note_implicit_target(section, section)
        bibnode = bibliography_node("", docname=self.env.docname)
        document.note_explicit_target(bibnode, bibnode)
        citation_nodes = {}
        for key in keys:
            anchor = nodes.make_id(f"ref-{key}")
            citation = nodes.citation(ids=[anchor] if anchor not in document.ids else [])
            document.note_explicit_target(citation, citation)
            citation_nodes[key] = citation
        section += bibnode
        tops = [child for child in document.children if isinstance(child, nodes.section)]
        (tops[0] if len(tops) == 1 else document).append(section)
        line = next((x.line for x in xrefs if x.line), None)
        bib_key = BibliographyKey(docname=self.env.docname, id_=bibnode["ids"][0])
        domain.bibliographies[bib_key] = BibliographyValue(
            line=line or 0,
            bibfiles=list(domain.bibdata.bibfiles),
            style=option(self.config, "deepdive_citation_style"),
            list_="citation",
            enumtype="arabic",
            start=1,
            labelprefix="",
            keyprefix="",
            filter_=ast.parse("docname in docnames"),
            citation_nodes=citation_nodes,
            keys=[],
        )
        return bib_key, line


def _target_text(target: CitationTarget) -> str:
    pre = f"{{{target.pre}}}" if target.pre else ""
    post = f"{{{target.post}}}" if target.post else ""
    return f"{pre}{target.key}{post}"


class UnlabelledReferences(SphinxPostTransform):
    """Author–year lists show no ``[1]`` labels: each entry becomes a plain list item."""

    # After sphinxcontrib-bibtex fills the list (5), before references are resolved (10).
    default_priority = 6
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        refs = get_domain(self.env).references.get(self.env.docname)
        if refs is None or citation_style(self.config).labelled:
            return
        for container in list(self.document.findall(nodes.container)):
            if refs.bib_key.id_ in container["ids"]:
                container.replace_self(_unlabelled(container))


def _unlabelled(container: nodes.container) -> nodes.bullet_list:
    """The citations of ``container`` as list items, each ending with links back to the text."""
    items = nodes.bullet_list(classes=["dd-references__list"])
    for citation in container.findall(nodes.citation):
        item = nodes.list_item(ids=citation["ids"])
        item += [c.deepcopy() for c in citation.children if not isinstance(c, nodes.label)]
        backrefs = citation.get("backrefs", [])
        paragraph = next(iter(item.findall(nodes.paragraph)), None)
        for number, backref in enumerate(backrefs if paragraph is not None else [], 1):
            text = "↩" if len(backrefs) == 1 else f"↩{number}"
            paragraph += [
                nodes.Text(" "),
                nodes.reference(
                    "", text, refid=backref, reftitle="Back to the citation", classes=["dd-backref"]
                ),
            ]
        items += item
    return items


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
    anchors = {(c.bibliography_key.docname, c.key): c.citation_id for c in domain.citations}
    # A work is a site-wide key, or a key of one post's own .bib: ("", key) or (docname, key).
    citing: dict[tuple[str, str], list[str]] = {}
    entries: dict[tuple[str, str], Entry] = {}
    for docname, refs in domain.references.items():
        for key in refs.keys:
            entry = domain.entry(docname, key)
            if entry is not None:
                work = (docname if key in refs.local else "", key)
                citing.setdefault(work, []).append(docname)
                entries[work] = entry
    sorting = AuthorYearStyle().sorting_style
    formatting = NumericStyle()
    result: list[Work] = []
    used: set[str] = set()
    for work in sorted(entries, key=lambda w: (sorting.sorting_key(entries[w]), w)):
        entry = entries[work]
        try:
            paragraph = pybtex_docutils.Backend().paragraph(formatting.format_entry("", entry))
        except FieldIsMissing as error:
            paragraph = nodes.paragraph("", f"{entry.key}: {error}")
        node_text_transform(paragraph)
        links = [
            (
                _doc_title(app, posts, docname),
                app.builder.get_relative_uri(pagename, docname)
                + (f"#{anchors[docname, entry.key]}" if (docname, entry.key) in anchors else ""),
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
    title and date, and a digest of its reference list (keys, entries' fields and anchors), kept
    from the build that formatted the list."""
    domain = get_domain(app.env)
    posts = get_posts(app.env)
    digests = domain.data.get("list_digests", {})
    return [
        [
            docname,
            _doc_title(app, posts, docname),
            _post_sort_key(posts, docname),
            digests.get(docname),
        ]
        for docname in sorted(domain.references)
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
    """``builder-inited``, before sphinxcontrib-bibtex: parse the site's bib files ourselves.

    sphinxcontrib-bibtex stops with a traceback on a BibTeX syntax error. We parse the files the
    same way, but report each bad entry at its file and line and keep the good ones; the parsed
    data is then up to date, so sphinxcontrib-bibtex uses it as it is. The problems are kept, and
    reported again on every build until the file is fixed.
    """
    domain = get_domain(app.env)
    paths = [(Path(app.confdir) / name).resolve() for name in app.config.bibtex_bibfiles]
    encoding = app.config.bibtex_encoding
    if is_bibdata_outdated(domain.bibdata, paths, encoding):
        parser = Parser(encoding=encoding)
        files: dict[Path, BibFile] = {}
        problems: list[tuple[str, str]] = []
        seen: dict[str, None] = {}
        for path in paths:
            if not path.is_file():
                problems.append(
                    (str(path), f"{path.name} is listed in bibtex_bibfiles but does not exist")
                )
            else:
                problems.extend(_parse_into(parser, path))
            keys = dict.fromkeys(k for k in parser.data.entries if k not in seen)
            seen.update(keys)
            files[path] = BibFile(mtime=get_mtime(path), keys=keys)
        domain.data["bibdata"] = BibData(encoding=encoding, bibfiles=files, data=parser.data)
        domain.data["bib_problems"] = problems
    for location, message in domain.data.get("bib_problems", []):
        _report(message, location, subtype="bibtex")


def _parse_into(parser: Parser, path: Path) -> list[tuple[str, str]]:
    """Parse ``path`` with ``parser``; each error as (``file:line``, message), good entries kept."""
    with capture_errors() as errors:
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


def set_reference_style(app: Sphinx) -> None:
    """``builder-inited``, after sphinxcontrib-bibtex: in-text citations follow our style."""
    get_domain(app.env).reference_style = citation_style(app.config).references()


def rewrite_stale_excerpts(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: rewrite the pages showing excerpts whose citations now read differently.

    A post whose bib entries changed is read again (its bib files are dependencies), but the home
    page shows its first paragraph too, and Sphinx would not rewrite that page. The pages with
    excerpts are those linkindex.refresh_links names for listings: the root and categories.
    """
    domain = get_domain(env)
    previous = getattr(env, "deepdive_citation_signatures", None)
    fresh = domain.formatted_now | domain.written_now
    plaintext = _plaintext_backend()
    shown: dict[str, list[tuple[str, str, str]]] = {}
    signatures: dict[str, str] = {}
    for citation in domain.citations:
        docname = citation.bibliography_key.docname
        if previous is not None and docname not in fresh and docname in previous:
            signatures[docname] = previous[docname]  # its list was not formatted again
            continue
        formatted = citation.formatted_entry
        shown.setdefault(docname, []).append(
            (citation.key, formatted.label, formatted.text.render(plaintext))
        )
    # Digests: only equality matters, and the environment is read and written on every build.
    signatures.update({docname: signature(entries) for docname, entries in shown.items()})
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
        xref.get("refdomain") == "cite"
        for node in excerpt
        if isinstance(node, nodes.Element)
        for xref in node.findall(addnodes.pending_xref)
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
    app.connect("html-page-context", accessible_reference_list)
    for name, (default, rebuild, _) in OPTIONS.items():
        app.add_config_value(name, default, rebuild, types=(str,))
    app.add_domain(CitationDomain, override=True)
    app.add_role("cite", CheckedCiteRole(), override=True)
    app.add_transform(AddReferences)
    app.add_post_transform(UnlabelledReferences)
    app.connect("config-inited", check_config)
    app.connect("builder-inited", load_bibfiles, priority=400)
    app.connect("builder-inited", set_reference_style, priority=600)
    app.connect("env-get-outdated", reread_invalid)
    app.connect("env-updated", rewrite_stale_excerpts, priority=600)  # after bibtex's (500)
    app.connect("html-collect-pages", only_changed(collect_bibliography_page))
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
