"""`make html` (``python -m deepdive.pipeline``) skips Sphinx only when nothing it reads has changed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Build, post, run_module, write_site

from deepdive.pipeline import command as deepdive_build

UP_TO_DATE = "is up to date"


def make_html_command(*extra: str, module: str = "deepdive.pipeline") -> list[str]:
    """The command line of `make html` (``-j auto`` included), with ``extra`` sphinx-build options
    (a later ``-j`` wins)."""
    command = [sys.executable, "-m", module, "-b", "dirhtml", "-W", "--keep-going", "-n"]
    return command + ["-j", "auto", *extra, "-d", "_build/doctrees", ".", "_build/html"]


def make_html(
    srcdir: Path,
    *extra: str,
    env: dict | None = None,
    module: str = "deepdive.pipeline",
    new_process: bool = False,
) -> Build:
    """What `make html` runs, in the site's folder (or plain sphinx-build: ``module="sphinx"``),
    forked from the build server unless ``new_process`` is asked for."""
    command = make_html_command(*extra, module=module)
    run_env = {**os.environ, **(env or {})}
    # pytest names the running test and phase here; a user's shell has nothing like it.
    run_env.pop("PYTEST_CURRENT_TEST", None)
    returncode, output = run_module(command[2:], srcdir, run_env, env or {}, new_process)
    return Build(returncode, output, srcdir, srcdir / "_build/html")


def sphinx_ran(build: Build) -> bool:
    return "build succeeded" in build.output or "build finished with problems" in build.output


@pytest.fixture
def site(first_build) -> Path:
    """A one-post site's folder after its first `make html`."""

    def make(place: Path) -> None:
        srcdir = write_site(
            place / "site", {"posts/2024/first.md": post(title="First light", tags="[optics]")}
        )
        first = make_html(srcdir)
        assert first.returncode == 0, first.output[-3000:]
        assert sphinx_ran(first)

    return first_build("one-post", make) / "site"


def outputs(srcdir: Path) -> dict[str, int]:
    html = srcdir / "_build/html"
    return {str(p.relative_to(html)): p.stat().st_mtime_ns for p in html.rglob("*") if p.is_file()}


def test_nothing_changed_means_sphinx_does_not_run_and_no_file_is_written(site: Path) -> None:
    before = outputs(site)
    again = make_html(site)
    assert again.returncode == 0
    assert UP_TO_DATE in again.output
    assert not sphinx_ran(again)
    assert outputs(site) == before


def test_an_edited_post_is_built(site: Path) -> None:
    path = site / "posts/2024/first.md"
    path.write_text(path.read_text() + "\nA new closing sentence.\n")
    rebuilt = make_html(site)
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert sphinx_ran(rebuilt)
    assert "A new closing sentence." in rebuilt.text("posts/2024/first/index.html")
    assert UP_TO_DATE in make_html(site).output


def test_a_new_template_or_static_file_is_an_input(site: Path) -> None:
    (site / "_static").mkdir()
    (site / "_static" / "extra.css").write_text("body { color: black; }\n")
    assert sphinx_ran(make_html(site))


def test_a_deleted_or_edited_output_page_is_rebuilt(site: Path) -> None:
    page = site / "_build/html/posts/2024/first/index.html"
    page.unlink()
    assert sphinx_ran(make_html(site))
    assert "First light" in page.read_text()
    page.write_text("hand-edited")
    assert sphinx_ran(make_html(site))
    assert "First light" in page.read_text()


def test_a_plain_sphinx_build_in_between_leaves_make_html_working(site: Path) -> None:
    # sphinx-build rewrites pages and the search index; make html must rebuild, not break.
    path = site / "posts/2024/first.md"
    path.write_text(path.read_text() + "\nEdited behind make's back.\n")
    plain = make_html(site, module="sphinx")
    assert plain.returncode == 0, plain.output[-3000:]
    for _ in range(2):
        path.write_text(path.read_text() + "\nAnd again.\n")
        rebuilt = make_html(site)
        assert rebuilt.returncode == 0, rebuilt.output[-3000:]
        assert (site / "_build/html/searchindex.js").exists()


def test_a_changed_environment_variable_rebuilds(site: Path) -> None:
    # conf.py may read any variable; DEEPDIVE_DRAFTS shows drafts, for instance.
    assert sphinx_ran(make_html(site, env={"DEEPDIVE_DRAFTS": "1"}))
    assert UP_TO_DATE in make_html(site, env={"DEEPDIVE_DRAFTS": "1"}).output
    assert sphinx_ran(make_html(site))


def test_different_options_rebuild_and_a_forced_build_always_runs(site: Path) -> None:
    assert sphinx_ran(make_html(site, "-j", "1"))
    assert sphinx_ran(make_html(site, "-E", "-j", "1"))
    assert sphinx_ran(make_html(site, "-a", "-j", "1"))


def test_a_failed_build_is_never_taken_for_up_to_date(site: Path) -> None:
    path = site / "posts/2024/first.md"
    path.write_text(post(date="2024-13-45", title="First light"))
    assert make_html(site).returncode != 0
    second = make_html(site)
    assert second.returncode != 0
    assert "2024-13-45" in second.output


def test_caches_and_build_folders_are_not_inputs(site: Path) -> None:
    for folder in ("_build/.jupyter_cache", "__pycache__", "node_modules/katex"):
        (site / folder).mkdir(parents=True, exist_ok=True)
        (site / folder / "scratch.txt").write_text(str(time.time()))
    assert UP_TO_DATE in make_html(site).output


def test_the_date_is_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A post dated tomorrow fails the build today and passes it tomorrow, with no file changed.
    srcdir = write_site(tmp_path / "site", {})
    invocation = deepdive_build.parse([".", "_build/html"])
    monkeypatch.chdir(srcdir)
    today = deepdive_build.inputs_fingerprint(invocation, [])
    tomorrow = time.gmtime(time.time() + 86400)
    monkeypatch.setattr(deepdive_build.time, "gmtime", lambda *_: tomorrow)
    assert deepdive_build.inputs_fingerprint(invocation, []) != today


def test_a_folder_that_is_not_a_site_is_one_clear_error(tmp_path: Path) -> None:
    result = make_html(tmp_path)
    assert result.returncode == 2
    assert "no conf.py in" in result.output and "Traceback" not in result.output


def test_a_syntax_error_in_conf_py_is_one_line_naming_where_it_is(tmp_path: Path) -> None:
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(title="First")})
    with (srcdir / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('html_title = "Unclosed\n')
    lines = len((srcdir / "conf.py").read_text().splitlines())
    built = make_html(srcdir)
    assert built.returncode == 2
    assert f"deepdive: conf.py:{lines}: unterminated string literal" in built.output
    assert "Traceback" not in built.output and "Configuration error" not in built.output


BROKEN_LAYOUT = """{% extends "!layout.html" %}
{% block docs_body %}{% if pagename == "posts/2024/post-12" %}{{ nothing.here }}{% endif %}
{{ super() }}{% endblock %}
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_template_that_fails_on_one_page_is_one_line_naming_the_page(tmp_path: Path, jobs):
    files = {
        f"posts/2024/post-{n:02d}.md": post(f"2024-01-{n:02d}", f"Post {n}") for n in range(1, 13)
    }
    srcdir = write_site(tmp_path / "site", files, 'templates_path = ["_own", *templates_path]\n')
    (srcdir / "_own").mkdir()
    (srcdir / "_own" / "layout.html").write_text(BROKEN_LAYOUT, encoding="utf-8")
    built = make_html(srcdir, "-j", jobs)
    assert built.returncode == 2
    assert (
        "deepdive: a template failed. An error happened in rendering the page posts/2024/post-12."
        in built.output
    )
    assert "'nothing' is undefined" in built.output and "Fix that template" in built.output
    assert "Traceback" not in built.output and "report this error" not in built.output


def test_a_missing_katex_is_one_line_and_a_traceback_when_asked_for(tmp_path: Path) -> None:
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(body="$x$")})
    empty = {"DEEPDIVE_NODE_MODULES": str(tmp_path / "no-node-modules")}
    built = make_html(srcdir, env=empty)
    assert built.returncode == 2
    assert "KaTeX is not installed" in built.output
    assert "Traceback" not in built.output and "report this error" not in built.output
    assert "Traceback" in make_html(srcdir, "-T", env=empty).output


@pytest.mark.parametrize(
    "argv",
    [
        ["-b", "dirhtml", "-a", ".", "out"],
        ["--fresh-env", ".", "out"],
        ["-w", "warnings.txt", ".", "out"],
        [".", "out", "posts/one.md"],
        ["--some-future-option", ".", "out"],
    ],
)
def test_command_lines_the_fast_path_does_not_understand_always_run_sphinx(argv) -> None:
    assert deepdive_build.parse(argv) is None


def test_the_doctree_folder_defaults_like_sphinx_build() -> None:
    invocation = deepdive_build.parse(["-b", "dirhtml", "-j", "auto", "src", "out"])
    assert invocation.doctreedir == Path("out/.doctrees").resolve()
    invocation = deepdive_build.parse(["--doctree-dir=trees", "src", "out"])
    assert invocation.doctreedir == Path("trees").resolve()


def test_the_build_collects_garbage_less_often_than_python_by_default(tmp_path: Path) -> None:
    # conf.py runs inside the build: it records the collector's thresholds as the build sees them.
    record = (
        "import gc, pathlib\npathlib.Path('thresholds.txt').write_text(repr(gc.get_threshold()))\n"
    )
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(title="First")}, record)
    built = make_html(srcdir)
    assert built.returncode == 0, built.output[-3000:]
    from deepdive.pipeline.gctuning import THRESHOLDS

    assert (srcdir / "thresholds.txt").read_text() == repr(THRESHOLDS)


def test_the_finished_build_is_frozen_out_of_the_interpreter_s_last_collection(
    tmp_path: Path,
) -> None:
    # conf.py runs inside the build; its exit handler runs after the build, before the
    # interpreter's final collection, and sees how many objects that collection will skip.
    record = (
        "import atexit, gc, pathlib\n"
        "_out = pathlib.Path.cwd() / 'frozen.txt'\n"
        "atexit.register(lambda: _out.write_text(str(gc.get_freeze_count())))\n"
    )
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(title="First")}, record)
    # Not a fork of the build server, which freezes its own heap before it forks.
    built = make_html(srcdir, new_process=True)
    assert built.returncode == 0, built.output[-3000:]
    assert int((srcdir / "frozen.txt").read_text()) > 100_000  # the environment and doctrees


def test_the_build_exits_like_any_python_program_so_a_profiler_can_write_its_report(
    tmp_path: Path,
) -> None:
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(title="First")})
    profile = tmp_path / "build.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), *make_html_command()[1:]]
    result = subprocess.run(command, capture_output=True, text=True, cwd=srcdir)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    import pstats

    assert pstats.Stats(str(profile)).total_calls > 1000


def test_a_build_prints_no_informational_log_records_of_other_libraries(tmp_path: Path) -> None:
    # The theme's code styles switch on INFO logging for every library when imported; a clean
    # build cuts the icon fonts down, and fontTools reports each step at that level.
    srcdir = write_site(tmp_path / "site", {"posts/2024/first.md": post(title="First")})
    built = make_html(srcdir)
    assert built.returncode == 0, built.output[-3000:]
    assert (srcdir / "_build/html/_static/vendor/fontawesome/webfonts").is_dir()
    assert " INFO " not in built.output, built.output[-3000:]
