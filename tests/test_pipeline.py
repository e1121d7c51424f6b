"""The end of a build is one ordered list (``deepdive.pipeline.finish.END_OF_BUILD``), not a set of
handlers ordered by numeric priorities spread over modules."""

from __future__ import annotations

import ast
from pathlib import Path

from deepdive.pipeline.finish import END_OF_BUILD

PACKAGE = Path(__file__).resolve().parents[1] / "deepdive"


def build_finished_handlers() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "build-finished"
            ):
                found.append(f"{path.relative_to(PACKAGE).as_posix()}:{ast.unparse(node.args[1])}")
    return found


def test_only_the_pipeline_listens_for_the_end_of_the_build():
    assert sorted(build_finished_handlers()) == [
        "pipeline/finish.py:collect_problems(app)",
        "pipeline/finish.py:finish",
    ]


def test_the_steps_that_rewrite_pages_come_before_those_that_record_them():
    names = [step.__module__.rsplit(".", 1)[1] + "." + step.__name__ for step in END_OF_BUILD]
    assert names.index("csp.protect_written_pages") < names.index("pagecache.record_signatures")
    assert names.index("outputs.remove_stale_outputs") < names.index("iconfont.shrink_icon_fonts")
    assert names[-1] == "iconfont.shrink_icon_fonts"
    assert names.index("sitemap.complete_sitemap") < names.index("csp.protect_written_pages")
