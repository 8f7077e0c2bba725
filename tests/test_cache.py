"""The cache folder: where it is, and that a cache file is written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from handout import cache
from handout.cache import CACHE_FOLDER_VARIABLE, cache_folder, cached_file, keep, read_kept


def test_the_cache_folder_is_the_platform_s_unless_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CACHE_FOLDER_VARIABLE, raising=False)
    folder = cache_folder()
    assert folder is not None and folder.name == "handout" and folder.is_absolute()
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    assert cache_folder() == tmp_path
    assert cached_file("fits", "abc") == tmp_path / "fits" / "abc"


def test_a_relative_folder_caches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """os.path.expanduser leaves "~/.cache" as it is for a user id with no account (containers)."""
    monkeypatch.delenv(CACHE_FOLDER_VARIABLE, raising=False)
    monkeypatch.setattr(cache.platformdirs, "user_cache_path", lambda *a, **k: Path("~/.cache/handout"))
    assert cache_folder() is None and cached_file("fits", "abc") is None


def test_a_cache_file_is_kept_whole_or_not_at_all(tmp_path: Path) -> None:
    kept = tmp_path / "fits" / "abc"
    assert read_kept(kept) is None
    keep(kept, b"12.5")
    assert read_kept(kept) == b"12.5" and [p.name for p in kept.parent.iterdir()] == ["abc"]
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    keep(blocked / "fits" / "abc", b"12.5")  # cannot be written: nothing is kept, nothing is raised
    assert read_kept(blocked / "fits" / "abc") is None and blocked.read_text() == "not a folder"
