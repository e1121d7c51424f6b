"""A test-only build server: imports Sphinx and every extension a Deep Dives site loads once, then
forks a child for each build, which runs ``python -m <module> <args>`` as a new process would.

Most of a small test build's time is starting Python and importing Sphinx, docutils, MyST-NB, ABlog,
the theme and the rest (about 1.5 s of CPU each time); a forked child starts with all of it
imported. What the server holds is frozen out of the garbage collector's sight before each fork,
as pre-forking servers do (see :func:`gc.freeze`), or each child's final collection at exit walks
all of it again: 0.4 s of a 1.3 s build. Each child is a fresh copy of the server, which never
builds anything itself, so no state passes from one build to the next. Builds that change how
Python itself starts (``PYTHON*`` variables) or where temporary files go are not sent here (see
:func:`can_serve`).

Protocol: one JSON request per line on stdin (module, argv, cwd, env, stdout and stderr file
paths, which may be the same file), one JSON reply per line on stdout (the child's exit code).
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import pkgutil
import runpy
import sys

# What `python -m sphinx` on a Deep Dives site imports before it reads the first document.
PRELOADED = (
    "sphinx.cmd.build",
    "sphinx.application",
    "sphinx.builders.dirhtml",
    "sphinx.ext.mathjax",
    "docutils.parsers.rst",
    "myst_parser",
    "myst_parser.sphinx_ext.main",
    "myst_nb",
    "myst_nb.sphinx_ext",
    "ablog",
    "pydata_sphinx_theme",
    "sphinx_copybutton",
    "sphinxcontrib.bibtex",
    "sphinx_design",
    "sphinx_proof",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
    "sphinx.builders.epub3",
    "sphinx.builders.linkcheck",
    "sphinx.domains.c",
    "sphinx.domains.cpp",
    "sphinx.domains.javascript",
    "fontTools.subset",
    "deepdive",
    # What it imports as it builds: Sphinx's built-in extensions (below) and these.
    "sphinx_design.extension",
    "myst_parser.sphinx_ext.directives",
    "myst_parser.sphinx_ext.mathjax",
    "myst_parser.sphinx_ext.myst_refs",
    "myst_nb.core.lexers",
    "myst_nb.ext.execution_tables",
    "myst_nb.ext.glue.domain",
    "IPython.lib.lexers",
    "ipykernel.kernelspec",
    "jinja2.ext",
    "pygments.lexers.shell",
    "pygments.styles.tango",
    "pybtex.backends.plaintext",
    "pybtex.style.labels.number",
    "pybtex.style.names.plain",
    "pybtex.style.sorting.author_year_title",
    "pybtex.style.sorting.none",
    "sphinxcontrib.bibtex.style.names.last",
    "sphinxcontrib.bibtex.style.referencing.foot",
    "latexcodec",
    "feedgen.ext.dc",
    "xml.dom.minidom",
    "fontTools.ttLib.woff2",
    "PIL.ImageDraw",
    "PIL.ImageFont",
    "PIL.PngImagePlugin",
    "PIL.BmpImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PpmImagePlugin",
    "docutils.languages.en",
    "sphinx.util.console",
    "sphinx.builders.latex.transforms",
    "pybtex.markup",
    "fontTools.cffLib.transforms",
    "encodings.utf_8_sig",
    "encodings.unicode_escape",
)
# The theme lists every accessible Pygments style it ships, which imports each one.
PRELOADED_PACKAGES = ("a11y_pygments",)

# Read when Python starts or cached on first use, so a child of a running server could not honour
# them: builds that set one run as a new process.
STARTUP_VARIABLES = ("PYTHON", "TMPDIR", "TEMP", "TMP")


def can_serve(env: dict[str, str]) -> bool:
    """Whether a build whose environment differs from this one by ``env`` can be forked."""
    return not any(name.startswith(STARTUP_VARIABLES) for name in env)


def preload() -> None:
    from sphinx.application import builtin_extensions

    for module in (*PRELOADED, *builtin_extensions):
        importlib.import_module(module)
    for name in PRELOADED_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)
    import deepdive

    # The extension's modules, not its command-line tools (a __main__ runs when imported).
    for module in pkgutil.walk_packages(deepdive.__path__, "deepdive."):
        if not module.name.startswith("deepdive.tools") and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def serve(requests, replies) -> dict | None:
    """Fork a child per request and reply with its exit code. Returns the request in the child
    (which then runs it as its whole life), None in the server when its input ends."""
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            return request
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()
    return None


def standard_stream(fd: int, mode: str, line_buffering: bool = False, unbuffered: bool = False):
    """A new text stream on ``fd`` for ``sys.std*``: it lives as long as this process does.
    ``unbuffered`` makes it as ``python -u`` does: no buffer under the text layer."""
    binary = open(fd, mode + "b", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
    return io.TextIOWrapper(
        binary,
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=line_buffering,
        write_through=unbuffered,
    )


def become(request: dict) -> None:
    """Turn this forked child into ``python -m <module> <argv>`` run in ``cwd`` with ``env``."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = standard_stream(0, "r")
    # One file for both streams (stderr=STDOUT) is opened once, so they share its offset.
    opened = {}
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        if path not in opened:
            opened[path] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened[path], fd)
    for target in opened.values():
        os.close(target)
    # As Python sets them up when they are not a terminal: stdout in blocks, stderr by lines,
    # both at once with PYTHONUNBUFFERED (a variable read as Python starts, so honoured here).
    unbuffered = bool(request["env"].get("PYTHONUNBUFFERED"))
    sys.stdout = standard_stream(1, "w", unbuffered=unbuffered)
    sys.stderr = standard_stream(2, "w", line_buffering=True, unbuffered=unbuffered)
    sys.argv = [request["module"], *request["argv"]]
    sys.path[0] = os.getcwd()  # as `python -m` puts it, instead of this file's folder
    # As `python -m`: the module runs as __main__, and its SystemExit ends this process.
    runpy.run_module(request["module"], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # The protocol gets its own copy of stdout; fd 1 is left to what children print.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    preload()
    request = serve(sys.stdin, protocol)
    if request is not None:
        protocol.close()
        become(request)
