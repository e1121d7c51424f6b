"""Screenshots of a post as readers see it: 1366 px and 375 px wide, light and dark.

Run it as ``make screenshots`` (after ``make html``), or ``.venv/bin/python bench/screenshots.py
--site _build/html --out docs/screenshots``. The built site is served under its base path, as
GitHub Pages serves it, and opened in headless Chromium (scrollbars shown, as on a reader's
desktop); each picture is the top of the post, one screen tall, with KaTeX's fonts loaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deepdive.tools.chromium import find_chromium, launch
from deepdive.tools.serve import serve_site

ROOT = Path(__file__).resolve().parents[1]

POST = "posts/2024/hamiltonian-monte-carlo/"
# name: (viewport width, height, colour mode)
SHOTS = {
    "post-1366-light.png": (1366, 900, "light"),
    "post-1366-dark.png": (1366, 900, "dark"),
    "post-375-light.png": (375, 812, "light"),
    "post-375-dark.png": (375, 812, "dark"),
}


def take(site: Path, out: Path, post: str = POST) -> list[Path]:
    """Write :data:`SHOTS` of ``post`` of the built ``site`` into ``out``; return their paths."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("screenshots need Chromium: apt install chromium, or set CHROMIUM_PATH")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve_site(site) as server, sync_playwright() as playwright:
        browser = launch(playwright, chromium, scrollbars=True)
        for name, (width, height, mode) in SHOTS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            # The theme reads the reader's choice from localStorage before its first paint.
            context.add_init_script(
                f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
            )
            page = context.new_page()
            page.goto(server.url(post))
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(out / name))
            written.append(out / name)
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--post", default=POST, help="the post's path below the site's root")
    args = parser.parse_args(argv)
    if not (args.site / args.post / "index.html").is_file():
        print(f"{args.site / args.post} is not built: run make html first", file=sys.stderr)
        return 1
    for path in take(args.site, args.out, args.post):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
