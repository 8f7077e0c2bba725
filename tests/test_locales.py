"""Texts written out from CLDR's data: made by Babel once, then read back from the cache folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import babel
import pytest
from babel.dates import format_date

from handout import locales
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.locales import labels_for

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no texts read from any other yet."""
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    locales._kept_texts.cache_clear()
    yield tmp_path
    locales._kept_texts.cache_clear()


def made_by_babel(language: str) -> tuple[str, str, str]:
    here = babel.Locale.parse(language, sep="-")
    english, own = babel.Locale("en").get_display_name(here), here.get_display_name(here)
    return str(format_date(DAY, format="long", locale=here)), str(english), str(own)


def written_out(language: str) -> tuple[str, str, str]:
    labels = labels_for(language)
    return labels.date(DAY), labels.language_name("en"), labels.language_name(language)


def babel_makes_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object, **__: object) -> None:
        raise AssertionError("Babel made a text")

    monkeypatch.setattr(locales, "format_date", refused)
    monkeypatch.setattr(babel.Locale, "get_display_name", refused)


@pytest.mark.parametrize("language", ["fr", "zh-Hant", "ar"])
def test_a_date_and_language_names_are_made_by_babel_once_then_read_from_the_cache_folder(
    kept_in: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    expected = made_by_babel(language)
    assert written_out(language) == expected
    (kept,) = (kept_in / "texts").iterdir()
    locales._kept_texts.cache_clear()  # as in a new process
    with monkeypatch.context() as patched:
        babel_makes_none(patched)
        assert written_out(language) == expected

    for damaged in (b"", b"{", b"[]", b'{"date:2026-03-01": 1}'):
        kept.write_bytes(damaged)
        locales._kept_texts.cache_clear()
        assert written_out(language) == expected, damaged
    monkeypatch.setattr(babel, "__version__", "0.0")  # another Babel's CLDR data: made again, in a file of its own
    locales._kept_texts.cache_clear()
    with monkeypatch.context() as patched:
        babel_makes_none(patched)
        with pytest.raises(AssertionError, match="Babel made"):
            written_out(language)
    assert written_out(language) == expected and len(list((kept_in / "texts").iterdir())) == 2


def test_an_unknown_language_is_still_refused_and_nothing_is_kept_for_it(kept_in: Path) -> None:
    with pytest.raises(Exception, match="unknown language code 'xx-Qqqq'"):
        labels_for("fr").language_name("xx-Qqqq")
    assert "name:xx-Qqqq" not in locales._kept_texts("fr")
