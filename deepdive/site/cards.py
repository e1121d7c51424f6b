"""A social card for each post: the picture a link to it shows when shared (``og:image``).

A post that names no ``image:`` gets a 1200 × 630 PNG beside its page (``card.png`` in the post's
folder): the blog's name, the post's title and a line of author, date and reading time. It is
drawn with Pillow in DejaVu, both already installed with matplotlib (which the notebooks use), so
the build starts no browser and downloads nothing, and a card is drawn again only when what it
shows changes. The page names it in ``og:image`` (with its size and a description) through
sphinxext-opengraph's page fields, and asks for a large picture with ``twitter:card``.

A title with letters DejaVu lacks (Chinese or Japanese, for instance) gets no card rather than
boxes: such a post shows its own picture if it names one with ``image:``. ``deepdive_social_cards
= False`` in ``conf.py`` turns cards off.
"""

from __future__ import annotations

import importlib.util
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache as memoized
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from sphinx.util import logging

from deepdive import cache
from deepdive.post.model import Post, get_posts, published_posts
from deepdive.site.feeds import absolute_url
from deepdive.site.outputs import record_output

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

# Bump when the drawing changes, so every card is drawn again.
CARD_FORMAT = 1
RECORDS = "deepdive-cards.json"
WIDTH, HEIGHT = 1200, 630
MARGIN = 80
TITLE_LINES = 3
PAPER, INK, QUIET_INK, ACCENT = "#fbfaf7", "#1a1a1a", "#555555", "#0a7d91"
FONTS = {
    "title": "DejaVuSerif-Bold.ttf",
    "byline": "DejaVuSerif.ttf",
    "blog": "DejaVuSans-Bold.ttf",
}


@dataclass(frozen=True)
class CardText:
    blog: str
    title: str
    byline: str

    def key(self) -> list:
        return [CARD_FORMAT, self.blog, self.title, self.byline]


def font_folder() -> Path | None:
    """matplotlib's own copy of DejaVu (``matplotlib.get_data_path()``), found without importing
    matplotlib, which would cost a build a fifth of a second."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return folder if all((folder / name).is_file() for name in FONTS.values()) else None


@memoized
def characters_of(font: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(font, lazy=True) as loaded:
        return frozenset(loaded["cmap"].getBestCmap())


def drawable(text: CardText, folder: Path) -> bool:
    """Whether every character of the card has a glyph in the font that draws it."""
    return all(
        not (set(map(ord, line)) - characters_of(folder / FONTS[part]))
        for part, line in (
            ("blog", text.blog.upper()),
            ("title", text.title),
            ("byline", text.byline),
        )
    )


def card_text(app: Sphinx, post: Post) -> CardText:
    when = post.date
    byline = [post.author or "", f"{when:%B} {when.day}, {when:%Y}", f"{post.minutes} min read"]
    return CardText(app.config.project, post.title, " · ".join(part for part in byline if part))


def card_path(app: Sphinx, docname: str) -> Path:
    """Beside the post's page: ``card.png`` in its folder (dirhtml), ``<name>-card.png`` (html)."""
    page = Path(app.builder.get_outfilename(docname))
    return (
        page.parent / "card.png"
        if page.name == "index.html"
        else page.with_name(f"{page.stem}-card.png")
    )


def card_url(app: Sphinx, docname: str) -> str:
    page_folder = Path(app.builder.get_outfilename(docname)).parent
    href = card_path(app, docname).relative_to(page_folder).as_posix()
    return urljoin(absolute_url(app, docname), quote(href))


def may_have_card(app: Sphinx, post: Post | None) -> bool:
    """Whether a post gets a card if its text can be drawn."""
    return bool(
        post is not None
        and app.config.deepdive_social_cards
        and app.builder.format == "html"
        and "sphinxext.opengraph" in app.extensions  # which names the card in the page
        and app.config.html_baseurl  # a card is named by its public address
        and not post.image
    )


def has_card(app: Sphinx, post: Post | None) -> bool:
    if not may_have_card(app, post):
        return False
    folder = font_folder()
    return folder is not None and drawable(card_text(app, post), folder)


def card_meta(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``, before sphinxext-opengraph's (500), which reads the page's fields."""
    post = get_posts(app.env).get(pagename)
    if "body" not in context or post is None:
        return
    card = has_card(app, post)
    if card:
        byline = card_text(app, post).byline.replace(" · ", ", ")
        context["meta"] = {
            **(context.get("meta") or {}),
            "og:image": card_url(app, pagename),
            "og:image:type": "image/png",
            "og:image:width": str(WIDTH),
            "og:image:height": str(HEIGHT),
            "og:image:alt": f"{post.title}: {app.config.project}, {byline}",
        }
    if "sphinxext.opengraph" in app.extensions and (post.image or card):
        context["metatags"] = (
            context.get("metatags", "")
            + '<meta name="twitter:card" content="summary_large_image">\n'
        )


def wrapped(text: str, fits) -> list[str]:
    """``text`` in lines that each ``fits`` (a word longer than a line gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def shortened(line: str, fits) -> str:
    while line and not fits(line.rstrip(" …") + " …"):
        line = line.rstrip(" …")[:-1]
    return line.rstrip(" …") + " …"


def draw_card(text: CardText, folder: Path) -> bytes:
    """The card as a PNG of 16 colours (about 15 KB)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN
    draw.rectangle((0, 0, 17, HEIGHT), fill=ACCENT)
    blog = ImageFont.truetype(str(folder / FONTS["blog"]), 28)
    draw.text((MARGIN, 70), text.blog.upper(), font=blog, fill=ACCENT)
    # The largest size that sets the title in at most three lines; what is still too long is cut
    # with "…" (a fourth line, or a word wider than the card).
    for size in range(80, 43, -4):
        title = ImageFont.truetype(str(folder / FONTS["title"]), size)

        def fits(line: str, font=title) -> bool:
            return draw.textlength(line, font=font) <= width

        lines = wrapped(text.title, fits)
        if len(lines) <= TITLE_LINES and all(map(fits, lines)):
            break
    if len(lines) > TITLE_LINES:
        lines = [*lines[: TITLE_LINES - 1], lines[TITLE_LINES - 1] + " …"]
    lines = [line if fits(line) else shortened(line, fits) for line in lines]
    top = 150
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * round(size * 1.25)), line, font=title, fill=INK)
    byline = ImageFont.truetype(str(folder / FONTS["byline"]), 30)
    draw.text((MARGIN, HEIGHT - 104), text.byline, font=byline, fill=QUIET_INK)
    png = io.BytesIO()
    image.quantize(colors=16, method=Image.Quantize.FASTOCTREE).save(png, "PNG", compress_level=6)
    return png.getvalue()


def draw_cards(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: draw the card of each post whose card is missing or shows old text."""
    if exception or app.builder.format != "html" or not app.config.deepdive_social_cards:
        return
    folder = font_folder()
    if folder is None:
        logger.warning(
            "social cards are drawn in the DejaVu fonts that come with matplotlib, which is not "
            "installed here: install it (pip install matplotlib), or set deepdive_social_cards = "
            "False in conf.py",
            type="deepdive",
            subtype="cards",
        )
        return
    records = cache.Records(cache.folder(app) / RECORDS, use=not cache.rebuilding_everything(app))
    to_draw: list[tuple[Path, CardText]] = []
    kept = 0
    for post in published_posts(app.env, include_drafts=app.config.deepdive_show_drafts):
        if not may_have_card(app, post):
            continue
        if not has_card(app, post):
            logger.info(
                "no social card: its title has letters the card's font (DejaVu) lacks; name a "
                "picture for shared links with image: in its front matter",
                location=post.docname,
            )
            continue
        card = card_path(app, post.docname)
        record_output(app, card)
        text = card_text(app, post)
        records.put(post.docname, text.key())
        if card.is_file() and records.hit(post.docname, text.key()):
            kept += 1
            continue
        to_draw.append((card, text))

    def draw(job: tuple[Path, CardText]) -> None:
        card, text = job
        cache.write_atomically(card, draw_card(text, folder))

    if to_draw:
        # Pillow lets go of the GIL while it draws and compresses, so threads share the cores.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            list(pool.map(draw, to_draw))  # list(): a failed card raises here
    records.save()
    logger.info("deepdive: %d social cards drawn, %d unchanged", len(to_draw), kept)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", card_meta, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
