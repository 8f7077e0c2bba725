"""Writing output so that a file is either complete or not there at all."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, NoReturn

from handout.errors import OutputError


def write_atomic(target: Path, data: bytes | Iterable[bytes], durable: bool = True) -> None:
    """Write ``data`` (bytes, or pieces of them written one after the other, so that a large file is never
    whole in memory) to a temporary file beside ``target`` and rename it into place.

    Durable, the data is on disk before the rename, so even a power cut leaves the old file or the
    new one. Without it, a killed process still does, but a power cut may leave an empty file.
    """
    staged(target, data).commit(durable)


class Staged:
    """A file written whole beside its target under a temporary name, not yet renamed into place."""

    def __init__(self, target: Path, temporary: Path, handle: BinaryIO) -> None:
        self.target, self.temporary, self.handle = target, temporary, handle

    def commit(self, durable: bool = True) -> None:
        """Flush the data to disk (when ``durable``), then rename the file into place."""
        try:
            with self.handle:
                if durable:
                    self.handle.flush()
                    os.fsync(self.handle.fileno())
            os.replace(self.temporary, self.target)
        except BaseException as exc:
            _give_up(self.temporary, self.target, exc)

    def discard(self) -> None:
        """Give the file up: nothing of it stays."""
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(OSError):
            self.temporary.unlink()


def staged(target: Path, data: bytes | Iterable[bytes]) -> Staged:
    """``data`` written to a temporary file beside ``target``, to be committed."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    handle = None
    try:
        handle = _created(temporary)
        if isinstance(data, bytes):
            handle.write(data)
        else:
            handle.writelines(data)
        return Staged(target, temporary, handle)
    except BaseException as exc:
        if handle is not None:
            with contextlib.suppress(OSError):  # what it still held cannot be written either (a full disk)
                handle.close()
        _give_up(temporary, target, exc)


def _give_up(temporary: Path, target: Path, exc: BaseException) -> NoReturn:
    with contextlib.suppress(OSError):  # not there, or its folder cannot exist
        temporary.unlink()
    if isinstance(exc, OSError):
        advice = "; free some space and try again" if exc.errno == errno.ENOSPC else ""
        raise OutputError(f"cannot write {target}: {exc.strerror}{advice}") from None
    raise exc


class BackgroundCommits:
    """Commits files on a thread of their own, while the caller makes the next ones.

    Waiting for the disk (fsync) takes no processor time: a batch worker lays out and draws its
    next handout meanwhile, instead of waiting idle, most of all on a network share. A file is
    only renamed into place once its data is on disk, as with :func:`write_atomic`.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="commit")
        self._pending: list[tuple[Hashable, Future[None]]] = []

    def commit(self, key: Hashable, *files: tuple[Staged, bool]) -> None:
        """Put ``files`` (each with whether it must be durable) in place in this order, each only if
        the ones before it could be; ``key`` names them in what :meth:`wait` returns."""
        self._pending.append((key, self._thread.submit(_commit_in_order, files)))

    def wait(self) -> dict[Hashable, OutputError]:
        """Once every file committed so far is in place or given up: why each key's could not be."""
        pending, self._pending = self._pending, []
        failed: dict[Hashable, OutputError] = {}
        for key, future in pending:
            error = future.exception()
            if isinstance(error, OutputError):
                failed[key] = error
            elif error is not None:
                raise error
        return failed

    def close(self) -> None:
        self._thread.shutdown(wait=True)


def _commit_in_order(files: tuple[tuple[Staged, bool], ...]) -> None:
    for index, (file, durable) in enumerate(files):
        try:
            file.commit(durable)
        except BaseException:
            for later, _ in files[index + 1 :]:
                later.discard()
            raise


def _created(path: Path) -> BinaryIO:
    """``path`` opened for writing, its folder made first if it does not exist yet."""
    try:
        return path.open("wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)  # only then: a batch writes thousands of files
        return path.open("wb")
