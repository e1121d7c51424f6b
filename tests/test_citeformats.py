""" "Cite this post" also offers CSL-JSON and RIS files, which reference managers import: they are
written beside each post page, and read back here with the libraries such tools use."""

from __future__ import annotations

import json
import warnings

import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from conftest import post, sphinx_build, write_site

DOI = "10.59350/sx3dj-4a297"
BODY = "Text.\n\n```{update} 2025-02-10\nFixed a sign.\n```\n"
FILES = {
    "posts/2024/hmc.md": post("2024-04-16", "Hamiltonian Monte Carlo", BODY, doi=DOI),
    "posts/2024/plain.md": post("2024-05-01", "A plain note", description="One line."),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    build = sphinx_build(write_site(tmp_path_factory.mktemp("formats") / "site", FILES))
    assert build.returncode == 0, build.output
    return build


def downloads(site, page: str) -> dict[str, str]:
    """Each download link of a post's cite block: label -> the file's text."""
    block = site.html(page).select_one("section.dd-cite .dd-cite-downloads")
    links = {a.get_text(): a for a in block.select("a[download]")}
    assert set(links) == {"CSL-JSON", "RIS"}
    return {
        label: (site.outdir / page / a["href"]).read_text(encoding="utf-8")
        for label, a in links.items()
    }


def test_the_csl_json_file_renders_as_a_reference_with_citeproc(site):
    (item,) = json.loads(downloads(site, "posts/2024/hmc/")["CSL-JSON"])
    assert item["type"] == "post-weblog" and item["id"] == "author2024hamiltonian"
    assert item["version"] == "2" and item["DOI"] == DOI
    assert item["license"] == "https://creativecommons.org/licenses/by/4.0/"
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    with warnings.catch_warnings():  # `license` is CSL 1.0.2; citeproc-py reads CSL 1.0.1
        warnings.filterwarnings("ignore", message=".*unsupported: license")
        source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    (reference,) = [str(entry) for entry in bibliography.bibliography()]
    assert reference.startswith("Author, T. (2024) “Hamiltonian Monte Carlo”, Test Blog")
    assert f"https://doi.org/{DOI}" in reference


def test_the_ris_file_parses_with_rispy(site):
    (record,) = rispy.loads(downloads(site, "posts/2024/hmc/")["RIS"])
    assert record["type_of_reference"] == "BLOG"
    assert record["authors"] == ["Author, Tess"]
    assert record["title"] == "Hamiltonian Monte Carlo"
    assert record["secondary_title"] == "Test Blog"
    assert record["urls"] == ["https://blog.example.org/posts/2024/hmc/"]
    assert record["doi"] == DOI
    assert "Version 2, updated February 10, 2025" in record["notes"]
    (plain,) = rispy.loads(downloads(site, "posts/2024/plain/")["RIS"])
    assert plain["abstract"] == "One line." and "doi" not in plain


def test_the_files_are_named_after_the_citation_key(site):
    block = site.html("posts/2024/plain/").select_one(".dd-cite-downloads")
    names = sorted(a["download"] for a in block.select("a[download]"))
    assert names == ["author2024plain.json", "author2024plain.ris"]


def test_files_of_a_removed_post_go_with_it(tmp_path):
    srcdir = write_site(tmp_path / "site", FILES)
    assert sphinx_build(srcdir).returncode == 0
    folder = srcdir / "_build" / "html" / "posts" / "2024" / "plain"
    assert (folder / "cite.ris").is_file()
    (srcdir / "posts" / "2024" / "plain.md").unlink()
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert not (folder / "cite.ris").exists() and not (folder / "cite.json").exists()
    assert (srcdir / "_build" / "html" / "posts" / "2024" / "hmc" / "cite.ris").is_file()
