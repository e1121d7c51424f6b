"""Every post has a version: 1 as first published, one more for each update note. The header and
"Cite this post" carry it; the end of the post lists the versions, newest first."""

from __future__ import annotations

import feedparser
import pytest
from conftest import post, sphinx_build, write_site
from pybtex.database import parse_string

BODY = """
The first version said $\\alpha = 0.574$.

```{update} 2024-05-02
Corrected the optimal acceptance rate to $0.651$.
```

More text.

```{update} 2025-02-10
Added the dimension scaling $O(d^{1/4})$.

A second paragraph that the list leaves out.
```
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    files = {
        "posts/2024/tuned.md": post("2024-03-01", "Tuned sampler", BODY),
        "posts/2024/once.md": post("2024-04-01", "Said once", "Never updated."),
    }
    build = sphinx_build(write_site(tmp_path_factory.mktemp("versions") / "site", files))
    assert build.returncode == 0, build.output
    return build


def bibtex_of(page):
    (entry,) = parse_string(
        page.select_one("section.dd-cite pre").get_text(), "bibtex"
    ).entries.values()
    return entry


def test_the_header_shows_the_version_and_the_last_update(site):
    header = site.html("posts/2024/tuned/").select_one(".dd-post-header")
    assert "Version 3 · updated February 10, 2025" in header.get_text(" ", strip=True)
    assert header.select_one("a.dd-version")["href"] == "#dd-versions-title"


def test_the_versions_are_listed_newest_first_each_linking_to_its_note(site):
    page = site.html("posts/2024/tuned/")
    items = page.select("section.dd-versions li")
    labels = [" ".join(li.select_one(".dd-versions__label").get_text().split()) for li in items]
    assert labels == [
        "Version 3, February 10, 2025",
        "Version 2, May 2, 2024",
        "Version 1, March 1, 2024",
    ]
    assert [li["value"] for li in items] == ["3", "2", "1"]
    newest, older, first = items
    # Each note's first paragraph, typeset; the link reaches the note on this page.
    assert "Added the dimension scaling" in newest.get_text()
    assert "second paragraph" not in newest.get_text()
    assert newest.select_one(".katex") is not None
    for item, text in ((newest, "Added the dimension"), (older, "Corrected the optimal")):
        note = page.find(id=item.select_one("a")["href"].removeprefix("#"))
        assert note is not None and text in note.get_text()
    assert "first published" in first.get_text()
    assert len({tag["id"] for tag in page.select("[id]")}) == len(page.select("[id]"))


def test_cite_this_post_carries_the_version(site):
    entry = bibtex_of(site.html("posts/2024/tuned/"))
    assert entry.fields["version"] == "3"
    assert entry.fields["note"] == "Version 3, updated February 10, 2025"


def test_a_post_never_updated_is_version_1_without_a_list(site):
    page = site.html("posts/2024/once/")
    assert page.select_one("section.dd-versions") is None
    assert page.select_one("a.dd-version") is None
    entry = bibtex_of(page)
    assert entry.fields["version"] == "1" and "note" not in entry.fields


def test_an_updated_posts_feed_entry_opens_with_its_version(site):
    entries = {e.title: e for e in feedparser.parse(site.text("atom.xml")).entries}
    tuned = entries["Tuned sampler"].content[0].value
    assert tuned.startswith("<p><em>Version 3, updated February 10, 2025.</em></p>")
    assert "Version" not in entries["Said once"].content[0].value
