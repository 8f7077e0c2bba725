"""The words the layout itself prints, per language, from gettext catalogues in ``handout/locales``.

A catalogue is a plain ``.po`` file named by its language code (``es.po``); adding a
language's page labels means adding one file. Dates and language names come from Babel.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import babel
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po

from handout.cache import cached_file, digest, keep, read_kept
from handout.errors import NotFoundError

CATALOGUE_DIR = Path(__file__).parent / "locales"


@cache
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        raise NotFoundError(f"unknown language code '{language}': use a code such as en, es or zh-Hant") from None


def available() -> list[str]:
    return sorted(path.stem for path in CATALOGUE_DIR.glob("*.po"))


@dataclass(frozen=True)
class Labels:
    """Page labels in one language."""

    language: str
    messages: dict[str, str]

    def __call__(self, message: str, **values: str) -> str:
        return (self.messages.get(message) or message).format(**values)

    def date(self, day: dt.date) -> str:
        """The date written out for this language: by Babel, or by the catalogue's own month names
        (``msgid "month:11"`` and a ``msgid "{day} {month} {year}"`` pattern) where CLDR has none."""
        month = self.messages.get(f"month:{day.month}")
        if month:
            return self("{day} {month} {year}", day=str(day.day), month=month, year=str(day.year))
        return cldr_text(self.language, f"date:{day.isoformat()}",
                         lambda: str(format_date(day, format="long", locale=babel_locale(self.language))))  # fmt: skip

    def language_name(self, language: str) -> str:
        """``language``'s name as this language writes it, e.g. 'inglés' in Spanish.

        Babel (CLDR) knows most names; a catalogue may set its own with ``msgid "language:CODE"``
        where CLDR's is missing or not what readers use (Tagalog, Haitian Creole).
        """
        own = self.messages.get(f"language:{language}")
        if own:
            return own
        in_this_language = babel_locale(self.language)
        return cldr_text(self.language, f"name:{language}",
                         lambda: str(babel_locale(language).get_display_name(in_this_language)))  # fmt: skip


KEPT_TEXTS_FORMAT = 1  # raise when what a kept text means changes


def cldr_text(language: str, key: str, make: Callable[[], str]) -> str:
    """The text ``make`` writes out from CLDR's data for ``language`` (a date, a language's name), kept in
    the cache folder by the version of Babel: Babel reads and merges all of a language's data to make the
    first one (3-13 ms), in every process that prints the language."""
    texts = _kept_texts(language)
    if key not in texts:
        texts[key] = make()
        path = _kept_texts_path(language)
        if path is not None:
            keep(path, json.dumps(texts, ensure_ascii=False, sort_keys=True).encode())
    return texts[key]


@cache
def _kept_texts(language: str) -> dict[str, str]:
    path = _kept_texts_path(language)
    data = read_kept(path) if path is not None else None
    try:
        texts = json.loads(data) if data else {}
    except ValueError:
        return {}
    if not isinstance(texts, dict) or not all(isinstance(text, str) for text in texts.values()):
        return {}
    return texts


def _kept_texts_path(language: str) -> Path | None:
    return cached_file("texts", digest(f"{KEPT_TEXTS_FORMAT}|{babel.__version__}|{language}"))


@cache
def labels_for(language: str) -> Labels:
    path = CATALOGUE_DIR / f"{language}.po"
    if not path.is_file():
        raise NotFoundError(
            f"no page labels for language '{language}': add {path} (copy en.po and translate it); "
            f"languages with labels: {', '.join(available())}"
        )
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=babel_locale(language))
    messages = {str(m.id): str(m.string) for m in catalogue if m.id and m.string}
    return Labels(language, messages)
