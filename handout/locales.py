"""The words the layout itself prints, per language, from gettext catalogues in ``handout/locales``.

A catalogue is a plain ``.po`` file named by its language code (``es.po``); adding a
language's page labels means adding one file. Dates and language names come from Babel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po

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
        return str(format_date(day, format="long", locale=babel_locale(self.language)))

    def language_name(self, language: str) -> str:
        """``language``'s name as this language writes it, e.g. 'inglés' in Spanish.

        Babel (CLDR) knows most names; a catalogue may set its own with ``msgid "language:CODE"``
        where CLDR's is missing or not what readers use (Tagalog, Haitian Creole).
        """
        own = self.messages.get(f"language:{language}")
        return own or str(babel_locale(language).get_display_name(babel_locale(self.language)))


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
