"""The three citation styles: how a post's references are sorted, labelled and cited in text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels.number import LabelStyle as NumberLabels
from pybtex.style.names.plain import NameStyle as PlainNames
from pybtex.style.sorting.author_year_title import SortingStyle as ByAuthorYearTitle
from pybtex.style.sorting.none import SortingStyle as InCitationOrder
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.label import LabelReferenceStyle

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pybtex.database import Entry
    from pybtex.style.formatting import BaseStyle
    from sphinxcontrib.bibtex.style.referencing import BaseReferenceStyle


# Each style names the classes of its parts (pybtex's defaults) rather than their plugin names:
# pybtex finds a plugin by name by reading every installed distribution's entry points, about
# 12 ms on each of a build's lookups, and takes a class as it is.
class NumericStyle(UnsrtStyle):
    """Entries numbered 1, 2, … in the order the post first cites them."""

    default_name_style = PlainNames
    default_label_style = NumberLabels
    default_sorting_style = InCitationOrder


class KeyStyle(NumericStyle):
    """Entries labelled by their BibTeX key, ``[Welling2011]``, sorted by key."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.format_labels = _key_labels
        self.sort = _sorted_by_key


class AuthorYearStyle(PlainStyle):
    """Entries sorted by author, year and title; the list shows no labels."""

    default_name_style = PlainNames
    default_label_style = NumberLabels
    default_sorting_style = ByAuthorYearTitle


def _key_labels(entries: Iterable[Entry]) -> Iterable[str]:
    return (entry.key for entry in entries)


def _sorted_by_key(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: entry.key.lower())


@dataclass(frozen=True)
class CitationStyle:
    """One value of ``deepdive_citation_style``."""

    entries: Callable[[], BaseStyle]
    references: Callable[[], BaseReferenceStyle]
    labelled: bool  # False: the list is sorted by author and shows no [labels]


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


STYLES: dict[str, CitationStyle] = {
    # [1], numbered in order of first citation
    "numeric": CitationStyle(NumericStyle, LabelReferenceStyle, labelled=True),
    # [Welling2011], the BibTeX key; the list sorted by key
    "label": CitationStyle(KeyStyle, LabelReferenceStyle, labelled=True),
    # (Welling and Teh, 2011) and Welling and Teh (2011); the list sorted by author, unlabelled
    "author-year": CitationStyle(
        AuthorYearStyle,
        lambda: AuthorYearReferenceStyle(bracket_parenthetical=_round(), bracket_textual=_round()),
        labelled=False,
    ),
}
