"""Keep sphinxext-opengraph from importing matplotlib when social cards are switched off.

sphinxext-opengraph imports its social-card module, and with it matplotlib and numpy, whenever
matplotlib is installed (our notebooks need it), even with ``ogp_social_cards = {"enable": False}``.
That import is about a tenth of a no-change rebuild. With cards off, the only names it uses from the
module are an empty default configuration and no card maker, exactly what it uses when matplotlib
is missing, so we hand it that module instead. This must run before sphinxext-opengraph is
imported, so ``deepdive`` comes before it in ``extensions``; if it does not, nothing changes but the
time.

Waits for sphinxext-opengraph to import its matplotlib card maker only when cards are on
(sphinx-doc/sphinxext-opengraph#145 proposes that split).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

SOCIAL_CARDS = "sphinxext.opengraph._social_cards"


def skip_social_cards_import(app: Sphinx) -> None:
    cards = app.config._raw_config.get("ogp_social_cards") or {}
    if cards.get("enable", True) is not False or SOCIAL_CARDS in sys.modules:
        return
    stand_in = types.ModuleType(SOCIAL_CARDS, "Social cards are off: deepdive.compat.opengraph")
    stand_in.DEFAULT_SOCIAL_CONFIG = {}
    stand_in.create_social_card = None
    sys.modules[SOCIAL_CARDS] = stand_in
