"""A licence for every post (the site's, or a post's own) and a DOI once a post has one: on the
page, in its head, in "Cite this post", in Scholar's tags and in the feeds."""

from __future__ import annotations

import json

import feedparser
import lxml.etree
import pytest
from conftest import post
from pybtex.database import parse_string
from test_build import make_html

BY = "https://creativecommons.org/licenses/by/4.0/"
BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
DOI = "10.59350/sx3dj-4a297"
CONF = 'html_theme_options = {"footer_start": ["copyright", "deepdive/licence.html"]}\n'

FILES = {
    "posts/2024/plain.md": post("2024-01-10", "Plain post"),
    "posts/2024/archived.md": post("2024-02-10", "Archived post", doi=f"https://doi.org/{DOI}"),
    "posts/2024/shared-alike.md": post("2024-03-10", "Shared alike", licence="cc-by-sa-4.0"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from conftest import sphinx_build, write_site

    build = sphinx_build(write_site(tmp_path_factory.mktemp("licence") / "site", FILES, CONF))
    assert build.returncode == 0, build.output
    return build


def licence_link(page) -> str | None:
    link = page.select_one('head link[rel="license"]')
    return link["href"] if link else None


def test_every_page_names_its_licence_in_its_head_and_footer(site):
    for page in ("", "posts/2024/plain/", "archive/"):
        assert licence_link(site.html(page)) == BY
        footer = site.html(page).select_one(".dd-licence-footer")
        assert "licensed under CC BY 4.0" in " ".join(footer.get_text().split())
        assert footer.a["href"] == BY
    # A post under its own licence says so in its head and at its end; the footer keeps the site's.
    own = site.html("posts/2024/shared-alike/")
    assert licence_link(own) == BY_SA
    rights = own.select_one(".dd-cite-rights")
    assert rights.select_one('a[rel="license"]')["href"] == BY_SA
    assert "CC BY-SA 4.0" in rights.get_text()
    assert own.select_one(".dd-licence-footer a")["href"] == BY


def test_a_doi_is_in_the_header_the_bibtex_entry_the_rights_line_and_scholars_tags(site):
    page = site.html("posts/2024/archived/")
    assert page.select_one(".dd-doi a")["href"] == f"https://doi.org/{DOI}"
    entry_text = page.select_one("section.dd-cite pre").get_text()
    (entry,) = parse_string(entry_text, "bibtex").entries.values()
    assert entry.fields["doi"] == DOI
    assert page.select_one(".dd-cite-rights a")["href"] == f"https://doi.org/{DOI}"
    assert page.select_one('meta[name="citation_doi"]')["content"] == DOI
    # A post without one shows none.
    plain = site.html("posts/2024/plain/")
    assert plain.select_one(".dd-doi") is None
    assert plain.select_one('meta[name="citation_doi"]') is None
    plain_entries = parse_string(plain.select_one("section.dd-cite pre").get_text(), "bibtex")
    assert "doi" not in next(iter(plain_entries.entries.values())).fields


def test_each_post_has_schema_org_metadata_with_its_licence_version_and_doi(site):
    page = site.html("posts/2024/archived/")
    (script,) = page.select('script[type="application/ld+json"]')
    data = json.loads(script.string)
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == "Archived post"
    assert data["url"] == "https://blog.example.org/posts/2024/archived/"
    assert data["author"] == [{"@type": "Person", "name": "Tess Author"}]
    assert data["datePublished"].startswith("2024-02-10") and data["version"] == "1"
    assert data["license"] == BY
    assert data["identifier"] == {"@type": "PropertyValue", "propertyID": "DOI", "value": DOI}
    assert data["sameAs"] == f"https://doi.org/{DOI}"
    assert data["isPartOf"] == {
        "@type": "Blog",
        "name": "Test Blog",
        "url": "https://blog.example.org/",
    }
    own = json.loads(
        site.html("posts/2024/shared-alike/")
        .select_one("script[type='application/ld+json']")
        .string
    )
    assert own["license"] == BY_SA and "identifier" not in own
    # Pages that are not posts have none.
    assert site.html("").select_one('script[type="application/ld+json"]') is None


def test_feeds_carry_the_licences_and_the_doi(site):
    atom = feedparser.parse(site.text("atom.xml"))
    assert atom.feed.rights == f"CC BY 4.0: {BY}"
    rights = {entry.title: entry.rights for entry in atom.entries}
    assert rights == {
        "Shared alike": f"CC BY-SA 4.0: {BY_SA}",
        "Archived post": f"CC BY 4.0: {BY}",
        "Plain post": f"CC BY 4.0: {BY}",
    }
    rss = lxml.etree.fromstring(site.text("rss.xml").encode())
    assert rss.findtext("channel/copyright") == f"CC BY 4.0: {BY}"
    dc = "{http://purl.org/dc/elements/1.1/}identifier"
    for name in ("atom.xml", "rss.xml"):
        tree = lxml.etree.fromstring(site.text(name).encode())
        assert [e.text for e in tree.iter(dc)] == [f"https://doi.org/{DOI}"]


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ({"license": "CC-BY-4"}, "did you mean 'CC-BY-4.0'?"),
        ({"doi": "not-a-doi"}, "must be a DOI such as 10.59350/abcd-1234"),
    ],
)
def test_a_bad_licence_or_doi_is_an_error_at_its_line(build_site, front, message):
    build = build_site({"posts/2024/bad.md": post("2024-01-10", "Bad", **front)})
    assert build.returncode != 0
    (key,) = front
    assert f"posts/2024/bad.md:3: `{key}`: " in build.output
    assert message in build.output
    assert "Traceback" not in build.output


def test_an_empty_licence_or_one_given_under_both_spellings_is_an_error_at_its_line(build_site):
    files = {
        "posts/2024/empty.md": "---\ndate: 2024-01-01\nlicense:\n---\n# Empty\n\nText.\n",
        "posts/2024/twice.md": (
            "---\ndate: 2024-01-01\nlicense: CC0-1.0\nlicence: CC-BY-4.0\n---\n# Twice\n\nText.\n"
        ),
    }
    build = build_site(files)
    assert build.returncode != 0
    assert "posts/2024/empty.md:3: `license`: is empty: use one of CC-BY-4.0" in build.output
    assert "posts/2024/twice.md:4: `licence` gives `license` again (line 3" in build.output


def test_a_site_licence_that_does_not_exist_stops_make_html_in_one_line(make_site):
    build = make_html(make_site({"posts/2024/a.md": post()}, "deepdive_license = 'CC-BY'\n"))
    assert build.returncode != 0
    assert "deepdive_license: 'CC-BY' is not a licence this site knows" in build.output
    assert "Traceback" not in build.output
