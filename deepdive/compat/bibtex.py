"""sphinxcontrib-bibtex at blog scale: each post's bibliography is made from that post's own records.

Its ``BibliographyTransform`` finds a bibliography's entries by scanning every citation of the
site, and each entry's back-references by scanning every citation reference of the site. Done for
every entry of every post, that grows with the square of the number of posts: 5 s of a clean build
of 500 cited posts. The transform here is theirs, run while the domain's two lists hold only the
records of the documents whose bibliographies it builds. Its entries, their order and their
back-references come only from those records, so its output is the same.

Waits for sphinxcontrib-bibtex to index citations by document (no upstream issue found
to link yet).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sphinxcontrib.bibtex.nodes import bibliography as bibliography_node
from sphinxcontrib.bibtex.transforms import BibliographyTransform

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.domains import Domain
    from sphinx.util.typing import ExtensionMetadata

_INDEX = "_deepdive_records_by_document"


class BibliographyFromOwnRecords(BibliographyTransform):
    def run(self, **kwargs: Any) -> None:
        docnames = {node["docname"] for node in self.document.findall(bibliography_node)}
        if not docnames:
            return
        with narrowed_to(self.env.get_domain("cite"), docnames):
            super().run(**kwargs)


def records_by_document(domain: Domain) -> tuple[dict[str, list], dict[str, list]]:
    """The domain's citations by the document of their bibliography, and its citation references
    by their document, each in the domain's order; grouped once while the lists stay the same."""
    citations, references = domain.data["citations"], domain.data["citation_refs"]
    state = (id(citations), len(citations), id(references), len(references))
    kept = domain.__dict__.get(_INDEX)
    if kept is None or kept[0] != state:
        by_bibliography: dict[str, list] = defaultdict(list)
        for citation in citations:
            by_bibliography[citation.bibliography_key.docname].append(citation)
        by_document: dict[str, list] = defaultdict(list)
        for reference in references:
            by_document[reference.docname].append(reference)
        kept = (state, (by_bibliography, by_document))
        domain.__dict__[_INDEX] = kept
    return kept[1]


@contextlib.contextmanager
def narrowed_to(domain: Domain, docnames: set[str]) -> Iterator[None]:
    by_bibliography, by_document = records_by_document(domain)
    whole = domain.data["citations"], domain.data["citation_refs"]
    domain.data["citations"] = [c for d in sorted(docnames) for c in by_bibliography.get(d, ())]
    domain.data["citation_refs"] = [r for d in sorted(docnames) for r in by_document.get(d, ())]
    try:
        yield
    finally:
        domain.data["citations"], domain.data["citation_refs"] = whole


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinxcontrib.bibtex")
    transforms = app.registry.post_transforms
    transforms[:] = [
        BibliographyFromOwnRecords if transform is BibliographyTransform else transform
        for transform in transforms
    ]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
