"""URL slugs for posts, tags, categories and series."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: ``"Monte Carlo (HMC)"`` -> ``"monte-carlo-hmc"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^\w\s-]", "", ascii_text).strip().lower()
    return re.sub(r"[-_\s]+", "-", words).strip("-")
