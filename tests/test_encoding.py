"""A post that is not valid UTF-8 is one error naming the file, byte and line, and no crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import post, write_site
from test_build import make_html

LATIN_1 = post(title="Café society", body="First paragraph.\n\nA café in Paris.\n").encode(
    "latin-1"
)


def bad_site(srcdir: Path) -> Path:
    write_site(srcdir, {"posts/2024/good.md": post(title="Still here")})
    (srcdir / "posts/2024/cafe.md").write_bytes(LATIN_1)
    return srcdir


@pytest.mark.parametrize("module", ["deepdive.pipeline", "sphinx"])
def test_a_post_saved_as_latin_1_is_one_error_with_its_byte_and_line(tmp_path, module) -> None:
    build = make_html(bad_site(tmp_path / "site"), module=module)
    assert build.returncode != 0
    assert "Traceback" not in build.output and "Exception occurred" not in build.output
    # The é of "# Café society" is the first byte UTF-8 cannot read: line 4, column 6.
    offset = LATIN_1.index(b"\xe9")
    line = LATIN_1[:offset].count(b"\n") + 1
    errors = [entry for entry in build.output.splitlines() if ": ERROR: " in entry]
    assert len(errors) == 1, build.output[-3000:]
    assert f"posts/2024/cafe.md:{line}: ERROR: the file is not valid UTF-8" in errors[0]
    assert f"byte 0xe9 at byte offset {offset} (line {line}, column 6)" in errors[0]
    assert "Save the file as UTF-8" in errors[0]
    # The rest of the site is built; the unreadable post is left out of it.
    assert "Still here" in build.text("index.html")
    assert "Café" not in build.text("index.html")
    assert not (build.outdir / "posts/2024/cafe").exists()


def test_a_post_that_becomes_unreadable_leaves_the_listings_and_keeps_failing(tmp_path) -> None:
    srcdir = bad_site(tmp_path / "site")
    (srcdir / "posts/2024/cafe.md").write_bytes(LATIN_1.decode("latin-1").encode("utf-8"))
    first = make_html(srcdir)
    assert first.returncode == 0, first.output[-3000:]
    assert "Café society" in first.text("index.html")

    (srcdir / "posts/2024/cafe.md").write_bytes(LATIN_1)
    for _ in range(2):  # an unchanged unreadable file is still an error on the next build
        again = make_html(srcdir)
        assert again.returncode != 0
        assert "Traceback" not in again.output
        assert "posts/2024/cafe.md:4: ERROR: the file is not valid UTF-8" in again.output
        assert "Café society" not in again.text("index.html")
        assert "Still here" in again.text("index.html")
