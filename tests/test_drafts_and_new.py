"""Drafts stay out of the published site; `make new` starts a valid post."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import feedparser
import pytest
from conftest import ROOT, post, sphinx_build

FILES = {
    "posts/2024/public.md": post("2024-01-01", "Public post", "Published words.", tags="[t]"),
    "posts/2024/secret.md": post(
        "2024-02-01", "Secret draft", "Unpublishedword here.", tags="[t]", draft="true"
    ),
    "posts/2099/future.md": post("2099-01-01", "Future draft", "Later.", draft="true"),
}


def test_production_build_never_publishes_a_draft(build_site):
    build = build_site(FILES)
    assert build.returncode == 0, build.output
    assert not (build.outdir / "posts/2024/secret").exists()
    everything = " ".join(build.html(p).get_text() for p in ("", "archive/", "tags/t/"))
    assert "Public post" in everything and "Secret draft" not in everything
    assert "Secret draft" not in build.text("atom.xml") + build.text("tags/t/rss.xml")
    assert "unpublishedword" not in build.text("searchindex.js").lower()


def test_preview_build_shows_drafts_marked_as_drafts(build_site):
    build = build_site(
        FILES,
        env={"DEEPDIVE_DRAFTS": "1"},
        conf='import os\ndeepdive_show_drafts = os.environ.get("DEEPDIVE_DRAFTS") == "1"\n',
    )
    assert build.returncode == 0, build.output
    teasers = {
        t.select_one(".dd-teaser__title a").get_text(): t for t in build.html().select(".dd-teaser")
    }
    assert set(teasers) == {"Public post", "Secret draft", "Future draft"}
    assert teasers["Secret draft"].select_one(".dd-badge--draft") is not None
    assert teasers["Public post"].select_one(".dd-badge--draft") is None
    assert "Secret draft" not in [e.title for e in feedparser.parse(build.text("atom.xml")).entries]


def test_make_new_writes_a_post_that_builds(make_site):
    srcdir = make_site({})
    run = [
        sys.executable,
        "-m",
        "deepdive.tools.newpost",
        "--root",
        str(srcdir),
        "--title",
        "Hamiltonian Monte Carlo",
        "--tags",
        "mcmc, bayesian",
    ]
    created = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert created.returncode == 0, created.stderr
    year = datetime.now(UTC).year
    path = srcdir / f"posts/{year}/hamiltonian-monte-carlo.md"
    text = path.read_text()
    assert f"date: {datetime.now(UTC):%Y-%m-%d}" in text and "tags: [mcmc, bayesian]" in text
    assert "# Hamiltonian Monte Carlo" in text

    (srcdir / "conf.py").write_text(
        (srcdir / "conf.py").read_text() + "deepdive_show_drafts = True\n"
    )
    build = sphinx_build(srcdir)
    assert build.returncode == 0, build.output
    assert build.html(f"posts/{year}/hamiltonian-monte-carlo/").select_one("span.eqno") is not None

    again = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 1
    assert "already exists" in again.stderr and "hamiltonian-monte-carlo" in again.stderr


@pytest.mark.parametrize(
    ("front", "draft"),
    [
        ("draft: true", True),
        ("draft: false", False),
        ('"dr\\x61ft": true', True),  # the key spelled with an escape is still `draft`
        ("title: Drafting a proof", False),
        ("tags: [a]", False),
    ],
)
def test_a_draft_is_found_by_its_front_matter(tmp_path, front, draft):
    from deepdive.post.drafts import is_draft

    path = tmp_path / "post.md"
    path.write_text(f"---\ndate: 2024-01-01\n{front}\n---\n# Title\n\nText.\n")
    assert is_draft(path) is draft
