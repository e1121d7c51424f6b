"""sphinx-build's crash report for failures an author can fix: one line instead.

Sphinx 8 and 9 print every exception that stops a build as a crash, ``SphinxError`` included:
a traceback saved to a file, every extension's version, and a request to report a bug in
Sphinx. Sphinx documents ``SphinxError`` as the "nice" exception whose category and message
alone are shown, and did so up to 7.2. Waits for sphinx-doc/sphinx#14543 (fix proposed in
sphinx-doc/sphinx#14606); when a release prints ``SphinxError`` in a few lines, delete this
module and let :mod:`deepdive.errors` only phrase the messages.

There is no public hook for how sphinx-build reports an exception, so this replaces
``sphinx._cli.util.errors.handle_exception``, which ``sphinx.cmd.build`` looks up when it
reports. ``tests/test_compat.py`` fails when that function or its keywords change.
"""

from __future__ import annotations

from typing import Any


def report_failures_in_one_line() -> None:
    """Make Sphinx print one line for a failure an author can fix (:mod:`deepdive.errors`), and
    its crash report for the rest, or when asked for tracebacks (``-T``, ``-v``, ``-P``)."""
    import sphinx._cli.util.errors as sphinx_errors

    from deepdive.errors import one_line

    crash_report = getattr(sphinx_errors.handle_exception, "crash_report", None)
    crash_report = crash_report or sphinx_errors.handle_exception

    def handle_exception(exception: BaseException, /, *, stderr: Any, **options: Any) -> None:
        line = one_line(exception)
        if line is None or options.get("print_traceback") or options.get("use_pdb"):
            crash_report(exception, stderr=stderr, **options)
        else:
            print(line, file=stderr)

    handle_exception.crash_report = crash_report  # type: ignore[attr-defined]
    sphinx_errors.handle_exception = handle_exception
