"""Keep the theme's accessible code styles from turning on every library's informational logging.

pydata-sphinx-theme colours code with the ``a11y_pygments`` styles, and importing that package
calls ``logging.basicConfig(level=logging.INFO)``. From then on every library's INFO records reach
the author's terminal as ``# <time> INFO ...`` lines: fontTools alone prints about eighty each time
the icon fonts are cut down. Sphinx reports through its own ``sphinx`` logger, so the root logger
goes back to how Python starts it: no handler of that package's, level WARNING.

Waits for accessible-pygments to stop calling ``logging.basicConfig`` on import (no upstream
issue found to link yet).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# The start of the format a11y_pygments gives ``logging.basicConfig``: how its handler is known.
A11Y_LOG_FORMAT = "# %(asctime)s %(levelname)s"


def import_styles_quietly() -> None:
    """Import ``a11y_pygments`` now (Pygments would when the theme looks a style up) and remove the
    logging set-up it made, in this process or in the warm process this one was forked from."""
    try:
        import a11y_pygments  # noqa: F401
    except ImportError:
        return
    root = logging.getLogger()
    theirs = [
        handler
        for handler in root.handlers
        if (getattr(handler.formatter, "_fmt", None) or "").startswith(A11Y_LOG_FORMAT)
    ]
    for handler in theirs:
        root.removeHandler(handler)
    if theirs and root.level == logging.INFO:
        root.setLevel(logging.WARNING)


def setup(app: Sphinx) -> ExtensionMetadata:
    import_styles_quietly()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
