"""``make serve``: a built site over http, the way GitHub Pages serves it.

Under the path it is published at (``/blog/`` for ``https://user.github.io/blog/``), folders
answered by their ``index.html``, and any unknown address by ``404.html`` with status 404.

Usage: ``python -m deepdive.tools.serve _build/html [--port 8000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from deepdive.tools.linkcheck import published_path


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves a build as GitHub Pages would: under ``base``, with /404.html for unknown paths."""

    base = "/"
    quiet = True

    def send_head(self):  # noqa: ANN201 - http.server's own signature
        url = urlsplit(self.path)
        if url.path + "/" == self.base or (url.path == "/" and self.base != "/"):
            self.send_response(301)
            self.send_header("Location", self.base)
            self.end_headers()
            return None
        if not url.path.startswith(self.base):
            self.send_error(404, "outside the site")
            return None
        self.path = "/" + url.path.removeprefix(self.base) + (f"?{url.query}" if url.query else "")
        if os.path.exists(self.translate_path(self.path)):
            return super().send_head()
        self.send_not_found_page()
        return None

    def send_not_found_page(self) -> None:
        """GitHub Pages answers an unknown address with the site's root ``404.html``."""
        page = Path(self.directory) / "404.html"
        if not page.is_file():
            self.send_error(404, "the build has no 404.html at its root")
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        if not self.quiet:
            super().log_message(format, *args)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that stops loading (a new page, a closed tab) closes its connection while we
        # write; that is normal traffic, not a fault worth a traceback in the author's terminal.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class Server:
    origin: str  # http://127.0.0.1:PORT
    base: str  # http://127.0.0.1:PORT/blog/

    def url(self, page: str = "") -> str:
        return self.base + page


def make_server(
    outdir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    quiet: bool = True,
    base: str | Callable[[str], str] | None = None,
) -> SiteServer:
    """An http server for ``outdir`` under the path it has in production, or under ``base``: a
    path, or a function of the server's origin (``http://127.0.0.1:PORT``) that gives one."""
    handler = type("Handler", (SiteHandler,), {"quiet": quiet})
    httpd = SiteServer((host, port), functools.partial(handler, directory=str(outdir)))
    origin = f"http://{host}:{httpd.server_address[1]}"
    handler.base = base(origin) if callable(base) else base or published_path(outdir)
    httpd.site_base = handler.base  # type: ignore[attr-defined]
    return httpd


@contextlib.contextmanager
def serve_site(outdir: Path, base: str | Callable[[str], str] | None = None) -> Iterator[Server]:
    """Serve a built site on a free local port in a thread, for as long as the block runs."""
    httpd = make_server(outdir, base=base)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield Server(origin, origin + httpd.site_base)  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deepdive.tools.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(
            f"Nothing to serve: {args.site} has no index.html; run make html first", file=sys.stderr
        )
        return 1
    try:
        httpd = make_server(args.site, args.host, args.port, quiet=False)
    except OSError as error:
        print(
            f"Cannot serve at {args.host}:{args.port}: {error.strerror}; "
            "pick another port, e.g. make serve PORT=8001",
            file=sys.stderr,
        )
        return 1
    url = f"http://{args.host}:{httpd.server_address[1]}{httpd.site_base}"  # type: ignore[attr-defined]
    print(f"Serving {args.site} at {url} as GitHub Pages would; Ctrl-C stops.", flush=True)
    with contextlib.suppress(KeyboardInterrupt), httpd:
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
