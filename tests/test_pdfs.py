"""Every post as a PDF: printed by headless Chromium from the page the site serves, linked from the
post and its "Cite this post" block, given to Google Scholar, and printed again only when the
post's page changed."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import Build, post, sphinx_build, write_site
from pypdf import PdfReader

from deepdive.research.pdfs import local_base, public_links
from deepdive.tools.chromium import find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="needs Chromium (tests/browser)")

PDFS_ON = "deepdive_pdf = True\n"


def pdf_text(path: Path) -> str:
    """The text of every page, as a PDF text extractor reads it, spaces made single."""
    pages = PdfReader(path).pages
    # NFKC: the "fi" ligature Chromium prints is read as "f" and "i".
    return unicodedata.normalize(
        "NFKC", " ".join(" ".join(p.extract_text().split()) for p in pages)
    )


def pdf_link(build: Build, page: str, selector: str) -> Path:
    """The file a link of ``page`` leads to."""
    href = build.html(page).select_one(selector)["href"]
    return build.outdir / page / href


def test_every_post_of_the_real_site_has_a_pdf_linked_from_its_header_and_cite_block(real_site):
    posts = [
        folder.parent.relative_to(real_site.outdir).as_posix() + "/"
        for folder in real_site.outdir.glob("posts/*/*/index.html")
    ]
    external = [page for page in posts if real_site.html(page).select_one(".dd-external")]
    assert external, "the real site has a post that lives elsewhere"
    for page in external:
        assert real_site.html(page).select_one("a.dd-pdf, .dd-cite-pdf") is None
    printed = [page for page in posts if page not in external]
    assert len(printed) == 7
    for page in printed:
        from_header = pdf_link(real_site, page, ".dd-post-header a.dd-pdf")
        from_cite_block = pdf_link(real_site, page, ".dd-cite-pdf a")
        assert from_header == from_cite_block, page
        assert from_header.name == page.rstrip("/").rsplit("/", 1)[-1] + ".pdf"
        assert from_header.read_bytes().startswith(b"%PDF-"), page
    assert "7 post PDFs printed, 0 unchanged" in real_site.output


def test_the_pdf_holds_the_title_the_address_rendered_math_the_references_and_the_licence(
    real_site,
):
    page = "posts/2024/hamiltonian-monte-carlo/"
    text = pdf_text(pdf_link(real_site, page, "a.dd-pdf"))
    assert text.startswith("Hamiltonian Monte Carlo, from first principles")
    assert "Version 2 · updated February 10, 2025 · Ada Quant" in text
    assert (
        "Deep Dives · https://deep-dives.github.io/blog/posts/2024/hamiltonian-monte-carlo/" in text
    )
    # Equation (1) as typeset glyphs, not its TeX source.
    assert "π(q) =" in text and "exp(−U(q))" in text
    assert "\\frac" not in text and "\\exp" not in text and "$$" not in text
    assert "References" in text and "Hybrid Monte Carlo. Physics Letters B" in text
    assert "This post is licensed under CC BY 4.0" in text
    # Print, not screen: no site navigation, link targets written out.
    assert "Search" not in text.split("References")[0]
    assert "<https://creativecommons.org/licenses/by/4.0/>" in text


def test_the_pdf_carries_the_post_title_and_its_last_change_as_dates(real_site):
    pdf = PdfReader(pdf_link(real_site, "posts/2024/hamiltonian-monte-carlo/", "a.dd-pdf"))
    assert pdf.metadata.title.startswith("Hamiltonian Monte Carlo, from first principles")
    assert pdf.metadata["/CreationDate"].startswith("D:20250210")  # the update, not today


def test_google_scholar_gets_the_pdf_address(real_site):
    page = "posts/2024/hamiltonian-monte-carlo/"
    meta = real_site.html(page).select_one('meta[name="citation_pdf_url"]')["content"]
    canonical = real_site.html(page).select_one('link[rel="canonical"]')["href"]
    assert meta == urljoin(canonical, "hamiltonian-monte-carlo.pdf")
    assert meta.startswith("https://deep-dives.github.io/blog/")


def test_pages_that_are_not_posts_have_no_pdf(real_site):
    for page in ("", "archive/", "about/", "bibliography/"):
        html = real_site.html(page)
        assert html.select_one("a.dd-pdf, .dd-cite-pdf") is None, page
        assert html.select_one('meta[name="citation_pdf_url"]') is None, page
    assert sorted(p.name for p in real_site.outdir.glob("*.pdf")) == []


def two_posts(body: str = "The energy is $$E = mc^2$$ as usual.") -> dict[str, str]:
    return {
        "posts/first.md": post("2024-03-01", "First post", body),
        "posts/second.md": post("2024-04-01", "Second post", "Nothing to see."),
    }


def test_an_edit_or_a_new_post_prints_only_that_posts_pdf_and_a_deleted_post_takes_its_pdf(
    built_site,
):
    first = built_site(two_posts(), PDFS_ON)
    site = first.srcdir
    assert "2 post PDFs printed, 0 unchanged" in first.output
    second_pdf = first.outdir / "posts/second/second.pdf"
    before = second_pdf.stat().st_mtime_ns

    edited = site / "posts/first.md"
    edited.write_text(edited.read_text().replace("as usual", "as ever"), encoding="utf-8")
    again = sphinx_build(site)
    assert again.returncode == 0, again.output
    assert "1 post PDFs printed, 1 unchanged" in again.output
    assert "as ever" in pdf_text(first.outdir / "posts/first/first.pdf")
    assert second_pdf.stat().st_mtime_ns == before

    assert "0 post PDFs printed, 2 unchanged" in sphinx_build(site).output

    # A new post changes its neighbours' "Newer"/"Older" links, which are not printed.
    (site / "posts/third.md").write_text(post("2024-05-01", "Third post"), encoding="utf-8")
    added = sphinx_build(site)
    assert "1 post PDFs printed, 2 unchanged" in added.output
    assert "Third post" in added.html("posts/second/").select_one(".dd-post-nav").get_text()

    (site / "posts/second.md").unlink()
    gone = sphinx_build(site)
    assert gone.returncode == 0, gone.output
    assert not second_pdf.exists()
    assert (first.outdir / "posts/first/first.pdf").is_file()


def test_two_printings_of_the_same_site_are_identical(built_site, tmp_path):
    one = built_site(two_posts(), PDFS_ON)
    two = tmp_path / "two"
    shutil.copytree(one.srcdir, two, ignore=shutil.ignore_patterns("_build"))
    again = sphinx_build(two)
    assert again.returncode == 0, again.output
    assert "2 post PDFs printed, 0 unchanged" in again.output
    pdfs = [(build.outdir / "posts/first/first.pdf").read_bytes() for build in (one, again)]
    assert pdfs[0] == pdfs[1]
    # Links lead to the public site, not to the server the page was printed from.
    assert b"/URI (https://blog.example.org/posts/first/cite.json)" in pdfs[0]
    assert b"127.0.0.1" not in pdfs[0]
    assert re.search(rb"/CreationDate \(D:20240301000000", pdfs[0])


def test_no_pdf_and_no_link_when_the_site_turns_pdfs_off(tmp_path):
    site = write_site(tmp_path / "site", two_posts(), "deepdive_pdf = False\n")
    build = sphinx_build(site)
    assert build.returncode == 0, build.output
    assert not list(build.outdir.rglob("*.pdf"))
    page = build.html("posts/first/")
    assert page.select_one("a.dd-pdf, .dd-cite-pdf, meta[name=citation_pdf_url]") is None
    assert "PDFs printed" not in build.output


def test_without_chromium_the_build_fails_saying_what_to_install_or_set(tmp_path):
    site = write_site(tmp_path / "site", two_posts(), PDFS_ON)
    build = sphinx_build(site, None, env={"CHROMIUM_PATH": str(tmp_path / "no-chromium")})
    assert build.returncode != 0
    assert "needs Chromium or Google Chrome" in build.output
    assert "apt install chromium" in build.output and "deepdive_pdf = False" in build.output
    assert "Traceback" not in build.output


def link_targets(path: Path) -> list[str]:
    """The addresses of a PDF's links, as a PDF reader reads them."""
    return [
        annotation.get_object()["/A"]["/URI"]
        for page in PdfReader(path).pages
        for annotation in page.get("/Annots", [])
        if "/URI" in annotation.get_object().get("/A", {})
    ]


def test_links_lead_to_the_public_site_even_when_its_address_is_short(tmp_path):
    site = write_site(tmp_path / "site", two_posts(), PDFS_ON + 'html_baseurl = "https://a.io/"\n')
    build = sphinx_build(site)
    assert build.returncode == 0, build.output
    targets = link_targets(build.outdir / "posts/first/first.pdf")
    assert "https://a.io/posts/first/cite.json" in targets
    assert all(target.startswith("https://") for target in targets), targets


def test_a_public_address_with_parentheses_is_escaped_in_the_pdf_and_keeps_the_length():
    origin = "http://127.0.0.1:40000"
    local = origin + local_base("https://example.org/a(b)/", origin)
    pdf = b"<</URI (" + local.encode() + b"x/)>>"
    linked = public_links(pdf, local, "https://example.org/a(b)/")
    assert len(linked) == len(pdf)
    assert linked.startswith(b"<</URI (https://example.org/a\\(b\\)")
