"""sphinxcontrib-bibtex: a BibTeX syntax error in a site bib file is a warning, not a traceback.

sphinxcontrib-bibtex parses ``bibtex_bibfiles`` itself, for a ``{bibliography}`` written by hand:
2.6 when the build environment makes its domain, 2.7 at ``builder-inited`` (priority 500). It lets
pybtex raise the first syntax error, and the build stops with a traceback; pybtex's non-strict
mode fails there too, as it cannot print an error about a file named by a ``Path``. From setup
until just after that parse, pybtex's errors are captured here and dropped:
``deepdive.research.citations.load_bibfiles`` parses the same files after it and reports each
problem at its file and line, keeping the good entries, as sphinxcontrib-bibtex then does.

Waits for sphinxcontrib-bibtex to report BibTeX syntax errors as warnings (mcmtroffaes/
sphinxcontrib-bibtex#104 was closed, but 2.7.0 still stops with a traceback).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pybtex.errors

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# Just after sphinxcontrib-bibtex's own builder-inited handler, which has the default priority.
AFTER_BIBTEX_PARSES = 501


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinxcontrib.bibtex")
    window = contextlib.ExitStack()
    window.enter_context(pybtex.errors.capture())
    app.connect("builder-inited", lambda app: window.close(), priority=AFTER_BIBTEX_PARSES)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
