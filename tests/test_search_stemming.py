"""The search index is stemmed by PyStemmer (fast) with the same stems as the pure-Python Snowball
stemmer, whose JavaScript twin stems the reader's query in the browser."""

from __future__ import annotations

import re

import Stemmer
from conftest import ROOT
from snowballstemmer.english_stemmer import EnglishStemmer
from sphinx.search.en import SearchEnglish


def test_sphinx_stems_with_the_c_stemmer() -> None:
    assert isinstance(SearchEnglish({}).stemmer, Stemmer.Stemmer)


def test_every_word_of_the_site_gets_the_pure_python_stem() -> None:
    words = set()
    for source in [*ROOT.glob("posts/**/*.md"), *ROOT.glob("*.md"), ROOT / "references.bib"]:
        words |= {w.lower() for w in re.findall(r"[A-Za-z]+", source.read_text(encoding="utf-8"))}
    assert len(words) > 2000
    fast, reference = Stemmer.Stemmer("english"), EnglishStemmer()
    assert {w: fast.stemWord(w) for w in words} == {w: reference.stemWord(w) for w in words}
