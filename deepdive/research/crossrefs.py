"""Broken cross-references: say what is missing, suggest the label that was probably meant."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from sphinx.errors import NoUri
from sphinx.util import logging

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

HOW_TO_LABEL = {
    "ref": "Label a heading, figure or table with `(name)=` on the line before it",
    "numref": "Label a figure, table or code block with `:name: name` (or `(name)=` before it)",
    "eq": "Label a display equation by ending it with `$$ (name)`",
}


def explain_missing_reference(
    app: Sphinx, env: BuildEnvironment, node: addnodes.pending_xref, contnode: nodes.Element
) -> None:
    """``missing-reference``, after every other handler: replace Sphinx's terse warning for
    labels and equations with ours. Raising ``NoUri`` is the documented way to say the reference
    was dealt with: the text stays, unlinked, and Sphinx adds no warning of its own."""
    reftype = node.get("reftype")
    expected_domain = "math" if reftype == "eq" else "std"
    if reftype not in HOW_TO_LABEL or node.get("refdomain") != expected_domain:
        return  # other domains' roles (``{prf:ref}``, …) keep their own messages
    target = node.get("reftarget", "")
    anonlabels = env.domains.standard_domain.anonlabels
    if reftype == "ref" and target.lower() in anonlabels:
        docname = anonlabels[target.lower()][0]
        logger.warning(
            f"{{ref}}`{target}`: the label in {env.doc2path(docname, False)} is not on a heading, "
            f"so there is no title to show; give the link its own text: {{ref}}`text <{target}>`.",
            location=node,
            type="ref",
            subtype=reftype,
        )
        raise NoUri(target)
    if reftype == "eq":
        known = {label: entry[0] for label, entry in env.domains["math"].equations.items()}
    else:
        known = {label: entry[0] for label, entry in anonlabels.items()}
    close = difflib.get_close_matches(target.lower(), list(known), n=1, cutoff=0.7)
    hint = ""
    if close:
        hint = f" Did you mean '{close[0]}' (in {env.doc2path(known[close[0]], False)})?"
    logger.warning(
        f"{{{reftype}}}`{target}`: no label '{target}' exists on this site.{hint} "
        f"{HOW_TO_LABEL[reftype]}.",
        location=node,
        type="ref",
        subtype=reftype,
    )
    raise NoUri(target)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("missing-reference", explain_missing_reference, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
