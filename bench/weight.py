"""Page weight of the heaviest post on a reader's first view, against the same post in plain ABlog.

Run it as ``make weight`` (or ``.venv/bin/python bench/weight.py --help``). It builds the real site
strictly (or takes ``--site DIR``), picks the post page whose HTML and subresources weigh the most,
and builds the same post's Markdown as a plain ABlog + pydata-sphinx-theme page that typesets math
in the browser with Sphinx's MathJax. Each page is served from 127.0.0.1 with gzip, as GitHub Pages
serves it, and opened in headless Chromium with an empty cache, three times (rotating the order).

What one load reports:

* bytes: what crossed the wire for each response, HTTP headers + body as encoded (gzip), from
  Chromium through Playwright's ``request.sizes()`` (the ``encodedDataLength`` of DevTools'
  ``Network.loadingFinished``), summed over every request except images (resource type ``image``
  or an ``image/*`` response); images are reported apart;
* requests: every http(s) request of the page and of the workers it starts, until the network
  was idle, failed ones included; data: URLs and the browser's own ``/favicon.ico`` probe are not;
* math rendered: milliseconds from navigation start until DOMContentLoaded, every font load
  (``document.fonts`` ``loadingdone``) and, on a page with MathJax, ``MathJax.startup.promise``
  have all happened; the load fails if any ``.math`` element is left without typeset output;
* third-party: requests to any host other than the local server, and which of them Chromium
  flagged as render-blocking (``renderBlockingBehavior`` of DevTools' ``requestWillBeSent``).

The medians go to a table on stdout and, with every load, to ``bench/results/weight.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import mimetypes
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup

from deepdive.tools.chromium import launch
from deepdive.tools.linkcheck import published_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "weight.json"
TARGET_KB = 350
KB = 1000  # bytes: "350 KB" is read strictly, as 350,000 bytes
STRICT = ["-W", "--keep-going", "-n"]  # what `make html` passes
VIEWPORT = {"width": 1280, "height": 900}
# Chromium's verdicts for a request that holds up the first paint.
RENDER_BLOCKING = frozenset({"Blocking", "InBodyParserBlocking"})

# MathJax for the baseline, served from the local server instead of cdn.jsdelivr.net (this machine
# may have no internet; the numbers then leave out the CDN's latency, not MathJax's own work).
# "3" is MathJax 3's TeX-only build, the major version Sphinx 4 to 8 pointed at; "4" is what
# Sphinx 9's default ``mathjax_path`` (https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js)
# loads today, speech and Braille enrichment included.
MATHJAX = {
    "3": {"package": "mathjax@3.2.2", "script": "mathjax/es5/tex-chtml.js", "config": None},
    "4": {
        "package": "mathjax@4.1.3",
        "script": "mathjax/tex-mml-chtml.js",
        # MathJax 4 fetches its fonts from cdn.jsdelivr.net/npm/@mathjax by default; point it at
        # the local copy npm installed beside it, the one change a plain site would not make.
        "config": {"loader": {"paths": {"fonts": "[mathjax]/../@mathjax"}}},
    },
}
# Sphinx reads a relative ``mathjax_path`` as a file in _static/; the baseline's server answers
# for _static/_npm/ from the node_modules folder that holds MathJax.
NPM_PATH = "_npm/"
NPM_MOUNT = "_static/" + NPM_PATH


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- The real site ---------------------------------------------------------------------------------


def build_real_site(outdir: Path) -> Path:
    """Build the real site into ``outdir`` with the strict flags of ``make html``."""
    doctrees = outdir.parent / "doctrees"
    command = [sys.executable, "-m", "sphinx", "-b", "dirhtml", *STRICT, "-j", "auto"]
    command += ["-d", str(doctrees), str(ROOT), str(outdir)]
    env = {k: v for k, v in os.environ.items() if k != "DEEPDIVE_DRAFTS"}  # published posts only
    log(f"building the real site into {outdir} ...")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the strict build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return outdir


@dataclass
class PageEstimate:
    """A post page's weight as read from the build output, before any browser opens it."""

    page: str  # site-relative URL path: posts/2025/x/
    html_bytes: int
    gzip_bytes: int  # HTML + scripts + stylesheets, each gzipped as the server sends them
    image_bytes: int
    files: int
    third_party: list[str]  # URLs on other hosts that the HTML loads (a CSP may stop them)


_LOADED = {
    "script[src]": "src",
    "link[rel~=stylesheet][href]": "href",
    "link[rel~=preload][href]": "href",
    "link[rel~=modulepreload][href]": "href",
    "img[src]": "src",
    "link[rel~=icon][href]": "href",
}


def referenced_files(site: Path, page: str, soup: BeautifulSoup) -> tuple[set, set, list[str]]:
    """What the page's HTML loads directly: local scripts, stylesheets and the like; local images;
    and the URLs it names on other hosts."""
    text, images, foreign = set(), set(), []
    for selector, attribute in _LOADED.items():
        for tag in soup.select(selector):
            url = urljoin("http://site/" + page, tag[attribute])
            if not url.startswith("http://site/"):
                if urlsplit(url).scheme in ("http", "https"):
                    foreign.append(url)
                continue
            path = site / unquote(urlsplit(url).path.removeprefix("/"))
            if path.is_file():
                is_image = tag.name == "img" or "icon" in (tag.get("rel") or [])
                (images if is_image else text).add(path)
    return text, images, foreign


def estimate_posts(site: Path) -> list[PageEstimate]:
    """Every post page of the build, heaviest first: gzipped HTML + scripts + styles it names."""
    estimates = []
    for html in sorted(site.glob("posts/**/index.html")):
        page = html.parent.relative_to(site).as_posix() + "/"
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "lxml")
        text, images, foreign = referenced_files(site, page, soup)
        files = [html, *sorted(text)]
        estimates.append(
            PageEstimate(
                page=page,
                html_bytes=html.stat().st_size,
                gzip_bytes=sum(len(encode(p.read_bytes(), content_type(p))) for p in files),
                image_bytes=sum(p.stat().st_size for p in images),
                files=len(files) + len(images),
                third_party=foreign,
            )
        )
    return sorted(estimates, key=lambda e: (e.gzip_bytes, e.image_bytes), reverse=True)


# -- Serving like GitHub Pages ---------------------------------------------------------------------

# GitHub Pages gzips text responses; fonts (WOFF/WOFF2 are compressed already) and images go as is.
COMPRESSION = "gzip"
GZIP_LEVEL = 6
_COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|xml|.*\+xml)|image/svg\+xml)")
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
}


def content_type(path: Path) -> str:
    guessed = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    guessed = guessed or "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def encode(body: bytes, ctype: str) -> bytes:
    """The body as the server sends it: gzipped if its type is compressible."""
    if _COMPRESSIBLE.match(ctype):
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return body


class GzipSiteHandler(BaseHTTPRequestHandler):
    """Serves ``mounts`` ({URL prefix: folder}) over HTTP/1.1, gzipping text like GitHub Pages."""

    protocol_version = "HTTP/1.1"
    mounts: dict[str, Path] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        self.respond(send_body=False)

    def locate(self, path: str) -> Path | None:
        for prefix, folder in sorted(self.mounts.items(), key=lambda m: -len(m[0])):
            if path.startswith(prefix):
                target = (folder / unquote(path.removeprefix(prefix))).resolve()
                if target.is_relative_to(folder.resolve()):
                    return target
        return None

    def respond(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        target = self.locate(path)
        if target is not None and target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        if target is None or not target.is_file():
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        ctype = content_type(target)
        body = target.read_bytes()
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        encoded = encode(body, ctype) if accepts_gzip else body
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        if encoded is not body:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        if send_body:
            self.wfile.write(encoded)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


@contextlib.contextmanager
def serve(mounts: dict[str, Path]) -> Iterator[str]:
    """Serve ``mounts`` on a free port of 127.0.0.1; yield the origin (``http://127.0.0.1:N``)."""
    handler = type("Handler", (GzipSiteHandler,), {"mounts": mounts})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- One first view in Chromium --------------------------------------------------------------------

# Installed before any of the page's scripts: note when each batch of fonts finishes loading, and
# when MathJax (if the page loads it) resolves ``startup.promise``, i.e. has typeset the page.
INIT_SCRIPT = """
(() => {
  const w = (window.__ddWeight = { fontsDone: 0, mathDone: null, mathjax: false, looked: false });
  document.fonts.addEventListener("loadingdone", () => { w.fontsDone = performance.now(); });
  const look = () => {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      w.mathjax = true;
      mj.startup.promise.then(() => { w.mathDone = performance.now(); });
      w.looked = true;
    } else if (document.readyState === "complete") {
      w.looked = true;  // deferred scripts have all run: this page has no MathJax
    } else {
      setTimeout(look, 5);
    }
  };
  look();
})();
"""
SETTLED = (
    "() => window.__ddWeight && window.__ddWeight.looked && "
    "(!window.__ddWeight.mathjax || window.__ddWeight.mathDone !== null)"
)
COLLECT = """
async () => {
  await document.fonts.ready;
  const w = window.__ddWeight;
  const nav = performance.getEntriesByType("navigation")[0];
  const math = [...document.querySelectorAll(".math")];
  const typeset = (el) => el.querySelector("mjx-container, .katex, math");
  return {
    dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    fontsDone: w.fontsDone,
    mathDone: w.mathDone,
    mathjax: w.mathjax,
    mathElements: math.length,
    untypeset: math.filter((el) => !typeset(el)).map((el) => el.textContent.slice(0, 80)),
    fontStatus: document.fonts.status,
  };
}
"""


@dataclass
class Resource:
    """One request the page made, as the DevTools protocol saw it."""

    url: str
    type: str = ""
    mime: str = ""
    status: int = 0
    transferred: int = 0  # response headers + body as sent (compressed)
    body: int = 0  # the body's decoded size
    encoding: str = ""
    render_blocking: str = ""
    failed: str = ""
    third_party: bool = False

    @property
    def is_image(self) -> bool:
        return self.type == "image" or self.mime.startswith("image/")


@dataclass
class Load:
    """What one first view of one page cost."""

    transferred: int  # bytes, images excluded
    requests: int
    math_ms: float
    dcl_ms: float
    fonts_ms: float
    mathjax_ms: float | None
    image_bytes: int
    image_requests: int
    third_party: list[str]
    third_party_render_blocking: list[str]
    math_elements: int
    resources: list[Resource] = field(default_factory=list)


def _origin(url: str) -> str:
    return "{0.scheme}://{0.netloc}".format(urlsplit(url))


def _resource(request: Any, origin: str, blocking: dict[str, str]) -> Resource:
    """What one finished or failed Playwright request cost (call once the page has settled)."""
    resource = Resource(
        url=request.url,
        type=request.resource_type,
        render_blocking=blocking.get(request.url, ""),
        third_party=_origin(request.url) != origin,
    )
    if request.failure is not None:
        resource.failed = request.failure
        return resource
    response = request.response()
    if response is None:
        return resource
    sizes = request.sizes()  # the response's headers and its body as encoded on the wire
    resource.transferred = sizes["responseHeadersSize"] + sizes["responseBodySize"]
    resource.status = response.status
    resource.mime = response.headers.get("content-type", "").split(";")[0].strip()
    resource.encoding = response.headers.get("content-encoding", "")
    with contextlib.suppress(Exception):  # a worker's response body may be gone by now
        resource.body = len(response.body())
    return resource


def measure_load(browser: Any, url: str, timeout_s: float = 60) -> Load:
    """Open ``url`` once in a fresh context (an empty cache); measure what its first view cost."""
    origin = _origin(url)
    requests: list[Any] = []
    blocking: dict[str, str] = {}  # URL -> Chromium's render-blocking verdict

    def sent(event: dict) -> None:
        behaviour = event.get("renderBlockingBehavior")
        if behaviour:
            blocking.setdefault(event["request"]["url"], behaviour)

    def wanted(request: Any) -> None:
        # The browser's own /favicon.ico probe (once per host and browser, whatever the page
        # says) is no part of the page; everything else, worker requests included, is.
        is_probe = request.resource_type == "other" and request.url.endswith("/favicon.ico")
        if urlsplit(request.url).scheme in ("http", "https") and not is_probe:
            requests.append(request)

    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    try:
        context.on("request", wanted)
        page = context.new_page()
        page.add_init_script(INIT_SCRIPT)
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", sent)
        cdp.send("Network.enable")
        response = page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        if response is None or response.status != 200:
            raise RuntimeError(f"{url} answered {response and response.status}")
        page.wait_for_function(SETTLED, timeout=timeout_s * 1000, polling=50)
        page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
        seen = page.evaluate(COLLECT)
        listed = [_resource(request, origin, blocking) for request in requests]
    finally:
        context.close()

    if seen["untypeset"]:
        raise RuntimeError(
            f"{url}: {len(seen['untypeset'])} of {seen['mathElements']} math elements were never "
            f"typeset, e.g. {seen['untypeset'][0]!r}"
        )
    counted = [r for r in listed if not r.is_image]
    images = [r for r in listed if r.is_image]
    foreign = [r for r in listed if r.third_party]
    math_ms = max(seen["dcl"], seen["fontsDone"], seen["mathDone"] or 0)
    return Load(
        transferred=sum(r.transferred for r in counted),
        requests=len(listed),
        math_ms=round(math_ms, 1),
        dcl_ms=round(seen["dcl"], 1),
        fonts_ms=round(seen["fontsDone"], 1),
        mathjax_ms=round(seen["mathDone"], 1) if seen["mathDone"] is not None else None,
        image_bytes=sum(r.transferred for r in images),
        image_requests=len(images),
        third_party=[r.url for r in foreign],
        third_party_render_blocking=[
            r.url for r in foreign if r.render_blocking in RENDER_BLOCKING
        ],
        math_elements=seen["mathElements"],
        resources=listed,
    )


def summarize(loads: list[Load]) -> dict[str, Any]:
    """Medians over the loads of one page; the third-party lists of every load, merged."""

    def median(name: str) -> float:
        return statistics.median(getattr(load, name) for load in loads)

    third = list(dict.fromkeys(url for load in loads for url in load.third_party))
    blocking = list(
        dict.fromkeys(url for load in loads for url in load.third_party_render_blocking)
    )
    mathjax = [load.mathjax_ms for load in loads if load.mathjax_ms is not None]
    return {
        "kb": round(median("transferred") / KB, 1),
        "bytes": int(median("transferred")),
        "requests": int(median("requests")),
        "math_ms": round(median("math_ms")),
        "dcl_ms": round(median("dcl_ms")),
        "fonts_ms": round(median("fonts_ms")),
        "mathjax_ms": round(statistics.median(mathjax)) if mathjax else None,
        "image_kb": round(median("image_bytes") / KB, 1),
        "image_requests": int(median("image_requests")),
        "third_party": third,
        "third_party_render_blocking": blocking,
        "math_elements": loads[0].math_elements,
    }


def heaviest(resources: list[Resource], count: int = 12) -> list[dict[str, Any]]:
    """The largest responses of one load, images included (and marked)."""
    rows = sorted(resources, key=lambda r: r.transferred, reverse=True)[:count]
    return [
        {
            "path": urlsplit(r.url).path if not r.third_party else r.url,
            "type": r.type,
            "kb": round(r.transferred / KB, 1),
            "decoded_kb": round(r.body / KB, 1),
            "encoding": r.encoding or "identity",
            "image": r.is_image,
            "render_blocking": r.render_blocking,
        }
        for r in rows
    ]


def by_type(resources: list[Resource]) -> dict[str, dict[str, float]]:
    """Transferred KB and request counts per resource type (Document, Script, Font, ...)."""
    totals: dict[str, dict[str, float]] = {}
    for r in resources:
        kind = "image" if r.is_image else (r.type or "other")
        entry = totals.setdefault(kind, {"kb": 0.0, "requests": 0})
        entry["kb"] = round(entry["kb"] + r.transferred / KB, 1)
        entry["requests"] += 1
    return dict(sorted(totals.items(), key=lambda item: -item[1]["kb"]))


# -- The baseline: the same post in plain ABlog ----------------------------------------------------

BASELINE_CONF = '''"""Plain ABlog + pydata theme + Sphinx's MathJax: bench/weight.py's baseline."""

project = {project!r}
author = {author!r}
copyright = {copyright!r}
extensions = ["myst_parser", "ablog", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = project
html_baseurl = {baseurl!r}
myst_enable_extensions = {myst!r}
blog_title = project
blog_baseurl = html_baseurl
blog_post_pattern = "posts/*/*"
post_auto_orphan = True
# MathJax from a locally served npm copy, not cdn.jsdelivr.net (see bench/weight.py).
mathjax_path = {mathjax_path!r}
'''


def conf_values(source: Path) -> dict[str, Any]:
    """The few values of the real conf.py the baseline shares: identity, base URL, MyST syntax."""
    namespace: dict[str, Any] = {"__file__": str(source / "conf.py")}
    exec(compile((source / "conf.py").read_text(encoding="utf-8"), "conf.py", "exec"), namespace)
    return namespace


def ablog_front_matter_keys() -> set[str]:
    from ablog.post import PostDirective

    return set(PostDirective.option_spec) | {"date", "blogpost"}


_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<text>[^`]*)`")
# Roles of extensions the baseline lacks, written as the reader would see them, roughly.
_PLAIN_ROLES = {
    "cite": "[{}]",
    "cite:p": "[{}]",
    "cite:ps": "[{}]",
    "cite:t": "{}",
    "cite:ts": "{}",
    "cite:alp": "{}",
    "cite:author": "{}",
    "cite:year": "{}",
    "prf:ref": "{}",
    "glue": "{}",
    "glue:text": "{}",
    "glue:any": "{}",
    "glue:md": "{}",
}
_LANGUAGES = {"ipython3": "python", "ipython": "python", "python3": "python"}


def _role_text(match: re.Match) -> str:
    name, text = match["name"], match["text"]
    if name not in _PLAIN_ROLES:
        return match[0]
    shown = text.split("<", 1)[0].strip() if "<" in text else text
    if name.startswith("glue"):
        shown = shown.split(":", 1)[0]
    return _PLAIN_ROLES[name].format(shown)


def _skip_options(lines: list[str], index: int) -> tuple[dict[str, str], int]:
    """Read a directive's options (``:key: value`` lines or a ``---`` YAML block) at ``index``."""
    options: dict[str, str] = {}
    if index < len(lines) and lines[index].strip() == "---":
        end = lines.index("---", index + 1) if "---" in lines[index + 1 :] else index
        return options, end + 1
    while index < len(lines) and re.match(r"^:[\w-]+:", lines[index]):
        key, _, value = lines[index][1:].partition(":")
        options[key] = value.strip()
        index += 1
    return options, index


def plain_myst(text: str) -> str:
    """Our post's Markdown as a plain ABlog site can build it: front matter ABlog knows, and the
    roles and directives of extensions it lacks turned into plain text, admonitions, code."""
    known = ablog_front_matter_keys()
    body = text
    if text.startswith("---\n"):
        front_text, _, body = text[4:].partition("\n---\n")
        front = yaml.safe_load(front_text) or {}
        front = {k: v for k, v in front.items() if k in known}
        if isinstance(front.get("tags"), list):
            front["tags"] = ", ".join(map(str, front["tags"]))
        body = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body
    lines = body.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _FENCE.match(line)
        if match and match["name"].startswith("prf:"):
            kind = match["name"].removeprefix("prf:").capitalize()
            title = f"{kind}: {match['arg']}" if match["arg"] else kind
            options, index = _skip_options(lines, index + 1)
            out.append(f"{match['fence']}{{admonition}} {title}")
            if "label" in options:
                out.append(f":name: {options['label']}")
            continue
        if match and match["name"] == "code-cell":
            _, index = _skip_options(lines, index + 1)
            language = _LANGUAGES.get(match["arg"].strip(), match["arg"].strip() or "python")
            out.append(f"{match['fence']}{language}")
            continue
        if match and match["name"].startswith("glue"):
            closing = (i for i in range(index + 1, len(lines)) if lines[i] == match["fence"])
            index = next(closing, len(lines) - 1) + 1  # a notebook output the baseline lacks
            continue
        out.append(_ROLE.sub(_role_text, line))
        index += 1
    return "\n".join(out)


def notebook_markdown(path: Path) -> str:
    """A Jupyter notebook post as MyST Markdown: its Markdown cells, and its code as code blocks."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in notebook.get("cells", []):
        source = "".join(cell.get("source", []))
        parts.append(source if cell["cell_type"] == "markdown" else f"```python\n{source}\n```")
    return "\n\n".join(parts)


def post_source(source: Path, page: str) -> Path:
    """The source file of the post page ``posts/2025/x/``."""
    stem = source / page.rstrip("/")
    for suffix in (".md", ".ipynb"):
        if stem.with_suffix(suffix).is_file():
            return stem.with_suffix(suffix)
    raise SystemExit(f"no source for {page} under {source} (looked for {stem}.md and .ipynb)")


def mathjax_modules(version: str, workdir: Path) -> Path:
    """A node_modules folder holding MathJax ``version``: the project's own copy when it is that
    version (installed by `npm ci` from the lockfile), else `npm install` into ``workdir``."""
    package = MATHJAX[version]["package"]
    wanted = package.split("@", 1)[1]
    target = workdir / f"mathjax{version}"
    for modules in (ROOT / "node_modules", target / "node_modules"):
        manifest = modules / "mathjax" / "package.json"
        if manifest.is_file() and json.loads(manifest.read_text())["version"] == wanted:
            return modules
    target.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH (install Node.js 18 or newer)")
    log(f"npm install {package} into {target} ...")
    flags = ["--no-audit", "--no-fund", "--no-package-lock", "--no-save", "--prefer-offline"]
    result = subprocess.run(
        [npm, "install", "--prefix", str(target), *flags, package],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"`npm install {package}` failed: {result.stderr.strip()[-800:]}")
    return target / "node_modules"


def build_baseline(source: Path, post: Path, page: str, version: str, workdir: Path) -> Path:
    """Write and build a one-post plain ABlog site that loads MathJax ``version``; its output."""
    conf = conf_values(source)
    srcdir = workdir / f"ablog-mathjax{version}"
    outdir = workdir / f"ablog-mathjax{version}-html"
    doctrees = workdir / f"ablog-mathjax{version}-doctrees"
    for stale in (srcdir, outdir, doctrees):  # a --workdir reused for another post
        shutil.rmtree(stale, ignore_errors=True)
    target = srcdir / page.rstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = post.read_text(encoding="utf-8")
    if post.suffix == ".ipynb":
        text = notebook_markdown(post)
    target.with_suffix(".md").write_text(plain_myst(text), encoding="utf-8")
    (srcdir / "index.md").write_text("# Home\n\nA plain ABlog site.\n", encoding="utf-8")
    spec = MATHJAX[version]
    conf_text = BASELINE_CONF.format(
        project=conf.get("project", "Blog"),
        author=conf.get("author", ""),
        copyright=conf.get("copyright", ""),
        baseurl=conf.get("html_baseurl", "https://example.org/"),
        myst=conf.get("myst_enable_extensions", ["dollarmath", "amsmath"]),
        mathjax_path=NPM_PATH + spec["script"],
    )
    if spec["config"]:
        conf_text += f"mathjax4_config = {spec['config']!r}\n"
    (srcdir / "conf.py").write_text(conf_text, encoding="utf-8")
    # Not strict: links to the other posts cannot resolve in a one-post site.
    command = [sys.executable, "-m", "sphinx", "-b", "dirhtml", "--keep-going", "-q"]
    command += ["-d", str(doctrees), str(srcdir), str(outdir)]
    log(f"building the plain ABlog baseline (MathJax {version}) ...")
    result = subprocess.run(command, cwd=srcdir, capture_output=True, text=True)
    if result.returncode != 0 or not (outdir / page / "index.html").is_file():
        raise RuntimeError(f"the baseline build failed:\n{(result.stdout + result.stderr)[-3000:]}")
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    (workdir / f"ablog-mathjax{version}-warnings.txt").write_text("\n".join(warnings))
    return outdir


COUNTED = {
    "bytes": "response headers + encoded (gzip) body per response, from Playwright's "
    "request.sizes(), summed over non-image responses",
    "requests": "every http(s) request of the page and its workers until the network was idle, "
    "failed ones included; not data: URLs nor the browser's /favicon.ico probe",
    "math_ms": "max(DOMContentLoaded, last font loaded, MathJax startup.promise) since "
    "navigation start",
    "third_party": "requests to any host but the local server",
}

# -- Reporting -------------------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    pages = report["pages"]
    print(
        f"\n== page weight: {report['post']}, first view, empty cache, median of "
        f"{report['loads']} =="
    )
    if report["candidates"]:
        tried = ", ".join(f"{c['page']} {c['kb']:.1f} KB" for c in report["candidates"])
        print(f"  (the heaviest of the posts opened once each: {tried})")
    header = f"{'':44} {'KB':>7} {'requests':>9} {'math ms':>8} {'3rd-party':>10}"
    print(header)
    print("-" * len(header))
    for entry in pages:
        m = entry["median"]
        blocking = len(m["third_party_render_blocking"])
        third = f"{len(m['third_party'])}" + (f" ({blocking} blk)" if blocking else "")
        print(
            f"{entry['label']:44} {m['kb']:>7.1f} {m['requests']:>9} {m['math_ms']:>8} {third:>10}"
        )
    print(
        f"\n  KB: bytes on the wire (HTTP headers + {report['server']['compression']}-compressed "
        f"bodies), images excluded; 1 KB = {KB} bytes."
    )
    print(
        "  math ms: from navigation start until DOMContentLoaded, every font load and (MathJax "
        "pages) MathJax.startup.promise."
    )
    print("  3rd-party: requests to any host but the local server (blk: render-blocking).")
    for entry in pages:
        for note in entry.get("notes", []):
            print(f"  {entry['name']}: {note}")
    ours = pages[0]
    print(f"\n== largest responses of {ours['label']} ==")
    for row in ours["largest"]:
        flag = " (image, not counted)" if row["image"] else ""
        print(f"  {row['kb']:>7.1f} KB  {row['type']:<11} {row['path']}{flag}")
    print(
        "\n  by type: "
        + ", ".join(
            f"{kind} {v['kb']:.1f} KB/{v['requests']}" for kind, v in ours["by_type"].items()
        )
    )
    named = next(e for e in report["estimates"] if e["page"] == report["post"])["third_party"]
    print(f"\n  third-party resources named in the post's HTML: {len(named) or 'none'}")
    for url in named:
        print(f"    {url}")
    target = report["target"]
    print("\n== target ==")
    print(
        f"  {target['name']}: {'PASS' if target['pass'] else 'FAIL'} "
        f"({target['kb']:.1f} KB, {target['render_blocking_third_party']} render-blocking "
        f"third-party requests)"
    )


def measure_pages(
    browser: Any, urls: dict[str, str], loads: int, timeout_s: float = 60
) -> dict[str, list[Load]]:
    """``loads`` first views of each page, the order rotating each round so none is always first."""
    names = list(urls)
    results: dict[str, list[Load]] = {name: [] for name in names}
    for round_ in range(loads):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            results[name].append(measure_load(browser, urls[name], timeout_s))
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, help="a built site to measure (default: build it)")
    parser.add_argument(
        "--post", help="the post page to measure, e.g. posts/2025/x/ (default: the heaviest)"
    )
    parser.add_argument("--loads", type=int, default=3, help="first views per page (default 3)")
    parser.add_argument(
        "--candidates",
        type=int,
        default=4,
        help="posts (heaviest by estimate) opened once each to pick the heaviest (default 4)",
    )
    parser.add_argument(
        "--mathjax",
        default="3,4",
        help="MathJax versions for the plain-ABlog baseline, comma-separated: 3 (tex-chtml.js), "
        "4 (tex-mml-chtml.js, Sphinx 9's default) (default: 3,4)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="measure our page only")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"JSON report (default {RESULTS})"
    )
    parser.add_argument(
        "--workdir", type=Path, help="where builds go (default: a temporary folder)"
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds per page load")
    parser.add_argument("--check-targets", action="store_true", help="exit 2 when the target fails")
    return parser.parse_args(argv)


def baseline_variants(page: str, base: str, versions: str, workdir: Path) -> list[dict[str, Any]]:
    """Build the plain-ABlog page once per MathJax version; what to serve for each."""
    source = post_source(ROOT, page)
    variants = []
    for version in [v.strip() for v in versions.split(",") if v.strip()]:
        if version not in MATHJAX:
            raise SystemExit(f"--mathjax: unknown version {version!r}; choose 3 or 4")
        spec = MATHJAX[version]
        try:
            modules = mathjax_modules(version, workdir)
            outdir = build_baseline(ROOT, source, page, version, workdir)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            log(f"skipping the MathJax {version} baseline: {error}")
            continue
        warnings = (workdir / f"ablog-mathjax{version}-warnings.txt").read_text().count("WARNING")
        variants.append(
            {
                "name": f"ablog-mathjax{version}",
                "label": f"plain ABlog + MathJax {version} ({Path(spec['script']).name})",
                "mounts": {base: outdir, base + NPM_MOUNT: modules},
                "notes": [
                    f"{spec['package']} from npm, served by the local server instead of "
                    "cdn.jsdelivr.net: no CDN latency, and its {cdn} MathJax requests count as "
                    "first-party here (in production they are third-party)",
                    f"baseline build: {warnings} warnings (links to other posts and roles of "
                    "extensions plain ABlog lacks, left as text)",
                ],
            }
        )
    return variants


def pick_post(
    browser: Any, origin: str, base: str, estimates: list[PageEstimate], count: int
) -> tuple[str, list[dict[str, Any]]]:
    """Open the ``count`` heaviest posts by estimate once each; the one that weighs the most.

    The estimate misses what stylesheets load (which math fonts a post needs), so the browser has
    the last word."""
    tried = []
    for estimate in estimates[:count]:
        load = measure_load(browser, origin + base + estimate.page)
        tried.append(
            {
                "page": estimate.page,
                "estimate_kb": round(estimate.gzip_bytes / KB, 1),
                "kb": round(load.transferred / KB, 1),
                "bytes": load.transferred,
            }
        )
        log(f"  {load.transferred / KB:7.1f} KB  {estimate.page}")
    return max(tried, key=lambda t: t["bytes"])["page"], tried


def page_report(variant: dict[str, Any], loads: list[Load], base: str, page: str) -> dict:
    first = loads[0]
    cdn = sum(f"{base}{NPM_MOUNT}" in r.url for r in first.resources)
    return {
        "name": variant["name"],
        "label": variant["label"],
        "url_path": base + page,
        "median": summarize(loads),
        "mathjax_requests": cdn,
        "largest": heaviest(first.resources),
        "by_type": by_type(first.resources),
        "notes": [note.replace("{cdn}", str(cdn)) for note in variant.get("notes", [])],
        "loads": [{k: v for k, v in asdict(load).items() if k != "resources"} for load in loads],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory("-weight")))
        workdir.mkdir(parents=True, exist_ok=True)
        site = args.site.resolve() if args.site else build_real_site(workdir / "real" / "html")
        if not (site / "index.html").is_file():
            raise SystemExit(f"{site} holds no built site (no index.html)")
        estimates = estimate_posts(site)
        if not estimates:
            raise SystemExit(f"{site} has no post pages under posts/")
        base = published_path(site)
        ours = {"name": "ours", "label": "Deep Dives (KaTeX at build time)", "mounts": {base: site}}
        ours_origin = stack.enter_context(serve(ours["mounts"]))

        playwright = stack.enter_context(sync_playwright())
        browser = launch(playwright)
        stack.callback(browser.close)  # before Playwright stops: callbacks run in reverse order
        candidates: list[dict[str, Any]] = []
        if args.post:
            page = args.post.strip("/") + "/"
        else:
            log(f"weighing the {min(args.candidates, len(estimates))} heaviest posts by estimate:")
            page, candidates = pick_post(browser, ours_origin, base, estimates, args.candidates)

        variants = [ours]
        if not args.no_baseline:
            variants += baseline_variants(page, base, args.mathjax, workdir)
        urls = {"ours": ours_origin + base + page}
        for variant in variants[1:]:
            urls[variant["name"]] = stack.enter_context(serve(variant["mounts"])) + base + page
        log(f"measuring {len(urls)} page(s) x {args.loads} first views ...")
        measured = measure_pages(browser, urls, args.loads, args.timeout)
        version = browser.version
        pages = [page_report(v, measured[v["name"]], base, page) for v in variants]

    median = pages[0]["median"]
    target = {
        "name": f"<= {TARGET_KB} KB compressed and no render-blocking third-party resource",
        "kb": median["kb"],
        "render_blocking_third_party": len(median["third_party_render_blocking"]),
        "pass": median["bytes"] <= TARGET_KB * KB and not median["third_party_render_blocking"],
    }
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "chromium": version,
        "site": str(site) if args.site else "built by bench/weight.py (strict, as `make html`)",
        "post": page,
        "loads": args.loads,
        "server": {
            "compression": COMPRESSION,
            "gzip_level": GZIP_LEVEL,
            "compressed": "text/*, JavaScript, JSON, XML, SVG; fonts and images as is",
            "protocol": "HTTP/1.1 keep-alive on 127.0.0.1",
        },
        "counted": COUNTED,
        "estimates": [asdict(e) for e in estimates],
        "candidates": candidates,
        "pages": pages,
        "target": target,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    print(f"\n  full results: {args.out}")
    return 2 if args.check_targets and not target["pass"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
