"""The ``deepdive_*`` configuration values, declared and validated in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deepdive.errors import ConfigurationProblem
from deepdive.post.licences import find_licence, unknown_licence

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata

# name: (default, rebuild, types, what a valid value looks like)
OPTIONS: dict[str, tuple[Any, str, tuple[type, ...], str]] = {
    "deepdive_posts_dir": ("posts", "env", (str,), "a folder name, e.g. 'posts'"),
    "deepdive_timezone": ("UTC", "env", (str,), "an IANA zone name such as 'Europe/London'"),
    "deepdive_show_drafts": (False, "env", (bool,), "True or False"),
    "deepdive_posts_per_page": (10, "html", (int,), "a whole number from 1 up"),
    "deepdive_author_bio": ("", "html", (str,), "one line of text"),
    "deepdive_social_links": (
        [],
        "html",
        (list,),
        "a list of {'name': ..., 'url': ..., 'icon': ...}",
    ),
    "deepdive_newsletter_url": ("", "html", (str,), "an https:// address, or ''"),
    "deepdive_feed_length": (20, "html", (int,), "how many newest posts each feed holds"),
    # A math-heavy post is 100 KB or more of feed; readers and archives poll for the newest.
    "deepdive_feed_full_posts": (
        5,
        "html",
        (int,),
        "how many of a feed's newest entries carry the whole post (the rest: summary and link)",
    ),
    "deepdive_license": (
        "CC-BY-4.0",
        "html",
        (str,),
        "the SPDX identifier of the posts' licence, e.g. 'CC-BY-4.0' or 'all-rights-reserved'",
    ),
    "deepdive_pdf": (True, "html", (bool,), "True or False"),
    "deepdive_social_cards": (True, "html", (bool,), "True or False"),
    "deepdive_cname": ("", "html", (str,), "a custom domain such as 'blog.example.org', or ''"),
    # False (`make html STRICT=0`): a preview that lists every problem instead of failing. It
    # changes no page, so switching it forces no rebuild.
    "deepdive_strict": (True, "", (bool,), "True or False"),
    "deepdive_csp": (True, "html", (bool,), "True or False"),
    "deepdive_csp_extra": (
        {},
        "html",
        (dict,),
        "extra CSP sources, e.g. {'frame-src': ['https://…']}",
    ),
    "deepdive_feed_aliases": (
        {},
        "html",
        (dict,),
        "old feed addresses and the feed each serves, e.g. {'blog/atom.xml': 'atom.xml'}",
    ),
}


def check_config(app: Sphinx, config: Config) -> None:
    """Fail early, naming the option, when a ``deepdive_*`` value has the wrong form."""
    for name, (_, _, types, expected) in OPTIONS.items():
        value = config[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ConfigurationProblem(
                f"conf.py: {name} = {value!r} is not valid; expected {expected}"
            )
    try:
        ZoneInfo(config.deepdive_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationProblem(
            f"conf.py: deepdive_timezone = {config.deepdive_timezone!r} is not a time zone; "
            "expected an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from None
    if config.deepdive_feed_full_posts < 0 or config.deepdive_feed_length < 1:
        raise ConfigurationProblem(
            "conf.py: deepdive_feed_length must be 1 or more and deepdive_feed_full_posts 0 or more"
        )
    if config.deepdive_posts_per_page < 1:
        raise ConfigurationProblem("conf.py: deepdive_posts_per_page must be 1 or more")
    for link in config.deepdive_social_links:
        if not isinstance(link, dict) or not {"name", "url"} <= set(link):
            raise ConfigurationProblem(
                f"conf.py: each deepdive_social_links entry needs 'name' and 'url'; got {link!r}"
            )
    for alias, feed in config.deepdive_feed_aliases.items():
        if (
            not isinstance(alias, str)
            or not alias.strip("/")
            or feed not in ("atom.xml", "rss.xml")
        ):
            raise ConfigurationProblem(
                f"conf.py: deepdive_feed_aliases entry {alias!r}: {feed!r} is not valid; expected "
                "an old address mapped to 'atom.xml' or 'rss.xml', e.g. {'blog/atom.xml': 'atom.xml'}"
            )
    if find_licence(config.deepdive_license) is None:
        raise ConfigurationProblem(
            f"conf.py: deepdive_license: {unknown_licence(config.deepdive_license)}"
        )
    base = config.html_baseurl
    if base and (urlparse(base).scheme not in ("http", "https") or not base.endswith("/")):
        raise ConfigurationProblem(
            f"conf.py: html_baseurl = {base!r} must be an absolute http(s) address ending in '/', "
            "e.g. 'https://user.github.io/repo/'"
        )


def setup(app: Sphinx) -> ExtensionMetadata:
    for name, (default, rebuild, types, _) in OPTIONS.items():
        app.add_config_value(name, default, rebuild, types)
    app.connect("config-inited", check_config)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
