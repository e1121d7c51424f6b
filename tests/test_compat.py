"""Each shim in deepdive/compat/ that reaches into a private name fails here, loudly, the day the
upstream package moves that name; the behaviour each one keeps is tested with its feature."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator


def test_sphinx_build_still_reports_through_handle_exception_with_the_keywords_we_pass_on():
    import sphinx._cli.util.errors as errors
    import sphinx.cmd.build as build

    parameters = inspect.signature(errors.handle_exception).parameters
    assert {"stderr", "use_pdb", "print_traceback"} <= set(parameters)
    # sphinx-build looks the function up in that module when it reports, so replacing it works.
    assert "sphinx._cli.util.errors.handle_exception(" in inspect.getsource(build)


def test_the_html_builder_still_keeps_its_assets_and_their_checksums_where_we_read_them():
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.builders.html._assets import _file_checksum

    assert "_css_files" in inspect.getsource(StandaloneHTMLBuilder.init_css_files)
    assert "_js_files" in inspect.getsource(StandaloneHTMLBuilder.init_js_files)
    assert list(inspect.signature(_file_checksum).parameters)[:2] == ["outdir", "filename"]


def test_the_search_index_still_keeps_its_words_in_the_tables_we_prune():
    from sphinx.search import IndexBuilder

    source = inspect.getsource(IndexBuilder.__init__)
    assert "self._mapping" in source and "self._title_mapping" in source


def test_raw_html_is_still_written_by_the_translator_method_we_wrap():
    # deepdive.site.csp marks raw HTML by wrapping this public method with app.add_node.
    assert "body.append" in inspect.getsource(HTML5Translator.visit_raw)
    assert nodes.raw.__name__ == "raw"


def test_sphinxcontrib_bibtex_still_stops_the_build_on_a_bibtex_syntax_error(tmp_path):
    # deepdive.compat.bibtex captures pybtex's errors while sphinxcontrib-bibtex parses the site's
    # bib files. The day sphinxcontrib-bibtex reports a syntax error itself, this fails: delete the
    # shim then.
    (tmp_path / "conf.py").write_text(
        'extensions = ["sphinxcontrib.bibtex"]\nbibtex_bibfiles = ["refs.bib"]\n'
    )
    (tmp_path / "index.rst").write_text("Home\n====\n")
    (tmp_path / "refs.bib").write_text("@article{broken,\n  title = {Unclosed,\n")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", tmp_path, tmp_path / "_build"],
        capture_output=True,
        text=True,
    )
    assert build.returncode != 0
    assert "premature end of file" in build.stderr, build.stderr


def test_the_folders_the_theme_and_copybutton_add_are_still_where_settled_config_expects():
    from types import SimpleNamespace

    from deepdive.compat.settled_config import copybutton_static, design_static, pydata_components

    config = SimpleNamespace(
        extensions=["sphinx_copybutton", "sphinx_design"], html_theme="pydata_sphinx_theme"
    )
    assert (Path(copybutton_static(config)) / "copybutton.css").is_file()
    assert (Path(design_static(config)) / "sphinx-design.min.css").is_file()
    assert (Path(pydata_components(config)) / "theme-switcher.html").is_file()


class Registrations:
    """Stands in for the Sphinx app during an extension's ``setup()``: notes what it registers."""

    def __init__(self) -> None:
        self.config = type("Config", (), {"extensions": []})()
        self.extensions: dict = {}
        self.made: set[tuple] = set()

    def add_config_value(self, name, default, rebuild, *args, **kwargs):
        self.made.add(("config value", name))

    def add_directive(self, name, directive, *args, **kwargs):
        self.made.add(("directive", name, directive))

    def add_node(self, node, override=False, **visitors):
        self.made.add(("node", node, tuple(sorted(visitors))))

    def add_transform(self, transform):
        self.made.add(("transform", transform))

    def add_message_catalog(self, catalog, locale_dir):
        self.made.add(("message catalog", catalog, str(Path(locale_dir).resolve())))

    def connect(self, event, handler, priority=500):
        self.made.add(("handler", event, handler))

    def require_sphinx(self, version):
        pass


def test_deepdive_registers_what_ablog_setup_does_but_its_page_and_feed_generators():
    # deepdive.compat.ablog repeats ablog.setup() without three handlers. The day ABlog registers
    # anything else (or stops registering something), this fails: repeat that change there.
    import ablog
    from ablog.post import generate_archive_pages, generate_atom_feeds

    from deepdive.compat import ablog as shim

    theirs, ours = Registrations(), Registrations()
    metadata = ablog.setup(theirs)
    shim.setup(ours)
    left_out = {
        ("handler", "html-collect-pages", generate_archive_pages),
        ("handler", "html-collect-pages", generate_atom_feeds),
        ("handler", "builder-inited", ablog.builder_inited),
    }
    assert left_out <= theirs.made
    added = {
        ("handler", "builder-inited", shim.reset_blog_singleton),
        ("handler", "env-merge-info", shim.merge_ablog_posts),
    }
    assert ours.made == (theirs.made - left_out) | added
    # What shim.merge_ablog_posts makes safe is the one reason ABlog gives for its flag.
    assert metadata["parallel_read_safe"] is False


def test_ablog_still_keeps_every_blog_s_posts_in_the_class_level_dict_we_clear():
    from types import SimpleNamespace

    from ablog.blog import CONFIG, Blog

    config = SimpleNamespace(**{name: default for name, default, *_ in CONFIG})
    first, second = SimpleNamespace(config=config), SimpleNamespace(config=config)
    Blog._dict.clear()
    Blog(first)
    assert Blog._dict and Blog(second).app is first  # the second build sees the first's blog
    Blog._dict.clear()
    assert Blog(second).app is second
    Blog._dict.clear()


def test_sphinx_still_names_its_page_asset_classes_as_describe_asset_expects():
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    from deepdive.compat.sphinx_assets import describe_asset

    css = _CascadingStyleSheet("a.css", priority=500, rel="stylesheet")
    script = _JavaScript("b.js", priority=800)
    assert describe_asset(css)[:2] == ("a.css", 500)
    assert describe_asset(css)[2]["rel"] == "stylesheet"
    assert describe_asset(script)[:2] == ("b.js", 800)
    assert describe_asset("a.css") is None


def test_sphinx_search_still_takes_a_summary_from_the_html_through_the_function_we_wrap():
    """compat/search_summary.py wraps Search.htmlToText(htmlString, anchor)."""
    import sphinx

    searchtools = (
        Path(sphinx.__file__).parent / "themes" / "basic" / "static" / "searchtools.js"
    ).read_text(encoding="utf-8")
    assert "htmlToText: (htmlString, anchor) =>" in searchtools
    assert "Search.htmlToText(htmlText, anchor)" in searchtools
    assert '[".headerlink", "script", "style"]' in searchtools, "the list changed: still needed?"
