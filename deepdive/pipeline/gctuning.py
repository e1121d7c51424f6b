"""Garbage-collector settings for a build process.

A build allocates millions of small objects (doctree nodes, tokens, template frames) that live until
the build ends and form few reference cycles. With CPython's default thresholds the collector runs
a young-generation pass every 700 allocations and, every hundred of those, traverses every doctree
still in memory: about a sixth of a clean build's time. Collecting less often costs a few percent
more memory.

When the build is over, the environment and every doctree are garbage in reference cycles, and the
interpreter's final collection would walk all of them before the process exits: a quarter of a
one-post edit of 100 posts. :func:`leave_to_exit` freezes them out of the collector's sight; the
process still exits normally (exit handlers run, a profiler writes its report) and the operating
system takes the memory back.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune() -> None:
    gc.set_threshold(*THRESHOLDS)


def leave_to_exit() -> None:
    """Once the build is done: no later collection, the interpreter's last included, walks it."""
    gc.freeze()
