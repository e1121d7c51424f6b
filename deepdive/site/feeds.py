"""Atom and RSS 2.0 feeds, site-wide and per tag: full content, absolute links, reproducible."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

import lxml.etree
import lxml.html
from feedgen.feed import FeedGenerator

from deepdive import cache
from deepdive.post.licences import Licence, licence_of, site_licence
from deepdive.post.model import Post, published_posts
from deepdive.post.slugs import ascii_url
from deepdive.research.math import keep_mathml_only
from deepdive.site.outputs import record_output

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

FEED_FORMATS = ("atom", "rss")
_URL_ATTRIBUTES = ("href", "src", "poster", "data")
# Elements that carry a URL: visiting only those skips the thousands of math elements.
_HAS_URL = ".//*[" + " or ".join(f"@{name}" for name in (*_URL_ATTRIBUTES, "srcset")) + "]"
_KATEX_HTML = '<span class="katex-html" aria-hidden="true">'
_KATEX_START = '<span class="katex"><span class="katex-mathml"><math'
_DISPLAY_START = '<span class="katex-display">'
_SPAN_END = "</span>"
_MATH_END = "</math>"
_LIFTED = re.compile(r"<!--dd-feed-math-([0-9a-f]+):(\d+)-->")


def absolute_url(app: Sphinx, pagename: str) -> str:
    """The public URL of a page, from ``html_baseurl``; a non-ASCII path (a tag in Japanese) is
    percent-encoded, as RSS requires."""
    return urljoin(app.config.html_baseurl, ascii_url(app.builder.get_target_uri(pagename)))


def drop_katex_html(html: str) -> str:
    """Cut each KaTeX visual HTML layer (a ``katex-html`` span, nested spans and all) out of
    rendered HTML by a string scan, leaving the MathML beside it.

    The layer is most of a math-heavy page and the feeds drop it anyway: cutting it before
    parsing spares lxml from building it. Only a layer right after KaTeX's MathML is cut, and
    one whose closing tag is not found is left for the parser.
    """
    pieces = []
    done = 0
    start = html.find(_KATEX_HTML)
    while start != -1:
        end = _matching_span_end(html, start) if html.endswith("</math></span>", 0, start) else -1
        if end == -1:
            start = html.find(_KATEX_HTML, start + 1)
            continue
        pieces.append(html[done:start])
        done = end
        start = html.find(_KATEX_HTML, end)
    pieces.append(html[done:])
    return "".join(pieces)


def _matching_span_end(html: str, start: int) -> int:
    """Where the ``<span>`` opened at ``start`` ends (after its ``</span>``), or -1."""
    opened = closed = 0
    position = start
    while (close := html.find("</span>", position)) != -1:
        opened += html.count("<span", position, close)
        closed += 1
        position = close + len("</span>")
        if closed == opened:
            return position
    return -1


def lift_mathml(html: str) -> tuple[str, str, list[str]]:
    """Take each KaTeX rendering of the shape our renderer writes (MathML, then the visual layer,
    in a ``katex`` span, perhaps in a ``katex-display`` one) out of ``html``, leaving a comment
    in its place; return the new html, the comments' key and each rendering's ``<math>`` element.

    The MathML is most of what is left of a math-heavy page once the visual layer goes, and the
    feed keeps it as it is: taken out, it need not be parsed and written back by lxml. A
    rendering of any other shape stays, for :func:`keep_mathml_only` to reduce in the tree.
    """
    key = secrets.token_hex(4)
    pieces: list[str] = []
    maths: list[str] = []
    done = 0
    start = html.find(_KATEX_START)
    while start != -1:
        end, math = _rendering_end(html, start)
        if end == -1:
            start = html.find(_KATEX_START, start + 1)
            continue
        display = html.endswith(_DISPLAY_START, 0, start) and html.startswith(_SPAN_END, end)
        outer_start = start - len(_DISPLAY_START) if display else start
        pieces.append(html[done:outer_start])
        pieces.append(f"<!--dd-feed-math-{key}:{len(maths)}-->")
        maths.append(math)
        done = end + len(_SPAN_END) if display else end
        start = html.find(_KATEX_START, done)
    pieces.append(html[done:])
    return "".join(pieces), key, maths


def _rendering_end(html: str, start: int) -> tuple[int, str]:
    """Where the ``katex`` span at ``start`` ends, and its ``<math>`` element; -1 if it is not
    MathML followed by at most the visual layer."""
    math_start = start + len(_KATEX_START) - len("<math")
    math_end = html.find(_MATH_END, math_start)
    if math_end == -1:
        return -1, ""
    math_end += len(_MATH_END)
    position = math_end
    if not html.startswith(_SPAN_END, position):  # the katex-mathml span
        return -1, ""
    position += len(_SPAN_END)
    if html.startswith(_KATEX_HTML, position):
        position = _matching_span_end(html, position)
        if position == -1:
            return -1, ""
    if not html.startswith(_SPAN_END, position):  # the katex span
        return -1, ""
    return position + len(_SPAN_END), html[math_start:math_end]


def absolutize(fragment: str, base_url: str) -> str:
    """Rewrite every link and image in an HTML fragment to an absolute URL; drop what only works
    on the site itself: permalink icons, margin sidenotes (feeds keep the footnote list), and
    KaTeX's HTML layer (feed readers cannot load its CSS; the MathML stays)."""
    if not fragment.strip():
        return ""
    lifted, key, maths = lift_mathml(fragment)
    root = lxml.html.fragment_fromstring(drop_katex_html(lifted), create_parent="div")
    if "katex" in lifted:
        keep_mathml_only(root)
    # Comments (the `<!-- more -->` marker, ones an author wrote) are not content; the markers
    # left where the MathML was lifted out are put back below.
    for comment in list(root.iter(lxml.etree.Comment)):
        if not (comment.text or "").startswith(f"dd-feed-math-{key}:"):
            comment.drop_tree()
    for selector in ("headerlink", "dd-sidenote"):
        if selector not in fragment:  # spares a walk over the whole tree
            continue
        for element in root.xpath(f'.//*[contains(concat(" ", @class, " "), " {selector} ")]'):
            element.drop_tree()
    for element in root.xpath(_HAS_URL):
        for attribute in _URL_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None:
                element.set(attribute, urljoin(base_url, value))
        if element.get("srcset"):
            element.set(
                "srcset",
                ", ".join(
                    " ".join([urljoin(base_url, part.split()[0]), *part.split()[1:]])
                    for part in element.get("srcset").split(",")
                    if part.strip()
                ),
            )
    inner = (root.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root
    )
    if maths:
        inner = _LIFTED.sub(lambda m: maths[int(m[2])] if m[1] == key else m[0], inner)
    return inner.strip()


def _cache_path(app: Sphinx, docname: str) -> Path:
    return cache.folder(app) / "deepdive-feed-bodies" / f"{docname}.html"


def capture_body(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: keep each post's rendered body, made absolute, for the feeds.

    Pages are only rewritten when they change, so the bodies live in a cache beside the doctrees
    and feeds are assembled from it at the end of every build.
    """
    from deepdive.post.model import get_posts

    if pagename not in get_posts(app.env) or "body" not in context or not app.config.html_baseurl:
        return
    from deepdive.site.csp import without_markers

    body = without_markers(context["body"])
    head, sep, rest = body.partition("</h1>")
    content = absolutize(rest if sep else body, absolute_url(app, pagename))
    cache.write_atomically(_cache_path(app, pagename), content)


def _entry_content(app: Sphinx, post: Post) -> str:
    if post.external_url:
        return ""
    return cache.read_text(_cache_path(app, post.docname)) or ""


def build_feed(
    app: Sphinx, posts: list[Post], title: str, page: str, self_url: str
) -> FeedGenerator:
    """One feed of ``posts`` (newest first) whose alternate link is the listing ``page``."""
    feed = FeedGenerator()
    feed.id(absolute_url(app, page))
    feed.title(title)
    feed.subtitle(app.config.deepdive_author_bio or title)
    feed.author({"name": app.config.author})
    # RSS 2.0 has one channel <link>, the site's page, and feedgen gives it the last link set.
    feed.link(href=self_url, rel="self")
    feed.link(href=absolute_url(app, page), rel="alternate")
    feed.language(app.config.language or "en")
    feed.generator("Deep Dives (Sphinx + ABlog)")
    feed.rights(_rights(site_licence(app)))
    feed.load_extension("dc")
    newest = max((p.last_changed for p in posts), default=datetime(1970, 1, 1, tzinfo=UTC))
    feed.updated(newest)
    for index, post in enumerate(posts[: app.config.deepdive_feed_length]):
        url = post.external_url or absolute_url(app, post.docname)
        entry = feed.add_entry(order="append")
        entry.id(absolute_url(app, post.docname))
        entry.guid(absolute_url(app, post.docname), permalink=not post.external_url)
        entry.title(post.title)
        entry.link(href=url)
        entry.author({"name": post.author or app.config.author})
        entry.published(post.date)
        entry.updated(post.last_changed)
        for tag in post.tags:
            entry.category(term=tag)
        entry.rights(_rights(licence_of(app, post)))
        if post.doi:
            entry.dc.dc_identifier(f"https://doi.org/{quote(post.doi, safe='/')}")
        if post.description:
            entry.summary(post.description)
        # The newest entries carry the whole post; older ones their summary and link only.
        content = _entry_content(app, post) if index < app.config.deepdive_feed_full_posts else ""
        if content:
            entry.content(_version_line(post) + content, type="html")
    return feed


def _version_line(post: Post) -> str:
    """An updated post's entry opens with its version, as its page's header does."""
    return f"<p><em>{post.version_note}.</em></p>\n" if post.updated else ""


def _rights(licence: Licence) -> str:
    """A feed's or entry's ``<rights>`` (RSS: ``<copyright>``): the licence's name and deed."""
    return f"{licence.name}: {licence.url}" if licence.url else licence.name


def write_feeds(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: write ``atom.xml``/``rss.xml`` at the root and under every tag page."""
    if exception or app.builder.format != "html" or not app.config.html_baseurl:
        return
    from deepdive.post.slugs import slugify

    posts = published_posts(app.env)
    outdir = Path(app.outdir)
    feeds = [(posts, app.config.project, "index", outdir)]
    by_tag: dict[str, list[Post]] = defaultdict(list)
    names: dict[str, str] = {}
    for post in posts:
        for tag in post.tags:
            by_tag[slugify(tag)].append(post)
            names.setdefault(slugify(tag), tag)
    for slug, tagged in sorted(by_tag.items()):
        feeds.append(
            (
                tagged,
                f"{app.config.project}: posts tagged “{names[slug]}”",
                f"tags/{slug}",
                outdir / "tags" / slug,
            )
        )
    records = FeedRecords(app)
    for feed_posts, title, page, folder in feeds:
        folder.mkdir(parents=True, exist_ok=True)
        entries = _feed_inputs(app, feed_posts)
        for kind in FEED_FORMATS:
            path = folder / f"{kind}.xml"
            self_url = urljoin(absolute_url(app, page), f"{kind}.xml")
            digest = records.sign([kind, title, page, self_url, entries])
            if not records.unchanged(path, digest):
                feed = build_feed(app, feed_posts, title, page, self_url)
                xml = feed.atom_str(pretty=True) if kind == "atom" else feed.rss_str(pretty=True)
                path.write_bytes(xml)
                records.written(path, digest)
            record_output(app, path)
    records.save()


def _feed_inputs(app: Sphinx, posts: list[Post]) -> list[Any]:
    """Everything :func:`build_feed` takes from ``posts``: the newest change of any of them, and
    each listed entry's fields and cached body (by its file's size and time)."""
    newest = max((p.last_changed for p in posts), default=None)
    entries = []
    full = app.config.deepdive_feed_full_posts
    for index, post in enumerate(posts[: app.config.deepdive_feed_length]):
        body = cache.file_key(_cache_path(app, post.docname)) if index < full else None
        entries.append(
            [
                post.docname,
                post.external_url,
                post.title,
                post.author,
                post.date.isoformat(),
                post.last_changed.isoformat(),
                list(post.tags),
                post.description,
                post.license,
                post.doi,
                post.version,
                body,
            ]
        )
    return [newest.isoformat() if newest else None, entries]


class FeedRecords:
    """Feeds are written again only when what they are made from changed: each feed file is
    recorded with the key of its inputs (its entries, the configuration and the code, see
    :func:`deepdive.cache.code_state`) and the size and time it was left with."""

    def __init__(self, app: Sphinx) -> None:
        self.outdir = Path(app.outdir)
        self.records = cache.Records(
            cache.folder(app) / "deepdive-feed-signatures.json",
            use=not cache.rebuilding_everything(app),
        )
        try:
            self.common = cache.plain(
                [app.builder.name, cache.configuration(app), cache.code_state(app)]
            )
        except cache.Unknowable:
            self.common = None  # a configuration value without a stable form: write every feed

    def sign(self, inputs: list[Any]) -> str | None:
        return None if self.common is None else cache.signature([self.common, inputs])

    def unchanged(self, path: Path, digest: str | None) -> bool:
        if digest is None:
            return False
        key = [digest, *cache.file_key(path)]
        if not self.records.hit(self._name(path), key):
            return False
        self.records.put(self._name(path), key)
        return True

    def written(self, path: Path, digest: str | None) -> None:
        if digest is not None:
            self.records.put(self._name(path), [digest, *cache.file_key(path)])

    def save(self) -> None:
        self.records.save()

    def _name(self, path: Path) -> str:
        return path.relative_to(self.outdir).as_posix()


def feed_links(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: the site feeds' URLs, for ``<link rel=alternate>`` and the navbar.

    Built with the page's own ``pathto`` so that pages served from anywhere (the 404 page, whose
    ``pathto`` sphinx-notfound-page makes absolute) link correctly.
    """
    if app.config.html_baseurl and "pathto" in context:
        pathto = context["pathto"]
        context["deepdive_site_feeds"] = {
            "atom": pathto("atom.xml", 1),
            "rss": pathto("rss.xml", 1),
        }


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", capture_body, priority=400)
    app.connect("html-page-context", feed_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
