"""An incremental build's output is byte-identical to a clean build of the same sources."""

from __future__ import annotations

import filecmp
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import post, sphinx_build, write_site

# Files that legitimately differ between an incremental and a clean build. Each needs a reason.
EXCLUDED = {
    ".buildinfo": "Sphinx's build fingerprint; not served to readers (GitHub Pages ignores dotfiles)",
    ".buildinfo.bak": "Sphinx's backup of the fingerprint after a configuration change",
}

BIB = """@article{neal2011,
  author = {Neal, Radford M.}, title = {MCMC using Hamiltonian dynamics}, journal = {Handbook of MCMC},
  year = {2011}, doi = {10.1201/b10905-6}}
@article{welling2011,
  author = {Welling, Max and Teh, Yee Whye}, title = {Bayesian learning via SGLD}, journal = {ICML},
  year = {2011}}
"""
# The real site's page-writing extensions: each one adds to pages or writes a file of its own.
CONF = """
bibtex_bibfiles = ["references.bib"]
deepdive_posts_per_page = 2  # home pages 2 and 3 are generated pages with excerpts
extensions += ["myst_nb", "sphinx_proof", "sphinxext.opengraph", "sphinx_sitemap"]
extensions += ["notfound.extension", "sphinx_design"]
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}
sitemap_url_scheme = "{link}"
notfound_urls_prefix = "/"
"""


def initial_files() -> dict[str, str]:
    files = {"references.bib": BIB}
    for n in range(6):
        # The first paragraph is the excerpt the home pages show, links and citation included.
        body = f"Post {n} body with $x_{n}^2$ and {{cite:p}}`neal2011`."
        if n:
            body += f" See {{ref}}`sec-{n - 1}` and {{eq}}`eq-{n - 1}`."
        body += f"\n\n(sec-{n})=\n## Part {n}\n\nMore text.\n\n$$\nx_{n} = {n}\n$$ (eq-{n})"
        files[f"posts/2024/p{n}.md"] = post(
            f"2024-0{n + 1}-01",
            f"Title {n}",
            body,
            tags=f"[t{n % 3}, common]",
            **({"series": "S", "series_order": n} if n in (1, 2) else {}),
        )
    return files


LOADED_ENVIRONMENT = re.compile(
    r"loading pickled environment\.\.\. (done|The configuration has changed)"
)


def tree_differences(one: Path, two: Path) -> list[str]:
    differences = []
    names = {p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file()}
    names |= {p.relative_to(two).as_posix() for p in two.rglob("*") if p.is_file()}
    for name in sorted(names - set(EXCLUDED)):
        a, b = one / name, two / name
        if not a.exists() or not b.exists():
            differences.append(f"{name}: only in {'incremental' if a.exists() else 'clean'} build")
        elif not filecmp.cmp(a, b, shallow=False):
            differences.append(f"{name}: contents differ")
    return differences


def edit(path: Path, old: str, new: str) -> None:
    if not path.exists():
        return  # the random sequence deleted this post earlier
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def change_body(src: Path, n: int) -> None:
    edit(src / f"posts/2024/p{n}.md", f"Post {n} body", f"Post {n} edited body")


def change_title(src: Path, n: int) -> None:
    edit(src / f"posts/2024/p{n}.md", f"# Title {n}", f"# Retitled {n}")


def change_section_title(src: Path, n: int) -> None:
    """The next post's link to this section prints its title."""
    edit(src / f"posts/2024/p{n}.md", f"## Part {n}", f"## Chapter {n}")


def renumber_equation(src: Path, n: int) -> None:
    """The next post's link to this post's equation prints its number, now one higher."""
    edit(
        src / f"posts/2024/p{n}.md", "More text.", f"More text.\n\n$$\ny = {n}\n$$ (eq-before-{n})"
    )


def change_tags(src: Path, n: int) -> None:
    edit(src / f"posts/2024/p{n}.md", "common]", "retagged]")


def change_date(src: Path, n: int) -> None:
    edit(src / f"posts/2024/p{n}.md", f"date: 2024-0{n + 1}-01", "date: 2023-12-24")


def change_series(src: Path, n: int) -> None:
    path = src / f"posts/2024/p{n}.md"
    text = path.read_text()
    if "series:" in text:
        path.write_text(text.replace("series: S\n", "").replace(f"series_order: {n}\n", ""))
    else:
        edit(path, "tags:", f"series: S\nseries_order: {n + 10}\ntags:")


def drop_references_to(src: Path, n: int) -> None:
    """Posts link to the previous post's section; unpublishing a post must not break the build."""
    follower = src / f"posts/2024/p{n + 1}.md"
    if follower.exists():
        text = follower.read_text()
        follower.write_text(text.replace(f"See {{ref}}`sec-{n}` and {{eq}}`eq-{n}`.", ""))


def toggle_draft(src: Path, n: int) -> None:
    path = src / f"posts/2024/p{n}.md"
    if not path.exists():
        return
    text = path.read_text()
    if "draft: true" in text:
        path.write_text(text.replace("draft: true\n", ""))
    else:
        drop_references_to(src, n)
        path.write_text(text.replace("tags:", "draft: true\ntags:", 1))


def add_post(src: Path, n: int) -> None:
    name = src / f"posts/2024/new{n}.md"
    if not name.exists():
        name.write_text(
            post("2024-11-01", f"New {n}", "Fresh {cite:t}`welling2011`.", tags="[common, fresh]")
        )


def delete_post(src: Path, n: int) -> None:
    path = src / f"posts/2024/p{n}.md"
    drop_references_to(src, n)
    if path.exists():
        path.unlink()


def edit_bib(src: Path, n: int) -> None:
    edit(
        src / "references.bib",
        "MCMC using Hamiltonian dynamics",
        f"MCMC using Hamiltonian dynamics ({n})",
    )


def edit_template(src: Path, n: int) -> None:
    page = src / "_templates_extra/page.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(
        '{% extends "!page.html" %}{% block body %}{{ super() }}<p>Edition '
        + str(n)
        + "</p>{% endblock %}"
    )


CHANGES = [
    change_body,
    change_title,
    change_section_title,
    renumber_equation,
    change_tags,
    change_date,
    change_series,
    toggle_draft,
    add_post,
    delete_post,
    edit_bib,
    edit_template,
]


@pytest.fixture
def site(first_build) -> Path:
    """The initial site after its first build (-j 2): its sources in ``site / "src"``, its
    output in ``site / "incremental"``."""

    def make(place: Path) -> None:
        src = write_site(
            place / "src", initial_files(), CONF + 'templates_path.insert(0, "_templates_extra")\n'
        )
        (src / "_templates_extra").mkdir()
        first = sphinx_build(src, place / "incremental", "-j", "2")
        assert first.returncode == 0, first.output

    return first_build("incremental", make)


def check_sequence(site: Path, tmp_path: Path, steps: list[tuple]) -> None:
    src, incremental = site / "src", site / "incremental"
    # The incremental builds run as `make html` runs them on 2 cores (-j 2); the clean ones
    # serially, so each comparison also checks that parallel equals serial.
    for step, (change, n) in enumerate(steps):
        change(src, n)
        inc = sphinx_build(src, incremental, "-j", "2")
        assert inc.returncode == 0, inc.output
        # The first build's environment was used (publishing a draft changes the configuration).
        assert LOADED_ENVIRONMENT.search(inc.output), inc.output
        clean_dir = tmp_path / f"clean{step}"
        clean = sphinx_build(src, clean_dir, "-j", "1")
        assert clean.returncode == 0, clean.output
        differences = tree_differences(incremental, clean_dir)
        assert differences == [], f"after {change.__name__}({n}):\n" + "\n".join(differences)
        shutil.rmtree(clean_dir)
        shutil.rmtree(clean_dir.parent / (clean_dir.name + "-doctrees"))


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_each_named_change(site, tmp_path, change):
    check_sequence(site, tmp_path, [(change, 3)])


@pytest.mark.parametrize("change", [change_section_title, renumber_equation, edit_bib])
def test_changes_an_excerpt_on_a_generated_home_page_prints(site, tmp_path, change):
    """Post 2's excerpt, on home page 2, links to post 1's section and equation."""
    check_sequence(site, tmp_path, [(change, 1)])


def test_a_random_sequence_of_changes(site, tmp_path):
    rng = random.Random(20261121)
    steps = [(rng.choice(CHANGES), rng.randrange(1, 5)) for _ in range(6)]
    check_sequence(site, tmp_path, steps)


def sitemap_locations(outdir: Path) -> list[str]:
    from xml.etree import ElementTree

    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    return [e.text for e in ElementTree.parse(outdir / "sitemap.xml").iter(f"{namespace}loc")]


def test_the_sitemap_still_lists_every_page_after_a_one_post_edit(site):
    """sphinx-sitemap alone lists only the pages a build rewrote."""
    before = sitemap_locations(site / "incremental")
    assert "https://blog.example.org/posts/2024/p3/" in before
    assert "https://blog.example.org/tags/common/" in before
    assert before == sorted(before)

    change_body(site / "src", 3)
    assert sphinx_build(site / "src", site / "incremental").returncode == 0
    assert sitemap_locations(site / "incremental") == before


def test_a_rebuild_with_conf_py_untouched_says_nothing_about_the_configuration(site):
    """The theme, sphinx-copybutton and Sphinx itself used to change settings as the build started,
    so every rebuild said "The configuration has changed (4 options: ...)"."""
    change_body(site / "src", 3)
    again = sphinx_build(site / "src", site / "incremental", "-j", "2")
    assert again.returncode == 0, again.output
    assert "loading pickled environment" in again.output
    assert "configuration has changed" not in again.output
    assert "1 changed" in again.output  # the edited post, and nothing read again for the config


def test_the_sitemap_is_the_same_when_pages_are_written_by_parallel_workers(site, tmp_path):
    """The first build ran with -j 2."""
    assert sphinx_build(site / "src", tmp_path / "serial").returncode == 0
    parallel = sitemap_locations(site / "incremental")
    assert sitemap_locations(tmp_path / "serial") == parallel


def test_the_sitemap_starts_no_server_process(tmp_path):
    """sphinx-sitemap alone starts a multiprocessing manager every build and makes a round trip
    to it per page."""
    src = write_site(tmp_path / "src", initial_files(), CONF)
    out = tmp_path / "out"
    counting = (
        "import sys\n"
        "from multiprocessing.managers import BaseManager\n"
        "started = []\n"
        "BaseManager.start = lambda *args, **kwargs: started.append(args)\n"
        "from sphinx.cmd.build import main\n"
        "code = main(sys.argv[1:])\n"
        "print(f'managers started: {len(started)}')\n"
        "sys.exit(code)\n"
    )
    command = [sys.executable, "-c", counting, "-b", "dirhtml", "-W", "-n", str(src), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=src)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "managers started: 0" in result.stdout
    assert "https://blog.example.org/posts/2024/p3/" in sitemap_locations(out)
