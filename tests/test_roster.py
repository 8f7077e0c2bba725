"""CSV rosters as spreadsheets export them: messages name the file's own line and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import Run
from pypdf import PdfReader

HEADER = "id,name,primary,address,phone,languages"


def roster_problems(cli: Callable[..., Run], project: Path, roster: Path) -> tuple[int, list[str]]:
    """`handout check`'s exit code, and the problems it finds in the roster, each as file:line:column: message."""
    result = cli("check", "--content", project, "--clinics", roster, "--format", "json")
    found = [f for f in json.loads(result.stdout) if f["check"] == "input"]
    return result.exit_code, [f"{f['file']}:{f['line']}:{f['column']}: {f['message']}" for f in found]


def listed_clinics(cli: Callable[..., Run], project: Path, roster: Path) -> list[str]:
    listed = cli("list", "--content", project, "--clinics", roster, "--json")
    assert listed.exit_code == 0, listed.output
    return list(json.loads(listed.stdout)["clinics"])


def test_a_cell_problem_names_the_files_own_column(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """The columns in another order than the README lists them: a message points at the cell in the file."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        "languages,phone,id,website,name,address,secondary,primary\n"
        "en,(555) 555-0100,ok,,OK,1 Main,,#123456\n"
        "en;xx-bad!,(555) 555-0101,bad,not a site,Bad,1 Main,#12345,#12\n"
        ",(555) 555-0102,,,No Id,1 Main,,#123456\n",
        encoding="utf-8",
    )
    code, problems = roster_problems(cli, project, roster)
    assert code == 2 and len(problems) == 5, problems  # a row with no id, and the other rows' cells, in one run
    assert f"{roster}:4:3: the clinic has no id: give it one" in problems
    for column, what in [(1, "column languages: unknown language code 'xx-bad!'"),
                         (4, "column website: 'not a site' is not a web address"),
                         (7, "column secondary: '#12345' is not a colour"),
                         (8, "column primary: '#12' is not a colour")]:  # fmt: skip
        assert [problem for problem in problems if problem.startswith(f"{roster}:3:{column}: {what}")], what


def test_blank_spreadsheet_rows_are_skipped(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """A spreadsheet exports its empty rows as commas alone, often at the end: they are no clinics."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        f"{HEADER}\n"
        "north,North Clinic,#123456,1 Main St,(555) 555-0100,en\n"
        ",,,,,\n"
        " , ,,\t,,\n"
        "south,South Clinic,#654321,2 Side St,(555) 555-0101,en;es\n"
        ",,,,,\n"
        ",,,,,\n",
        encoding="utf-8",
    )
    assert listed_clinics(cli, project, roster) == ["north", "south"]
    roster.write_text(roster.read_text(encoding="utf-8") + ",Nameless Clinic,,,,\nsouth,Again,,,,\n", encoding="utf-8")
    code, problems = roster_problems(cli, project, roster)
    assert code == 2
    assert f"{roster}:8:1: the clinic has no id: give it one" in problems
    assert f"{roster}:9:1: clinic id 'south' is repeated (first at line 5): give each clinic its own id" in problems


def test_a_roster_separated_by_semicolons_is_read(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """Excel writes `;` between cells where the comma is the decimal mark (much of Europe); a cell holding
    a `;` (address lines, languages) is then quoted."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        "\ufeffid;name;primary;address;phone;languages;page_size\r\n"
        'costa;"Clínica Costa, S.L.";#1D5FA8;"Paseo 21;29016 Málaga";+34 952 555 014;"es;en";a4\r\n'
        "norte;Clínica Norte;#123456;Calle 1;+34 952 555 015;es;a4\r\n"
        ";;;;;;\r\n",
        encoding="utf-8",
    )
    output = tmp_path / "costa.pdf"
    built = cli("build", "--content", project, "--clinics", roster, "--clinic", "costa", "--topic",
                "muscle-calcification", "--lang", "en", "-o", output)  # fmt: skip
    assert built.exit_code == 0, built.output
    text = PdfReader(output).pages[0].extract_text()
    assert "Clínica Costa, S.L." in text and "Paseo 21, 29016 Málaga" in text
    assert listed_clinics(cli, project, roster) == ["costa", "norte"]
    roster.write_text(roster.read_text(encoding="utf-8") + "sur;Sur;#123456;Calle 2;+34 1;es;en;a4\r\n")
    code, problems = roster_problems(cli, project, roster)
    assert code == 2
    assert f"{roster}:5:1: this row has 8 cells and the header 7: check its semicolons and quotes" in problems


def test_a_first_line_that_names_no_column_says_what_it_must_be(cli: Callable[..., Run], project: Path,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    roster = tmp_path / "clinics.csv"
    roster.write_text("id|name|primary|address|phone|languages\nnorth|North|#123456|1 Main|(555) 555-0100|en\n")
    result = cli("list", "--content", project, "--clinics", roster)
    assert result.exit_code == 2 and result.stderr.startswith("error: 1 problem in the input:")
    assert f"{roster}:1:1: the first line does not name the roster's columns" in result.stderr
    assert "separated by commas or semicolons" in result.stderr


def test_a_column_the_roster_does_not_have_is_one_message_at_the_header(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Refused, not ignored: a misspelt emergency_number would print 911 on every handout of the clinic."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        "id,name,primary,address,phone,languages,notes,Emergency Number,phone\n"
        "north,North Clinic,#123456,1 Main St,(555) 555-0100,en,call Bob,112,(555) 555-0100\n"
        "south,South Clinic,#654321,2 Side St,(555) 555-0101,en,,112,(555) 555-0101\n"
        "north,Again,#654321,2 Side St,(555) 555-0101,en,,112,(555) 555-0101\n",
        encoding="utf-8",
    )
    result = cli("batch", "--content", project, "--clinics", roster, "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.startswith("error: 3 problems in the input:"), result.stderr
    assert (f"{roster}:1:7: unknown columns 'notes' (column 7), 'Emergency Number' (column 8, did you mean "
            "emergency_number?): the roster's columns are id, name, health_system, logo, primary, secondary, "
            "address, phone, website, emergency_number, page_size, languages; rename or delete them"
            ) in result.stderr  # fmt: skip
    assert f"{roster}:1:9: column 'phone' is there 2 times (columns 5, 9): keep one" in result.stderr
    assert f"{roster}:4:1: clinic id 'north' is repeated" in result.stderr, "the rows are checked too"
    assert "unknown key" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_column_without_a_heading_may_only_be_empty(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        f"{HEADER},,\n"
        "north,North Clinic,#123456,1 Main St,(555) 555-0100,en,,\n"
        "south,South Clinic,#654321,2 Side St,(555) 555-0101,en,,\n",
        encoding="utf-8",
    )
    assert listed_clinics(cli, project, roster) == ["north", "south"]
    roster.write_text(roster.read_text(encoding="utf-8").replace("en,,\nsouth", "en,,left here\nsouth"))
    result = cli("list", "--content", project, "--clinics", roster)
    assert result.exit_code == 2
    assert f"{roster}:1:8: column 8 has no heading but holds values (the first at line 2): give it a heading" in (
        result.stderr
    )


def test_an_unclosed_quote_fails_its_row_alone(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """The quote would take in the rest of the file: the rows after it are still clinics."""
    roster = tmp_path / "clinics.csv"
    good = (f"{HEADER}\nnorth,North,#123456,1 Main,(555) 555-0100,en\ncosta,Costa,#123456,2 Main,(555) 555-0101,en\n"
            "south,South,#654321,3 Main,(555) 555-0102,en\n")  # fmt: skip
    roster.write_text(good)
    out = tmp_path / "out"
    run = ("batch", "--content", project, "--clinics", roster, "--out", out, "--layouts", "standard")
    assert cli(*run).exit_code == 0
    roster.write_text(good.replace("\ncosta,", '\n"costa,'))
    broken = cli(*run)
    assert broken.exit_code == 1 and "failed: costa/*/*/*: " in broken.stderr, broken.output
    assert "no longer in the matrix" not in broken.stderr
    assert {r["clinic"] for r in json.loads((out / "manifest.json").read_text()) if r["status"] != "failed"} == {
        "north",
        "costa",
        "south",
    }
    roster.write_text(good)
    fixed = cli(*run)
    assert fixed.exit_code == 0 and "0 built" in fixed.stdout, fixed.output


def test_a_quote_closed_rows_later_takes_no_clinic_in_and_prints_no_other_clinics_details(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """An unclosed quote closed by a quote in a later row leaves a row of the right width, made of two
    clinics' cells: the first clinic would print the later one's phone number."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        f"{HEADER}\n"
        'a,Alpha Clinic,#123456,"1 Main St,(555) 555-0101,en\n'
        "b,Beta Clinic,#123456,2 Main St,(555) 555-0102,en\n"
        'c,Gamma Clinic,#123456,"3 Main St",(555) 555-0103,en\n'
        "d,Delta Clinic,#123456,4 Main St,(555) 555-0104,en\n"
        'e,Epsilon Clinic,#123456,5 Main St,(555) 555-0105,"en\n',  # unclosed in the last column, at the end
        encoding="utf-8",
    )
    assert listed_clinics(cli, project, roster) == ["b", "c", "d"]
    code, problems = roster_problems(cli, project, roster)
    assert code == 2 and len(problems) == 2, problems
    assert all("a quote in this row runs on into the rows after it" in problem for problem in problems)
    assert [problem.split(":")[1] for problem in problems] == ["2", "6"]


def test_a_huge_cell_from_an_unclosed_quote_is_a_message_not_a_crash(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    roster = tmp_path / "clinics.csv"
    rows = "".join(f"c{n},Clinic {n},#123456,{n} Main St,(555) 555-0100,en\n" for n in range(3000))
    roster.write_text(f'{HEADER}\nbad,"Bad,#123456,1 Main,(555) 555-0100,en\n{rows}', encoding="utf-8")
    assert roster.stat().st_size > 131072  # csv's own limit for one cell
    code, problems = roster_problems(cli, project, roster)
    assert code == 2 and len(problems) == 1 and "runs on into the rows after it" in problems[0]


def test_a_cell_or_header_too_long_for_csv_is_a_message(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    roster = tmp_path / "clinics.csv"
    roster.write_text(f"{HEADER}\nok,OK,#123456,1 Main,(555) 555-0100,en\nbig,{'y' * 200_000},#1,1 Main,(555) 1,en\n")
    code, problems = roster_problems(cli, project, roster)
    assert code == 2 and len(problems) == 1 and problems[0].startswith(f"{roster}:3:1: ")
    assert listed_clinics(cli, project, roster) == ["ok"]
    roster.write_text('id,"name' + "x" * 200_000 + "\n")
    listed = cli("list", "--content", project, "--clinics", roster)
    assert listed.exit_code == 2 and "Traceback" not in listed.output and f"{roster}:1:1: " in listed.stderr
