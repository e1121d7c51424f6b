"""Headless Chromium as the project's tools drive it (browser tests, `make weight`).

Debian's ``chromium`` package is used (browser downloads are impossible here), and the flags keep
it from making any request of its own, so every request measured or checked is the page's.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# The background-networking flags keep Chromium from calling Google's hosts on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """``$CHROMIUM_PATH`` if set, else the first Chromium or Chrome on this machine."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)


# No host but the machine itself can be reached, by name or by number, so a page's request to
# another host fails at once, without leaving the machine.
LOCAL_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


def launch(
    playwright: Any,
    executable: str | None = None,
    scrollbars: bool = False,
    local_only: bool = False,
) -> Any:
    """Playwright's headless Chromium, from ``executable`` or the one :func:`find_chromium` finds.

    Playwright hides scrollbars in headless Chromium; ``scrollbars=True`` shows them, as a
    reader's desktop browser does (Linux, Windows, macOS with a mouse). ``local_only=True``
    reaches no host but this machine (see :data:`LOCAL_ONLY`)."""
    return playwright.chromium.launch(
        executable_path=executable or find_chromium() or "/usr/bin/chromium",
        args=[*CHROMIUM_ARGS, *([LOCAL_ONLY] if local_only else [])],
        ignore_default_args=["--hide-scrollbars"] if scrollbars else None,
    )
