"""Read YAML files strictly and remember where every value came from.

PyYAML's ``safe_load`` lets a repeated key silently win and expands aliases
(the "billion laughs" bomb). Here the node tree is walked by hand instead, so a
repeated key or an alias is an error with its line, and every key and list item
keeps its position for the messages of later steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml._yaml import CParser
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from handout.errors import InputError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class SourceFile:
    """A parsed YAML file: its data and the position of every key and list item."""

    path: Path
    data: Any
    positions: dict[PathKey, Position] = field(default_factory=dict)

    def locate(self, path: Iterable[str | int]) -> Position:
        """Position of ``path``, or of its nearest ancestor that exists in the file."""
        key = tuple(path)
        while key not in self.positions and key:
            key = key[:-1]
        return self.positions.get(key, Position(1, 1))

    def problem(self, path: Iterable[str | int], message: str) -> Problem:
        pos = self.locate(path)
        return Problem(self.path, pos.line, pos.column, message)


class _StrictLoader(Composer, CParser, SafeConstructor, Resolver):
    """libyaml's parser (ten times faster than PyYAML's own) under PyYAML's composer, which keeps
    every node's position and lets an alias be refused before it is expanded."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(self.line(), "aliases (*name) are not allowed: write the value out in full")
        return super().compose_node(parent, index)

    def line(self) -> tuple[int, int]:
        """Line and column of the next event, counted from 1."""
        event = self.peek_event()
        mark = event.start_mark if event is not None else None
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Refused(Exception):
    def __init__(self, where: tuple[int, int], message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _TreeBuilder:
    def __init__(self, loader: _StrictLoader, path: Path) -> None:
        self.loader = loader
        self.file = path
        self.positions: dict[PathKey, Position] = {}
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, where: PathKey) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, where)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, where)
        try:
            return self.loader.construct_object(node)
        except ValueError as exc:  # a date like 2026-02-30 has the form of a date but is none
            what = "is not a real date" if node.tag.endswith(":timestamp") else "cannot be read"
            self._add(_position(node), f"'{node.value}' {what} ({exc}): correct it")
            return node.value

    def _mapping(self, node: yaml.MappingNode, where: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            pos = _position(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self._add(pos, "a key must be plain text, not a list or mapping")
                continue
            key = str(self.loader.construct_object(key_node))
            if key in result:
                first = self.positions[(*where, key)]
                self._add(pos, f"duplicate key '{key}' (first at line {first.line}): remove one of them")
                continue
            self.positions[(*where, key)] = pos
            result[key] = self.build(value_node, (*where, key))
        return result

    def _sequence(self, node: yaml.SequenceNode, where: PathKey) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.positions[(*where, index)] = _position(item)
            items.append(self.build(item, (*where, index)))
        return items

    def _add(self, pos: Position, message: str) -> None:
        self.problems.append(Problem(self.file, pos.line, pos.column, message))


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise _single(path, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}: split or shorten it")


def _read_text(path: Path) -> str:
    try:
        _check_size(path, path.stat().st_size)
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise _single(path, "file not found: check the path") from None
    except IsADirectoryError:
        raise _single(path, "is a folder, not a YAML file") from None
    except UnicodeDecodeError as exc:
        raise _single(path, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    except OSError as exc:
        raise _single(path, f"cannot read the file: {exc.strerror}") from None


def _single(path: Path, message: str, line: int = 1, column: int = 1) -> InputError:
    return InputError([Problem(path, line, column, message)])


def _found(what: str, text: str, line: int, column: int) -> str:
    """What stands where the parser stopped, which libyaml's messages leave out."""
    if "found" in what:
        return ""
    lines = text.splitlines()
    if line > len(lines):
        return ", but found the end of the file"
    rest = lines[line - 1][column - 1 :]
    return f", but found {rest[0]!r}" if rest and not rest[0].isspace() else ""


def load_yaml(path: Path, text: str | None = None) -> SourceFile:
    """Parse one YAML file into plain data with positions; raise InputError on any problem.

    ``text`` is the file's new text when it is checked before it is written.
    """
    if text is None:
        text = _read_text(path)
    else:
        _check_size(path, len(text.encode("utf-8")))
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _single(path, "the file is empty: see README.md for what it must contain")
        builder = _TreeBuilder(loader, path)
        data = builder.build(root, ())
    except yaml.reader.ReaderError as exc:
        line = text.encode("utf-8")[: exc.position].count(b"\n") + 1  # libyaml counts bytes
        raise _single(path, f"character U+{exc.character:04X} is not allowed in YAML: delete it", line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if what.startswith("but ") and exc.context:  # "but found another document"
            what = f"{exc.context}, {what}"
        if "maximum nesting depth" in what:
            raise _single(path, "lists or mappings are nested too deeply: flatten the file", line, 1) from None
        raise _single(path, f"YAML syntax error: {what}{_found(what, text, line, column)}", line, column) from None
    except yaml.YAMLError as exc:
        raise _single(path, f"YAML syntax error: {exc}") from None
    except _Refused as refused:
        raise _single(path, f"YAML syntax error: {refused.message}", *refused.where) from None
    except RecursionError:
        line, _ = loader.line()
        raise _single(path, "lists or mappings are nested too deeply: flatten the file", line, 1) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise InputError(builder.problems)
    return SourceFile(path, data, builder.positions)


def dotted_path(loc: Iterable[str | int]) -> str:
    """A place in a file as people write it: ``topics[0].documents.es.title``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _explain(error: dict[str, Any]) -> str:
    loc = _clean_loc(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}' in {dotted_path(loc[:-1])}: remove it or check its spelling"
    if kind == "missing":
        return f"missing key '{loc[-1]}' in {dotted_path(loc[:-1])}: add it"
    return f"{dotted_path(loc)}: {_plain_message(error)}"


def _plain_message(error: dict[str, Any]) -> str:
    """pydantic's message, said the way the file's author thinks of it, with what to do."""
    kind, limits, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "too_long" and isinstance(given, str):
        return f"{len(given)} characters, at most {limits['max_length']}: shorten it"
    if kind == "too_long":
        return f"{limits['actual_length']} entries, at most {limits['max_length']}: remove some"
    if kind == "too_short" and limits.get("min_length") == 1:
        return "empty: give at least one"
    if kind == "string_type" and isinstance(given, int | float):
        return f'{given} is read as a number: put it in quotes, "{given}"'
    if kind == "literal_error" and isinstance(given, str):
        return f"'{given}' is not one of {limits['expected']}: write one of them exactly"
    return PLAIN_MESSAGES.get(kind) or str(error["msg"]).removeprefix("Value error, ")


PLAIN_MESSAGES = {
    "string_type": "must be text",
    "date_type": "must be a date written YYYY-MM-DD, e.g. 2026-11-25",
    "date_parsing": "must be a date written YYYY-MM-DD, e.g. 2026-11-25",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD, e.g. 2026-11-25",
    "int_type": "must be a whole number, e.g. 2",
    "int_parsing": "must be a whole number, e.g. 2",
    "int_from_float": "must be a whole number, e.g. 2",
    "float_type": "must be a number, e.g. 12.5",
    "float_parsing": "must be a number, e.g. 12.5",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list of entries",
    "dict_type": "must be a mapping of names to values, as README.md shows",
    "model_type": "must be a mapping of names to values, as README.md shows",
    "model_attributes_type": "must be a mapping of names to values, as README.md shows",
}


def validate(source: SourceFile, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Validate ``source.data`` against ``model``; report every error with file:line:column."""
    try:
        return model.model_validate(source.data, context=context)
    except ValidationError as exc:
        raise InputError([problem for _, problem, _ in located_problems(source, exc)]) from None


def located_problems(
    source: SourceFile, error: ValidationError, where: Callable[[PathKey], PathKey] = lambda path: path
) -> list[tuple[PathKey, Problem, dict[str, Any]]]:
    """pydantic's errors, each with its path in the file, as a problem at its file:line:column, and with the
    context its validator gave. ``where`` turns a path in the data validated into the path in the file (for
    data that leaves parts of the file out)."""
    found = []
    for each in error.errors():
        path = where(_clean_loc(each["loc"]))
        found.append((path, source.problem(path, _explain({**each, "loc": path})), dict(each.get("ctx") or {})))
    return found


def _clean_loc(loc: Iterable[str | int]) -> PathKey:
    # pydantic adds markers such as "[key]" for errors in dict keys; they are not in the file.
    return tuple(part for part in loc if not (isinstance(part, str) and part.startswith("[")))
