"""Content text reaches ReportLab only escaped; **bold** is the one markup there is."""

from __future__ import annotations

import pytest

from handout.inline import plain, text_problems
from handout.text import markup_of, runs_of


def to_markup(text: str, values: dict[str, str]) -> str:
    return markup_of(runs_of(text, values))


def test_bold_and_escaping() -> None:
    assert to_markup("Take **less** than 3 < 4 & rest", {}) == "Take <b>less</b> than 3 &lt; 4 &amp; rest"


def test_placeholders_are_filled_and_escaped() -> None:
    values = {"clinic_name": "A & B <Clinic>", "emergency_number": "112"}
    assert to_markup("**Call {emergency_number}** at {clinic_name}", values) == (
        "<b>Call 112</b> at A &amp; B &lt;Clinic&gt;"
    )
    assert plain("**Call {emergency_number}**  now", values) == "Call 112 now"


@pytest.mark.parametrize(
    "text",
    [
        '<img src="/etc/passwd"/>',
        "<font color=red>x</font>",
        "<b>x",
        '<a href="javascript:alert(1)">x</a>',
        "<para>",
        "</b>",
    ],
)
def test_tags_are_refused(text: str) -> None:
    assert any("markup tag" in p for p in text_problems(text))


@pytest.mark.parametrize("text", ["3 < 4", "a & b", "x > y", "<5 mg", "A <-> B"])
def test_markup_characters_alone_are_fine(text: str) -> None:
    assert text_problems(text) == []


def test_other_problems() -> None:
    assert text_problems("   ")
    assert any("'**'" in p for p in text_problems("**open"))
    assert any("{nope}" in p for p in text_problems("{nope}"))
    assert any("U+202E" in p for p in text_problems("a\u202eb"))
    assert text_problems("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == []  # Persian needs ZWNJ
