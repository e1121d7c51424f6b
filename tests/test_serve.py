"""``make serve`` answers like GitHub Pages: under the site's path, with 404.html for the rest."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deepdive.tools.serve import main, make_server, serve_site

HOME = '<link rel="canonical" href="https://user.github.io/blog/"><p>home</p>'


def fetch(url: str) -> tuple[int, bytes, str | None]:
    """Status, body and Location of one request, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Location")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "posts" / "hmc").mkdir(parents=True)
    (tmp_path / "index.html").write_text(HOME, encoding="utf-8")
    (tmp_path / "posts" / "hmc" / "index.html").write_text("<p>hmc</p>", encoding="utf-8")
    (tmp_path / "404.html").write_text("<p>not here</p>", encoding="utf-8")
    return tmp_path


def test_pages_are_served_under_the_path_the_site_is_published_at(site):
    with serve_site(site) as server:
        assert server.base.endswith("/blog/")
        assert fetch(server.url("posts/hmc/")) == (200, b"<p>hmc</p>", None)
        assert fetch(server.url())[:2] == (200, HOME.encode())


def test_the_bare_host_and_the_path_without_its_slash_lead_to_the_site(site):
    with serve_site(site) as server:
        assert fetch(server.origin + "/") == (301, b"", "/blog/")
        assert fetch(server.origin + "/blog") == (301, b"", "/blog/")


def test_an_unknown_address_gets_the_site_s_404_page_with_status_404(site):
    with serve_site(site) as server:
        assert fetch(server.url("posts/no-such-post/")) == (404, b"<p>not here</p>", None)


def test_a_port_already_in_use_is_one_line_naming_another(site, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([str(site), "--port", str(port)]) == 1
    error = capsys.readouterr().err
    assert f"Cannot serve at 127.0.0.1:{port}" in error and "PORT=" in error
    assert "Traceback" not in error


def test_a_browser_that_hangs_up_mid_answer_is_no_traceback_but_a_real_fault_is(site, capsys):
    httpd = make_server(site)
    try:
        for hang_up in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
            try:
                raise hang_up
            except ConnectionError:
                httpd.handle_error(None, ("127.0.0.1", 50000))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a fault of ours")
        except ValueError:
            httpd.handle_error(None, ("127.0.0.1", 50000))
        assert "ValueError: a fault of ours" in capsys.readouterr().err
    finally:
        httpd.server_close()
