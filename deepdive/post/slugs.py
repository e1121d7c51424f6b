"""URL slugs for posts, tags, categories and series."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Latin letters that Unicode does not decompose into an ASCII letter and a mark.
_LATIN = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
        "ı": "i",
    }
)  # fmt: skip


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens; Latin letters lose their accents, other scripts are kept:
    ``"Monte Carlo (HMC)"`` -> ``"monte-carlo-hmc"``, ``"Статистика"`` -> ``"статистика"``."""
    kept = "".join(
        _slug_char(char) for char in unicodedata.normalize("NFC", text).translate(_LATIN)
    )
    words = re.sub(r"[-_\s]+", "-", kept.lower()).strip("-")
    return unicodedata.normalize("NFC", words)


def _slug_char(char: str) -> str:
    """One character as a slug spells it: ASCII letters, digits, spaces and hyphens as they are,
    a letter that decomposes into ASCII (``é``, ``ﬁ``, ``²``) as that ASCII, a letter, digit or mark
    of another script (``統``, ``я``, ``ベ``) as it is, anything else (punctuation, symbols) not at
    all."""
    if char.isascii():
        return char if char.isalnum() or char in "-_" or char.isspace() else ""
    folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if folded:
        return "".join(_slug_char(c) for c in folded)
    return char if unicodedata.category(char)[0] in "LNM" else ""


def ascii_url(url: str) -> str:
    """``url`` with its non-ASCII characters percent-encoded (``tags/統計/`` ->
    ``tags/%E7%B5%B1%E8%A8%88/``), for the places a URL must be ASCII: RSS, sitemaps."""
    return quote(url, safe="".join(chr(c) for c in range(0x21, 0x7F)))
