"""A Content-Security-Policy blocks scripts injected through posts and allows the site's own."""

from __future__ import annotations

import re

import pytest
from conftest import post

from deepdive.site.csp import CONTENT_END, CONTENT_START, add_policy, script_hashes

PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8" />
<script>trusted()</script><script src="_static/x.js"></script></head>
<body><article class="bd-article"><p>Text</p>{CONTENT_START}<script>alert(1)</script>{CONTENT_END}
</article></body></html>"""


def test_only_scripts_the_templates_wrote_are_hashed():
    assert script_hashes(PAGE) == script_hashes("<script>trusted()</script>")
    assert len(script_hashes(PAGE)) == 1


def test_a_content_marker_an_author_did_not_close_hides_everything_after_it():
    page = f"<script>a()</script>{CONTENT_START}<script>b()</script><script>c()</script>"
    assert script_hashes(page) == script_hashes("<script>a()</script>")


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
    theme = [hashed for hashed in script_hashes(page) if hashed != injected]
    assert theme and all(hashed in meta["content"] for hashed in theme)


def test_a_policy_already_present_is_replaced_not_repeated():
    once = add_policy(PAGE, {})
    assert once.count("Content-Security-Policy") == 1
    stale = PAGE.replace(
        "<script>trusted()",
        '\n  <meta http-equiv="Content-Security-Policy" content="old" />\n<script>trusted()',
    )
    assert add_policy(stale, {}) == once


def test_a_page_without_a_charset_gets_no_policy():
    page = PAGE.replace('<meta charset="utf-8" />', "")
    assert "Content-Security-Policy" not in add_policy(page, {})


def test_the_page_a_reader_gets_has_no_markers_left():
    html = add_policy(PAGE, {})
    assert CONTENT_START not in html and CONTENT_END not in html
    assert "<script>alert(1)</script>" in html  # kept, and blocked by the policy


INJECTED = re.compile(r"<script[^>]*>((?:(?!</script>).)*?steal\(.*?)</script>", re.S)


def built_policy(build, page: str) -> str:
    meta = build.html(page).select_one('meta[http-equiv="Content-Security-Policy"]')
    assert meta is not None
    return meta["content"]


def assert_injected_blocked_and_theme_allowed(build, page: str) -> None:
    html = build.text(page + "index.html")
    allowed = built_policy(build, page)
    assert not re.search(r"deepdive-content [0-9a-f]{32}", html), "a content marker was left"
    injected = {script_hashes(f"<script>{body}</script>")[0] for body in INJECTED.findall(html)}
    assert injected, "the attack's script is on the page"
    assert not injected & set(allowed.split())
    theme = [digest for digest in script_hashes(html) if digest not in injected]
    assert theme, "the theme writes inline scripts on every page"
    assert all(digest in allowed for digest in theme)


ATTACKS = {
    # Closing the article early: a policy that trusted everything after it would hash the script.
    "closes-the-article": '</div></div></article>\n<script>steal("article")</script>\n<article>',
    # A script tag split over two raw pieces with plain text between them.
    "split-script": 'Here <script> is\n\nsteal("split")\n\n</script> it.',
    # A comment that imitates an end marker it cannot know.
    "fake-marker": '<!--/deepdive-content 0000-->\n<script>steal("marker")</script>',
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_script_a_post_injects_never_gets_a_hash_wherever_it_lands(build_site, attack):
    build = build_site(
        {
            f"posts/2024/{attack}.md": post(
                title="Attack", body=f"Intro.\n\n{ATTACKS[attack]}\n\n<!-- more -->\n\nMore.\n"
            )
        }
    )
    assert build.returncode == 0, build.output[-3000:]
    assert_injected_blocked_and_theme_allowed(build, f"posts/2024/{attack}/")
    # The home page shows the post's excerpt, raw HTML included.
    assert_injected_blocked_and_theme_allowed(build, "")


def test_with_the_policy_off_pages_get_none_and_keep_no_content_markers(build_site):
    build = build_site(
        {"posts/2024/raw.md": post(body="Before.\n\n<div>raw</div>\n\nAfter.")},
        "deepdive_csp = False\n",
    )
    assert build.returncode == 0, build.output
    html = build.text("posts/2024/raw/index.html")
    assert "<div>raw</div>" in html
    assert "Content-Security-Policy" not in html
    assert "deepdive-content" not in html
