"""Every post as a PDF: its page as the site serves it, printed by headless Chromium (no TeX).

At the end of a build the output folder is served on a loopback port, as GitHub Pages serves it,
and each post whose page changed since its PDF was printed is printed again, a few at a time;
the others keep their PDF. The print stylesheet (``deepdive-print.css``) hides the site's
navigation, wraps code and prints link targets. The PDF's dates are the post's, not the time
of printing, so two builds of the same site give the same bytes.

``deepdive_pdf = False`` in ``conf.py`` turns all of it off: no PDF, no link to one.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from sphinx.util import logging

from deepdive import cache
from deepdive.post.model import Post, get_posts, published_posts
from deepdive.site.feeds import absolute_url
from deepdive.site.outputs import record_output
from deepdive.tools.chromium import CHROMIUM_ARGS, find_chromium
from deepdive.tools.serve import serve_site

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

# Bump when what is printed changes in a way the page's bytes do not show (the flags below).
PRINT_FORMAT = 1
RECORDS = "deepdive-pdfs.json"
PRINT_SECONDS = 120
CHROMIUM_MISSING = (
    "printing the posts as PDFs needs Chromium or Google Chrome, and none was found: install one "
    "(Debian and Ubuntu: apt install chromium), name it with CHROMIUM_PATH=..., or set "
    "deepdive_pdf = False in conf.py"
)
NO_BASE_URL = (
    "printing the posts as PDFs needs html_baseurl in conf.py (the site's public address, e.g. "
    "'https://user.github.io/blog/'), so that links in a PDF lead to the site; or set "
    "deepdive_pdf = False"
)
_NOT_PRINTED = re.compile(rb"<!-- deepdive:not-printed -->.*?<!-- /deepdive:not-printed -->", re.S)
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


@dataclass(frozen=True)
class Printing:
    """A post to print: its PDF's path, and its page's address below the served root."""

    post: Post
    pdf: Path
    url: str


def pdf_path(app: Sphinx, docname: str) -> Path:
    """Where a post's PDF goes: beside its page, named after the post (``hmc/hmc.pdf`` in a
    post's folder with dirhtml, ``hmc.pdf`` beside ``hmc.html`` with html)."""
    page = Path(app.builder.get_outfilename(docname))
    name = docname.rsplit("/", 1)[-1]
    return page.parent / f"{name}.pdf" if page.name == "index.html" else page.with_suffix(".pdf")


def has_pdf(app: Sphinx, post: Post | None) -> bool:
    return bool(
        post is not None
        and app.config.deepdive_pdf
        and app.builder.format == "html"
        and not post.external_url
    )


def pdf_href(app: Sphinx, docname: str) -> str:
    """The PDF's address relative to the post's page."""
    page_folder = Path(app.builder.get_outfilename(docname)).parent
    return pdf_path(app, docname).relative_to(page_folder).as_posix()


def pdf_url(app: Sphinx, docname: str) -> str:
    """The PDF's public address (``citation_pdf_url``)."""
    return urljoin(absolute_url(app, docname), quote(pdf_href(app, docname)))


def link_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: the PDF link of a post's header and "Cite this post" block."""
    if "body" in context and has_pdf(app, get_posts(app.env).get(pagename)):
        context["deepdive_pdf_href"] = pdf_href(app, pagename)


def stamp_dates(pdf: bytes, when: str) -> bytes:
    """The PDF with its creation and modification dates set to ``when`` (``YYYYMMDDhhmmss``):
    the same length, so no offset in the file moves."""
    return _PDF_DATE.sub(lambda match: b"/%s (D:%s" % (match[1], when.encode()), pdf)


def pdf_string(text: str) -> bytes:
    """``text`` as the inside of a PDF literal string: backslashes and parentheses escaped."""
    return text.encode().replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def same_length_root(public_root: str, length: int) -> bytes:
    """``public_root`` written as a PDF string of exactly ``length`` bytes that reads the same:
    its last ``/`` is preceded by escaped line breaks (a backslash and a newline, which PDF
    strings skip) and, for an odd count, escaped itself (a backslash before it)."""
    written = pdf_string(public_root[:-1])
    padding = length - len(written) - 1
    assert padding >= 0, "the local root is shorter than the public one"
    slash = b"\\/" if padding % 2 else b"/"
    return written + b"\\\n" * (padding // 2) + slash


def public_links(pdf: bytes, local_root: str, public_root: str) -> bytes:
    """The PDF with each link into the locally served site pointing at the public site.

    Chromium writes a link as an absolute ``/URI (...)`` string: the local root is replaced by
    the public one written in exactly as many bytes, so no offset in the file moves."""
    public = same_length_root(public_root, len(local_root))
    return pdf.replace(b"(" + local_root.encode(), b"(" + public)


def local_base(public_root: str, origin: str) -> str:
    """The path the output is served under while it is printed: a path of filler that makes the
    local root (``origin`` and this path) exactly as long as ``public_root`` when that is longer
    than ``origin/``, so that :func:`public_links` can put the public root in its place."""
    written = len(pdf_string(public_root))
    if written <= len(origin) + 1:
        return "/"
    return "/" + "p" * max(1, written - len(origin) - 2) + "/"


def print_page(chromium: str, url: str, destination: Path, profile: Path) -> str | None:
    """Print ``url`` to ``destination`` with Chromium; the reason when it could not."""
    command = [
        chromium,
        *CHROMIUM_ARGS,
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={destination}",
        url,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_SECONDS)
    except subprocess.TimeoutExpired:
        return f"Chromium took more than {PRINT_SECONDS} seconds"
    except OSError as error:
        return f"Chromium did not start: {error}"
    if result.returncode != 0 or not destination.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"Chromium failed (exit code {result.returncode}): {last}"
    return None


def print_signature(html: bytes) -> str:
    """A digest of what a page prints: its bytes without the parts marked as not printed (links
    to neighbouring and related posts, which change whenever another post is added)."""
    return hashlib.sha256(_NOT_PRINTED.sub(b"", html)).hexdigest()


def pages_to_print(app: Sphinx, records: cache.Records) -> tuple[list[Printing], int]:
    """The posts whose PDF must be printed (missing, or its page changed), and how many keep
    theirs."""
    outdir = Path(app.outdir)
    to_print, kept = [], 0
    for post in published_posts(app.env, include_drafts=app.config.deepdive_show_drafts):
        if not has_pdf(app, post):
            continue
        page = Path(app.builder.get_outfilename(post.docname))
        pdf = pdf_path(app, post.docname)
        record_output(app, pdf)
        if not page.is_file():
            continue
        key = [PRINT_FORMAT, print_signature(page.read_bytes())]
        records.put(post.docname, key)
        if pdf.is_file() and records.hit(post.docname, key):
            kept += 1
            continue
        url = quote(page.relative_to(outdir).as_posix().removesuffix("index.html"))
        to_print.append(Printing(post, pdf, url))
    return to_print, kept


def print_posts(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: print the PDF of each post whose page changed."""
    if exception or app.builder.format != "html" or not app.config.deepdive_pdf:
        return
    records = cache.Records(cache.folder(app) / RECORDS, use=not cache.rebuilding_everything(app))
    to_print, kept = pages_to_print(app, records)
    if to_print and not app.config.html_baseurl:
        logger.warning(NO_BASE_URL, type="deepdive", subtype="pdf")
        return
    if to_print:
        chromium = find_chromium()
        if chromium is None:
            logger.warning(CHROMIUM_MISSING, type="deepdive", subtype="pdf")
            return
        failed = _print_all(app, chromium, to_print)
        for printing in failed:
            records.current.pop(printing.post.docname, None)
    records.save()
    logger.info("deepdive: %d post PDFs printed, %d unchanged", len(to_print), kept)


def _print_all(app: Sphinx, chromium: str, to_print: list[Printing]) -> list[Printing]:
    failed = []
    workdir = cache.folder(app)
    workdir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(
            dir=workdir, prefix="deepdive-pdf-", ignore_cleanup_errors=True
        ) as scratch,
        serve_site(Path(app.outdir), base=partial(local_base, app.config.html_baseurl)) as server,
    ):

        def one(index: int, printing: Printing) -> tuple[Printing, str | None]:
            printed = Path(scratch) / f"{index}.pdf"
            problem = print_page(
                chromium, server.url(printing.url), printed, Path(scratch) / str(index)
            )
            if problem is None:
                when = printing.post.last_changed.strftime("%Y%m%d%H%M%S")
                pdf = public_links(printed.read_bytes(), server.base, app.config.html_baseurl)
                cache.write_atomically(printing.pdf, stamp_dates(pdf, when))
            return printing, problem

        workers = max(1, min(len(to_print), os.cpu_count() or 1, 4))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for printing, problem in pool.map(one, range(len(to_print)), to_print):
                if problem:
                    failed.append(printing)
                    logger.warning(
                        "its PDF could not be printed: %s; check that %s runs (CHROMIUM_PATH "
                        "names another), or set deepdive_pdf = False in conf.py",
                        problem,
                        chromium,
                        location=printing.post.docname,
                        type="deepdive",
                        subtype="pdf",
                    )
    return failed


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_css_file("deepdive-print.css", media="print")
    # Before the post header and the cite-this block are rendered (500), which link to the PDF.
    app.connect("html-page-context", link_context, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
