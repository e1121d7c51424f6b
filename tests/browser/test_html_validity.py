"""The Nu HTML validator over every built page, in one JVM run."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

pytestmark = pytest.mark.browser

# (message pattern, the upstream template that emits it and why we cannot fix it here).
# Our own templates (deepdive/templates, _templates) are fixed, never listed.
ALLOWED: list[tuple[str, str]] = [
    (
        r"Element “mo” not allowed as child of element “msub”",
        "KaTeX's MathML for an operator with limits (\\max_{…}, \\operatorname*{…}_{…}) puts the "
        "function-application <mo> inside <msub>; it is KaTeX's output, which we embed verbatim",
    ),
    (
        r"“height”: “-[0-9.]+em” negative values are not allowed",
        "KaTeX's HTML layer sets negative strut heights in inline styles by design",
    ),
    (
        r"Bad value “” for attribute “columnspacing” on element “mtable”",
        "KaTeX's MathML for some array environments writes an empty columnspacing",
    ),
]

# A page with one certain error: proves the validator really read the files it was given.
CANARY = "<!DOCTYPE html><html lang=en><head></head><body><p>no title</p></body></html>"


def allowed(message: dict) -> bool:
    return any(re.search(pattern, message.get("message", "")) for pattern, _why in ALLOWED)


def test_every_built_page_is_valid_html(site_dir, vnu_command, tmp_path):
    outdir = site_dir
    pages = sorted(
        p for p in outdir.rglob("*.html") if "_static" not in p.relative_to(outdir).parts
    )
    assert outdir / "index.html" in pages
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    result = subprocess.run(
        [
            *vnu_command,
            "--errors-only",
            "--format",
            "json",
            "--exit-zero-always",
            str(canary),
            *map(str, pages),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    assert any(m.get("url", "").endswith("/canary.html") for m in messages), (
        "the validator did not report the canary"
    )
    errors = [
        m
        for m in messages
        if not m.get("url", "").endswith("/canary.html")
        and m["type"] in ("error", "non-document-error")
        and not allowed(m)
    ]
    report = "\n".join(
        f"{m.get('url', '').removeprefix('file:' + str(outdir))}:{m.get('lastLine')}: "
        f"{m['message']}\n    {m.get('extract', '').strip()[:200]}"
        for m in errors
    )
    assert not errors, f"{len(errors)} HTML errors in {len(pages)} pages:\n{report}"
