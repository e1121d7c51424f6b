"""Atom and RSS feeds: valid, full content, absolute links, per tag, deterministic."""

from __future__ import annotations

import re

import feedparser
import pytest
from conftest import Build, post, sphinx_build
from test_build import make_html

from deepdive.site.feeds import absolutize, drop_katex_html, lift_mathml

BODY = """
First paragraph with a link to {ref}`a section of the other post <other-details>` and a figure:

![A plot](plot.png)

See [the other post](other.md).
"""


def site_files() -> dict[str, str]:
    return {
        "posts/2024/first.md": post("2024-01-10", "First & <best>", BODY, tags="[mcmc, theory]"),
        "posts/2024/other.md": post(
            "2024-02-10",
            "Other",
            "Other body.\n\n(other-details)=\n## Details\n\nMore.",
            tags="[mcmc]",
        ),
        "posts/2024/plot.png": "not really a png",
        "posts/2024/updated.md": post(
            "2024-03-01", "Updated", "Text.\n\n```{update} 2024-06-01\nFixed a sign.\n```\n"
        ),
    }


@pytest.fixture
def built(built_site) -> Build:
    """The site of :func:`site_files` after its first build (a fresh copy for each test)."""
    return built_site(site_files())


def test_site_feeds_are_valid_atom_and_rss_with_full_content(built):
    build = built
    for name, version in (("atom.xml", "atom10"), ("rss.xml", "rss20")):
        feed = feedparser.parse(build.text(name))
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == version
        titles = [e.title for e in feed.entries]
        assert titles == ["Updated", "Other", "First & <best>"]
        first = feed.entries[2]
        assert first.link == "https://blog.example.org/posts/2024/first/"
        assert "First paragraph" in first.content[0].value


def test_the_rss_channel_links_to_the_site_and_entries_hold_no_comments(build_site):
    files = site_files()
    files["posts/2024/other.md"] = post(
        "2024-02-10",
        "Other",
        "Teaser.\n\n<!-- more -->\n\nThe rest. <!-- a note to self -->\n\n"
        "(other-details)=\n## Details\n\nMore.",
        tags="[mcmc]",
    )
    build = build_site(files)
    assert build.returncode == 0, build.output
    rss = feedparser.parse(build.text("rss.xml"))
    assert rss.feed.link == "https://blog.example.org/"
    assert {link.rel: link.href for link in rss.feed.links}["self"] == (
        "https://blog.example.org/rss.xml"
    )
    tagged = feedparser.parse(build.text("tags/mcmc/rss.xml"))
    assert tagged.feed.link == "https://blog.example.org/tags/mcmc/"
    for name in ("rss.xml", "atom.xml"):
        raw = build.text(name)
        assert "more --" not in raw and "note to self" not in raw
        (other,) = [e for e in feedparser.parse(raw).entries if e.title == "Other"]
        assert "Teaser." in other.content[0].value and "The rest." in other.content[0].value


def test_every_link_and_image_in_a_feed_is_absolute(built):
    build = built
    entry = feedparser.parse(build.text("atom.xml")).entries[2]
    html = entry.content[0].value
    assert 'href="https://blog.example.org/posts/2024/other/#other-details"' in html
    assert 'href="https://blog.example.org/posts/2024/other/"' in html
    assert 'src="https://blog.example.org/_images/plot.png"' in html
    assert 'href="../' not in html and 'src="../' not in html
    assert "headerlink" not in html


def test_feed_updated_is_the_newest_entry_not_the_build_time(built):
    build = built
    feed = feedparser.parse(build.text("atom.xml"))
    assert feed.feed.updated.startswith("2024-06-01")
    updated_entry = feed.entries[0]
    assert updated_entry.updated.startswith("2024-06-01")
    assert updated_entry.published.startswith("2024-03-01")
    rss = feedparser.parse(build.text("rss.xml"))
    assert "01 Jun 2024" in rss.feed.updated


def test_each_tag_has_its_own_feeds(built):
    build = built
    mcmc = feedparser.parse(build.text("tags/mcmc/atom.xml"))
    assert [e.title for e in mcmc.entries] == ["Other", "First & <best>"]
    theory = feedparser.parse(build.text("tags/theory/rss.xml"))
    assert [e.title for e in theory.entries] == ["First & <best>"]
    tag_page = build.html("tags/mcmc/")
    assert tag_page.select_one('.dd-feeds a[href="atom.xml"]') is not None


def test_pages_advertise_the_site_feeds(built):
    build = built
    links = build.html().select('link[rel="alternate"]')
    assert {link["type"] for link in links} == {"application/atom+xml", "application/rss+xml"}


def test_feeds_are_identical_across_two_clean_builds(built, tmp_path):
    one = built  # a clean build too, the first of its site
    two = sphinx_build(built.srcdir, tmp_path / "two")
    assert two.returncode == 0, two.output
    for name in ("atom.xml", "rss.xml", "tags/mcmc/atom.xml"):
        assert one.text(name) == two.text(name)


def test_feed_math_is_mathml_without_katex_markup(build_site):
    build = build_site(
        {"posts/2024/m.md": post("2024-01-01", "Math", "Energy $E = mc^2$ and\n\n$$a^2+b^2=c^2$$")}
    )
    content = feedparser.parse(build.text("atom.xml")).entries[0].content[0].value
    assert "<math" in content and "katex" not in content


MATHML = (
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mrow><mi>x</mi></mrow>'
    '<annotation encoding="application/x-tex">x</annotation></semantics></math>'
)
KATEX_LAYER = (
    '<span class="katex-html" aria-hidden="true"><span class="katex-base">'
    '<span class="katex-strut" style="height:0.4306em;"></span>'
    '<span class="mord mathnormal">x</span></span></span>'
)
KATEX = f'<span class="katex"><span class="katex-mathml">{MATHML}</span>{KATEX_LAYER}</span>'


def test_a_feed_entry_carries_the_mathml_of_an_equation_not_katex_visual_html():
    inline = f'<p>Take <span class="math notranslate nohighlight">{KATEX}</span> and go.</p>'
    display = f'<div class="math"><span class="katex-display">{KATEX}</span></div>'
    assert absolutize(inline + display, "https://blog.example.org/p/") == (
        f'<p>Take <span class="math notranslate nohighlight">{MATHML}</span> and go.</p>'
        f'<div class="math">{MATHML}</div>'
    )


def test_mathml_is_lifted_out_of_the_html_before_parsing_and_put_back_unchanged():
    display = f'<div class="math"><span class="katex-display">{KATEX}</span></div>'
    lifted, key, maths = lift_mathml(f"<p>{KATEX}</p>{display}")
    assert maths == [MATHML, MATHML]
    assert lifted == (
        f'<p><!--dd-feed-math-{key}:0--></p><div class="math"><!--dd-feed-math-{key}:1--></div>'
    )


def test_katex_renderings_of_another_shape_and_look_alike_comments_are_left_to_the_parser():
    # No katex-mathml span first (as KaTeX writes with output="html"): not lifted, still reduced.
    other = f'<span class="katex"><span class="katex-html">x</span>{MATHML}</span>'
    look_alike = "<!--dd-feed-math-00000000:0-->"
    fragment = f"<p>{other} {look_alike} {KATEX}</p>"
    assert lift_mathml(fragment)[2] == [MATHML]
    # The look-alike is a comment like any other: dropped, not taken for math.
    assert absolutize(fragment, "https://blog.example.org/p/") == f"<p>{MATHML}  {MATHML}</p>"


def test_katex_visual_layer_is_cut_before_parsing_with_all_its_nested_spans():
    html = f"<p>{KATEX} then <span>text</span> and {KATEX}.</p>"
    bare = f'<span class="katex"><span class="katex-mathml">{MATHML}</span></span>'
    assert drop_katex_html(html) == f"<p>{bare} then <span>text</span> and {bare}.</p>"


def test_a_katex_layer_not_after_mathml_or_never_closed_is_left_to_the_parser():
    lone = f"<p>{KATEX_LAYER} text</p>"
    unclosed = f'<span class="katex-mathml">{MATHML}</span>{KATEX_LAYER.removesuffix("</span>")}'
    assert drop_katex_html(lone) == lone
    assert drop_katex_html(unclosed) == unclosed


def feed_times(outdir) -> dict[str, int]:
    return {
        path.relative_to(outdir).as_posix(): path.stat().st_mtime_ns
        for path in outdir.rglob("*.xml")
        if path.name in ("atom.xml", "rss.xml")
    }


def test_an_edit_rewrites_only_the_feeds_that_list_the_edited_post(built):
    before = feed_times(built.outdir)
    edited = built.srcdir / "posts/2024/other.md"  # tagged mcmc only
    edited.write_text(edited.read_text() + "\nA new closing sentence.\n")
    build = sphinx_build(built.srcdir)
    assert build.returncode == 0, build.output
    after = feed_times(built.outdir)
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert rewritten == {"atom.xml", "rss.xml", "tags/mcmc/atom.xml", "tags/mcmc/rss.xml"}
    assert "A new closing sentence." in build.text("tags/mcmc/atom.xml")


def test_a_feed_changed_by_hand_or_deleted_is_written_again(built):
    atom, theory = built.outdir / "atom.xml", built.outdir / "tags/theory/rss.xml"
    originals = atom.read_text(), theory.read_text()
    atom.write_text("<feed/>")
    theory.unlink()
    again = sphinx_build(built.srcdir)
    assert again.returncode == 0, again.output
    assert (atom.read_text(), theory.read_text()) == originals


def test_a_formula_with_wide_spaces_reaches_feed_readers_whole(build_site):
    """``\\qquad`` is an empty MathML ``mspace``: written XML-style, a reader that sanitises the
    feed (feedparser does, as many readers do) put the rest of the formula inside it, unseen."""
    body = "$$\nK(p) = \\tfrac12 p^2, \\qquad H = U + K\n$$\n\nAnd $a \\quad b$ inline."
    build = build_site({"posts/2024/spaces.md": post(title="Spaces", body=body)})
    assert build.returncode == 0, build.output
    (entry,) = feedparser.parse(build.text("atom.xml")).entries
    content = entry.content[0].value
    spaces = re.findall(r"<mspace\b[^>]*>(.*?)</mspace>", content, re.S)
    assert len(spaces) == 2 and spaces == ["", ""], content
    assert re.search(r"</mspace><mi>H</mi>", content)
    page = build.html("posts/2024/spaces/")
    assert [m.decode_contents() for m in page.select(".bd-article math mspace")] == ["", ""]


def test_the_newest_five_entries_carry_the_whole_post_and_older_ones_their_summary(build_site):
    posts = {
        f"posts/p{n}.md": post(
            f"2024-0{n}-01", f"Post {n}", f"Body of post {n}.", description=f"About post {n}."
        )
        for n in range(1, 8)
    }
    build = build_site(posts)
    assert build.returncode == 0, build.output
    for name in ("atom.xml", "rss.xml"):
        entries = feedparser.parse(build.text(name)).entries
        assert [e.title for e in entries] == [f"Post {n}" for n in range(7, 0, -1)]
        full = [e.title for e in entries if "content" in e]
        assert full == ["Post 7", "Post 6", "Post 5", "Post 4", "Post 3"], name
        older = entries[5]
        assert older.summary == "About post 2." and older.link.endswith("/posts/p2/")

    everything = build_site(posts, "deepdive_feed_full_posts = 7\n")
    entries = feedparser.parse(everything.text("atom.xml")).entries
    assert all("Body of post" in e.content[0].value for e in entries)


def test_a_negative_number_of_full_entries_stops_make_html_in_one_line(make_site):
    build = make_html(make_site({"posts/p.md": post()}, "deepdive_feed_full_posts = -1\n"))
    assert build.returncode != 0
    assert "conf.py: deepdive_feed_length must be 1 or more and deepdive_feed_full_posts" in (
        build.output
    )
    assert "Traceback" not in build.output
