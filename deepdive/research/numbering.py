"""Figures, tables, code listings and theorems numbered per post; sphinx-proof made build-safe.

Sphinx numbers figures only in documents reached through the toctree, and counts on across
documents; posts are orphans, so ``{numref}`` to a figure in a post found no number. Here each
document's numbers are counted from 1 when it is read (kept per document in a domain, so
parallel and incremental builds agree) and handed to Sphinx after its own numbering.

sphinx-proof 0.4 (``{prf:theorem}``, ``{prf:proof}``, ... and ``{prf:ref}``) is wrapped where it
breaks a blog build: its domain cannot merge parallel reads, an unknown ``{prf:ref}`` target or a
duplicate label raises instead of warning, unlabelled blocks in two posts collide, and every
block repeats one HTML id (``proof-content``, ``proof``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.domains import Domain
from sphinx.domains.std import StandardDomain
from sphinx.util import logging

from deepdive import add_page_stylesheet
from deepdive.compat.numbering import supply_numbers

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

Numbers = dict[str, dict[str, tuple[int, ...]]]  # figtype -> node id -> number


class NumbersDomain(Domain):
    """Each document's figure, table, listing and theorem numbers, and its theorem labels."""

    name = "deepdive-numbers"
    label = "Deep Dives numbering"
    data_version = 1
    initial_data: dict[str, Any] = {"numbers": {}, "labels": {}}

    @property
    def numbers(self) -> dict[str, Numbers]:
        return self.data["numbers"]

    @property
    def labels(self) -> dict[str, dict[str, int]]:
        """sphinx-proof labels by document, with their lines: a label must be unique in the blog."""
        return self.data["labels"]

    def clear_doc(self, docname: str) -> None:
        self.numbers.pop(docname, None)
        self.labels.pop(docname, None)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        for key in ("numbers", "labels"):
            self.data[key].update({d: v for d, v in otherdata[key].items() if d in docnames})

    def resolve_any_xref(self, *args: Any) -> list:
        return []


def _figtype(env: BuildEnvironment, node: nodes.Element) -> str | None:
    """What Sphinx numbers ``node`` as: figure, table, code-block, theorem, ... or None."""
    for domain in env.domains.sorted():
        figtype = domain.get_enumerable_node_type(node)
        if isinstance(domain, StandardDomain) and not domain.get_numfig_title(node):
            continue  # Sphinx numbers only captioned figures, tables and listings
        if figtype:
            return figtype
    return None


def count_numbers(env: BuildEnvironment, doctree: nodes.document) -> Numbers:
    """Number the enumerable nodes of one document in reading order, each kind from 1."""
    numbers: Numbers = {}
    for node in doctree.findall(nodes.Element):
        if isinstance(node, (nodes.section, nodes.document)) or not node["ids"]:
            continue
        figtype = _figtype(env, node)
        if figtype:
            kind = numbers.setdefault(figtype, {})
            kind[node["ids"][0]] = (len(kind) + 1,)
    return numbers


def record_numbers(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: count this document's numbers."""
    if app.config.numfig:
        app.env.get_domain(NumbersDomain.name).numbers[app.env.docname] = count_numbers(
            app.env, doctree
        )


def apply_numbers(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``, after Sphinx's own numbering: every document numbered on its own
    (through :mod:`deepdive.compat.numbering`, since Sphinx has no API for it)."""
    if app.config.numfig:
        supply_numbers(env, env.get_domain(NumbersDomain.name).numbers)
    return []


# -- sphinx-proof ------------------------------------------------------------------------------


def _proof_classes() -> tuple[type[Domain], type]:
    from sphinx_proof.directive import ProofDirective
    from sphinx_proof.domain import ProofDomain
    from sphinx_proof.proof_type import PROOF_TYPES

    class SafeRun:
        """Warn on a duplicate label, not raise; keep unlabelled blocks out of the label list."""

        def run(self) -> list[nodes.Node]:
            proofs = self.env.__dict__.setdefault("proof_list", {})
            label = self.options.get("label", "")
            if label:
                # sphinx-proof raises on a label it knows; check_labels reports duplicates.
                proofs.pop(label, None)
                labels = self.env.get_domain(NumbersDomain.name).labels.setdefault(
                    self.env.docname, {}
                )
                if label in labels:
                    _warn_duplicate(
                        self.env,
                        label,
                        self.env.docname,
                        labels[label],
                        (self.env.docname, self.lineno),
                    )
                labels.setdefault(label, self.lineno)
            before = set(proofs)
            result = super().run()
            if not label:  # named `theorem-<n>` with n counted per page: not unique across posts
                for key in set(proofs) - before:
                    del proofs[key]
            for node in result:
                _drop_shared_ids(node)
            return result

    class SafeProofDomain(ProofDomain):
        """sphinx-proof's domain, mergeable after parallel reads and warning on unknown labels."""

        directives = {
            "proof": type("ProofDirective", (SafeRun, ProofDirective), {}),
            **{name: type(cls.__name__, (SafeRun, cls), {}) for name, cls in PROOF_TYPES.items()},
        }

        def clear_doc(self, docname: str) -> None:
            pass  # sphinx-proof purges env.proof_list itself (env-purge-doc)

        def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
            pass  # sphinx-proof merges env.proof_list itself (env-merge-info)

        def resolve_xref(self, env, fromdocname, builder, typ, target, node, contnode):
            match = getattr(env, "proof_list", {}).get(target)
            if match is None:
                return None  # Sphinx reports the missing reference at the {prf:ref}
            if not match["nonumber"] and target not in env.toc_fignumbers.get(
                match["docname"], {}
            ).get(match["countertype"], {}):
                return None
            return super().resolve_xref(env, fromdocname, builder, typ, target, node, contnode)

    return SafeProofDomain, SafeRun


def _warn_duplicate(
    env: BuildEnvironment, label: str, docname: str, line: int, location: tuple[str, int]
) -> None:
    logger.warning(
        f"duplicate label `{label}` (also on line {line} of {env.doc2path(docname, False)}): "
        "labels of theorems, definitions, ... must be unique across the blog",
        location=location,
        type="deepdive",
        subtype="theorem",
    )


def check_labels(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-check-consistency``: a sphinx-proof label used in two posts is one too many."""
    first: dict[str, tuple[str, int]] = {}
    for docname, labels in sorted(env.get_domain(NumbersDomain.name).labels.items()):
        for label, line in labels.items():
            if label in first:
                _warn_duplicate(env, label, first[label][0], first[label][1], (docname, line))
            else:
                first[label] = (docname, line)


def _drop_shared_ids(node: nodes.Node) -> None:
    """sphinx-proof gives every block's body the id ``proof-content`` and every proof ``proof``."""
    for element in node.findall(nodes.Element):
        if isinstance(element, nodes.section) and element["ids"] == ["proof-content"]:
            element["ids"] = []
        elif isinstance(element, nodes.admonition) and element["ids"] == ["proof"]:
            element["ids"] = []
            element["classes"].append("dd-proof")


def use_safe_sphinx_proof(app: Sphinx, config: Config) -> None:
    """``config-inited``: replace sphinx-proof's domain, before the environment creates it."""
    if "sphinx_proof" in app.extensions:
        domain, _ = _proof_classes()
        app.add_domain(domain, override=True)
        add_page_stylesheet(app)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_domain(NumbersDomain)
    app.connect("doctree-read", record_numbers)
    app.connect("env-get-updated", apply_numbers, priority=600)
    app.connect("config-inited", use_safe_sphinx_proof)
    app.connect("env-check-consistency", check_labels)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
