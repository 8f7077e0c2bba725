"""The one exception family for problems a user can fix.

Anything raised that is not a :class:`HandoutError` is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input file, with where it is and what to do."""

    file: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class HandoutError(Exception):
    """A problem with the user's input or request: printed without a traceback."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(HandoutError):
    """One or more problems in input files, all reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the input:"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


class NotFoundError(HandoutError):
    """A topic, language, clinic or layout that was asked for does not exist."""


class DoesNotFitError(HandoutError):
    """The handout does not fit on one page even at the layout's smallest body size."""


class OutputError(HandoutError):
    """The output file could not be written."""
