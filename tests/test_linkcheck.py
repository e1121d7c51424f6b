"""The internal link checker: files, dirhtml folders, fragments, base URL; and the real site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deepdive.tools.linkcheck import BrokenLink, check_site, detect_base_url

BASE = "https://blog.example.org/sub/"


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


@pytest.fixture
def site(tmp_path: Path):
    """Write a tiny built site (``{path: html}``) and return its folder."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "html"
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make


ABOUT = page('<h1 id="about">About</h1><section id="team"><a name="old-anchor"></a></section>')


def test_a_dirhtml_link_to_a_folder_resolves_to_its_index(site):
    root = site(
        {
            "index.html": page(
                '<a href="about/">About</a> <a href="about/#team">Team</a> '
                '<a href="about">no slash</a> <a href="about/index.html#old-anchor">old</a>'
            ),
            "about/index.html": page(
                '<a href="../">Home</a> <a href="../index.html">Home</a>'
                '<p id="team"><a name="old-anchor"></a></p>'
            ),
        }
    )
    report = check_site(root)
    assert report.broken == []
    assert (report.pages, report.links) == (2, 6)


def test_a_link_to_a_missing_page_is_reported_with_the_page_it_is_on(site):
    root = site(
        {
            "index.html": page('<a href="about/">About</a>'),
            "posts/one/index.html": page('<p>See <a href="../two/">the next post</a>.</p>'),
        }
    )
    broken = check_site(root).broken
    assert [(b.page, b.url) for b in broken] == [
        ("index.html", "about/"),
        ("posts/one/index.html", "../two/"),
    ]
    assert "no file posts/two/" in broken[1].reason


def test_a_fragment_must_name_an_element_on_the_target_page(site):
    root = site(
        {
            "index.html": page(
                '<a href="about/#team">ok</a> <a href="about/#teams">typo</a> '
                '<a href="#intro">same page</a> <a href="#">top</a> <a href="#top">top</a>'
            ),
            "about/index.html": ABOUT,
        }
    )
    broken = check_site(root).broken
    assert broken == [
        BrokenLink("index.html", "#intro", "no element with id 'intro' on index.html"),
        BrokenLink("index.html", "about/#teams", "no element with id 'teams' on about/index.html"),
    ]


def test_src_srcset_poster_and_link_href_are_all_checked(site):
    root = site(
        {
            "index.html": page(
                '<img src="_images/a.png" srcset="_images/a.png 1x, _images/a@2x.png 2x">'
                '<video poster="_images/still.png"></video><script src="_static/app.js"></script>',
                head='<link rel="stylesheet" href="_static/site.css?v=12ab">',
            ),
            "_images/a.png": "png",
            "_static/app.js": "",
        }
    )
    assert sorted(b.url for b in check_site(root).broken) == [
        "_images/a@2x.png",
        "_images/still.png",
        "_static/site.css?v=12ab",
    ]


def test_other_sites_and_non_web_schemes_are_not_checked(site):
    root = site(
        {
            "index.html": page(
                '<a href="https://example.org/missing/">x</a> <a href="http://example.org">x</a> '
                '<a href="//cdn.example.org/lib.js">x</a> <a href="mailto:me@example.org">x</a> '
                '<a href="tel:+123">x</a> <img src="data:image/png;base64,AAAA"> '
                '<a href="javascript:void(0)">x</a>'
            )
        }
    )
    report = check_site(root, BASE)
    assert report.broken == []
    assert report.links == 7


def test_absolute_links_under_the_base_url_are_checked_as_internal(site):
    root = site(
        {
            "index.html": page(
                f'<a href="{BASE}about/">ok</a> <a href="{BASE}about/#nope">bad fragment</a> '
                f'<a href="{BASE}missing/">missing</a> <a href="{BASE[:-1]}">home</a> '
                '<a href="/sub/about/">root-relative</a> <a href="/elsewhere/">outside</a>',
                head=f'<link rel="canonical" href="{BASE}">',
            ),
            "about/index.html": ABOUT,
        }
    )
    broken = {b.url: b.reason for b in check_site(root, BASE).broken}
    assert set(broken) == {f"{BASE}about/#nope", f"{BASE}missing/", "/elsewhere/"}
    assert "outside the site's base path /sub/" in broken["/elsewhere/"]


def test_without_a_base_url_absolute_links_to_the_site_are_not_checked(site):
    root = site({"index.html": page(f'<a href="{BASE}missing/">x</a>')})
    assert check_site(root).broken == []
    assert check_site(root, BASE).broken != []


def test_percent_encoded_paths_and_fragments_are_decoded(site):
    root = site(
        {
            "index.html": page('<a href="tags/c%2B%2B/#caf%C3%A9">x</a>'),
            "tags/c++/index.html": page('<h2 id="café">Café</h2>'),
        }
    )
    assert check_site(root).broken == []


def test_links_may_not_climb_out_of_the_site_folder(site, tmp_path):
    (tmp_path / "secret.html").write_text(page(""), encoding="utf-8")
    root = site({"index.html": page('<a href="../secret.html">x</a>')})
    assert [b.url for b in check_site(root).broken] == ["../secret.html"]


def test_asset_folders_are_targets_but_not_pages(site):
    root = site(
        {
            "index.html": page('<a href="_static/macros.html">macros</a>'),
            "_static/macros.html": page('<a href="{{ pathto(x) }}">template, not a page</a>'),
        }
    )
    report = check_site(root)
    assert report.broken == []
    assert report.pages == 1


def test_the_base_url_is_read_from_the_home_page_canonical_link(site):
    root = site({"index.html": page("", head=f'<link rel="canonical" href="{BASE}index.html">')})
    assert detect_base_url(root) == BASE
    assert detect_base_url(site({"index.html": page("")})) is None


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deepdive.tools.linkcheck", *args], capture_output=True, text=True
    )


def test_the_command_lists_each_broken_link_and_fails(site):
    root = site(
        {
            "index.html": page(
                '<a href="about/#x">x</a> <a href="gone/">y</a>',
                head=f'<link rel="canonical" href="{BASE}">',
            ),
            "about/index.html": ABOUT,
        }
    )
    result = run_cli(str(root))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "index.html: about/#x -> no element with id 'x' on about/index.html",
        "index.html: gone/ -> no file gone/ in the site",
    ]
    assert "2 broken" in result.stderr
    assert BASE in result.stderr


def test_the_command_passes_a_clean_site_and_refuses_an_unbuilt_one(site, tmp_path):
    root = site({"index.html": page('<a href="./">home</a>')})
    result = run_cli(str(root), "--base-url", BASE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No broken links" in result.stdout
    unbuilt = run_cli(str(tmp_path / "nothing"))
    assert unbuilt.returncode == 2
    assert "build the site first" in unbuilt.stderr


def test_the_real_site_has_no_broken_internal_links(real_site):
    base_url = detect_base_url(real_site.outdir)
    assert base_url, "the home page has no canonical link; is html_baseurl set?"
    report = check_site(real_site.outdir, base_url)
    assert report.pages > 5 and report.links > 100
    assert report.broken == [], "broken links:\n" + "\n".join(map(str, report.broken))
