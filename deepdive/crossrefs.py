"""Broken cross-references: say what is missing, suggest the label that was probably meant."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import sphinx.domains.std as std
from sphinx.util import logging

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.domains import Domain
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

HOW_TO_LABEL = {
    "ref": "Label a heading, figure or table with `(name)=` on the line before it",
    "numref": "Label a figure, table or code block with `:name: name` (or `(name)=` before it)",
    "eq": "Label a display equation by ending it with `$$ (name)`",
}


def explain_missing_reference(app: Sphinx, domain: Domain, node: nodes.Element) -> bool | None:
    """``warn-missing-reference``: replace Sphinx's terse warning for labels and equations."""
    reftype = node.get("reftype")
    expected_domain = "math" if reftype == "eq" else "std"
    if reftype not in HOW_TO_LABEL or domain is None or domain.name != expected_domain:
        return None  # other domains' roles (``{prf:ref}``, …) keep their own messages
    target = node.get("reftarget", "")
    env = app.env
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
        return True
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
    return True


def setup(app: Sphinx) -> ExtensionMetadata:
    # Sphinx calls every handler of this event, so the standard domain's own one would add a bare
    # "undefined label" after ours; ours covers all of its cases.
    listeners = app.events.listeners["warn-missing-reference"]
    listeners[:] = [entry for entry in listeners if entry.handler is not std.warn_missing_reference]
    app.connect("warn-missing-reference", explain_missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
