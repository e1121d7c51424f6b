"""Sidenotes: each footnote is copied beside its first reference; the footnote list stays."""

from __future__ import annotations

from collections import Counter

import feedparser
import pytest
from bs4 import BeautifulSoup, Tag
from conftest import post, sphinx_build, write_site

BIB = """
@book{cover2006elements,
  author    = {Cover, Thomas M. and Thomas, Joy A.},
  title     = {Elements of Information Theory},
  publisher = {Wiley},
  year      = {2006},
}
"""

NOTES = post(
    "2024-01-01",
    "Notes everywhere",
    r"""
    A plain note[^plain] in the first paragraph, and *an emphasised note[^emph] inside emphasis*.

    A second reference to the plain note[^plain] gets no second sidenote.

    - A list item with a note[^list].

    ```{note}
    Inside an admonition[^adm] the margin is out of reach.
    ```

    A note with a list in it[^block] cannot live inside a paragraph.

    [^plain]: The plain footnote, with $a^2$ math and a citation {cite:p}`cover2006elements`.

        Its second paragraph.
    [^emph]: The emphasised one.
    [^list]: The one in a list.
    [^adm]: The one in an admonition.
    [^block]: A footnote with a list:

        - item one
        - item two
    """,
)

ALL_SIDENOTED = post(
    "2024-02-01",
    "Only plain notes",
    "One note[^one] and another[^two].\n\n[^one]: First.\n[^two]: Second.\n",
)
NO_NOTES = post("2024-03-01", "No notes", "Nothing to note here.")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    srcdir = write_site(
        tmp_path_factory.mktemp("sidenotes") / "site",
        {
            "references.bib": BIB,
            "posts/2024/notes.md": NOTES,
            "posts/2024/plain.md": ALL_SIDENOTED,
            "posts/2024/none.md": NO_NOTES,
        },
    )
    result = sphinx_build(srcdir)
    assert result.returncode == 0, result.output[-3000:]
    assert "WARNING" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def page(build):
    return build.html("posts/2024/notes/")


def text(node: Tag) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def footnote_text(page, footnote_id: str) -> str:
    """The text of a footnote in the list at the end, without its label and back-links."""
    footnote = page.select_one(f"aside.footnote#{footnote_id}")
    return " ".join(text(p) for p in footnote.find_all(["p", "ul"], recursive=False))


def sidenotes(page, footnote_id: str) -> list[Tag]:
    return page.select(f'.dd-sidenote[data-dd-footnote="{footnote_id}"]')


def reference(page, footnote_id: str, nth: int = 0) -> Tag:
    return page.select(f'a.footnote-reference[href="#{footnote_id}"]')[nth]


def test_a_plain_footnote_sits_right_after_its_reference_with_the_same_text(page):
    [note] = sidenotes(page, "plain")
    assert note.name == "span" and note.parent.name == "p"
    assert reference(page, "plain").find_next_sibling() is note
    assert note["role"] == "note"
    assert text(note.select_one(".dd-sidenote__label")) == "1"
    paragraphs = [text(p) for p in note.select(".dd-sidenote__para")]
    assert paragraphs == [text(p) for p in page.select("aside.footnote#plain > p")]
    assert " ".join(paragraphs) == footnote_text(page, "plain")
    assert paragraphs[1] == "Its second paragraph."


def test_a_sidenote_keeps_the_footnotes_math_and_citation_links(page):
    [note] = sidenotes(page, "plain")
    assert note.select_one(".math .katex") is not None
    assert note.select_one('.bibtex-citation a[href="#ref-cover2006elements"]') is not None


def test_an_inline_sidenote_holds_only_phrasing_content(page):
    # A <p> cannot hold blocks: the parser would end the paragraph at the first one.
    for note in page.select("span.dd-sidenote"):
        blocks = note.find_all(["p", "div", "ul", "ol", "aside", "section", "table", "pre"])
        assert blocks == [], f"{note['data-dd-footnote']} holds {[b.name for b in blocks]}"


def test_a_sidenote_follows_the_emphasis_around_its_reference(page):
    [note] = sidenotes(page, "emph")
    assert note.parent.name == "p" and note.find_previous_sibling().name == "em"
    assert reference(page, "emph").parent.name == "em"
    assert text(note).endswith("The emphasised one.")


def test_only_the_first_reference_to_a_footnote_gets_a_sidenote(page):
    assert len(sidenotes(page, "plain")) == 1
    second = reference(page, "plain", 1)
    following = second.find_next_sibling()
    assert following is None or "dd-sidenote" not in following.get("class", [])


def test_a_reference_in_a_list_item_gets_a_sidenote(page):
    [note] = sidenotes(page, "list")
    assert note.find_parent("li") is not None
    assert text(note.select_one(".dd-sidenote__para")) == "The one in a list."


def test_a_footnote_with_blocks_becomes_an_aside_after_the_paragraph(page):
    [note] = sidenotes(page, "block")
    assert note.name == "aside" and "dd-sidenote--block" in note["class"]
    paragraph = reference(page, "block").find_parent("p")
    assert paragraph.find_next_sibling() is note
    assert [text(li) for li in note.select("li")] == ["item one", "item two"]


def test_a_reference_inside_an_admonition_keeps_an_ordinary_footnote(page):
    assert sidenotes(page, "adm") == []
    assert "dd-sidenoted" not in page.select_one("aside.footnote#adm")["class"]
    # ... so the rule above the footnote list must stay on wide screens too
    assert "dd-sidenoted" not in page.select_one("hr.footnotes")["class"]


def test_the_footnote_list_is_still_complete_with_working_back_links(page):
    footnotes = page.select("aside.footnote-list > aside.footnote")
    assert [f["id"] for f in footnotes] == ["plain", "emph", "list", "adm", "block"]
    assert footnote_text(page, "emph") == "The emphasised one."
    for footnote in footnotes:
        for backlink in footnote.select('a[role="doc-backlink"]'):
            target = page.select_one(backlink["href"])
            assert target is not None and "footnote-reference" in target["class"]
    sidenoted = {f["id"] for f in footnotes if "dd-sidenoted" in f["class"]}
    assert sidenoted == {"plain", "emph", "list", "block"}


def test_sidenotes_add_no_duplicate_ids(page):
    ids = Counter(tag["id"] for tag in page.select("[id]"))
    assert [i for i, n in ids.items() if n > 1] == []
    assert all(tag.select("[id]") == [] for tag in page.select(".dd-sidenote"))


def test_when_every_footnote_has_a_sidenote_the_rule_above_the_list_hides_too(build):
    page = build.html("posts/2024/plain/")
    assert [text(n.select_one(".dd-sidenote__para")) for n in page.select(".dd-sidenote")] == [
        "First.",
        "Second.",
    ]
    assert "dd-sidenoted" in page.select_one("hr.footnotes")["class"]


def test_the_stylesheet_is_linked_and_pages_without_footnotes_are_untouched(build):
    page = build.html("posts/2024/none/")
    assert page.select(".dd-sidenote") == []
    links = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert any("deepdive-pages.css" in href for href in links), links
    assert ".dd-sidenote" in (build.outdir / "_static" / "deepdive-pages.css").read_text()


def test_feeds_carry_the_ordinary_footnotes_only(build):
    for feed in ("atom.xml", "rss.xml"):
        content = build.text(feed)
        assert "The emphasised one." in content
        entries = feedparser.parse(content).entries
        bodies = [BeautifulSoup(e.content[0].value, "lxml") for e in entries]
        assert not any(b.select(".dd-sidenote") for b in bodies), (
            f"{feed} repeats footnotes as sidenotes"
        )
