"""Bad front matter is an error naming the file, the line and the fix; never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import post

from deepdive.post.frontmatter import parse_front_matter

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def problems(yaml_text: str) -> list[tuple[str, int | None]]:
    result = parse_front_matter(yaml_text, first_line=2, now=NOW)
    return [(p.message, p.line) for p in result.problems]


def test_a_valid_post_has_no_problems():
    front = parse_front_matter("date: 2024-03-01\ntags: [mcmc, bayes]\ncategory: Notes", 2, now=NOW)
    assert front.problems == []
    assert front.date == datetime(2024, 3, 1, tzinfo=UTC)
    assert front.tags == ["mcmc", "bayes"]


def test_unknown_key_is_named_with_its_line_and_a_suggestion():
    [(message, line)] = problems("date: 2024-03-01\ntagz: [a]")
    assert line == 3
    assert "unknown front-matter key `tagz`" in message
    assert "Did you mean `tags`?" in message


@pytest.mark.parametrize("value", ["03/04/2024", "3.4.2024"])
def test_ambiguous_date_shows_both_iso_readings(value):
    [(message, line)] = problems(f"date: {value}")
    assert line == 2
    assert "ambiguous" in message
    assert "2024-04-03" in message and "2024-03-04" in message


def test_impossible_date_is_rejected():
    [(message, _)] = problems("date: 2024-02-30")
    assert "'2024-02-30' is not a real date" in message


def test_unparseable_date_shows_the_right_form():
    [(message, _)] = problems("date: last tuesday")
    assert "Write it as 2024-03-01" in message


def test_aware_and_naive_dates_are_both_normalised_to_utc():
    aware = parse_front_matter("date: 2024-03-01T01:30:00+02:00", 2, now=NOW)
    naive = parse_front_matter("date: 2024-03-01 01:30", 2, tz="America/New_York", now=NOW)
    assert aware.date == datetime(2024, 2, 29, 23, 30, tzinfo=UTC)
    assert naive.date == datetime(2024, 3, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("mcmc, , bayes", "list of non-empty words"),
        ("[mcmc, 3]", "list of non-empty words"),
        ("[a, a]", "twice"),
        ("a, a", "twice"),
    ],
)
def test_tags_must_be_a_list_or_comma_separated_words(tags, expected):
    [(message, line)] = problems(f"date: 2024-03-01\ntags: {tags}")
    assert expected in message and line == 3


def test_future_date_without_draft_says_it_would_be_hidden():
    [(message, _)] = problems("date: 2027-01-01")
    assert "in the future" in message and "would be hidden" in message and "draft: true" in message
    assert problems("date: 2027-01-01\ndraft: true") == []


def test_missing_date_and_bad_yaml_are_reported():
    assert "missing `date`" in problems("tags: [a]")[0][0]
    [(message, line)] = problems("date: 2024-03-01\ntags: [a, b\n")
    assert "not valid YAML" in message and line is not None


def test_series_order_needs_a_series_and_a_positive_number():
    assert "`series` is not" in problems("date: 2024-03-01\nseries_order: 2")[0][0]
    assert "whole number" in problems("date: 2024-03-01\nseries: S\nseries_order: 0")[0][0]


def test_external_url_must_be_absolute():
    assert "full http(s) address" in problems("date: 2024-03-01\nexternal_url: example.org")[0][0]


# -- the same problems through a real strict build -------------------------------------------


def failed(build, *fragments: str) -> None:
    assert build.returncode != 0, build.output
    assert "Traceback" not in build.output, build.output
    for fragment in fragments:
        assert fragment in build.output, build.output


def test_build_fails_naming_file_and_line_of_an_unknown_key(build_site):
    build = build_site({"posts/2024/typo.md": post(tagz="[a]")})
    failed(build, "posts/2024/typo.md:3:", "unknown front-matter key `tagz`")


def test_build_fails_on_a_bad_date_without_a_traceback_from_ablog(build_site):
    build = build_site({"posts/2024/when.md": post(date="03/04/2024")})
    failed(build, "posts/2024/when.md:2:", "ambiguous")


def test_build_fails_on_a_bad_update_note_date(build_site):
    body = "Text.\n\n```{update} someday\nFixed.\n```\n"
    build = build_site({"posts/2024/upd.md": post(body=body)})
    failed(build, "posts/2024/upd.md:", "`update` note date")


def test_build_fails_on_an_empty_title(build_site):
    build = build_site({"posts/2024/untitled.md": "---\ndate: 2024-03-01\n---\nNo heading here.\n"})
    failed(
        build,
        "posts/2024/untitled.md:4: WARNING: the post has no title: ",
        "start the post with `# Title` (one `#`) after the front matter",
    )


def test_a_post_whose_first_heading_is_level_2_has_no_title(build_site):
    text = "---\ndate: 2024-03-01\n---\n\n## Gibbs sampling\n\nText.\n"
    build = build_site({"posts/2024/gibbs.md": text})
    failed(
        build,
        "posts/2024/gibbs.md:5: WARNING: the post has no title: its first heading "
        "`## Gibbs sampling` is level 2",
        "start the post with `# Title` (one `#`) after the front matter, e.g. `# Gibbs sampling`",
    )
    assert "Gibbs sampling" not in build.text("index.html")


@pytest.mark.parametrize("date", ["2024-13-45", "2024-02-30"])
def test_a_bad_date_is_reported_once_and_only_by_us(build_site, date):
    build = build_site({"posts/2024/when.md": post(date=date)})
    failed(build, f"posts/2024/when.md:2: WARNING: `date`: '{date}' is not a real date")
    problems = [line for line in build.output.splitlines() if "WARNING" in line]
    assert len(problems) == 1, build.output
    assert "Malformed YAML" not in build.output


def test_front_matter_that_is_not_yaml_is_reported_once(build_site):
    build = build_site({"posts/2024/bad.md": "---\ndate: 2024-03-01\ntags: [a\n---\n# T\n"})
    failed(build, "posts/2024/bad.md:", "front matter is not valid YAML")
    warnings = [line for line in build.output.splitlines() if ": WARNING: " in line]
    assert len(warnings) == 1 and "not valid YAML" in warnings[0], build.output


def test_build_fails_on_two_posts_with_one_slug(build_site):
    build = build_site(
        {"posts/2023/hmc.md": post(title="One"), "posts/2024/hmc.md": post(title="Two")}
    )
    failed(build, "duplicate slug 'hmc'", "posts/2023/hmc.md", "posts/2024/hmc.md")


@pytest.mark.parametrize(
    ("first", "second"), [("Python", "python"), ("C", "C++"), ("Статистика", "статистика")]
)
def test_build_fails_on_tags_that_share_a_page(build_site, first, second):
    build = build_site(
        {
            "posts/2024/a.md": post(title="A", tags=f"[{first}]"),
            "posts/2024/b.md": post(title="B", tags=f"['{second}']"),
        }
    )
    failed(build, f"'{first}'", f"'{second}'", "Spell the tag the same way")


def test_build_fails_on_a_future_post_that_is_not_a_draft(build_site):
    build = build_site({"posts/2099/later.md": post(date="2099-01-01")})
    failed(build, "posts/2099/later.md:2:", "would be hidden")


def test_an_unchanged_bad_post_still_fails_the_next_build(make_site):
    from conftest import sphinx_build

    srcdir = make_site({"posts/2024/typo.md": post(tagz="[a]")})
    first = sphinx_build(srcdir)
    second = sphinx_build(srcdir)
    assert first.returncode != 0 and second.returncode != 0
    assert "unknown front-matter key `tagz`" in second.output


def test_a_tag_of_punctuation_alone_is_refused(build_site):
    build = build_site({"posts/2024/a.md": post(title="A", tags="['?!']")})
    failed(build, "posts/2024/a.md", "tag '?!' has no letters or digits to make a URL from")
