"""`make screenshots`: a post at 1366 px and 375 px, light and dark, taken from the built site."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from deepdive.tools.chromium import find_chromium

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(find_chromium() is None, reason="needs Chromium (tests/browser)")


def screenshots_module():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "bench" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def brightness(path: Path) -> float:
    return ImageStat.Stat(Image.open(path).convert("L")).mean[0]


def test_each_width_and_colour_mode_is_a_picture_of_the_post(real_site, tmp_path):
    shots = screenshots_module()
    written = shots.take(real_site.outdir, tmp_path)
    assert sorted(p.name for p in written) == sorted(shots.SHOTS)
    for name, (width, height, _mode) in shots.SHOTS.items():
        assert Image.open(tmp_path / name).size == (width, height), name
    for width in (1366, 375):
        light, dark = (tmp_path / f"post-{width}-{mode}.png" for mode in ("light", "dark"))
        assert brightness(light) > 150 > 60 > brightness(dark), width


def test_the_committed_screenshots_are_the_ones_the_readme_shows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in screenshots_module().SHOTS:
        assert (ROOT / "docs" / "screenshots" / name).is_file(), name
        assert f"docs/screenshots/{name}" in readme, name
