"""`make weight` (bench/weight.py): the report on a tiny site, and the parts it rests on."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

import pytest
from browser.support import missing_tool
from conftest import ROOT, post, sphinx_build, write_site

from deepdive.tools.chromium import find_chromium

spec = importlib.util.spec_from_file_location("weight", ROOT / "bench" / "weight.py")
weight = sys.modules["weight"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(weight)  # bench/ is scripts, not a package

MATH_POST = post(
    title="Euler",
    tags="[analysis]",
    body=r"""
    Inline $e^{i\pi} + 1 = 0$, and a display:

    $$
    \int_0^1 x^2 \, dx = \frac{1}{3}
    $$ (integral)
    """,
)


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Deep Dives site with one post holding inline and display math, built strictly."""
    srcdir = write_site(
        tmp_path_factory.mktemp("weight") / "src", {"posts/2024/euler.md": MATH_POST}
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output[-3000:]
    return build.outdir


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        missing_tool("Chromium", "install chromium (apt-get install chromium) or set CHROMIUM_PATH")
    return path


# -- Without a browser -----------------------------------------------------------------------------


def test_the_server_gzips_text_and_sends_fonts_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text("<p>" + "words " * 500 + "</p>")
    (tmp_path / "font.woff2").write_bytes(b"wOF2" + bytes(600))
    with weight.serve({"/blog/": tmp_path}) as origin:

        def get(path: str) -> tuple[dict, bytes]:
            request = urllib.request.Request(origin + path, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request) as response:
                return dict(response.headers), response.read()

        headers, body = get("/blog/page/")
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body).startswith(b"<p>words")
        headers, body = get("/blog/font.woff2")
        assert "Content-Encoding" not in headers and body.startswith(b"wOF2")


def test_the_baseline_markdown_keeps_what_plain_ablog_can_build() -> None:
    text = """---
date: 2025-01-02
tags: [mcmc, bayes]
series: Samplers
description: Left out.
---
# Title

As {cite:p}`neal2011,betancourt2017` and {cite:t}`gelman2013` show, see {prf:ref}`thm-a`.

:::{prf:theorem} Detailed balance
:label: thm-a

Text $x$.
:::

```{code-cell} ipython3
:tags: [hide-input]
print(1)
```
"""
    plain = weight.plain_myst(text)
    front = plain.split("---\n")[1]
    assert "date: 2025-01-02" in front and "tags: mcmc, bayes" in front
    assert "series" not in front and "description" not in front
    assert "As [neal2011,betancourt2017] and gelman2013 show, see thm-a." in plain
    assert ":::{admonition} Theorem: Detailed balance\n:name: thm-a\n\nText $x$.\n:::" in plain
    assert "```python\nprint(1)\n```" in plain


# -- In Chromium -----------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_report_of_a_tiny_site(
    tiny_site: Path, chromium: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", chromium)
    out = tmp_path / "weight.json"
    argv = ["--site", str(tiny_site), "--no-baseline", "--loads", "1", "--out", str(out)]
    assert weight.main(argv) in (0, 2)

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["post"] == "posts/2024/euler/"
    assert report["server"]["compression"] == "gzip"
    assert set(report["counted"]) == {"bytes", "requests", "math_ms", "third_party"}
    assert [c["page"] for c in report["candidates"]] == ["posts/2024/euler/"]
    (ours,) = report["pages"]
    assert ours["name"] == "ours" and len(ours["loads"]) == 1
    median = ours["median"]
    assert median["bytes"] > 0 and median["kb"] == round(median["bytes"] / 1000, 1)
    assert median["requests"] > 1  # the page and at least its stylesheets
    assert median["math_elements"] == 2
    assert median["math_ms"] >= median["dcl_ms"] > 0
    assert median["mathjax_ms"] is None  # KaTeX typeset the math at build time
    assert median["third_party"] == [] and median["third_party_render_blocking"] == []
    document = next(row for row in ours["largest"] if row["type"] == "document")
    assert document["path"] == ours["url_path"] == "/posts/2024/euler/"
    assert document["encoding"] == "gzip"
    assert any("/katex/fonts/" in row["path"] for row in ours["largest"])
    target = report["target"]
    assert target["pass"] == (
        median["bytes"] <= 350_000 and not target["render_blocking_third_party"]
    )


@pytest.mark.browser
def test_requests_to_other_hosts_are_reported_with_their_render_blocking(
    tmp_path: Path, chromium: str, monkeypatch
) -> None:
    """127.0.0.2 is another host to the browser; it refuses at once, without any network."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><head><link rel="stylesheet" href="http://127.0.0.2:9/x.css">'
        '</head><body><p>Hi</p><img src="http://127.0.0.2:9/y.png" alt=""></body></html>'
    )
    from playwright.sync_api import sync_playwright

    with weight.serve({"/": tmp_path}) as origin, sync_playwright() as playwright:
        browser = weight.launch(playwright, chromium)
        try:
            load = weight.measure_load(browser, origin + "/", timeout_s=30)
        finally:
            browser.close()
    assert load.third_party == ["http://127.0.0.2:9/x.css", "http://127.0.0.2:9/y.png"]
    assert load.third_party_render_blocking == ["http://127.0.0.2:9/x.css"]
    assert load.requests == 3 and load.image_requests == 1
