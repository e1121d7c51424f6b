"""A shared link to a post shows a picture: each post has a social card (blog name, title, author,
date, reading time) drawn at build time, named in og:image with its size and a description, and
drawn again only when what it shows changes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import Build, post, sphinx_build, write_site
from PIL import Image, ImageChops

from deepdive.site.cards import CardText, draw_card, font_folder

# The real site's conf.py has sphinxext-opengraph, which writes the og: tags; small sites add it.
OPENGRAPH = """
extensions += ["sphinxext.opengraph"]
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}
"""


def og(page, name: str) -> str | None:
    tag = page.select_one(f'meta[property="{name}"]')
    return tag["content"] if tag else None


def card_file(build: Build, page: str) -> Path:
    address = og(build.html(page), "og:image")
    assert address, page
    base = build.html(page).select_one('meta[property="og:url"]')["content"]
    assert address == base + "card.png"
    return build.outdir / page / "card.png"


def inked_share(path: Path) -> float:
    """The share of the card's pixels that are not its paper colour."""
    with Image.open(path) as card:
        rgb = card.convert("RGB")
        paper = Image.new("RGB", rgb.size, rgb.getpixel((rgb.width - 1, rgb.height - 1)))
        differs = ImageChops.difference(rgb, paper).convert("L").point(lambda v: v > 40 and 255)
        return sum(differs.histogram()[255:]) / (rgb.width * rgb.height)


def test_every_post_of_the_real_site_has_a_card_of_its_own(real_site):
    cards = {}
    for index in real_site.outdir.glob("posts/*/*/index.html"):
        page = index.parent.relative_to(real_site.outdir).as_posix() + "/"
        html = real_site.html(page)
        assert og(html, "og:type") == "article"
        assert og(html, "og:url").endswith("/" + page), page
        assert html.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
        card = card_file(real_site, page)
        with Image.open(card) as image:
            assert (image.format, image.size) == ("PNG", (1200, 630))
        assert og(html, "og:image:width") == "1200" and og(html, "og:image:height") == "630"
        title = html.select_one("article h1").get_text(" ", strip=True).rstrip("#").strip()
        assert og(html, "og:image:alt").startswith(title), page
        assert card.stat().st_size < 40_000
        assert 0.02 < inked_share(card) < 0.4, page  # text and the accent bar, not a blank
        cards[page] = card.read_bytes()
    assert len(cards) >= 5
    assert len(set(cards.values())) == len(cards)  # each shows its own post


def test_pages_that_are_not_posts_have_no_card(real_site):
    for page in ("", "archive/", "about/", "bibliography/"):
        html = real_site.html(page)
        assert og(html, "og:image") is None, page
        assert html.select_one('meta[name="twitter:card"]') is None, page


def two_posts() -> dict[str, str]:
    return {
        "posts/first.md": post("2024-03-01", "First post", "Some text.", author="Ada Quant"),
        "posts/second.md": post("2024-04-01", "Second post", "Nothing to see."),
    }


def test_a_card_is_drawn_again_only_when_its_text_changes_and_leaves_with_its_post(tmp_path):
    third = {"posts/third.md": post("2024-05-01", "Third post", "Some text.")}
    site = write_site(tmp_path / "site", {**two_posts(), **third}, OPENGRAPH)
    first = sphinx_build(site)
    assert first.returncode == 0, first.output
    assert "3 social cards drawn, 0 unchanged" in first.output
    card = first.outdir / "posts/third/card.png"
    drawn = card.read_bytes()

    edited = site / "posts/third.md"
    edited.write_text(edited.read_text().replace("Some text.", "Other text."), encoding="utf-8")
    body_edit = sphinx_build(site)
    assert "0 social cards drawn, 3 unchanged" in body_edit.output, body_edit.output

    edited.write_text(edited.read_text().replace("# Third post", "# Retitled"), encoding="utf-8")
    retitled = sphinx_build(site)
    assert retitled.returncode == 0, retitled.output
    assert "1 social cards drawn, 2 unchanged" in retitled.output, retitled.output
    assert card.read_bytes() != drawn

    edited.unlink()
    gone = sphinx_build(site)
    assert gone.returncode == 0, gone.output
    assert not card.exists()
    assert (first.outdir / "posts/second/card.png").is_file()


def test_a_post_that_names_its_picture_shows_that_one(tmp_path):
    site = write_site(
        tmp_path / "site",
        {"posts/chart.md": post("2024-03-01", "Chart", "![A chart](chart.png)\n", image="1")},
        OPENGRAPH,
    )
    with Image.new("RGB", (40, 20), "white") as picture:
        picture.save(site / "posts/chart.png")
    build = sphinx_build(site)
    assert build.returncode == 0, build.output
    page = build.html("posts/chart/")
    assert og(page, "og:image") == "https://blog.example.org/_images/chart.png"
    assert page.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
    assert not (build.outdir / "posts/chart/card.png").exists()


def test_a_title_the_font_cannot_draw_gets_no_card_and_a_note_saying_what_to_do(tmp_path):
    site = write_site(
        tmp_path / "site", {"posts/stats.md": post("2024-03-01", "統計の基礎")}, OPENGRAPH
    )
    build = sphinx_build(site)
    assert build.returncode == 0, build.output
    assert og(build.html("posts/stats/"), "og:image") is None
    assert not (build.outdir / "posts/stats/card.png").exists()
    assert re.search(r"posts/stats\.md: no social card: .* image:", build.output), build.output


def test_no_card_when_the_site_turns_them_off(tmp_path):
    site = write_site(tmp_path / "site", two_posts(), OPENGRAPH + "deepdive_social_cards = False\n")
    build = sphinx_build(site)
    assert build.returncode == 0, build.output
    assert not list(build.outdir.rglob("card.png"))
    assert og(build.html("posts/first/"), "og:image") is None
    assert "social cards drawn" not in build.output


def test_a_long_title_shrinks_and_a_longer_one_is_cut_inside_the_card(tmp_path):
    folder = font_folder()
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    for title in ("Short", "A rather long title " * 4, "An endless title " * 20, long_word):
        path = tmp_path / "card.png"
        path.write_bytes(draw_card(CardText("Deep Dives", title, "Ada · May 1, 2024"), folder))
        with Image.open(path) as card:
            rgb = card.convert("RGB")
        # Nothing is drawn in the right margin: every line fits.
        margin = rgb.crop((rgb.width - 60, 0, rgb.width, rgb.height))
        assert margin.getcolors() == [(60 * rgb.height, rgb.getpixel((rgb.width - 1, 0)))], title


def test_without_matplotlibs_fonts_the_build_says_what_to_install_or_set(tmp_path):
    # A matplotlib without its fonts, found first on the path, stands for one that is missing.
    (tmp_path / "stand-in" / "matplotlib").mkdir(parents=True)
    (tmp_path / "stand-in" / "matplotlib" / "__init__.py").write_text("", encoding="utf-8")
    site = write_site(tmp_path / "site", two_posts(), OPENGRAPH)
    path = os.pathsep.join([str(tmp_path / "stand-in"), os.environ.get("PYTHONPATH", "")])
    build = sphinx_build(site, None, env={"PYTHONPATH": path})
    assert build.returncode != 0
    assert (
        "pip install matplotlib" in build.output and "deepdive_social_cards = False" in build.output
    )
    assert "Traceback" not in build.output
