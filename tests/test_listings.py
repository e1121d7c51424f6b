"""The home page, pagination, archive, tags and categories of a small blog."""

from __future__ import annotations

from conftest import post


def test_home_lists_posts_newest_first_with_excerpt_and_read_more(build_site):
    build = build_site(
        {
            "posts/2024/older.md": post(
                "2024-01-01", "Older post", "First *emphasised* paragraph with $x^2$.\n\nSecond."
            ),
            "posts/2024/newer.md": post("2024-02-01", "Newer post", "Newer body."),
        }
    )
    assert build.returncode == 0, build.output
    home = build.html()
    titles = [a.get_text(strip=True) for a in home.select(".dd-teaser__title a")]
    assert titles == ["Newer post", "Older post"]
    older = home.select(".dd-teaser")[1]
    excerpt = older.select_one(".dd-teaser__excerpt")
    assert excerpt.select_one("em").get_text() == "emphasised"
    assert excerpt.select_one(".math") is not None
    assert "Second." not in excerpt.get_text()
    assert older.select_one(".dd-read-more a")["href"] == "posts/2024/older/"


def test_excerpt_footnotes_and_section_links_point_into_the_post(build_site):
    body = "A claim[^1] that links to {ref}`later`.\n\n(later)=\n## Later\n\nText.\n\n[^1]: The footnote."
    build = build_site(
        {
            "posts/2024/one.md": post("2024-01-01", "One", body),
            "posts/2024/two.md": post("2024-01-02", "Two", body.replace("later", "later2")),
        }
    )
    assert build.returncode == 0, build.output
    home = build.html()
    excerpts = home.select(".dd-teaser__excerpt")
    hrefs = [a["href"] for a in excerpts[1].select("a")]
    assert hrefs[0].startswith("posts/2024/one/#") and hrefs[1] == "posts/2024/one/#later"
    ids = [e["id"] for e in home.select("[id]")]
    assert len(ids) == len(set(ids))
