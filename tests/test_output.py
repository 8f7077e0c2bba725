"""Writing output: a file is complete or not there, the old one stays until the new one is whole."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from handout.errors import OutputError
from handout.output import BackgroundCommits, staged, write_atomic


def leftovers(folder: Path) -> list[Path]:
    return list(folder.glob("**/.*.tmp"))


def test_writes_into_new_folders_and_replaces_an_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "clinic" / "en" / "handout.txt"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second" and not leftovers(tmp_path)


def test_a_failed_write_names_the_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"a file where a folder should be")
    with pytest.raises(OutputError, match=r"cannot write .*not-a-folder/handout\.txt"):
        write_atomic(blocker / "handout.txt", b"pdf")
    occupied = tmp_path / "handout.txt"
    occupied.mkdir()  # the target is a folder: the rename fails after the data was written
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(occupied, b"pdf")
    assert not leftovers(tmp_path)


def test_an_interrupted_write_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "handout.txt"
    write_atomic(target, b"old")

    def interrupted(_: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old" and not leftovers(tmp_path)


def test_background_commits_put_a_file_in_place_only_once_its_data_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch worker leaves waiting for the disk to a thread: the rename still comes after the fsync,
    and a handout's thumbnail (not flushed) comes after its PDF."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(f"replace {Path(b).name}"), real_replace(a, b))[1])
    commits = BackgroundCommits()
    for index in range(2):
        pdf, picture = staged(tmp_path / f"{index}.txt", b"pdf %d" % index), staged(tmp_path / f"{index}.jpg", b"jpg")
        commits.commit(index, (pdf, True), (picture, False))
    assert commits.wait() == {}
    commits.close()
    assert (tmp_path / "1.txt").read_bytes() == b"pdf 1" and (tmp_path / "1.jpg").read_bytes() == b"jpg"
    assert events == ["fsync", "replace 0.txt", "replace 0.jpg", "fsync", "replace 1.txt", "replace 1.jpg"]
    assert not leftovers(tmp_path)


def test_a_background_commit_that_fails_is_reported_for_its_key_and_the_files_after_it_are_given_up(
    tmp_path: Path,
) -> None:
    occupied = tmp_path / "handout.txt"
    occupied.mkdir()  # the rename fails after the data was written
    commits = BackgroundCommits()
    commits.commit("bad", (staged(occupied, b"pdf"), True), (staged(tmp_path / "handout.jpg", b"jpg"), False))
    commits.commit("good", (staged(tmp_path / "next.txt", b"next"), True))
    failed = commits.wait()
    assert list(failed) == ["bad"] and "cannot write" in str(failed["bad"]) and "handout.txt" in str(failed["bad"])
    assert (tmp_path / "next.txt").read_bytes() == b"next"
    assert not (tmp_path / "handout.jpg").exists() and not leftovers(tmp_path)
    assert commits.wait() == {}  # reported once


def test_a_file_written_in_pieces_is_whole_or_the_old_one_stays(tmp_path: Path) -> None:
    """A manifest or catalog is written a row at a time: one that fails half way leaves the old file."""
    target = tmp_path / "manifest.json"
    write_atomic(target, (piece for piece in (b"[", b"1,", b"2", b"]")))
    assert target.read_bytes() == b"[1,2]"

    def broken() -> Iterator[bytes]:
        yield b"[3,"
        raise RuntimeError("a bug half way")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken())
    assert target.read_bytes() == b"[1,2]" and leftovers(tmp_path) == []
