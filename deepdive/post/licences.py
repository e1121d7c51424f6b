"""The licence posts are published under: one setting for the site (``deepdive_license``, an SPDX
identifier, CC BY 4.0 unless changed), which a post may override with ``license:``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from deepdive.post.model import Post


@dataclass(frozen=True)
class Licence:
    spdx: str
    name: str
    url: str  # the licence's deed; "" for "all rights reserved"


_CC = "https://creativecommons.org/licenses/"
LICENCES = {
    licence.spdx.lower(): licence
    for licence in (
        Licence("CC-BY-4.0", "CC BY 4.0", _CC + "by/4.0/"),
        Licence("CC-BY-SA-4.0", "CC BY-SA 4.0", _CC + "by-sa/4.0/"),
        Licence("CC-BY-ND-4.0", "CC BY-ND 4.0", _CC + "by-nd/4.0/"),
        Licence("CC-BY-NC-4.0", "CC BY-NC 4.0", _CC + "by-nc/4.0/"),
        Licence("CC-BY-NC-SA-4.0", "CC BY-NC-SA 4.0", _CC + "by-nc-sa/4.0/"),
        Licence("CC-BY-NC-ND-4.0", "CC BY-NC-ND 4.0", _CC + "by-nc-nd/4.0/"),
        Licence("CC0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        Licence("all-rights-reserved", "All rights reserved", ""),
    )
}


def find_licence(identifier: str) -> Licence | None:
    """The licence an SPDX identifier names (any letter case), or None."""
    return LICENCES.get(identifier.strip().lower())


def unknown_licence(identifier: object) -> str:
    """Why ``identifier`` is not a licence, and which ones are."""
    known = [licence.spdx for licence in LICENCES.values()]
    close = difflib.get_close_matches(str(identifier), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    choices = f"use one of {', '.join(known)}"
    if identifier == "":
        return choices
    return f"{identifier!r} is not a licence this site knows: {hint}{choices}"


def site_licence(app: Sphinx) -> Licence:
    licence = find_licence(app.config.deepdive_license)
    assert licence is not None  # deepdive.config checked it
    return licence


def licence_of(app: Sphinx, post: Post | None) -> Licence:
    """The licence of ``post`` (its own ``license:``, else the site's); the site's for a page
    that is not a post."""
    if post is not None and post.license:
        licence = find_licence(post.license)
        if licence is not None:
            return licence
    return site_licence(app)
