"""A Content-Security-Policy blocks scripts injected through posts and allows the site's own."""

from __future__ import annotations

from conftest import post

from deepdive.csp import add_policy, script_hashes

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8" />
<script>trusted()</script><script src="_static/x.js"></script></head>
<body><article class="bd-article"><p>Text</p><script>alert(1)</script></article></body></html>"""


def test_only_scripts_outside_the_article_are_hashed():
    assert script_hashes(PAGE) == script_hashes("<script>trusted()</script>")
    assert len(script_hashes(PAGE)) == 1


def test_policy_comes_before_any_script():
    html = add_policy(PAGE, {})
    assert html.index('http-equiv="Content-Security-Policy"') < html.index("<script")
    assert "object-src 'none'" in html and "default-src 'self'" in html


def test_opt_in_sources_are_added():
    html = add_policy(PAGE, {"frame-src": ["https://comments.example"]})
    assert "frame-src 'self' https://comments.example" in html


def test_built_pages_carry_the_policy_and_injected_scripts_get_no_hash(build_site):
    build = build_site(
        {"posts/2024/raw.md": post(body="Before.\n\n<script>alert('pwned')</script>\n\nAfter.")}
    )
    assert build.returncode == 0, build.output
    page = build.text("posts/2024/raw/index.html")
    meta = build.html("posts/2024/raw/").select_one('meta[http-equiv="Content-Security-Policy"]')
    assert meta is not None
    injected = script_hashes("<script>alert('pwned')</script>")[0]
    assert injected not in meta["content"]
    head = page.split("</head>")[0]
    assert head.index("Content-Security-Policy") < head.index("<script")
    for hashed in script_hashes(page):
        assert hashed in meta["content"]


def test_a_policy_already_present_is_replaced_not_repeated():
    once = add_policy(PAGE, {})
    assert add_policy(once, {}) == once
    stale = PAGE.replace(
        "<script>trusted()",
        '\n  <meta http-equiv="Content-Security-Policy" content="old" />\n<script>trusted()',
    )
    assert add_policy(stale, {}) == once


def test_a_page_without_a_charset_gets_no_policy():
    page = PAGE.replace('<meta charset="utf-8" />', "")
    assert add_policy(page, {}) == page


def test_every_article_is_left_out_up_to_its_first_closing_tag():
    page = (
        PAGE
        + '<article class="bd-article" id="2"><script>alert(2)</script></article><script>t2()</script>'
    )
    assert script_hashes(page) == script_hashes("<script>trusted()</script><script>t2()</script>")


def test_an_article_never_closed_hides_nothing():
    page = '<script>a()</script><article class="bd-article"><script>b()</script>'
    assert script_hashes(page) == script_hashes("<script>a()</script><script>b()</script>")
