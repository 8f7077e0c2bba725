"""`handout check`: stale and unreviewed translations, reviews, languages clinics offer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Run
from pypdf import PdfReader

from handout.fit import Fit
from handout.page import Page


def findings(cli: Callable[..., Run], project: Path, *options: str) -> tuple[int, list[dict[str, object]]]:
    result = cli("check", "--content", project, "--format", "json", *options)
    return result.exit_code, json.loads(result.stdout)


def test_shipped_content_passes_strict(cli: Callable[..., Run]) -> None:
    result = cli("check", "--content", REPO / "content.yaml", "--strict")
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.stdout


def test_unreviewed_translations_are_listed_and_fail_only_when_required(cli: Callable[..., Run],
                                                                       project: Path) -> None:  # fmt: skip
    code, found = findings(cli, project)
    unreviewed = [f for f in found if "not yet checked by a qualified translator" in str(f["message"])]
    assert {f["language"] for f in unreviewed} >= {"es"}
    assert code == 0 and all(f["severity"] == "info" for f in unreviewed)
    code, found = findings(cli, project, "--require-reviewed")
    assert code == 1 and any(f["severity"] == "error" and f["language"] == "es" for f in found)


def test_a_changed_source_makes_translations_stale(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("        title: Bone or calcium in a muscle", "        title: Bone in a muscle"))
    code, found = findings(cli, project)
    stale = [f for f in found if str(f["message"]).startswith("stale")]
    assert code == 1
    assert {f["language"] for f in stale} == set(load_languages(project)) - {"en"}
    line = next(n for n, row in enumerate(project.read_text().splitlines(), 1) if "source_version:" in row)
    assert any(f["line"] == line for f in stale)


def load_languages(project: Path) -> list[str]:
    from handout.resolve import load_content

    return list(load_content(project).content.topics[0].documents)


def test_overdue_and_soon_due_reviews(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    soon = dt.date.today() + dt.timedelta(days=10)
    project.write_text(text.replace("next_review: 2028-11-25", f"next_review: {soon.isoformat()}"))
    code, found = findings(cli, project)
    assert code == 0 and any(f["check"] == "review" and f["severity"] == "warning" for f in found)
    assert cli("check", "--content", project, "--strict").exit_code == 1
    project.write_text(text.replace("last_reviewed: 2026-11-25", "last_reviewed: 2020-01-01").replace(
        "next_review: 2028-11-25", "next_review: 2022-01-01"))  # fmt: skip
    code, found = findings(cli, project)
    assert code == 1 and any(f["check"] == "review" and f["severity"] == "error" for f in found)


def test_a_language_a_clinic_offers_without_a_document_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(clinic.read_text().replace("languages: [", "languages: [sv, "))
    code, found = findings(cli, project)
    assert code == 1
    (missing,) = [f for f in found if f["language"] == "sv"]
    assert missing["file"] == str(clinic) and missing["line"] > 1


def test_text_output_is_a_table(cli: Callable[..., Run]) -> None:
    result = cli("check", "--content", REPO / "content.yaml")
    assert result.stdout.splitlines()[0].split()[:3] == ["severity", "check", "topic"]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_hard_english_is_a_readability_error(cli: Callable[..., Run], project: Path) -> None:
    hard = ("Calcification and ossification of muscle, unspecified, is a medical condition affecting the "
            "musculoskeletal system, characterized by pathological deposition of calcium hydroxyapatite.")  # fmt: skip
    replace_in(project, "                It is not cancer. It happens in the muscles that move your body, most",
               f"                {hard} {hard} {hard} {hard} {hard} It is not cancer, most")  # fmt: skip
    code, found = findings(cli, project)
    grades = [
        f for f in found if f["check"] == "readability" and f["language"] == "en" and "grade" in str(f["message"])
    ]
    assert code == 1 and any(f["severity"] == "error" for f in grades)


def test_style_problems_are_reported_where_they_are(cli: Callable[..., Run], project: Path) -> None:
    replace_in(project, "              - A firm lump\n", "              - A FIRM lump that you can REALLY feel\n")
    six = " ".join(["Rest it."] * 6)
    replace_in(
        project,
        "                Most people get better on their own.",
        f"                {six} Most people get better.",
    )
    code, found = findings(cli, project, "--strict")
    messages = [str(f["message"]) for f in found if f["language"] == "en"]
    assert any("ALL-CAPS word 'REALLY'" in m for m in messages)
    assert any("paragraph of" in m and "sentences" in m for m in messages)
    assert code == 1
    caps = next(f for f in found if "REALLY" in str(f["message"]))
    line = next(n for n, row in enumerate(project.read_text().splitlines(), 1) if "REALLY" in row)
    assert caps["line"] == line


def test_brand_colours_with_poor_contrast(cli: Callable[..., Run], project: Path) -> None:
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    replace_in(clinic, 'primary: "#0B6E4F"', 'primary: "#7FD1AE"')
    replace_in(clinic, 'secondary: "#E2F1EA"', 'secondary: "#FFFFFF"')
    code, found = findings(cli, project)
    contrast = [f for f in found if f["check"] == "contrast"]
    assert code == 1 and contrast and all(f["file"] == str(clinic) for f in contrast)
    assert any(f["check"] == "greyscale" for f in found)


def test_layout_overflow_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    layout = project.parent / "layouts" / "large-print.yaml"
    replace_in(layout, "  body_max: 24", "  body_max: 40")
    replace_in(layout, "  body_min: 18", "  body_min: 40")
    code, found = findings(cli, project)
    assert code == 1
    assert any(f["check"] == "layout" and f["severity"] == "error" and "does not fit" in str(f["message"])
               for f in found)  # fmt: skip


def test_a_language_that_fits_with_too_little_room_to_spare_is_a_warning(cli: Callable[..., Run],
                                                                          project: Path) -> None:  # fmt: skip
    """A longer name, address or website takes another footer line: text that only just fits would then not."""
    from handout.fit import fit, height_needed
    from handout.page import Page
    from handout.resolve import Project, resolve

    layout = project.parent / "layouts" / "standard.yaml"
    scale = layout.read_text().replace("body_max: 14", "body_max: 12")
    page = Page(resolve(Project.at(project), "muscle-calcification", "en", "riverside-family", "standard"))
    spare = -height_needed(page, fit(page).body_size)

    def english_findings(bottom_margin: float) -> tuple[int, list[dict[str, object]]]:
        layout.write_text(scale.replace("bottom: 24", f"bottom: {24 + bottom_margin:g}"))
        code, found = findings(cli, project, "--strict")
        return code, [f for f in found if f["language"] == "en" and f["check"] == "layout"]

    code, english = english_findings(spare - 20)  # 20 pt, more than a line of 12 pt text, to spare
    assert not [f for f in english if f["severity"] != "info"]
    code, english = english_findings(spare - 5)
    tight = [f for f in english if f["severity"] == "warning"]
    assert code == 1 and tight, english
    assert all("fits only at the smallest size" in str(f["message"]) for f in tight)
    assert any(str(f["message"]).startswith("riverside-family, standard: ") for f in tight)
    assert tight[0]["line"] == next(
        n for n, row in enumerate(project.read_text().splitlines(), 1) if row == "      en:"
    )


ROSTER = (
    "id,name,health_system,logo,primary,secondary,address,phone,website,emergency_number,page_size,languages\n"
    "north,North Clinic,,,#123456,,1 Main St;Town,(555) 555-0100,,,letter,en;es\n"
    "north-2,North Clinic Two,,,#654321,,1 Main St;Town,(555) 555-0100,,,letter,en;es\n"
    'south,"South Clinic, Inc.",Valley,,#0B6E4F,#E2F1EA,2 Side St,(555) 555-0101,https://s.example.org,,a4,en\n'
)


def test_a_csv_roster_serves_check_list_and_build(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """Clinic IT keeps the clinics in a spreadsheet: every command reads its CSV export, not only batch."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    code, found = findings(cli, project, "--clinics", roster)
    assert code == 0
    fitted = {str(f["message"]).split(": body")[0] + f" {f['language']}" for f in found
              if f["check"] == "layout" and f["severity"] == "info"}  # fmt: skip
    assert {"north, standard en", "north, standard es", "north-2, standard es", "south, large-print en"} <= fitted
    assert not any("south" in name and name.endswith(" es") for name in fitted), "south does not offer Spanish"
    listed = json.loads(cli("list", "--content", project, "--clinics", roster, "--json").stdout)
    assert listed["clinics"] == ["north", "north-2", "south"]
    output = tmp_path / "south.pdf"
    built = cli("build", "--content", project, "--clinics", roster, "--clinic", "south", "--topic",
                "muscle-calcification", "--lang", "en", "-o", output)  # fmt: skip
    assert built.exit_code == 0, built.output
    assert "South Clinic, Inc." in PdfReader(output).pages[0].extract_text()
    unknown = cli("build", "--content", project, "--clinics", roster, "--clinic", "west", "--topic",
                  "muscle-calcification", "--lang", "en", "-o", tmp_path / "west.pdf")  # fmt: skip
    assert unknown.exit_code == 2 and f"no clinic 'west' in {roster}; clinics: north, north-2, south" in unknown.stderr


def test_clinics_whose_pages_fit_alike_are_fitted_once(project: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from handout import check as checking
    from handout.check import CheckOptions, check_project
    from handout.resolve import Project

    roster = tmp_path / "clinics.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    fitted: list[tuple[str, str, str]] = []
    real_fit = checking.fit

    def counted(page: Page) -> Fit:
        handout = page.handout
        fitted.append((handout.clinic.id, handout.language, handout.layout.name))
        return real_fit(page)

    monkeypatch.setattr(checking, "fit", counted)
    found = check_project(Project.at(project, roster), CheckOptions())
    notes = [f.message for f in found if f.check == "layout" and f.message.startswith("north-2, ")]
    assert len(notes) == 4, notes  # en and es, both layouts: reported for the twin too
    assert not [key for key in fitted if key[0] == "north-2"], "the twin's pages fit like north's"
    assert len(fitted) == len(set(fitted))


def test_a_retired_topic_is_not_checked(cli: Callable[..., Run], project: Path) -> None:
    """It is never printed: a missing translation or an overdue review of it must not fail a release."""
    text = project.read_text(encoding="utf-8").replace("status: draft", "status: retired")
    project.write_text(text.replace("next_review: 2028-11-25", "next_review: 2026-11-26"), encoding="utf-8")
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(clinic.read_text(encoding="utf-8").replace("languages: [en, ", "languages: [de, en, "))
    code, found = findings(cli, project, "--strict")
    assert code == 0, [f for f in found if f["severity"] != "info"]
    assert [f["message"] for f in found if f["check"] == "review"] == [
        "retired: it is not printed, so it is not checked"
    ]
    assert not [f for f in found if f["check"] in ("layout", "translation", "readability")]


def test_a_build_in_hard_to_read_brand_colours_warns(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """Front-desk staff print anyway; the warning (and the batch manifest) tells clinic IT what to change."""
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    shipped = cli("build", "--content", project, "--topic", "muscle-calcification", "--lang", "en", "--clinic",
                  "riverside-family", "-o", tmp_path / "a.pdf")  # fmt: skip
    assert shipped.exit_code == 0 and "contrast" not in shipped.stderr
    clinic.write_text(clinic.read_text(encoding="utf-8").replace('primary: "#0B6E4F"', 'primary: "#FFFF00"'))
    result = cli("build", "--content", project, "--topic", "muscle-calcification", "--lang", "en", "--clinic",
                 "riverside-family", "-o", tmp_path / "b.pdf")  # fmt: skip
    assert result.exit_code == 0
    assert "warning: clinic 'riverside-family': headings contrast 1.1:1 with layout 'standard', below 4.5:1" in (
        result.stderr
    )


def line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that contains ``text``."""
    return next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in row)


def input_findings(found: list[dict[str, object]]) -> set[tuple[str, int]]:
    return {(Path(str(f["file"])).name, int(str(f["line"]))) for f in found if f["check"] == "input"}


def break_every_input_file(project: Path) -> None:
    clinics, layouts = project.parent / "clinics", project.parent / "layouts"
    replace_in(clinics / "costa-azul.yaml", "phone: +34 952 555 014", "phone: call us")
    replace_in(clinics / "okafor-community.yaml", 'primary: "#14213D"', 'primary: "#14213"')
    replace_in(layouts / "standard.yaml", "columns: 2", "columns: 7")


def test_one_run_reports_the_problems_of_every_input_file(cli: Callable[..., Run], project: Path) -> None:
    """Coordinators fix a whole set of files at once: one run lists every file's problems with its line."""
    break_every_input_file(project)
    replace_in(project, "        title: Bone or calcium in a muscle", "        titel: Bone or calcium in a muscle")
    code, found = findings(cli, project)
    assert code == 2
    clinics, layouts = project.parent / "clinics", project.parent / "layouts"
    assert input_findings(found) >= {
        ("content.yaml", line_of(project, "titel: Bone")),
        ("costa-azul.yaml", line_of(clinics / "costa-azul.yaml", "phone:")),
        ("okafor-community.yaml", line_of(clinics / "okafor-community.yaml", "primary:")),
        ("standard.yaml", line_of(layouts / "standard.yaml", "columns:")),
    }
    assert all(f["severity"] == "error" for f in found if f["check"] == "input")
    table = cli("check", "--content", project)
    assert table.exit_code == 2
    for where in ("content.yaml:", "costa-azul.yaml:", "okafor-community.yaml:", "standard.yaml:"):
        assert where in table.stdout, table.output


def test_content_is_checked_with_the_clinics_and_layouts_that_load(cli: Callable[..., Run], project: Path) -> None:
    break_every_input_file(project)
    replace_in(project, "              - A firm lump\n", "              - A FIRM lump that you can REALLY feel\n")
    code, found = findings(cli, project)
    assert code == 2
    assert any("ALL-CAPS word 'REALLY'" in str(f["message"]) for f in found)
    fitted = {str(f["message"]).split(": body")[0] for f in found if f["check"] == "layout" and f["severity"] == "info"}
    assert fitted == {"riverside-family, large-print"}, "only the clinic and layout that loaded are fitted"


def test_every_bad_row_of_a_roster_is_reported(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    roster = tmp_path / "clinics.csv"
    rows = ROSTER.splitlines()
    rows[1] = rows[1].replace("(555) 555-0100", "call us")
    rows[2] = rows[2].replace("#654321", "#65432")
    rows[3] = rows[3].replace(",a4,", ",a5,")
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, found = findings(cli, project, "--clinics", roster)
    assert code == 2
    assert input_findings(found) == {("clinics.csv", 2), ("clinics.csv", 3), ("clinics.csv", 4)}


def test_json_output_is_json_whatever_the_problem(cli: Callable[..., Run], project: Path) -> None:
    """A CI job parses the output: a broken file, or a language no font prints, is a finding, not plain text."""
    replace_in(project, "topics:", "topics: [")
    code, found = findings(cli, project)
    assert code == 2 and input_findings(found) and all(f["severity"] == "error" for f in found)


def test_a_language_without_a_font_is_an_error_finding(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    french = text[text.index("\n      fr:\n") : text.index("\n      pt:\n")]
    project.write_text(text.replace(french, french + french.replace("      fr:", "      th:", 1)), encoding="utf-8")
    code, found = findings(cli, project)
    assert code == 1
    thai = [f for f in found if f["language"] == "th" and f["severity"] == "error"]
    assert thai and all(f["line"] == line_of(project, "      th:") for f in thai)
    assert any("Thai script, which has no font" in str(f["message"]) for f in thai)


# The Spanish document's sections, as the shipped content.yaml writes them.
SPANISH_WARNING = """\
          - heading: ¿Cuándo necesito ayuda enseguida?
            kind: warning
"""
SPANISH_SIGNS = "          - heading: ¿Cuáles son las señales?\n"


def spanish_section(project: Path, heading_line: str) -> str:
    """The text of the Spanish section that starts with ``heading_line``, up to the next section or document."""
    text = project.read_text(encoding="utf-8")
    start = text.index(heading_line, text.index("\n      es:\n"))
    ends = [text.find(mark, start + len(heading_line)) for mark in ("\n          - heading:", "\n      zh-Hans:")]
    return text[start : min(end for end in ends if end > 0) + 1]


def structure_findings(cli: Callable[..., Run], project: Path) -> tuple[int, list[dict[str, object]]]:
    code, found = findings(cli, project, "--strict", "--require-reviewed")
    return code, [f for f in found if f["language"] == "es" and f["check"] == "translation"
                  and "qualified translator" not in str(f["message"])]  # fmt: skip


def test_a_translation_without_the_warning_section_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    """The emergency box tells patients when to call 911: a translation must never lose it."""
    replace_in(project, spanish_section(project, SPANISH_WARNING), "")
    code, found = structure_findings(cli, project)
    assert code == 1
    (missing,) = found
    assert missing["severity"] == "error" and missing["line"] == line_of(project, "      es:")
    assert "When do I need help right away?" in str(missing["message"])
    assert "warning" in str(missing["message"]) and "¿Cuándo llamar a la clínica?" in str(missing["message"])
    _, every = findings(cli, project)
    # Build refuses to print it, so it is not also fitted with every clinic and layout, each saying the same.
    assert [f["check"] for f in every if "When do I need help right away?" in str(f["message"])] == ["translation"]


def test_a_translation_without_an_ordinary_section_names_it(cli: Callable[..., Run], project: Path) -> None:
    replace_in(project, spanish_section(project, SPANISH_SIGNS), "")
    code, found = structure_findings(cli, project)
    assert code == 1
    (missing,) = found
    assert missing["severity"] == "error" and missing["line"] == line_of(project, "      es:")
    assert "What are the signs?" in str(missing["message"]) and "¿Qué lo causa?" in str(missing["message"])


def test_an_extra_section_is_an_error_at_its_line(cli: Callable[..., Run], project: Path) -> None:
    signs = spanish_section(project, SPANISH_SIGNS)
    replace_in(project, signs, signs + signs.replace("¿Cuáles son las señales?", "¿Y además?"))
    code, found = structure_findings(cli, project)
    (extra,) = found
    assert code == 1 and extra["severity"] == "error" and extra["line"] == line_of(project, "¿Y además?")


def test_a_warning_section_turned_into_an_ordinary_one_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    replace_in(project, SPANISH_WARNING, SPANISH_WARNING.replace("kind: warning", "kind: normal"))
    code, found = structure_findings(cli, project)
    (changed,) = found
    assert code == 1 and changed["severity"] == "error"
    assert changed["line"] == line_of(project, "¿Cuándo necesito ayuda enseguida?")
    assert "kind: warning" in str(changed["message"])


def test_a_missing_bullet_is_an_error_and_a_split_paragraph_a_warning(cli: Callable[..., Run],
                                                                      project: Path) -> None:  # fmt: skip
    signs = spanish_section(project, SPANISH_SIGNS)
    first_bullet = signs[signs.index("            bullets:\n") + len("            bullets:\n") :].splitlines(True)[0]
    replace_in(project, signs, signs.replace(first_bullet, ""))
    code, found = structure_findings(cli, project)
    (bullets,) = found
    assert code == 1 and bullets["severity"] == "error" and bullets["line"] == line_of(project, SPANISH_SIGNS.strip())
    assert "2 bullets" in str(bullets["message"]) and "3" in str(bullets["message"])
    what_is_it = spanish_section(project, "          - heading: ¿Qué es?\n")
    replace_in(project, what_is_it, what_is_it + "              - Otro párrafo.\n")
    code, found = structure_findings(cli, project)
    assert {(f["severity"], f["line"]) for f in found} == {
        ("error", line_of(project, SPANISH_SIGNS.strip())),
        ("warning", line_of(project, "- heading: ¿Qué es?")),
    }


def test_a_missing_key_point_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    replace_in(project, "          - No es cáncer. A menudo mejora solo en unos meses.\n", "")
    code, found = structure_findings(cli, project)
    (points,) = found
    assert code == 1 and points["severity"] == "error"
    assert points["line"] == line_of(project, "          - Puede formarse hueso o calcio en un músculo") - 1
    assert "4 key points" in str(points["message"]) and "5" in str(points["message"])


def test_a_translation_from_a_language_the_topic_lacks_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      es:\n")
    project.write_text(text[:start] + text[start:].replace("from_language: en", "from_language: de", 1))
    code, found = structure_findings(cli, project)
    (unknown,) = found
    assert code == 1 and unknown["line"] == line_of(project, "from_language: de")
    assert "'de'" in str(unknown["message"])
