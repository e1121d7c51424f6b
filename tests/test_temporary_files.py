"""A build leaves nothing in the system's temporary folder: no lock, log or cache of its own."""

from __future__ import annotations

from conftest import post, sphinx_build
from test_notebooks import CONF, TEXT_POST


def test_a_build_with_math_and_a_notebook_leaves_the_temporary_folder_empty(make_site, tmp_path):
    # TMPDIR is where Python's tempfile and Node.js's os.tmpdir() put their files.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    srcdir = make_site(
        {
            "posts/2024/squares.md": TEXT_POST,  # runs a Jupyter kernel
            "posts/2024/euler.md": post(title="Euler", body="$$e^{i\\pi} + 1 = 0$$"),  # KaTeX
        },
        CONF,
    )
    build = sphinx_build(srcdir, None, env={"TMPDIR": str(temporary)})
    assert build.returncode == 0, build.output[-3000:]
    # Both ran: the kernel's output and KaTeX's markup are in the pages.
    assert "sum of squares" in build.html("posts/2024/squares/").get_text()
    assert build.html("posts/2024/euler/").select_one(".katex")
    assert sorted(str(p.relative_to(temporary)) for p in temporary.rglob("*")) == []
