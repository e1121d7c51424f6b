"""The home page, pagination, archive, tags and categories of a small blog."""

from __future__ import annotations

from conftest import post


def test_home_lists_posts_newest_first_with_excerpt_and_read_more(build_site):
    build = build_site({
        "posts/2024/older.md": post("2024-01-01", "Older post", "First *emphasised* paragraph with $x^2$.\n\nSecond."),
        "posts/2024/newer.md": post("2024-02-01", "Newer post", "Newer body."),
    })
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
