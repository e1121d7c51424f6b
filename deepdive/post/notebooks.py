"""Notebook posts: myst-nb's parser with our front matter, and a failing cell as one readable error.

A post may be a Jupyter notebook (``.ipynb``, front matter in a first Markdown cell between ``---``
fences) or a MyST text notebook (``.md`` whose front matter says ``file_format: mystnb`` and names
a ``kernelspec``). myst-nb executes them at build time and caches the outputs (``nb_execution_*``
in ``conf.py``). This module wraps myst-nb's parser to

- hand myst-nb the front matter in a form it can store (YAML dates become text; a notebook's
  front-matter cell becomes notebook metadata, so ``mystnb: {execution_mode: "off"}`` works there
  too) without moving a single line;
- turn a failing cell into one error located at the cell's file and line, naming the exception,
  instead of a page of traceback; the page is then built without outputs so ``--keep-going``
  can report the other problems, the notebook is read and executed again on the next build, and
  the build fails (``sphinx-build`` exits with status 1) even without ``-W``.

Which notebooks run: a Jupyter notebook saved after it was run (a code cell carries an output or
an execution count) is published with its stored outputs, as myst-nb's ``off`` mode publishes it,
so a notebook written elsewhere builds even when its imports are not installed here; a notebook
never run (or cleared), and every text notebook, runs with the site's ``nb_execution_mode``. A post
chooses for itself with ``mystnb: {execution_mode: ...}`` in its front matter or notebook metadata
(``force`` runs a notebook that has outputs, ``off`` never runs one); a site whose
``nb_execution_mode`` is ``force`` or ``off`` runs every notebook, or none.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jupyter_client.kernelspec import NoSuchKernel
from myst_nb.core.execute.base import ExecutionError
from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
from myst_nb.sphinx_ import Parser as MystNbParser
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from sphinx.domains import Domain
from sphinx.util import logging as sphinx_logging

from deepdive import add_page_stylesheet
from deepdive.post.frontmatter import split_front_matter

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

logger = sphinx_logging.getLogger(__name__)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
_CELL_HEADER = "An error occurred while executing the following cell:\n------------------\n"
# Per-notebook myst-nb overrides are ignored while a failed notebook is rendered without outputs.
_NO_OVERRIDES = "deepdive_execution_failed"
# The site's execution modes under which a notebook that carries its outputs is not run again.
RUN_UNLESS_STORED = ("cache", "auto")


class NotebooksDomain(Domain):
    """Notebooks whose execution failed, per document, so they are re-read until they succeed."""

    name = "deepdive-notebooks"
    label = "Deep Dives notebooks"
    data_version = 1
    initial_data: dict[str, Any] = {"failed": {}}

    @property
    def failed(self) -> dict[str, str]:
        return self.data["failed"]

    def clear_doc(self, docname: str) -> None:
        self.failed.pop(docname, None)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        self.failed.update({d: m for d, m in otherdata["failed"].items() if d in docnames})

    def resolve_any_xref(self, *args: Any) -> list:
        return []


@dataclass
class _Cell:
    """A code cell as its author sees it: where it starts and what it says."""

    number: int  # 1-based position among all cells of the file
    code_number: int  # 1-based position among the code cells
    source: str
    line: int | None  # file line of the cell's first line of code (text notebooks only)


class NotebookParser(MystNbParser):
    """myst-nb's parser, given JSON-safe front matter and reporting a failed cell readably."""

    def parse(self, inputstring: str, document: nodes.document) -> None:
        env = getattr(document.settings, "env", None) or self.env
        path = Path(env.doc2path(env.docname))
        text, removed_cells = prepare_source(
            inputstring, path.suffix, env.mystnb_config.execution_mode
        )
        try:
            with _quiet_myst_nb_failure(env.docname):
                super().parse(text, document)
        except (ExecutionError, NoSuchKernel, DeadKernelError) as error:
            cause = error.__cause__ if isinstance(error, ExecutionError) else error
            cells = _code_cells(text, path, env, removed_cells)
            message, line = describe_failure(cause, cells, path.suffix == ".ipynb")
            location = (env.docname, line) if line else env.docname
            logger.error(message, location=location, type="deepdive", subtype="notebook")
            env.get_domain(NotebooksDomain.name).failed[env.docname] = message
            _reset(document)
            config = env.mystnb_config
            env.mystnb_config = config.copy(execution_mode="off", metadata_key=_NO_OVERRIDES)
            try:
                super().parse(text, document)
            finally:
                env.mystnb_config = config


def prepare_source(text: str, suffix: str, execution_mode: str = "cache") -> tuple[str, int]:
    """Front matter myst-nb can store as notebook metadata, and a notebook that carries its
    outputs kept as saved (see the module's docstring); returns the text and cells removed."""
    if suffix == ".ipynb":
        text, removed = _move_front_matter_cell(text)
        if execution_mode in RUN_UNLESS_STORED:
            text = _keep_stored_outputs(text)
        return text, removed
    # The check parses the front matter as YAML; only text naming a notebook format can pass it.
    if ("mystnb" in text or "jupytext" in text) and is_myst_markdown_notebook(text):
        return _storable_front_matter(text), 0
    return text, 0


def _storable_front_matter(text: str) -> str:
    """Rewrite front matter myst-nb cannot use as one JSON line, keeping every line in place.

    myst-nb stores a text notebook's front matter as notebook metadata, which must be JSON:
    ``date: 2024-03-01`` would be a :class:`datetime.date` and fail when the notebook is saved.
    """
    split = split_front_matter(text)
    try:
        values = yaml.safe_load(split[0]) if split else None
    except yaml.YAMLError:
        return text  # front-matter validation reports it
    if not isinstance(values, dict):
        return text
    storable = _with_language(_jsonable(values))
    if storable == values:
        return text
    lines = text.splitlines(keepends=True)
    closing = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    one_line = json.dumps(storable, ensure_ascii=False) + "\n"
    return "".join([lines[0], one_line, *["\n"] * (closing - 2), *lines[closing:]])


def _move_front_matter_cell(text: str) -> tuple[str, int]:
    """Move a notebook's front-matter cell into its metadata; drop the cell if nothing is left."""
    try:
        notebook = json.loads(text)
        cells = notebook.get("cells") or []
        first = cells[0] if cells else {}
        source = first.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        split = (
            split_front_matter(source) if first.get("cell_type") in ("markdown", "raw") else None
        )
        values = yaml.safe_load(split[0]) if split else None
    except (ValueError, AttributeError, yaml.YAMLError):
        return text, 0  # front-matter validation reports it
    if not isinstance(values, dict):
        return text, 0
    notebook.setdefault("metadata", {}).update(_jsonable(values))
    notebook["metadata"] = _with_language(notebook["metadata"])
    source_lines = source.splitlines(keepends=True)
    closing = next(
        i for i in range(1, len(source_lines)) if source_lines[i].strip() in ("---", "...")
    )
    rest = "".join(source_lines[closing + 1 :])
    if rest.strip():
        first["source"] = rest.lstrip("\n")
        removed = 0
    else:
        del cells[0]
        removed = 1
    return json.dumps(notebook, ensure_ascii=False), removed


def _keep_stored_outputs(text: str) -> str:
    """A notebook that was run and saved, unless it chose its execution mode: not run again."""
    try:
        notebook = json.loads(text)
        metadata = notebook.setdefault("metadata", {})
        chosen = isinstance(metadata.get("mystnb"), dict) and "execution_mode" in metadata["mystnb"]
        cells = [c for c in notebook.get("cells") or [] if c.get("cell_type") == "code"]
    except (ValueError, AttributeError):
        return text  # myst-nb reports a notebook it cannot read
    if chosen or not any(c.get("outputs") or c.get("execution_count") for c in cells):
        return text
    mystnb = metadata["mystnb"] if isinstance(metadata.get("mystnb"), dict) else {}
    metadata["mystnb"] = {**mystnb, "execution_mode": "off"}
    return json.dumps(notebook, ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _with_language(metadata: dict[str, Any]) -> dict[str, Any]:
    """Name the language of a Python kernel, so code is highlighted even when it is not run."""
    kernelspec = metadata.get("kernelspec")
    if (
        not isinstance(kernelspec, dict)
        or "language" in kernelspec
        or metadata.get("language_info")
    ):
        return metadata
    if not str(kernelspec.get("name", "")).startswith("python"):
        return metadata
    return {**metadata, "kernelspec": {**kernelspec, "language": "python"}}


def _code_cells(text: str, path: Path, env: BuildEnvironment, removed: int) -> list[_Cell]:
    """The code cells of the notebook that failed, with the file line each one's code starts on."""
    if path.suffix == ".ipynb":
        notebook = json.loads(text)
        sources = [
            (
                index + 1 + removed,
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
            )
            for index, c in enumerate(notebook.get("cells", []))
            if c.get("cell_type") == "code"
        ]
        return [_Cell(n, k + 1, s, None) for k, (n, s) in enumerate(sources)]
    notebook = read_myst_markdown_notebook(
        text, config=env.myst_config, add_source_map=True, path=str(path)
    )
    lines = text.splitlines()
    cells = []
    for index, (cell, fence) in enumerate(
        zip(notebook.cells, notebook.metadata["source_map"], strict=False)
    ):
        if cell.cell_type != "code":
            continue
        cells.append(
            _Cell(
                index + 1, len(cells) + 1, cell.source, _first_code_line(lines, fence, cell.source)
            )
        )
    return cells


def _first_code_line(lines: list[str], fence: int, source: str) -> int:
    """The 1-based file line of a code cell's first line of code (after any option lines)."""
    body = source.splitlines()
    for start in range(fence, len(lines)):
        if lines[start : start + len(body)] == body:
            return start + 1
    return fence + 1


def describe_failure(
    error: BaseException, cells: list[_Cell], is_ipynb: bool
) -> tuple[str, int | None]:
    """One readable sentence for a failed execution, and the file line it points at."""
    if isinstance(error, NoSuchKernel):
        return (
            f"the notebook's kernel `{error.name}` is not installed here: "
            "use `kernelspec: {name: python3, display_name: Python 3}`"
        ), None
    if isinstance(error, DeadKernelError):
        return f"the notebook's kernel died while running it ({error}); is it out of memory?", None
    text = _ANSI.sub("", str(error.traceback if isinstance(error, CellExecutionError) else error))
    cell = _failed_cell(text, cells)
    if isinstance(error, CellExecutionError):
        what = f"raised {error.ename}: {error.evalue}".rstrip(": ")
    elif isinstance(error, CellTimeoutError):
        match = re.search(r"after (\d+) seconds", text)
        seconds = match.group(1) if match else "the"
        what = f"did not finish within {seconds} seconds (`nb_execution_timeout`)"
    else:
        what = f"failed: {type(error).__name__}: {error}"
    if cell is None:
        return f"a notebook cell {what}", None
    where = f"code cell {cell.code_number}" + (
        f" (cell {cell.number} of the notebook)" if is_ipynb else ""
    )
    frame = _CELL_FRAME.search(text) if isinstance(error, CellExecutionError) else None
    code_lines = cell.source.splitlines()
    if frame and 1 <= int(frame.group(1)) <= len(code_lines):
        offset = int(frame.group(1))
        statement = code_lines[offset - 1].strip()
        line = cell.line + offset - 1 if cell.line else None
        where += f", line {offset} of the cell: `{statement}`"
    else:
        line = cell.line
    hint = 'fix it, or add `mystnb: {execution_mode: "off"}` to the front matter to skip execution'
    return f"{where} {what} ({hint})", line


def _failed_cell(message: str, cells: list[_Cell]) -> _Cell | None:
    for cell in cells:
        if message.startswith(_CELL_HEADER + cell.source + "\n------------------"):
            return cell
    for cell in cells:  # a timeout shows the cell, or its first and last five lines
        first = cell.source.strip().split("\n")
        if cell.source.strip() and (cell.source in message or str(first[:5]) in message):
            return cell
    return None


@contextlib.contextmanager
def _quiet_myst_nb_failure(docname: str):
    """Drop myst-nb's "Executing notebook failed: CellExecutionError": our error says more."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Executing notebook failed:")

    target = logging.getLogger(f"sphinx.mystnb-{docname}")
    target.addFilter(keep)
    try:
        yield
    finally:
        target.removeFilter(keep)


def _reset(document: nodes.document) -> None:
    """Forget what a failed parse left in the document, before it is parsed again."""
    del document[:]
    document.attributes.pop("nb_renderer", None)
    for name in ("ids", "nameids", "nametypes", "refnames", "refids"):
        getattr(document, name).clear()


def use_notebook_parser(app: Sphinx) -> None:
    """``builder-inited``: when myst-nb reads the site's sources, read them with our parser."""
    if "myst_nb" in app.extensions:
        app.add_source_parser(NotebookParser, override=True)


def reread_failed(
    app: Sphinx, env: BuildEnvironment, added: set, changed: set, removed: set
) -> list[str]:
    """``env-get-outdated``: a notebook that failed is read (and executed) again on every build."""
    return sorted(set(env.get_domain(NotebooksDomain.name).failed) - removed)


def fail_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: a failed notebook fails the build, with or without ``-W`` (not in a
    lenient preview, ``deepdive_strict = False``)."""
    if (
        exception is None
        and app.config.deepdive_strict
        and app.env.get_domain(NotebooksDomain.name).failed
        and app.statuscode == 0
    ):
        app.statuscode = 1


_SUMMARY_TITLE = re.compile(r'<p class="(collapsed|expanded) admonition-title">(.*?)</p>')
# myst-nb's label for every hidden cell's toggle, which hides the title it shows.
_SUMMARY_LABEL = ' aria-label="Toggle hidden content"'


def valid_toggle_markup(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object
) -> None:
    """``html-page-context``: myst-nb puts ``<p>`` titles inside the ``<summary>`` of hidden
    cells, which HTML does not allow; a ``<span>`` shows the same (see deepdive-pages.css).
    Its ``aria-label`` ("Toggle hidden content") is dropped, so that a screen reader says what
    the toggle shows ("Show code cell source"), as WCAG's "label in name" asks."""
    body = context.get("body")
    if body and "admonition-title" in body and "<summary" in body:
        body = _SUMMARY_TITLE.sub(r'<span class="\1 admonition-title">\2</span>', body)
        context["body"] = body.replace("<summary" + _SUMMARY_LABEL + ">", "<summary>")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_domain(NotebooksDomain)
    add_page_stylesheet(app)
    app.connect("html-page-context", valid_toggle_markup)
    app.connect("builder-inited", use_notebook_parser)
    app.connect("env-get-outdated", reread_failed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
