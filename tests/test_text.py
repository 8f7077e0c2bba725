"""Paragraphs keep their line breaks per width, and give what a fresh paragraph gives."""

from __future__ import annotations

import pytest
from reportlab.platypus import Flowable

from handout.fonts import script_for
from handout.text import TextSetter

TEXT = "Questions about your muscles? Call the clinic; a nurse will call you back within one working day."
# Chinese breaks between any two characters, by ReportLab's other line breaker.
TEXTS = {"en": TEXT, "zh-Hans": "如果您对肌肉有疑问，请致电诊所；护士会在一个工作日内给您回电。"}


def _lines(paragraph: Flowable) -> list[str]:
    lines = paragraph.blPara.lines
    if paragraph.blPara.kind == 0:
        return [" ".join(words) for _, words in lines]
    return ["".join(word.text for word in line.words) for line in lines]


@pytest.mark.parametrize("language", list(TEXTS))
def test_a_paragraph_measured_at_other_widths_breaks_as_a_fresh_one(language: str) -> None:
    setter = TextSetter(script_for(language))
    style = setter.style("body", fontSize=11, leading=14)
    runs = [(TEXTS[language], False)]
    measured = setter.paragraph(runs, style)
    widths = [400.0, 10_000.0, 400.0, 120.0, 10_000.0, 250.0, 90.0, 120.0, 400.0]  # kept ones, and more than it keeps
    line_counts = set()
    for width in widths:
        fresh = setter.paragraph(runs, style)
        assert measured.wrap(width, 1e6) == fresh.wrap(width, 1e6)
        assert _lines(measured) == _lines(fresh)
        assert measured.getActualLineWidths0() == fresh.getActualLineWidths0()
        line_counts.add(len(_lines(measured)))
    assert len(line_counts) >= 4  # the widths break it differently


def test_a_paragraph_split_by_a_frame_is_measured_again() -> None:
    setter = TextSetter(script_for("en"))
    paragraph = setter.paragraph([(TEXT, False)], setter.style("body", fontSize=11, leading=14))
    _, height = paragraph.wrap(90.0, 1e6)
    assert paragraph.split(90.0, 1.0) == []  # no room for a line: ReportLab drops the lines it had
    assert paragraph.wrap(90.0, 1e6) == (90.0, height)
    assert len(paragraph.split(90.0, height / 2)) == 2
