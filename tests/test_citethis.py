"""Cite this post: a BibTeX entry with a copy button after each post, and Scholar meta tags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, post
from pybtex.database import parse_string

from deepdive.research.citethis import bibtex_escape

TITLE = r'\<script>alert(1)\</script> & "quotes" at 50% of {braces}, $5 #1 a_b'
# The title as the page shows it: MyST unescapes \<, smartquotes curl the quotes.
SHOWN = "<script>alert(1)</script> & “quotes” at 50% of {braces}, $5 #1 a_b"
PAGE_LINE = "{%- if deepdive_cite_this %}{{ deepdive_cite_this }}{% endif %}"
META_LINES = """{%- for name, content in deepdive_citation_meta or [] %}
  <meta name="{{ name|e }}" content="{{ content|e }}">
  {%- endfor %}"""


def site_templates(folder: Path) -> Path:
    """The site's templates, with the two includes for this feature if they are not there yet."""
    folder.mkdir()
    page = (ROOT / "_templates" / "page.html").read_text(encoding="utf-8")
    layout = (ROOT / "_templates" / "layout.html").read_text(encoding="utf-8")
    if "deepdive_cite_this" not in page:
        footer = '{%- if deepdive_post %}{% include "deepdive/post-footer.html" %}'
        page = (
            page.replace(footer, PAGE_LINE + "\n  " + footer)
            if footer in page
            else (page.replace("{% endblock %}", PAGE_LINE + "\n{% endblock %}", 1))
        )
    if "deepdive_citation_meta" not in layout:
        layout = layout.replace("{% endblock %}", META_LINES + "\n{% endblock %}", 1)
    (folder / "page.html").write_text(page, encoding="utf-8")
    (folder / "layout.html").write_text(layout, encoding="utf-8")
    return folder


@pytest.fixture
def build(build_site, tmp_path):
    templates = site_templates(tmp_path / "templates")

    def run(files: dict[str, str]):
        result = build_site(
            files, f"templates_path = [{str(templates)!r}]\nproject = 'Deep & Dives'\n"
        )
        assert result.returncode == 0, result.output
        return result

    return run


def entry_of(soup):
    block = soup.select_one("section.dd-cite")
    assert block is not None, "no Cite this post block"
    return block, block.select_one("div.highlight pre").get_text()


def test_a_post_ends_with_a_bibtex_entry_for_it(build):
    site = build(
        {"posts/2024/ranking.md": post("2024-03-07", "Ranking with Bradley–Terry", "Text.")}
    )
    block, text = entry_of(site.html("posts/2024/ranking/"))
    assert block.find("h2").get_text() == "Cite this post"
    entry = parse_string(text, "bibtex").entries["author2024ranking"]
    assert entry.type == "online"
    assert [str(p) for p in entry.persons["author"]] == ["Author, Tess"]
    assert entry.fields["title"] == "{Ranking with Bradley–Terry}"
    assert entry.fields["organization"] == r"Deep \& Dives"
    assert entry.fields["year"] == "2024"
    assert entry.fields["month"] == "March"  # pybtex expands the `mar` macro
    assert entry.fields["url"] == "https://blog.example.org/posts/2024/ranking/"
    # The block follows the post's text, and only posts have one.
    assert site.html("").select_one("section.dd-cite") is None


def test_two_posts_of_one_year_and_first_word_get_different_keys_and_the_first_keeps_its_own(
    build_site, tmp_path
):
    templates = site_templates(tmp_path / "templates")
    conf = f"templates_path = [{str(templates)!r}]\n"
    part_one = {"posts/2025/vae-1.md": post("2025-01-10", "Variational Autoencoders, Part 1")}
    first = build_site(part_one, conf)
    assert first.returncode == 0, first.output
    key = lambda site, page: re.match(r"@online\{([^,]+),", entry_of(site.html(page))[1])[1]  # noqa: E731
    assert key(first, "posts/2025/vae-1/") == "author2025variational"

    # Part 2 arrives in a later build: it gets a letter, part 1 keeps the key readers copied.
    part_two = {"posts/2025/vae-2.md": post("2025-03-02", "Variational Autoencoders, Part 2")}
    second = build_site({**part_one, **part_two}, conf)
    assert second.returncode == 0, second.output
    assert key(second, "posts/2025/vae-1/") == "author2025variational"
    assert key(second, "posts/2025/vae-2/") == "author2025variationalb"

    # A part back-dated before part 1 takes the key, and part 1's page is written again.
    part_zero = {"posts/2024/vae-0.md": post("2025-01-01", "Variational Autoencoders, Part 0")}
    third = build_site({**part_one, **part_two, **part_zero}, conf)
    keys = [key(third, f"posts/{page}/") for page in ("2024/vae-0", "2025/vae-1", "2025/vae-2")]
    assert keys == ["author2025variational", "author2025variationalb", "author2025variationalc"]


def test_the_entry_gets_sphinx_copybuttons_copy_button(build):
    site = build({"posts/2024/ranking.md": post("2024-03-07", "Ranking", "Text.")})
    script = site.text("_static/copybutton.js")
    selector = re.search(r"COPYBUTTON_SELECTOR = '([^']+)'", script).group(1)
    soup = site.html("posts/2024/ranking/")
    _, text = entry_of(soup)
    assert any(pre.get_text() == text for pre in soup.select(selector)), selector


def test_scholar_meta_tags_describe_the_post(build):
    site = build(
        {
            "posts/2024/ranking.md": post(
                "2024-03-07", "Ranking", "Text.", author="Ada Quant and Bo Li"
            )
        }
    )
    soup = site.html("posts/2024/ranking/")
    meta = [(m["name"], m["content"]) for m in soup.select('meta[name^="citation_"]')]
    assert meta == [
        ("citation_title", "Ranking"),
        ("citation_author", "Ada Quant"),
        ("citation_author", "Bo Li"),
        ("citation_publication_date", "2024/03/07"),
        ("citation_public_url", "https://blog.example.org/posts/2024/ranking/"),
        ("citation_fulltext_html_url", "https://blog.example.org/posts/2024/ranking/"),
    ]
    assert not site.html("").select('meta[name^="citation_"]')
    _, text = entry_of(soup)
    assert "author       = {Ada Quant and Bo Li}" in text


def test_a_hostile_title_is_text_in_the_page_and_escaped_in_the_entry(build):
    site = build({"posts/2024/evil.md": post("2024-03-07", TITLE, "Text.")})
    soup = site.html("posts/2024/evil/")
    scripts = [s for s in soup.find_all("script") if s.get("type") != "application/ld+json"]
    assert not [s for s in scripts if "alert(1)" in s.get_text()]
    # The schema.org data holds the title as text, and "<" cannot end its element early.
    (data,) = soup.select('script[type="application/ld+json"]')
    assert "</" not in data.string
    assert json.loads(data.string)["headline"] == SHOWN
    assert soup.select_one('meta[name="citation_title"]')["content"] == SHOWN
    _, text = entry_of(soup)
    entry = next(iter(parse_string(text, "bibtex").entries.values()))  # balanced braces: it parses
    assert entry.fields["title"] == "{" + bibtex_escape(SHOWN) + "}"
    assert entry.fields["title"] == (
        r"{<script>alert(1)</script> \& “quotes” at 50\% of "
        r"\textbraceleft{}braces\textbraceright{}, \$5 \#1 a\_b}"
    )


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("R&D 100% $x$ #1 a_b", r"R\&D 100\% \$x\$ \#1 a\_b"),
        (
            "{a} \\ ~ ^",
            r"\textbraceleft{}a\textbraceright{} \textbackslash{} "
            r"\textasciitilde{} \textasciicircum{}",
        ),
        ("two\n  lines", "two lines"),
    ],
)
def test_bibtex_special_characters_are_escaped(text, escaped):
    assert bibtex_escape(text) == escaped


# What Zotero's "Embedded Metadata" web translator reads from a page's meta tags
# (zotero/translators, Embedded Metadata.js and the RDF.js it hands other namespaces to):
# any of these names makes the item that type, whatever else the page says.
ZOTERO_TYPE_FROM_HIGHWIRE = {
    "citation_journal_title": "journalArticle",
    "citation_technical_report_institution": "report",
    "citation_conference_title": "conferencePaper",
    "citation_conference": "conferencePaper",
    "citation_book_title": "bookSection",
    "citation_inbook_title": "bookSection",
    "citation_dissertation_institution": "thesis",
}


def zotero_item(soup) -> dict:
    """The item Zotero's translator makes of a page's meta tags: its type and the fields we give."""
    names = [(m.get("name") or m.get("property"), m.get("content")) for m in soup.select("meta")]
    forced = [ZOTERO_TYPE_FROM_HIGHWIRE[n] for n, _ in names if n in ZOTERO_TYPE_FROM_HIGHWIRE]
    declared = [c for n, c in names if n and re.fullmatch(r"z[.:_]itemType", n)]
    # Without either, citation_title alone makes it guess a journal article.
    item_type = (forced or declared or ["journalArticle"])[0]
    first = {n: c for n, c in reversed(names)}
    return {
        "itemType": item_type,
        "title": first.get("citation_title"),
        "authors": [c for n, c in names if n == "citation_author"],
        "date": first.get("citation_publication_date"),
        "blogTitle": first.get("og:site_name"),  # RDF's publicationTitle, a blog post's blogTitle
        "rights": first.get("DC.rights"),
        "pdf": first.get("citation_pdf_url"),
        "url": first.get("citation_public_url"),
    }


def test_zotero_files_a_post_as_a_blog_post_with_its_blog_licence_and_pdf(real_site):
    page = "posts/2024/hamiltonian-monte-carlo/"
    item = zotero_item(real_site.html(page))
    assert item == {
        "itemType": "blogPost",
        "title": "Hamiltonian Monte Carlo, from first principles",
        "authors": ["Ada Quant"],
        "date": "2024/04/16",
        "blogTitle": "Deep Dives",
        "rights": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "pdf": f"https://deep-dives.github.io/blog/{page}hamiltonian-monte-carlo.pdf",
        "url": f"https://deep-dives.github.io/blog/{page}",
    }
