"""Compiled Jinja templates kept between builds, beside the doctrees.

Every ``sphinx-build`` process compiles the theme's templates again before it writes its first
page: about a fifth of a second for pydata-sphinx-theme's layout, which is a large part of a
one-post rebuild. Jinja's bytecode cache stores each compiled template with a checksum of its
source, so a template that changed is compiled again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

FOLDER = "deepdive-jinja-cache"


def cache_compiled_templates(app: Sphinx) -> None:
    """``builder-inited``: give the builder's Jinja environment a bytecode cache."""
    from jinja2 import FileSystemBytecodeCache

    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is None or environment.bytecode_cache is not None:
        return
    folder = Path(app.doctreedir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", cache_compiled_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
