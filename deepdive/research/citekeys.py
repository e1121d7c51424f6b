"""The key of a post's "Cite this post" entry: readable, and unique on the site."""

from __future__ import annotations

import re
import unicodedata

from deepdive.post.model import Post

_SKIP_WORDS = {"a", "an", "the", "on", "of", "and", "in", "to", "for", "from", "with"}


def _ascii_words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def base_citation_key(post: Post, author: str) -> str:
    """``surname`` + ``year`` + first significant title word: ``quant2025ranking``."""
    surname = (_ascii_words(author.split(" and ")[0]) or ["post"])[-1]
    words = [w for w in _ascii_words(post.title) if w not in _SKIP_WORDS] or ["post"]
    return f"{surname}{post.date:%Y}{words[0]}"


def citation_keys(posts: list[Post], default_author: str) -> dict[str, str]:
    """Each post's key, unique on the site: posts sharing a base key (two parts of a series
    published the same year) are told apart as BibTeX users do, by a letter: the earliest keeps
    the base key, so publishing a later one never changes a key readers already copied."""
    groups: dict[str, list[Post]] = {}
    for post in posts:
        groups.setdefault(base_citation_key(post, post.author or default_author), []).append(post)
    keys = {}
    for base, group in groups.items():
        for rank, post in enumerate(sorted(group, key=lambda p: (p.date, p.docname))):
            keys[post.docname] = base + _suffix(rank)
    return keys


def _suffix(rank: int) -> str:
    """Nothing for the first post, then b, c, … z, then 27, 28, …"""
    if rank == 0:
        return ""
    return chr(ord("a") + rank) if rank < 26 else str(rank + 1)
