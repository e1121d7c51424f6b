"""Failures an author can fix, told in one line instead of Sphinx's crash report.

Sphinx reports every exception that stops a build as a crash: a traceback, the versions of every
extension, and a request to report a bug in Sphinx. That is right for a bug, and wrong when the
message already says what is missing or which template failed.
"""

from __future__ import annotations

from sphinx.errors import ConfigError, ExtensionError, SphinxParallelError, ThemeError


class SetupError(ExtensionError):
    """Something the build needs is missing or broken (Node.js, KaTeX, MathJax); the message
    says what to install or run."""


class ConfigurationProblem(ConfigError):
    """A ``deepdive_*`` value in conf.py has the wrong form; the message names it and the form."""


_ONE_LINE = {
    SetupError: "{message}",
    ConfigurationProblem: "{message}",
    ThemeError: "deepdive: a template failed. {message} Fix that template (in _templates/, or the "
    "theme options in conf.py) and build again.",
}


def one_line(exception: BaseException) -> str | None:
    """The line that tells an author about ``exception``, or None for a crash to report as one."""
    for kind, shape in _ONE_LINE.items():
        if isinstance(exception, kind):
            return shape.format(message=_flat(str(exception)))
    if isinstance(exception, SphinxParallelError):  # raised in a worker: only its text came back
        for kind, shape in _ONE_LINE.items():
            prefix = f"{kind.__module__}.{kind.__qualname__}: "
            if exception.message.startswith(prefix):
                return shape.format(message=_flat(exception.message.removeprefix(prefix)))
    return None


def _flat(message: str) -> str:
    return " ".join(message.split())
