"""Math typeset at build time by KaTeX, with a locally served MathJax 3 for what KaTeX cannot do.

Each equation is typeset once, when its document is read, by one long-lived Node.js process
(``katex_server.js``) per Python process; the HTML is kept on the math node in the pickled
doctree, so incremental builds typeset only what changed. Readers get KaTeX's HTML + MathML and
``_static/katex/katex.min.css`` with its fonts: no script, no third-party request. An equation
KaTeX rejects but MathJax 3 accepts is written as MathJax's MathML (readable as is in modern
browsers and feeds) and laid out by ``_static/mathjax/mml-chtml.js``, loaded only on pages that
hold one. TeX that neither accepts is a warning with its file and line.

``node_modules`` is looked for beside the ``deepdive`` package (the project root), or where
``DEEPDIVE_NODE_MODULES`` points.
"""

from __future__ import annotations

import atexit
import filecmp
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lxml.html
from docutils import nodes
from sphinx.errors import ConfigError, ExtensionError
from sphinx.locale import get_translation
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from deepdive import add_page_stylesheet
from deepdive.errors import SetupError
from deepdive.post.sourcelines import inline_lines

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata
    from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

RENDERER = "deepdive"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVER_JS = Path(__file__).with_name("katex_server.js")
# Rendered markup kept on each math node, and what kind it is: "katex", "mathml" or "error".
HTML_ATTR, KIND_ATTR = "deepdive_math_html", "deepdive_math_kind"
MATH_CLASSES = "math notranslate nohighlight"
INSTALL_HINT = f"Run `make html`, which runs `npm ci` first, or run `npm ci` in {PROJECT_ROOT}."
_MACRO_NAME = re.compile(r"\\[A-Za-z]+")
# Sphinx numbers equations itself, so a whole-block numbered environment is typeset starred.
_NUMBERED_ENVS = frozenset(
    {"equation", "align", "gather", "alignat", "multline", "flalign", "eqnarray", "xalignat"}
)
_SINGLE_ENV = re.compile(r"\A\s*\\begin\{(\w+)\}.*\\end\{\1\}\s*\Z", re.DOTALL)
# What the MathJax fallback needs from node_modules/mathjax/es5, besides mml-chtml.js itself:
# its fonts, and the menu's accessibility and speech modules that it loads when a reader asks.
_MATHJAX_FILES = ("mml-chtml.js", "output/chtml/fonts/woff-v2", "a11y", "ui", "sre", "input/mml")
_EMPTY_MATHML = re.compile(r"<(mspace|none|mprescripts|malignmark|maligngroup)(\s[^<>]*?)?\s*/>")
# Marks that belong to the formula before them, never at the start of a line.
CLOSING_PUNCTUATION = ",.;:!?)]}’”»%…-–—'"
# A formula of at most this many KaTeX line-break groups (it may break after a relation or an
# operator between them) is glued to the punctuation after it; a longer one keeps its own breaks.
GLUED_GROUPS = 3
GLUE_CLASS = "dd-math-glue"


def node_modules() -> Path:
    """The ``node_modules`` folder of the project (or of ``DEEPDIVE_NODE_MODULES``)."""
    return Path(os.environ.get("DEEPDIVE_NODE_MODULES") or PROJECT_ROOT / "node_modules")


class KatexServer:
    """One Node.js process that typesets batches of TeX; answers come back in request order."""

    def __init__(self, macros: dict[str, str]) -> None:
        node = shutil.which("node")
        if node is None:
            raise SetupError(
                "deepdive: Node.js (20 or newer) is needed to typeset math and `node` is not "
                "on PATH; install it (e.g. `apt-get install nodejs`) and run `make html`"
            )
        env = {**os.environ, "NODE_PATH": str(node_modules())}
        self.owner = os.getpid()
        self._lock = threading.Lock()
        self._next_id = 0
        self._process = subprocess.Popen(
            [node, str(SERVER_JS), json.dumps({"macros": macros})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def typeset(self, items: list[tuple[str, bool]]) -> list[dict[str, str]]:
        """Typeset ``(tex, display)`` pairs; each answer has ``html``, ``mathml`` or ``error``."""
        if not items:
            return []
        with self._lock:
            self._next_id += 1
            request = json.dumps({"id": self._next_id, "items": items}) + "\n"
            try:
                self._process.stdin.write(request.encode("utf-8"))
                self._process.stdin.flush()
                line = self._process.stdout.readline()
            except OSError:
                line = b""
            if not line:
                raise SetupError(
                    "deepdive: the KaTeX process (node) stopped unexpectedly; "
                    "its own error message is printed above"
                )
            reply = json.loads(line)
            if reply.get("id") != self._next_id:
                raise ExtensionError(f"deepdive: the KaTeX process answered out of turn: {reply}")
            return reply["results"]

    def close(self) -> None:
        """Let the process finish (it exits when its input closes); kill it if it will not."""
        try:
            self._process.stdin.close()
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


class _ProcessState:
    """What one Python process (the main one or a forked parallel reader/writer) keeps."""

    def __init__(self) -> None:
        self.server: KatexServer | None = None
        self.fallback_pages: set[str] = set()


_state = _ProcessState()


def _forget_parent_state() -> None:
    # A forked reader/writer must not talk to its parent's Node process: start afresh.
    _state.server = None
    _state.fallback_pages = set()


os.register_at_fork(after_in_child=_forget_parent_state)


def _server(config: Config) -> KatexServer:
    if _state.server is None or _state.server.owner != os.getpid():
        _state.server = KatexServer(dict(config.deepdive_math_macros))
    return _state.server


def _close_server() -> None:
    if _state.server is not None and _state.server.owner == os.getpid():
        _state.server.close()
    _state.server = None


atexit.register(_close_server)


def _is_ours(app: Sphinx) -> bool:
    builder = app.builder
    return (
        builder is not None
        and builder.format == "html"
        and getattr(builder, "math_renderer_name", None) == RENDERER
    )


# -- TeX as Sphinx means it ----------------------------------------------------------------------


def _unnumbered(tex: str) -> str:
    """``\\begin{align}...\\end{align}`` becomes ``align*``: the number is Sphinx's to show."""
    match = _SINGLE_ENV.match(tex)
    if not match or match.group(1) not in _NUMBERED_ENVS:
        return tex
    name = match.group(1)
    tex = tex.replace(f"\\begin{{{name}}}", f"\\begin{{{name}*}}", 1)
    head, _end, tail = tex.rpartition(f"\\end{{{name}}}")
    return f"{head}\\end{{{name}*}}{tail}"


def node_tex(node: nodes.math | nodes.math_block) -> tuple[str, bool]:
    """The TeX to typeset for a math node, and whether it is display math.

    Display math follows ``sphinx.ext.mathjax``: blank-line separated parts are aligned one
    under another and a part holding ``\\\\`` is a ``split``.
    """
    text = node.astext()
    if isinstance(node, nodes.math):
        return text, False
    if node.get("no-wrap", node.get("nowrap", False)) or _SINGLE_ENV.match(text):
        return _unnumbered(text), True
    parts = [part for part in text.split("\n\n") if part.strip()]
    parts = [f"\\begin{{split}}{part}\\end{{split}}" if "\\\\" in part else part for part in parts]
    if len(parts) > 1:
        return "\\begin{aligned}" + "\\\\".join(parts) + "\\end{aligned}", True
    return (parts[0] if parts else ""), True


def _store(
    node: nodes.Element, result: dict[str, str], tex: str, location: tuple[str, int] | None = None
) -> str:
    """Keep a typesetting answer on its node; warn (with file and line) about TeX in error."""
    if "html" in result:
        kind, html = "katex", result["html"]
    elif "mathml" in result:
        kind, html = "mathml", result["mathml"]
    else:
        kind = "error"
        html = f'<code title="{_escape(result["error"])}">{_escape(tex)}</code>'
        error, katex_error = result["error"], result.get("reason", "")
        details = [] if katex_error.replace(":", "") == error else [f"KaTeX: {katex_error}"]
        if error.startswith("Undefined control sequence"):
            details.append("site-wide macros belong in conf.py's deepdive_math_macros")
        shown = " ".join(tex.split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        logger.warning(
            "math cannot be typeset: %s%s, in `%s`",
            error,
            f" ({'; '.join(details)})" if details else "",
            shown,
            location=location or node,
            type="deepdive",
            subtype="math",
        )
    node[HTML_ATTR] = close_empty_mathml(html)
    node[KIND_ATTR] = kind
    return kind


def close_empty_mathml(html: str) -> str:
    """KaTeX and MathJax write empty MathML elements XML-style (``<mspace width="2em"/>``, for
    ``\\qquad``). A browser reads that right inside ``<math>``, but an HTML parser that does not
    know MathML (lxml's, for the feeds and previews; feedparser's, in feed readers) takes it as an
    opening tag and puts the rest of the formula inside it, where nothing is shown. Written with
    an end tag, it means the same to every parser."""
    return _EMPTY_MATHML.sub(r"<\1\2></\1>", html)


def _escape(text: str) -> str:
    return html_escape(text, quote=True)


# -- reading: typeset each document's math in one batch --------------------------------------------


def typeset_document(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: typeset every equation of the document, keeping the HTML on its node."""
    if not _is_ours(app):
        return
    found = [n for n in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))]
    if not found:
        return
    items = [node_tex(node) for node in found]
    results = _server(app.config).typeset(items)
    docname = app.env.docname
    locations = [(docname, line) if line else None for line in formula_lines(found)]
    pairs = zip(found, results, items, locations, strict=True)
    kinds = [_store(node, result, tex, where) for node, result, (tex, _), where in pairs]
    _math_counts(app.env)[app.env.docname] = (len(found), kinds.count("mathml"))


def glue_closing_punctuation(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``, after typesetting: an inline formula and the punctuation right after it
    ("$j$," or "$x$).") go in one ``span.dd-math-glue`` that is never broken, because browsers
    break a line after a formula's last box even before a comma. Only a formula of at most
    :data:`GLUED_GROUPS` groups is glued: a longer one could be too wide for a phone's line."""
    if not _is_ours(app):
        return
    for node in list(doctree.findall(nodes.math)):
        following = node.next_node(descend=False, siblings=True)
        if (
            not isinstance(following, nodes.Text)
            or following.astext()[:1] not in CLOSING_PUNCTUATION
        ):
            continue
        if node.get(HTML_ATTR, "").count('class="katex-base"') > GLUED_GROUPS:
            continue
        text = following.astext()
        marks = len(text) - len(text.lstrip(CLOSING_PUNCTUATION))
        parent = node.parent
        glue = nodes.inline("", "", classes=[GLUE_CLASS])
        parent.replace(node, glue)
        glue += [node, nodes.Text(text[:marks])]
        if marks < len(text):
            parent.replace(following, nodes.Text(text[marks:]))
        else:
            parent.remove(following)


def formula_lines(formulas: list[nodes.Element]) -> list[int | None]:
    """The source line of each formula, in document order: inline math at its own line within its
    paragraph, display math at the line docutils gives it."""
    inline = [(node, node.astext()) for node in formulas if isinstance(node, nodes.math)]
    found = iter(inline_lines(inline))
    return [next(found) if isinstance(node, nodes.math) else node.line for node in formulas]


def _math_counts(env: BuildEnvironment) -> dict[str, tuple[int, int]]:
    """Per document: how many equations it has, and how many of them fell back to MathJax."""
    if not hasattr(env, "deepdive_math_counts"):
        env.deepdive_math_counts = {}
    return env.deepdive_math_counts


def engine_version() -> str:
    """What the typeset HTML depends on besides the TeX: KaTeX, MathJax and the server script."""
    parts = []
    for package in ("katex", "mathjax"):
        manifest = node_modules() / package / "package.json"
        version = json.loads(manifest.read_text())["version"] if manifest.is_file() else "missing"
        parts.append(f"{package} {version}")
    script = hashlib.sha256(SERVER_JS.read_bytes()).hexdigest()[:12]
    return ", ".join([*parts, f"server {script}"])


def reread_after_upgrade(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """``env-get-outdated``: after KaTeX or MathJax changed, typeset every equation again."""
    if not _is_ours(app):
        return []
    current = engine_version()
    if getattr(env, "deepdive_math_engine", current) == current:
        env.deepdive_math_engine = current
        return []
    env.deepdive_math_engine = current
    return sorted(name for name in _math_counts(env) if name in env.found_docs)


def purge_counts(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _math_counts(env).pop(docname, None)


def merge_counts(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    _math_counts(env).update(
        (name, counts) for name, counts in _math_counts(other).items() if name in docnames
    )


# -- writing: the HTML math renderer ---------------------------------------------------------------


def _rendered(self: HTML5Translator, node: nodes.Element) -> tuple[str, str]:
    if HTML_ATTR not in node:  # made after reading (a transform, an extension): typeset it now
        tex, _display = node_tex(node)
        (result,) = _server(self.builder.config).typeset([(tex, _display)])
        _store(node, result, tex)
    kind = node[KIND_ATTR]
    if kind == "mathml":
        # An excerpt rendered for a listing page names that page (deepdive.site.render).
        _state.fallback_pages.add(self.document.get("deepdive_page", self.builder.current_docname))
    return node[HTML_ATTR], kind


def _classes(kind: str) -> str:
    return MATH_CLASSES + {"katex": "", "mathml": " dd-math--fallback"}.get(kind, " dd-math--error")


def visit_inline(self: HTML5Translator, node: nodes.math) -> None:
    """Inline math: KaTeX markup in a ``span.math``."""
    html, kind = _rendered(self, node)
    self.body.append(self.starttag(node, "span", "", CLASS=_classes(kind)) + html + "</span>")
    raise nodes.SkipNode


def visit_block(self: HTML5Translator, node: nodes.math_block) -> None:
    """Display math: a ``div.math`` with Sphinx's equation number and permalink, then KaTeX."""
    html, kind = _rendered(self, node)
    self.body.append(self.starttag(node, "div", CLASS=_classes(kind)))
    if node.get("number"):
        number = get_node_equation_number(self, node) if node["ids"] else node["number"]
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, get_translation("sphinx")("Link to this equation"))
        self.body.append("</span>")
    self.body.append(html + "</div>\n")
    raise nodes.SkipNode


def page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: keyboard access to wide equations; MathJax where a page needs it."""
    if not _is_ours(app):
        return
    always = app.registry.html_assets_policy == "always"
    if context.get("has_maths_elements") or always:
        app.builder.add_js_file("deepdive-math.js", defer="defer")
    if pagename in _state.fallback_pages or always:
        app.builder.add_js_file("deepdive-mathjax.js", priority=600)
        app.builder.add_js_file("mathjax/mml-chtml.js", priority=601, defer="defer")


# -- build start and end ---------------------------------------------------------------------------


def check_config(app: Sphinx, config: Config) -> None:
    """Fail early, naming the option, when ``deepdive_math_macros`` has the wrong form."""
    macros = config.deepdive_math_macros
    expected = "a dict of TeX macro names to bodies, e.g. {'\\\\R': '\\\\mathbb{R}'}"
    if not isinstance(macros, dict):
        raise ConfigError(
            f"conf.py: deepdive_math_macros = {macros!r} is not valid; expected {expected}"
        )
    for name, body in macros.items():
        if not (isinstance(name, str) and _MACRO_NAME.fullmatch(name) and isinstance(body, str)):
            raise ConfigError(
                f"conf.py: deepdive_math_macros entry {name!r}: {body!r} is not valid; expected "
                f"{expected} (a backslash and letters, mapped to a string of TeX)"
            )


def start_build(app: Sphinx) -> None:
    """``builder-inited``: check KaTeX is installed."""
    _close_server()
    _state.fallback_pages = set()
    if not _is_ours(app):
        return
    katex = node_modules() / "katex" / "package.json"
    if not katex.is_file():
        raise SetupError(
            f"deepdive: KaTeX is not installed ({katex.parent} is missing). {INSTALL_HINT}"
        )


# What a source with a formula contains, in any of the formats a post can be written in
# (`$`, `{math}`, `:math:`, `.. math::`, `\begin{...}`); a source without any has none.
_MATH_MARKERS = re.compile(rb"\$|math|\\begin\{")


def start_node_if_math_ahead(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: when a document about to be read may hold a formula, start this
    process's Node now, so that its equations need not wait for Node to start. Otherwise Node is
    started at the first formula read or written, if there is one."""
    if _is_ours(app) and any(_may_hold_math(env.doc2path(name)) for name in docnames):
        _server(app.config)


def _may_hold_math(source: Path) -> bool:
    try:
        return _MATH_MARKERS.search(source.read_bytes()) is not None
    except OSError:
        return True


def copy_assets(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: copy KaTeX (and MathJax, if any page needs it) into ``_static``.

    After reading, so we know whether MathJax is needed, and before writing, so Sphinx stamps
    the same ``?v=`` checksum on the links in a clean build as in an incremental one.
    """
    if not _is_ours(app):
        return
    static = Path(app.outdir) / "_static"
    _copy_katex(static / "katex")
    counts = _math_counts(env)
    if any(fell for _, fell in counts.values()) or _state.fallback_pages:
        _copy_mathjax(static / "mathjax")


def finish_build(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: stop the Node process; report how many equations fell back."""
    _close_server()
    if exception is not None or not _is_ours(app):
        return
    counts = _math_counts(app.env)
    fallbacks = {name: fell for name, (_, fell) in sorted(counts.items()) if fell}
    total = sum(count for count, _ in counts.values())
    where = f" ({', '.join(fallbacks)})" if fallbacks else ""
    logger.info(
        "deepdive: %d equations typeset by KaTeX at build time; %d fell back to MathJax%s",
        total - sum(fallbacks.values()),
        sum(fallbacks.values()),
        where,
    )


def _copy_katex(target: Path) -> None:
    dist = node_modules() / "katex" / "dist"
    css = (dist / "katex.min.css").read_text(encoding="utf-8")
    # Every browser that runs KaTeX's CSS reads woff2: serve only those fonts.
    css = re.sub(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)', "", css)
    target.mkdir(parents=True, exist_ok=True)
    _write_if_changed(target / "katex.min.css", css)
    for font in sorted((dist / "fonts").glob("*.woff2")):
        _copy_if_changed(font, target / "fonts" / font.name)


def _copy_mathjax(target: Path) -> None:
    es5 = node_modules() / "mathjax" / "es5"
    if not (es5 / "mml-chtml.js").is_file():
        raise SetupError(
            f"deepdive: MathJax 3 is not installed ({es5.parent} is missing) and some "
            f"equations need it. {INSTALL_HINT}"
        )
    for name in _MATHJAX_FILES:
        source = es5 / name
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in files:
            _copy_if_changed(path, target / path.relative_to(es5))


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# -- feeds ---------------------------------------------------------------------------------------


def mathml_only(html: str) -> str:
    """Reduce the KaTeX markup in an HTML fragment to its ``<math>`` elements (for feed readers)."""
    if "katex" not in html or not html.strip():
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    keep_mathml_only(root)
    children = (lxml.html.tostring(child, encoding="unicode") for child in root)
    return (root.text or "") + "".join(children)


def keep_mathml_only(root: lxml.html.HtmlElement) -> None:
    """In a parsed tree, replace each KaTeX rendering by its ``<math>`` element, in place.

    For code that already holds the fragment as an lxml tree, so it is parsed only once.
    """
    for katex in root.xpath('.//*[contains(concat(" ", @class, " "), " katex ")]'):
        math = next(iter(katex.iter("math")), None)
        outer = katex.getparent()
        if outer is None or "katex-display" not in (outer.get("class") or "").split():
            outer = katex
        if outer.getparent() is None:
            continue
        if math is None:
            outer.drop_tree()
            continue
        math.tail = outer.tail
        outer.getparent().replace(outer, math)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("deepdive_math_macros", {}, "env", types=(dict,))
    app.add_html_math_renderer(RENDERER, (visit_inline, None), (visit_block, None))
    app.add_css_file("katex/katex.min.css")
    add_page_stylesheet(app)
    app.connect("config-inited", check_config)
    app.connect("builder-inited", start_build)
    app.connect("env-before-read-docs", start_node_if_math_ahead, priority=400)
    # Before other doctree-read handlers, so excerpts they copy carry the typeset HTML.
    app.connect("doctree-read", typeset_document, priority=400)
    app.connect("doctree-read", glue_closing_punctuation, priority=401)
    app.connect("env-get-outdated", reread_after_upgrade)
    app.connect("env-purge-doc", purge_counts)
    app.connect("env-merge-info", merge_counts)
    app.connect("html-page-context", page_assets, priority=900)
    app.connect("env-updated", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
