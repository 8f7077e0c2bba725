"""Writing output: a file is complete or not there, the old one stays until the new one is whole."""

from __future__ import annotations

import os
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
    """A batch worker leaves waiting for the disk to a thread: the rename still comes after the fsync."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    commits = BackgroundCommits()
    targets = [tmp_path / "out" / f"{index}.txt" for index in range(3)]
    for index, target in enumerate(targets):
        commits.commit(staged(target, b"pdf %d" % index))
    commits.wait()
    assert [target.read_bytes() for target in targets] == [b"pdf 0", b"pdf 1", b"pdf 2"]
    assert events == ["fsync", "replace"] * 3 and not leftovers(tmp_path)


def test_a_background_commit_that_fails_is_reported_when_waited_for(tmp_path: Path) -> None:
    occupied = tmp_path / "handout.txt"
    occupied.mkdir()  # the rename fails after the data was written
    commits = BackgroundCommits()
    commits.commit(staged(occupied, b"pdf"))
    commits.commit(staged(tmp_path / "next.txt", b"next"))
    with pytest.raises(OutputError, match=r"cannot write .*handout\.txt"):
        commits.wait()
    assert (tmp_path / "next.txt").read_bytes() == b"next" and not leftovers(tmp_path)
    commits.wait()  # reported once
