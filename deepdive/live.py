"""``make live``: sphinx-autobuild, with every build forked from a warm process (deepdive.warm).

Usage: ``python -m deepdive.live <sphinx-autobuild arguments>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import sphinx_autobuild.__main__ as autobuild
import watchfiles
from sphinx_autobuild.build import Builder
from sphinx_autobuild.server import RebuildServer
from sphinx_autobuild.utils import show_command, show_message

from deepdive.warm import WarmBuilder


class WarmAutobuilder(Builder):
    """sphinx-autobuild's ``Builder``, whose Sphinx step is a warm ``deepdive.build``."""

    def __init__(self, sphinx_args: list[str], *, warm: WarmBuilder, **options: object) -> None:
        super().__init__(sphinx_args, **options)
        self.warm = warm

    def __call__(self, *, changed_paths: Sequence[Path]) -> None:
        """Rebuild as ``Builder.__call__`` does: its messages, commands and failure handling."""
        if changed_paths:
            cwd = Path.cwd()
            shown = []
            for path in changed_paths[:5]:
                if path.exists():
                    with contextlib.suppress(ValueError):
                        path = path.relative_to(cwd)
                    shown.append(path.as_posix())
            if shown:
                show_message(f"Detected changes ({', '.join(shown)})")
            show_message("Rebuilding...")

        if self._run_commands(self.pre_build_commands, "pre-build") != 0:
            return
        show_command(["python", "-m", "deepdive.build", *self.sphinx_args])
        sys.stdout.flush()  # before the build's own output, which goes straight to the terminal
        result = self.warm.build(self.sphinx_args)
        if result.returncode != 0:
            print(f"Sphinx exited with exit code: {result.returncode}")
            print(
                "The server will continue serving the build folder, but the contents "
                "being served are no longer in sync with the documentation sources. "
                "Please fix the cause of the error above or press Ctrl+C to stop the "
                "server."
            )
        else:
            self._run_commands(self.post_build_commands, "post-build")
        show_message(f"Serving on {self.uri}")


class ThreadRebuildServer(RebuildServer):
    """sphinx-autobuild's server, rebuilding in a thread of this process, where the zygote is.

    sphinx-autobuild hands each rebuild to a new worker process, which needs a picklable builder
    and would lose the connection to the zygote.
    """

    async def watch(self) -> None:
        async for changes in watchfiles.awatch(
            *self.paths, watch_filter=lambda _, path: not self.ignore(path)
        ):
            changed_paths = [Path(path).resolve() for (_, path) in changes]
            await asyncio.to_thread(self.change_callback, changed_paths=changed_paths)
            self.flag.set()


def main(argv: Sequence[str] | None = None) -> None:
    """Run sphinx-autobuild's ``main`` with the warm builder and the threaded server."""
    argv = list(sys.argv[1:] if argv is None else argv)
    sourcedir = autobuild._parse_args(list(argv))[0].sourcedir  # exits on bad arguments
    # Started first, the zygote imports while sphinx-autobuild sets up: the first build is warm.
    with WarmBuilder(cwd=sourcedir) as warm:
        # sphinx-autobuild's main looks both classes up by name in its own module.
        autobuild.Builder = partial(WarmAutobuilder, warm=warm)
        autobuild.RebuildServer = ThreadRebuildServer
        autobuild.main(argv)


if __name__ == "__main__":
    main()
