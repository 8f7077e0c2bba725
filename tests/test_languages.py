"""Every script printed correctly: RTL word order and joining, CJK line breaks, glyph coverage, labels."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from bidi import get_display
from conftest import REPO, Run, build_args
from PIL import Image, ImageChops
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from handout.bidi import BidiParagraph, display_text
from handout.fonts import script_for
from handout.inline import plain
from handout.locales import labels_for
from handout.resolve import Project, load_clinic, load_content, placeholder_values

PROJECT = Project.at(REPO / "content.yaml")
TOPIC = load_content(PROJECT.content_path).content.topics[0]
ISSUE_LANGUAGES = ["en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "ht", "fr", "pt", "pl", "fa", "hi",
                   "ja"]  # fmt: skip
SHIPPED = list(TOPIC.documents)
RTL = [language for language in SHIPPED if script_for(language).rtl]
CJK = [language for language in SHIPPED if script_for(language).cjk]
CLOSING = "、。，．・：；？！）］｝〕〉》」』】ー〜…"


def test_every_shipped_language_has_labels_and_a_machine_translation_record() -> None:
    for language, document in TOPIC.documents.items():
        labels_for(language)  # raises if the catalogue is missing
        if language != TOPIC.source_language:
            assert document.translation is not None
            assert document.translation.from_language == "en"


def test_all_issue_languages_are_shipped() -> None:
    missing = sorted(set(ISSUE_LANGUAGES) - set(SHIPPED))
    assert not missing, f"languages without a document: {missing}"


# ---------------------------------------------------------------- right to left


def pdf_chars(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """Every character pdfium finds: (NFKC text, left, right, baseline)."""
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    found = []
    for index in range(text.count_chars()):
        left, bottom, right, _ = text.get_charbox(index, loose=True)
        found.append((unicodedata.normalize("NFKC", text.get_text_range(index, 1)), left, right, bottom))
    return found


def line_rows(chars: list[tuple[str, float, float, float]]) -> list[list[tuple[str, float, float, float]]]:
    """Characters grouped into printed lines, top line first."""
    rows: list[list[tuple[str, float, float, float]]] = []
    for char in sorted(chars, key=lambda c: -c[3]):
        if rows and abs(rows[-1][0][3] - char[3]) < 4:
            rows[-1].append(char)
        else:
            rows.append([char])
    return rows


def draw(paragraph: BidiParagraph, width: float = 300) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width + 40, 400))
    _, height = paragraph.wrapOn(canvas, width, 400)
    paragraph.drawOn(canvas, 20, 380 - height)
    canvas.save()
    return buffer.getvalue()


def arabic_paragraph(text: str, size: float = 14) -> BidiParagraph:
    family = script_for("ar").family
    style = ParagraphStyle("p", fontName=family.regular, fontSize=size, leading=size * 1.4)
    return BidiParagraph([(text, False)], style, family.bold)


SENTENCE = (
    "يمكن أن يتكون عظم أو كالسيوم داخل العضلة بعد الإصابة. غالبا ما يتحسن من تلقاء نفسه خلال 2 إلى 4 أسابيع. "
    "اتصل بالرقم 911 إذا شعرت بألم في الصدر أو بضيق مفاجئ في التنفس. الرمز ICD-10-CM M61.9 هنا."
)


def test_each_rtl_line_starts_at_the_right_edge_with_its_first_word() -> None:
    paragraph = arabic_paragraph(SENTENCE)
    chars = pdf_chars(draw(paragraph))
    lines = paragraph.lines(300)
    assert len(lines) >= 3
    rows = line_rows([c for c in chars if not c[0].isspace()])
    assert len(rows) == len(lines)
    right_edges = []
    for line, row in zip(lines, rows, strict=True):
        on_line = sorted(row, key=lambda c: -c[2])
        first_word = unicodedata.normalize("NFKC", "".join(char for char, _, _ in line[0]).strip())
        rightmost = {c[0] for c in on_line[: len(first_word.replace(".", ""))]}
        assert rightmost <= set(first_word), f"line should start (on the right) with {first_word!r}"
        right_edges.append(on_line[0][2])
    assert max(right_edges) - min(right_edges) < 2, "every line is aligned to the right edge"


def test_numbers_and_latin_inside_rtl_text_read_left_to_right() -> None:
    chars = pdf_chars(draw(arabic_paragraph("اتصل بالرقم 911 الآن لأن الرمز ICD هنا", 16), width=400))
    digits = sorted((c for c in chars if c[0].isdigit()), key=lambda c: c[1])
    assert "".join(c[0] for c in digits) == "911"
    latin = sorted((c for c in chars if c[0] in "ICD"), key=lambda c: c[1])
    assert "".join(c[0] for c in latin) == "ICD"
    arabic_now = [c[1] for c in chars if c[0] == "ن"]  # in "الآن", which follows 911 and so stands to its left
    assert min(arabic_now) < digits[0][1]


@pytest.mark.parametrize(
    "text",
    [
        SENTENCE,
        "اتصل بنا (في العيادة) على 555-0142 اليوم.",
        "خطر: ICD-10-CM M61.9 و 2 إلى 4 أسابيع!",
        "سنگ یا کلسیم در عضله می‌تواند پس از آسیب تشکیل شود.",
    ],
)
def test_line_order_matches_the_unicode_bidi_algorithm(text: str) -> None:
    """Our runs in display order give what python-bidi's own (Rust) implementation gives."""
    brackets = str.maketrans("()[]", "||||")  # mirroring is left to the font in get_display
    assert display_text([(text, False)]).translate(brackets) == get_display(text, base_dir="R").translate(brackets)


def test_bold_runs_keep_their_place_in_rtl_order() -> None:
    family = script_for("ar").family
    style = ParagraphStyle("p", fontName=family.regular, fontSize=16, leading=22)
    paragraph = BidiParagraph([("فوق", True), (" شعرت بألم", False)], style, family.bold)
    chars = pdf_chars(draw(paragraph, 400))
    bold_x = [c[1] for c in chars if c[0] in "فوق"]
    rest_x = [c[1] for c in chars if c[0] in "شعرتبألم"]
    assert min(bold_x) > max(rest_x), "the first (bold) words stand to the right of the rest"


def render_word(word: str, size: float = 48) -> Image.Image:
    paragraph = arabic_paragraph(word, size)
    return pdfium.PdfDocument(draw(paragraph, 260))[0].render(scale=1).to_pil().convert("L")


def test_arabic_letters_are_shaped_into_joining_forms() -> None:
    """HarfBuzz picks the initial, medial and final forms: what the page draws for "بيت" (house)."""
    paragraph = arabic_paragraph("بيت")
    shaped, _ = paragraph.fonts.shaped("بيت", False)
    forms = [unicodedata.name(char, "") for char in shaped]
    assert forms == ["ARABIC LETTER TEH FINAL FORM", "ARABIC LETTER YEH MEDIAL FORM", "ARABIC LETTER BEH INITIAL FORM"]


@pytest.mark.parametrize("language", ["ar", "fa"])
def test_a_right_to_left_text_is_shaped_alike_at_every_size_so_once_for_all(language: str) -> None:
    """handout.bidi shapes a text once for every size that fitting tries: HarfBuzz's glyphs, clusters,
    offsets and advances (in thousandths of the size) must not depend on the size, and widths scale."""
    from reportlab.pdfbase.ttfonts import shapeStr

    family = script_for(language).family
    document = load_content(REPO / "content.yaml").content.topics[0].documents[language]
    words = sorted({word for _, text in document.texts() for word in plain(text, {}).split()})
    for face in (family.regular, family.bold):
        for word in words:
            small, large = shapeStr(word, face, 9.5), shapeStr(word, face, 24)
            assert str(small) == str(large)
            assert getattr(small, "__shapeData__", None) == getattr(large, "__shapeData__", None), word
    longest = max(words, key=len)
    paragraph = arabic_paragraph(longest)
    shaped, width = paragraph.fonts.shaped(longest, False)
    assert width == pytest.approx(sum(d.x_advance for d in shaped.__shapeData__) * paragraph.fonts.size / 1000)


def test_arabic_joining_matches_the_golden_image(request: pytest.FixtureRequest) -> None:
    golden = Path(__file__).parent / "golden" / "arabic-joining.png"
    image = render_word("العضلة بيت")
    if request.config.getoption("--update-golden"):
        image.save(golden)
    reference = Image.open(golden).convert("L")
    assert image.size == reference.size
    difference = ImageChops.difference(image, reference)
    changed = sum(1 for value in difference.tobytes() if value > 64)
    assert changed / (image.width * image.height) < 0.002, "joined Arabic looks different from the golden image"
    # and the golden image is not itself unjoined: the same letters kept apart (ZWNJ) look different
    unjoined = render_word("\u200c".join("العضلة") + " " + "\u200c".join("بيت"))
    changed_unjoined = sum(1 for value in ImageChops.difference(unjoined, reference).tobytes() if value > 64)
    assert changed_unjoined > 20 * max(changed, 1)


@pytest.mark.parametrize("language", RTL)
def test_rtl_handouts_are_mirrored(cli: Callable[..., Run], tmp_path: Path, language: str) -> None:
    """Logo on the right of the header, QR code on the left of the footer, phone number on the left."""
    output = tmp_path / "rtl.pdf"
    result = cli(*build_args(TOPIC.id, language, "riverside-family", output))
    assert result.exit_code == 0, result.output
    image = pdfium.PdfDocument(output)[0].render(scale=2).to_pil().convert("RGB")
    width, height = image.size
    header = image.crop((0, 0, width, height // 10))
    right_tile = header.crop((width * 3 // 4, header.height // 3, width - 80, header.height * 2 // 3))
    left_tile = header.crop((80, header.height // 3, width // 4, header.height * 2 // 3))
    assert white_share(right_tile) > 0.3 > white_share(left_tile), "the logo tile belongs on the right"
    footer = image.crop((0, height * 4 // 5, width // 4, height))
    assert [r.text for r in zxingcpp.read_barcodes(footer)] == ["https://riverside.example.org/handouts"]
    chars = pdf_chars(output.read_bytes())
    phone = [c for c in chars if c[0] == "5" and c[3] > float(PdfReader(output).pages[0].mediabox.height) * 0.85]
    assert phone and max(c[2] for c in phone) < width / 2 / 2, "the phone number sits on the left"


def white_share(image: Image.Image) -> float:
    data = image.tobytes()
    pixels = len(data) // 3
    return sum(1 for i in range(0, len(data), 3) if data[i] > 245 and data[i + 1] > 245 and data[i + 2] > 245) / pixels


# ---------------------------------------------------------------- Chinese and Japanese


@pytest.mark.parametrize("language", CJK)
@pytest.mark.parametrize("clinic", ["riverside-family", "costa-azul"])
@pytest.mark.parametrize("layout", ["standard", "large-print"])
def test_no_cjk_line_starts_with_closing_punctuation(
    cli: Callable[..., Run], tmp_path: Path, language: str, clinic: str, layout: str
) -> None:
    output = tmp_path / "cjk.pdf"
    result = cli(*build_args(TOPIC.id, language, clinic, output, layout))
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in PdfReader(output).pages[0].extract_text().splitlines() if line.strip()]
    wide_lines = [line for line in lines if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line)]
    assert wide_lines
    bad = [line for line in wide_lines if line[0] in CLOSING]
    assert not bad, f"lines starting with closing punctuation: {bad}"


LTR = [language for language in SHIPPED if language not in RTL]


@pytest.mark.parametrize("language", LTR)
def test_the_lines_of_a_bullet_point_line_up(cli: Callable[..., Run], tmp_path: Path, language: str) -> None:
    """The first line of a bullet point starts where its following lines do, even where the font's
    bullet is a full em wide (Noto Sans SC)."""
    output = tmp_path / "bullets.pdf"
    assert cli(*build_args(TOPIC.id, language, "riverside-family", output, "large-print")).exit_code == 0
    clinic = load_clinic(PROJECT, "riverside-family").clinic
    values = placeholder_values(clinic)
    points = [
        re.sub(r"\s", "", unicodedata.normalize("NFKC", plain(point, values)))
        for point in TOPIC.documents[language].key_points
    ]

    starts: list[float] = []
    continued = 0
    current = ""
    chars = pdf_chars(output.read_bytes())
    drawn = {id(char): index for index, char in enumerate(chars)}
    for row in line_rows(chars):
        row.sort(key=lambda char: drawn[id(char)])  # the order drawn: shaped marks are not in x order
        text = [char for char in row if char[0].strip() and char[0] != "\u2022"]
        printed = "".join(char[0] for char in text)
        if not printed:
            continue  # pdfium's own line ends
        if any(char[0] == "\u2022" for char in row):
            current = printed
        elif current and any(point.startswith(current + printed) for point in points):
            current += printed
            continued += 1
        else:
            current = ""
            continue
        starts.append(min(char[1] for char in text))
    assert continued, "no bullet point of this document wraps: the test would prove nothing"
    assert max(starts) - min(starts) < 1.0, f"text of bullet lines starts at {sorted(set(round(s, 1) for s in starts))}"


# ---------------------------------------------------------------- glyphs and labels


def test_a_character_no_font_has_is_an_error_with_its_code_point(cli: Callable[..., Run], project: Path,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    text = project.read_text(encoding="utf-8")
    document = text.index("      ar:") if "      ar:" in text else text.index("      es:")
    language = "ar" if "      ar:" in text else "es"
    title_at = text.index("        title: ", document)
    end = text.index("\n", title_at)
    project.write_text(text[:end] + " \U0001f600" + text[end:], encoding="utf-8")
    line = text[:title_at].count("\n") + 1
    output = tmp_path / "x.pdf"
    result = cli(*build_args(TOPIC.id, language, "riverside-family", output, content=project))
    assert result.exit_code == 2
    assert "U+1F600" in result.stderr and f"{project}:{line}:" in result.stderr
    assert not output.exists()


CJK = [language for language in SHIPPED if script_for(language).cjk or script_for(language).code == "Kore"]


@pytest.mark.parametrize("language", CJK)
def test_a_clinic_name_the_page_font_lacks_is_set_in_the_fallback(cli: Callable[..., Run], project: Path,
                                                                    tmp_path: Path, language: str) -> None:  # fmt: skip
    """Chinese, Japanese and Korean fonts lack many accented Latin letters of clinics' names and addresses
    (Polish, Czech, Vietnamese): those letters come from the fallback family, bold where the name is bold."""
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    name = "Nguyễn & Łukasiewicz Family Medicine"
    clinic.write_text(clinic.read_text().replace("name: Riverside Family Clinic", f"name: {name}")
                      .replace("1200 River Road", "1200 Świętokrzyska Road"), encoding="utf-8")  # fmt: skip
    missing = [char for char in "ễŁŚę" if ord(char) not in pdfmetrics.getFont(script_for(language).family.bold)
               .face.charToGlyph]  # fmt: skip
    assert missing, f"the {language} font has these letters: the test would prove nothing"
    output = tmp_path / f"{language}.pdf"
    result = cli(*build_args(TOPIC.id, language, "riverside-family", output, content=project))
    assert result.exit_code == 0, result.output
    page = PdfReader(output).pages[0]
    assert name in unicodedata.normalize("NFC", page.extract_text())
    fallback = script_for(language).fallback
    assert fallback is not None
    drawn_by: dict[str, set[str]] = {}
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        for char in missing:
            if f"<{ord(char):04X}>" in cmap:
                drawn_by.setdefault(char, set()).add(str(font["/BaseFont"]).split("+")[1])
    bold = pdfmetrics.getFont(fallback.bold).face.name.decode()
    assert all(drawn_by.get(char) for char in missing), drawn_by
    assert all(fonts <= {bold, pdfmetrics.getFont(fallback.regular).face.name.decode()} for fonts in drawn_by.values())
    in_name = next(char for char in missing if char in name)
    assert bold in drawn_by[in_name], "the name is bold: so is its fallback letter"


def test_a_character_the_fallback_lacks_too_is_still_an_error(cli: Callable[..., Run], project: Path,
                                                              tmp_path: Path) -> None:  # fmt: skip
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(clinic.read_text().replace("name: Riverside Family Clinic", "name: Riverside \U0001d538 Clinic"))
    output = tmp_path / "x.pdf"
    result = cli(*build_args(TOPIC.id, "zh-Hant", "riverside-family", output, content=project))
    assert result.exit_code == 2 and not output.exists()
    assert "U+1D538" in result.stderr and "nor its fallback noto-sans" in result.stderr


@pytest.mark.parametrize("language", SHIPPED)
def test_dates_and_language_names_are_localized(language: str) -> None:
    labels = labels_for(language)
    day = TOPIC.review.last_reviewed
    assert labels.date(day) != day.isoformat()
    if language != "en":
        assert labels("Questions? Call") != "Questions? Call", f"{language}.po lacks a translation"
        assert labels.language_name("en") not in ("English", "")


@pytest.mark.parametrize("digits", ["123", "\u06f1\u06f2\u06f3", "\u0661\u0662\u0663"])
def test_digits_of_every_script_read_left_to_right_in_rtl_text(digits: str) -> None:
    family = script_for("fa").family
    style = ParagraphStyle("p", fontName=family.regular, fontSize=20, leading=26)
    chars = pdf_chars(draw(BidiParagraph([(f"هر بار {digits} دقیقه", False)], style, family.bold), 400))
    placed = sorted((c for c in chars if c[0].isdigit()), key=lambda c: c[1])
    assert "".join(c[0] for c in placed) == unicodedata.normalize("NFKC", digits)


@pytest.mark.parametrize("language", RTL)
def test_phone_numbers_keep_their_order_on_rtl_pages(cli: Callable[..., Run], tmp_path: Path, language: str) -> None:
    output = tmp_path / "rtl.pdf"
    result = cli(*build_args(TOPIC.id, language, "riverside-family", output))
    assert result.exit_code == 0, result.output
    rows = line_rows([c for c in pdf_chars(output.read_bytes()) if not c[0].isspace()])
    phone = "(541)555-0142"
    printed = ["".join(c[0] for c in sorted(row, key=lambda c: c[1])) for row in rows]
    assert any(phone in line for line in printed), printed[:3]
