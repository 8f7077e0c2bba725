"""Writing output so that a file is either complete or not there at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

from handout.errors import OutputError


def write_atomic(target: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it into place.

    Durable, the data is on disk before the rename, so even a power cut leaves the old file or the
    new one. Without it, a killed process still does, but a power cut may leave an empty file.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with _created(temporary) as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # not there, or its folder cannot exist
            temporary.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {target}: {exc.strerror}") from None
        raise


def _created(path: Path) -> BinaryIO:
    """``path`` opened for writing, its folder made first if it does not exist yet."""
    try:
        return path.open("wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)  # only then: a batch writes thousands of files
        return path.open("wb")
