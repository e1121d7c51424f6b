"""Post pages link to their neighbours, series, backlinks and related posts, and stay fresh."""

from __future__ import annotations

from conftest import post, sphinx_build

SERIES = 'series: "VAE"'


def files() -> dict[str, str]:
    return {
        "posts/2024/vae-1.md": post(
            "2024-01-01",
            "VAE part one",
            "(vae-elbo)=\n## The ELBO\n\nText.",
            tags="[vae, variational]",
            series="VAE",
            series_order=1,
        ),
        "posts/2024/vae-2.md": post(
            "2024-02-01",
            "VAE part two",
            "Builds on {ref}`vae-elbo`.",
            tags="[vae, variational]",
            series="VAE",
            series_order=2,
        ),
        "posts/2024/flows.md": post(
            "2024-03-01", "Flows", "See [part one](vae-1.md).", tags="[variational]"
        ),
        "posts/2024/unrelated.md": post(
            "2024-04-01", "Unrelated", "Nothing shared.", tags="[cooking]"
        ),
    }


def texts(soup, selector: str) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(selector)]


def test_series_parts_show_part_k_of_n_and_link_each_other(built_site):
    build = built_site(files())
    assert build.returncode == 0, build.output
    part_two = build.html("posts/2024/vae-2/")
    assert (
        part_two.select_one(".dd-post-header .dd-series-label").get_text(strip=True)
        == "Part 2 of 2 of “VAE”"
    )
    assert texts(part_two, ".dd-series ol li") == ["VAE part one", "VAE part two"]
    assert part_two.select_one('.dd-series__nav a[rel="prev"]')["href"] == "../vae-1/"
    assert texts(build.html("series/vae/"), ".dd-teaser__title a") == [
        "VAE part one",
        "VAE part two",
    ]
    home = {t.select_one("h2 a").get_text(): t for t in build.html().select(".dd-teaser")}
    assert "Part 1 of 2 of VAE" in home["VAE part one"].get_text()


def test_backlinks_list_the_posts_that_reference_this_one(built_site):
    build = built_site(files())
    part_one = build.html("posts/2024/vae-1/")
    assert texts(part_one, ".dd-backlinks a") == ["Flows", "VAE part two"]
    assert build.html("posts/2024/unrelated/").select_one(".dd-backlinks") is None


def test_related_posts_share_tags_rarest_first(built_site):
    build = built_site(files())
    assert texts(build.html("posts/2024/vae-1/"), ".dd-related a") == ["VAE part two", "Flows"]
    assert build.html("posts/2024/unrelated/").select_one(".dd-related") is None


def test_a_new_backlink_rewrites_the_target_page_without_rereading_it(built_site):
    srcdir = built_site(files()).srcdir
    (srcdir / "posts/2024/unrelated.md").write_text(
        post("2024-04-01", "Unrelated", "Now links to {ref}`vae-elbo`.", tags="[cooking]")
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert "0 added, 1 changed, 0 removed" in build.output
    assert "Unrelated" in texts(build.html("posts/2024/vae-1/"), ".dd-backlinks a")


def test_retitling_a_post_updates_its_neighbours_pages(built_site):
    srcdir = built_site(files()).srcdir
    (srcdir / "posts/2024/flows.md").write_text(
        post("2024-03-01", "Normalizing flows", "Text.", tags="[x]")
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert (
        "Normalizing flows"
        in build.html("posts/2024/unrelated/").select_one(".dd-post-nav__older").get_text()
    )
    assert (
        "Normalizing flows"
        in build.html("posts/2024/vae-2/").select_one(".dd-post-nav__newer").get_text()
    )


def test_renaming_a_section_rewrites_the_posts_that_link_to_it(built_site):
    srcdir = built_site(files()).srcdir
    part_one = srcdir / "posts/2024/vae-1.md"
    part_one.write_text(part_one.read_text().replace("## The ELBO", "## The evidence lower bound"))
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert "0 added, 1 changed, 0 removed" in build.output
    link = build.html("posts/2024/vae-2/").select_one('a[href="../vae-1/#vae-elbo"]')
    assert link.get_text(strip=True) == "The evidence lower bound"
