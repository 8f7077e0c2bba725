"""Fonts are mapped from their files and kept compact: what ReportLab embeds must not change."""

from __future__ import annotations

import pytest
import uharfbuzz
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from handout.fonts import script_for

# A composite glyph or two (accented letters), CJK and Arabic faces, and a glyph at the end of the table.
SAMPLES = {"en": "Café Ưu ễ", "zh-Hans": "肌肉钙化。请拨打", "ko": "근육 석회화", "ar": "تكلس العضلات"}


@pytest.mark.parametrize("language", sorted(SAMPLES))
@pytest.mark.parametrize("bold", [False, True])
def test_a_subset_of_a_mapped_font_is_the_one_reportlab_cuts_from_the_file_read_whole(
    language: str, bold: bool
) -> None:
    family = script_for(language).family
    mapped = pdfmetrics.getFont(family.bold if bold else family.regular)
    read_whole = TTFont("read-whole", str(family.bold_file if bold else family.regular_file))
    codes = [ord(char) for char in dict.fromkeys(SAMPLES[language] + "0")]
    last_glyph = max(read_whole.face.charToGlyph, key=read_whole.face.charToGlyph.__getitem__)
    codes.append(last_glyph)

    assert mapped.face.makeSubset(codes) == read_whole.face.makeSubset(codes)
    # (shaping adds codes of its own to a face: see handout.shaping)
    assert {code: mapped.face.charWidths[code] for code in read_whole.face.charWidths} == read_whole.face.charWidths


def test_harfbuzz_shapes_a_mapped_font_as_the_font_read_whole() -> None:
    family = script_for("ar").family
    mapped = pdfmetrics.getFont(family.regular)
    read_whole = TTFont("read-whole", str(family.regular_file))

    assert _shaped(mapped, "تكلس العضلات") == _shaped(read_whole, "تكلس العضلات")


def _shaped(font: TTFont, text: str) -> list[tuple[int, int, int]]:
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font.hbFont(12), buffer)
    glyphs = zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    return [(info.codepoint, info.cluster, position.x_advance) for info, position in glyphs]
