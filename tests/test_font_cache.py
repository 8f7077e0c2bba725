"""A face read back from the cache is the face ReportLab parses, and handouts do not change with it."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TOPIC, build_args
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFNameBytes, TTFontFace, TTFontFile

from handout import cache
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.font_cache import GlyphToChar, Metrics, cached_tables
from handout.fonts import _font_files, script_table

FONT_FILES = sorted({path for files in script_table().families.values() for path in _font_files(files)})


def _opened(path: Path, glyph_maps: bool = True) -> TTFontFace:
    with cached_tables(glyph_maps):
        return TTFontFace(str(path))


def _attributes(face: TTFontFace) -> dict[str, Any]:
    """What a face holds, in a form that compares: tables as lists, name strings with their text."""
    held = dict(face.__dict__)
    held.pop("_ttf_data")
    held["_pdfScale"] = [face._pdfScale(value) for value in (1, 517, 2048)]
    held["hmetrics"] = [face.hmetrics[glyph] for glyph in range(len(face.hmetrics))]
    for name in ("charToGlyph", "charWidths"):
        if name in held:
            held[name] = [(key, value, type(value)) for key, value in held[name].items()]  # in their order too
    if "glyphToChar" in held:
        held["glyphToChar"] = _glyph_map(face.glyphToChar)
    for name, value in held.items():
        if isinstance(value, TTFNameBytes):
            held[name] = (bytes(value), value.ustr)
        elif isinstance(value, (int, float)):
            held[name] = (value, type(value))
    return held


def _glyph_map(table: dict[int, list[int]]) -> list[tuple[int, list[int], type]]:
    """Each glyph's characters as shaping looks them up: a face read back makes a glyph's list then."""
    glyphs = table.glyphs if isinstance(table, GlyphToChar) else sorted(table)
    return [(glyph, table[glyph], type(table[glyph])) for glyph in glyphs]


@pytest.mark.parametrize("path", FONT_FILES, ids=lambda path: path.name)
def test_a_face_read_back_from_the_cache_is_the_face_reportlab_parses(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    parsed = TTFontFace(str(path))  # ReportLab alone
    first = _opened(path)  # parsed, and kept
    assert len(list((tmp_path / "fonts").iterdir())) == 1
    again = _opened(path)  # read back

    assert isinstance(again.glyphToChar, GlyphToChar) and again.glyphToChar.keys() == set()  # none made yet
    assert _attributes(again) == _attributes(first)
    assert isinstance(again.hmetrics, Metrics) and again.glyphPos.typecode == "q"
    with pytest.raises(KeyError):  # a glyph with no character: ReportLab then numbers it privately
        again.glyphToChar[max(parsed.glyphToChar) + 1]
    expected = _attributes(parsed)
    expected["hmetrics"] = parsed.hmetrics
    expected["glyphPos"] = parsed.glyphPos
    actual = _attributes(again)
    actual["glyphPos"] = list(again.glyphPos)
    assert actual == expected


def test_without_glyph_maps_a_face_has_none_whether_parsed_or_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    path = next(path for path in FONT_FILES if "SC" in path.name)
    parsed, read_back = _opened(path, glyph_maps=False), _opened(path, glyph_maps=False)
    assert not hasattr(parsed, "glyphToChar") and not hasattr(read_back, "glyphToChar")
    assert _glyph_map(_opened(path, glyph_maps=True).glyphToChar) == _glyph_map(TTFontFace(str(path)).glyphToChar)
    assert "extractInfo" not in TTFontFace.__dict__  # ReportLab's own again after the block


def test_a_changed_font_file_is_parsed_again_and_its_entry_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path / "cache"))
    parses: list[object] = []
    parse = TTFontFile.extractInfo
    monkeypatch.setattr(TTFontFile, "extractInfo", lambda *a: parses.append(a) or parse(*a))
    font = tmp_path / "font.ttf"
    font.write_bytes(FONT_FILES[0].read_bytes())
    _opened(font)
    _opened(font)
    assert len(parses) == 1
    os.utime(font, ns=(0, 0))  # as a new release of the font package would leave it
    _opened(font)
    _opened(font)
    assert len(parses) == 2
    assert len(list((tmp_path / "cache" / "fonts").iterdir())) == 1  # one entry for each font file


def _build(tmp_path: Path, name: str, cache: Path) -> bytes:
    """A handout made by a process of its own, with ``cache`` as its cache folder."""
    output = tmp_path / f"{name}.pdf"
    environment = {**os.environ, CACHE_FOLDER_VARIABLE: str(cache)}
    arguments = [sys.executable, "-m", "handout", *map(str, build_args(TOPIC, "zh-Hans", "costa-azul", output))]
    result = subprocess.run(arguments, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    return output.read_bytes()


def test_a_handout_is_the_same_bytes_with_the_cache_empty_kept_or_damaged(tmp_path: Path) -> None:
    """Chinese with a Latin fallback, in a clinic whose address has letters the Chinese font lacks."""
    cache = tmp_path / "cache"
    parsed = _build(tmp_path, "parsed", cache)
    kept = sorted((cache / "fonts").iterdir())
    assert len(kept) == 4  # the Chinese and the fallback family, regular and bold

    read_back = _build(tmp_path, "read-back", cache)
    for file in kept[:2]:
        file.write_bytes(file.read_bytes()[:1000])  # as a full disk might leave it
    for file in kept[2:]:  # readable, read from this very font file, and wrong
        identity = marshal.loads(file.read_bytes())[0]
        file.write_bytes(marshal.dumps((identity, {}, [], {"charToGlyph": (("I", b"abc"), ("q", b""))})))
    damaged = _build(tmp_path, "damaged", cache)

    assert parsed == read_back == damaged
    assert len(PdfReader(tmp_path / "parsed.pdf").pages) == 1
    assert all(file.stat().st_size > 1000 for file in kept)  # made again


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert _build(tmp_path, "uncached", blocked / "cache") == _build(tmp_path, "cached", tmp_path / "cache")


def test_with_no_home_folder_nothing_is_cached_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.path.expanduser leaves "~/.cache" as it is for a user id with no account (containers)."""
    monkeypatch.delenv(CACHE_FOLDER_VARIABLE, raising=False)
    monkeypatch.setattr(cache.platformdirs, "user_cache_path", lambda *a, **k: Path("~/.cache/handout"))
    monkeypatch.chdir(tmp_path)
    face = _opened(FONT_FILES[0])
    assert face.charToGlyph and list(tmp_path.iterdir()) == []
