"""Compiled Jinja templates kept between builds, beside the doctrees.

Every ``sphinx-build`` process compiles the theme's templates again before it writes its first
page: about a fifth of a second for pydata-sphinx-theme's layout, which is a large part of a
one-post rebuild. Jinja's bytecode cache stores each compiled template keyed by its name and a
checksum of its source, and refuses bytecode of another Jinja or Python version; its files are
written atomically. The folder is :mod:`deepdive.cache`'s; a build with a fresh environment (a
clean build, ``-E``) compiles every template again and stores the result. ``-a`` alone reuses
them: Sphinx says it writes everything only once pages are being written, and the key is the
template's source. In the folder ``DEEPDIVE_SHARED_CACHE`` names, every build uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2.bccache import Bucket, FileSystemBytecodeCache

from deepdive import cache

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

FOLDER = "deepdive-jinja-cache"


class ForgivingBytecodeCache(FileSystemBytecodeCache):
    """A damaged cache file (a disk filled up, a file cut short) means compiling that template
    again, not a build that fails on every run until someone deletes ``_build``; with ``use``
    false, every template is compiled again (and stored)."""

    def __init__(self, directory: str, use: bool = True) -> None:
        super().__init__(directory)
        self.use = use

    def load_bytecode(self, bucket: Bucket) -> None:
        if not self.use:
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # Jinja reads the file with pickle and marshal: any error is possible
            bucket.reset()


def cache_compiled_templates(app: Sphinx) -> None:
    """``builder-inited``: give the builder's Jinja environment a bytecode cache."""
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is None or environment.bytecode_cache is not None:
        return
    shared = cache.shared_folder()
    folder = (shared or cache.folder(app)) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    use = shared is not None or not app.fresh_env_used
    environment.bytecode_cache = ForgivingBytecodeCache(str(folder), use=use)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("builder-inited", cache_compiled_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
