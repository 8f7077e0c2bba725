"""Where a batch's clinics come from: the clinics/ folder, or a CSV roster exported from a spreadsheet.

A roster has one row per clinic and the columns ``id, name, health_system, logo, primary,
secondary, address, phone, website, emergency_number, page_size, languages``. Address lines
and languages are separated by ``;``. Logo paths are relative to the CSV file and may not
leave its folder. Each row is validated like a clinic file; problems name the CSV line and the
column of the cell as the file orders its columns.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from handout.errors import InputError, Problem
from handout.loading import MAX_FILE_BYTES, Position, SourceFile, load_yaml, validate
from handout.logos import LogoProblem, read_logo
from handout.resolve import CLINIC_ID, LoadedClinic, Project, data_file, load_clinic, misnamed_clinics
from handout.schema import Clinic

COLUMNS = ["id", "name", "health_system", "logo", "primary", "secondary", "address", "phone", "website",
           "emergency_number", "page_size", "languages"]  # fmt: skip
REQUIRED = ["id", "name", "primary", "address", "phone", "languages"]
_CLINIC_KEY = re.compile(r"^(?:colors\.)?([a-z_]+)(?:\[\d+\])?: ")  # "colors.primary: ", "languages[1]: "
# Between cells: commas, or the semicolons spreadsheets write where the comma is the decimal mark, or tabs.
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}


class ClinicSource(Protocol):
    def ids(self) -> list[str]: ...

    def languages(self, clinic_id: str) -> list[str]: ...

    def look(self, clinic_id: str) -> tuple[str, ...]: ...

    def load(self, clinic_id: str) -> LoadedClinic: ...

    def fingerprint(self, clinic_id: str) -> str: ...

    def problems(self) -> dict[str, str]: ...

    def row_problems(self) -> list[Problem]: ...

    def where(self, clinic_id: str) -> Problem: ...


def _hash(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part)
        hasher.update(b"\0")
    return hasher.hexdigest()[:16]


class _SchemaChecked:
    """Validates each clinic once without reading its logo: planning needs its languages, no more."""

    def __init__(self) -> None:
        self._checked: dict[str, Clinic | str] = {}

    def ids(self) -> list[str]:
        raise NotImplementedError

    def _clinic_file(self, clinic_id: str) -> SourceFile:
        raise NotImplementedError

    def _validate(self, source: SourceFile) -> Clinic:
        return validate(source, Clinic)

    def _validated(self, clinic_id: str) -> Clinic | str:
        if clinic_id not in self._checked:
            try:
                self._checked[clinic_id] = self._validate(self._clinic_file(clinic_id))
            except InputError as error:
                self._checked[clinic_id] = "; ".join(str(p) for p in error.problems)
        return self._checked[clinic_id]

    def languages(self, clinic_id: str) -> list[str]:
        clinic = self._validated(clinic_id)
        return list(clinic.languages) if isinstance(clinic, Clinic) else []

    def look(self, clinic_id: str) -> tuple[str, ...]:
        """What a clinic's page shares with other clinics' pages: page size, colours and emergency number."""
        clinic = self._validated(clinic_id)
        if not isinstance(clinic, Clinic):
            return ()
        colours = clinic.colors
        return clinic.page_size, colours.primary, colours.secondary or "", clinic.emergency_number

    def problems(self) -> dict[str, str]:
        """Clinics that are not valid; a bad logo shows up when the clinic's handouts are built."""
        return {cid: value for cid in self.ids() if isinstance(value := self._validated(cid), str)}


class FolderClinics(_SchemaChecked):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def ids(self) -> list[str]:
        return self._ids

    @cached_property
    def _ids(self) -> list[str]:
        """The folder's clinics as a run planned them: listed once, not for every clinic loaded."""
        return self.project.clinic_ids_by_precedence()

    def _clinic_file(self, clinic_id: str) -> SourceFile:
        return load_yaml(data_file(self.project.clinics_dir, clinic_id))

    def row_problems(self) -> list[Problem]:
        return []

    def where(self, clinic_id: str) -> Problem:
        try:
            path = data_file(self.project.clinics_dir, clinic_id)
        except InputError as error:  # defined twice: the file the problem names
            path = error.problems[0].file
        return Problem(path, 1, 1, "")

    def load(self, clinic_id: str) -> LoadedClinic:
        """The clinic with its logo, read afresh: callers keep what they need."""
        return load_clinic(self.project, clinic_id, self.ids())

    def fingerprint(self, clinic_id: str) -> str:
        folder = self.project.clinics_dir
        assets = sorted(p for p in (folder / clinic_id).glob("**/*") if p.is_file())
        return _hash(data_file(folder, clinic_id).read_bytes(), *(p.read_bytes() for p in assets))


class CsvClinics(_SchemaChecked):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._row_ids: dict[int, str] = {}

    @cached_property
    def _table(self) -> tuple[dict[str, int], dict[str, tuple[int, dict[str, str]]], list[Problem]]:
        """The roster's columns (name to the file's own column number, from 1), its rows by clinic id, and
        the problems of rows that name no clinic (no id, one already taken, cells out of place): those rows
        fail on their own. A header that cannot be read fails the whole roster."""
        if self.path.stat().st_size > MAX_FILE_BYTES:
            raise InputError([Problem(self.path, 1, 1, "the roster is too large: split it")])
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError([Problem(self.path, 1, 1, "not UTF-8 text: export the CSV as UTF-8")]) from None
        separator = _separator(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)  # a quoted cell may hold line breaks
        try:
            header = [name.strip() for name in next(reader, [])]
        except csv.Error:
            unreadable = Problem(self.path, 1, 1, "the first line cannot be read as CSV: check its quotes")
            raise InputError([unreadable]) from None
        columns: dict[str, int] = {}
        for number, name in enumerate(header, 1):
            if name in COLUMNS:
                columns.setdefault(name, number)
        problems = _header_problems(self.path, header)
        if any(column not in columns for column in REQUIRED):  # the rows cannot be read
            raise InputError(problems)
        # A column without a heading (a spreadsheet's formatted but empty column) may hold empty cells only.
        unnamed = {number: 0 for number, name in enumerate(header, 1) if not name}  # its first line with a value
        rows: dict[str, tuple[int, dict[str, str]]] = {}
        row_problems: list[Problem] = []
        readable: dict[int, str] = {}  # the clinic id of a row whose cells are out of place, when it shows
        taken: set[str] = set()
        id_column = columns["id"]
        lines = io.StringIO(text, newline="").readlines()
        for line, cells, broken in _rows_of(lines, reader.line_num + 1, separator, len(header)):
            if not broken and not any(cell.strip() for cell in cells):  # a spreadsheet's empty row: commas alone
                continue
            if broken or len(cells) != len(header):  # its clinic, if the id can still be read, fails on its own
                named = cells[id_column - 1].strip() if len(cells) >= id_column else ""
                if not CLINIC_ID.fullmatch(named):  # a stray quote: the id may still stand in its place
                    raw = lines[line - 1].split(separator)
                    named = raw[id_column - 1].strip().strip('"') if len(raw) >= id_column else ""
                if CLINIC_ID.fullmatch(named) and named not in rows and named not in taken:
                    readable[line] = named
                    taken.add(named)  # a later row with this id is a repeat, not the clinic
                what = ("a quote in this row runs on into the rows after it, or a cell is far too long: check "
                        "its quotes" if broken else
                        f"this row has {len(cells)} cells and the header {len(header)}: check its "
                        f"{SEPARATORS[separator]} and quotes")  # fmt: skip
                row_problems.append(Problem(self.path, line, 1, what))
                continue
            for number, first in unnamed.items():
                if not first and cells[number - 1].strip():
                    unnamed[number] = line
            row = {name: cells[number - 1] for name, number in columns.items()}
            clinic_id = row["id"].strip()
            if not clinic_id:
                wrong = "the clinic has no id: give it one"
            elif clinic_id in rows or clinic_id in taken:
                earlier = (
                    rows[clinic_id][0] if clinic_id in rows else min(n for n, i in readable.items() if i == clinic_id)
                )
                wrong = (f"clinic id {clinic_id!r} is repeated (first at line {earlier}): give each clinic its own "
                         "id")  # fmt: skip
            else:
                wrong = ""  # an id that cannot name a folder fails its clinic alone: see resolve.misnamed_clinics
            if wrong:
                row_problems.append(Problem(self.path, line, id_column, wrong))
                continue
            rows[clinic_id] = (line, row)
        problems += [Problem(self.path, 1, number, f"column {number} has no heading but holds values (the first "
                             f"at line {first}): give it a heading of the roster's columns or delete it")
                     for number, first in unnamed.items() if first]  # fmt: skip
        if problems:  # the header's: the rows' are said with them
            raise InputError(problems + row_problems)
        self._row_ids = readable
        return columns, rows, row_problems

    @property
    def _rows(self) -> dict[str, tuple[int, dict[str, str]]]:
        return self._table[1]

    def row_problems(self) -> list[Problem]:
        return self._table[2]

    @cached_property
    def _misnamed(self) -> dict[str, str]:
        return misnamed_clinics(self.ids())

    def problems(self) -> dict[str, str]:
        """Besides clinics that are not valid, each row that names no clinic, under its line's name."""
        rows = {self._row_ids.get(p.line) or f"{self.path.name}:{p.line}": str(p) for p in self.row_problems()}
        return {**super().problems(), **rows}

    def where(self, clinic_id: str) -> Problem:
        line, _ = self._rows[clinic_id]
        return Problem(self.path, line, self._table[0]["id"], "")

    def ids(self) -> list[str]:
        return list(self._rows)  # in the file's order: of two ids differing only in case, the later one fails

    def _clinic_data(self, row: dict[str, str]) -> dict[str, Any]:
        def value(column: str) -> str:
            return " ".join((row.get(column) or "").split())  # a line break typed in a cell is a space

        data: dict[str, Any] = {
            "name": value("name"),
            "colors": {"primary": value("primary")} | ({"secondary": value("secondary")} if value("secondary") else {}),
            "address": _address_lines(row.get("address") or ""),
            "phone": value("phone"),
            "languages": [part.strip() for part in value("languages").replace(" ", ";").split(";") if part.strip()],
        }
        for optional in ("health_system", "logo", "website", "emergency_number", "page_size"):
            if value(optional):
                data[optional] = value(optional)
        return data

    def _clinic_file(self, clinic_id: str) -> SourceFile:
        line, row = self._rows[clinic_id]
        data = self._clinic_data(row)
        columns = self._table[0]
        where = {key: Position(line, columns.get(key, 1)) for key in COLUMNS}  # the file's own column of each
        positions: dict[tuple[str | int, ...], Position] = {(key,): where[key] for key in data if key in where}
        positions[("colors",)] = positions[("colors", "primary")] = where["primary"]
        positions[("colors", "secondary")] = where["secondary"]
        return SourceFile(self.path, data, positions)

    def _validate(self, source: SourceFile) -> Clinic:
        """As a clinic file is validated, with messages that name the CSV's column, not a key of a YAML file."""
        try:
            return validate(source, Clinic)
        except InputError as error:
            raise InputError([replace(p, message=_CLINIC_KEY.sub(r"column \1: ", p.message, count=1))
                              for p in error.problems]) from None  # fmt: skip

    def load(self, clinic_id: str) -> LoadedClinic:
        misnamed = self._misnamed.get(clinic_id)
        if misnamed:
            raise InputError([replace(self.where(clinic_id), message=misnamed)])
        source = self._clinic_file(clinic_id)
        clinic = self._validate(source)
        logo = None
        if clinic.logo:
            try:
                logo = read_logo(self.path.parent, clinic.logo)
            except LogoProblem as problem:
                raise InputError([source.problem(("logo",), str(problem))]) from None
        return LoadedClinic(clinic_id, clinic, source, logo)

    def fingerprint(self, clinic_id: str) -> str:
        _, row = self._rows[clinic_id]
        logo = (row.get("logo") or "").strip()
        logo_path = self.path.parent / logo
        logo_bytes = logo_path.read_bytes() if logo and logo_path.is_file() else b""
        return _hash(repr(sorted(row.items())).encode(), logo_bytes)


def _rows_of(lines: list[str], first: int, separator: str, width: int) -> Iterator[tuple[int, list[str], bool]]:
    """Each row from line ``first`` (counted from 1) on: the line it starts at, its cells, and whether a
    quote in it runs on where it should not. A quoted cell may hold line breaks, but an unclosed quote
    takes in the rows after it (and may be closed by a quote in one of them, leaving a row of the right
    width with another clinic's cells): such a row is cut back to its first line, and reading starts
    again after it."""
    start = first
    while start <= len(lines):
        reader = csv.reader(io.StringIO("".join(lines[start - 1 :]), newline=""), delimiter=separator, strict=True)
        row_start = start
        while True:
            try:
                cells = next(reader)
                end = start - 1 + reader.line_num
                broken = end > row_start and _takes_in_rows(lines[row_start:end], separator, width)
            except StopIteration:
                return
            except csv.Error:
                broken = True
            if broken:
                yield row_start, _cells_of_line(lines[row_start - 1], separator), True
                start = row_start + 1
                break
            yield row_start, cells, False
            row_start = end + 1


def _takes_in_rows(continued: list[str], separator: str, width: int) -> bool:
    """Whether lines a quoted cell ran over include one that is a whole row of the roster by itself."""
    return any(len(_cells_of_line(line, separator)) == width for line in continued)


def _cells_of_line(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:  # a cell longer than csv allows: no cells it can tell
        return []


def clinic_source(project: Project, clinics: Path | None) -> ClinicSource:
    """Clinics from a CSV roster when ``clinics`` is a .csv file, else from the clinics folder."""
    if clinics is not None and clinics.suffix.lower() == ".csv" and not clinics.is_dir():
        if not clinics.is_file():
            raise InputError([Problem(clinics, 1, 1, "roster file not found: check the path")])
        return CsvClinics(clinics)
    return FolderClinics(project)


def _header_problems(path: Path, header: list[str]) -> list[Problem]:
    """What is wrong with the first line: columns missing, unknown or repeated, in one message each."""
    if not set(header) & set(COLUMNS):
        return [Problem(path, 1, 1, "the first line does not name the roster's columns: it must be a header such as "
                        f"{','.join(REQUIRED)}, separated by commas or semicolons")]  # fmt: skip
    problems = []
    known = f"the roster's columns are {', '.join(COLUMNS)}"
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        problems.append(Problem(path, 1, 1, f"missing columns: {', '.join(missing)}; {known}"))
    # A column the tool does not know is refused, not ignored: a misspelt "emergency number" would
    # otherwise print 911 on every handout of a clinic abroad, and nobody would be told.
    unknown = [(number, name) for number, name in enumerate(header, 1) if name and name not in COLUMNS]
    if unknown:
        names = ", ".join(f"{name!r} (column {number}{_did_you_mean(name)})" for number, name in unknown)
        problems.append(Problem(path, 1, unknown[0][0], f"unknown column{'s' if len(unknown) > 1 else ''} {names}: "
                                f"{known}; rename or delete {'them' if len(unknown) > 1 else 'it'}"))  # fmt: skip
    for name in dict.fromkeys(name for name in header if name and header.count(name) > 1):
        numbers = [number for number, each in enumerate(header, 1) if each == name]
        problems.append(Problem(path, 1, numbers[1], f"column {name!r} is there {len(numbers)} times (columns "
                                f"{', '.join(map(str, numbers))}): keep one"))  # fmt: skip
    return problems


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name.lower().replace(" ", "_"), COLUMNS, n=1, cutoff=0.75)
    return f", did you mean {close[0]}?" if close else ""


def _separator(text: str) -> str:
    """The separator with which the first line names the most of the roster's columns; a comma if none does."""

    def named(separator: str) -> int:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator), [])
        except csv.Error:  # read this way, a quote runs on past what csv allows: not this separator
            return -1
        return len({name.strip() for name in header} & set(COLUMNS))

    return max(SEPARATORS, key=named)  # the first of equals: a comma


def _address_lines(cell: str) -> list[str]:
    """An address cell's lines: separated by ';' or by line breaks typed in the cell."""
    return [" ".join(part.split()) for part in cell.replace("\n", ";").split(";") if part.strip()]
