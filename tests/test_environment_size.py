"""The pickled environment, loaded by every rebuild, holds what later pages need and no more."""

from __future__ import annotations

import pickle

from conftest import Build, post

LONG_BODY = "First paragraph, the excerpt.\n\n" + "\n\n".join(
    f"Paragraph {n} with $x_{{{n}}}^2$ and enough words to weigh something. " * 8
    for n in range(200)
)


def pickled_environment(build: Build):
    """The environment the build left for the next one, and the folder it is in."""
    doctrees = build.outdir.parent / (build.outdir.name + "-doctrees")
    return pickle.loads((doctrees / "environment.pickle").read_bytes()), doctrees


def test_excerpts_do_not_carry_their_whole_post(build_site) -> None:
    # A copied docutils node still points at its document; pickled, that is the whole doctree.
    build = build_site({"posts/2024/long.md": post(title="Long", body=LONG_BODY)})
    assert build.returncode == 0, build.output[-3000:]
    env, doctrees = pickled_environment(build)
    ours = env.domaindata["deepdive"]["posts"]["posts/2024/long"].excerpt
    ablogs = env.ablog_posts["posts/2024/long"][0]["excerpt"]
    assert "the excerpt" in ours[0].astext()
    for excerpt in (ours, ablogs):
        assert len(pickle.dumps(excerpt)) < 2_000
    assert (doctrees / "environment.pickle").stat().st_size < 200_000


def test_ablog_s_copy_of_an_excerpt_is_stored_once_when_it_is_ours(build_site) -> None:
    body = "The excerpt, with $e^{i\\pi} + 1 = 0$.\n\nThe rest of the post."
    build = build_site({"posts/2024/euler.md": post(title="Euler", body=body)})
    assert build.returncode == 0, build.output[-3000:]
    env, _ = pickled_environment(build)
    ours = env.domaindata["deepdive"]["posts"]["posts/2024/euler"].excerpt
    ablogs = env.ablog_posts["posts/2024/euler"][0]["excerpt"]
    assert ablogs is ours  # one object after unpickling: it was pickled once
    assert "The excerpt" in ours[0].astext()
