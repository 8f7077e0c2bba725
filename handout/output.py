"""Writing output so that a file is either complete or not there at all."""

from __future__ import annotations

import os
from pathlib import Path

from handout.errors import OutputError


def write_atomic(target: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it into place.

    Durable, the data is on disk before the rename, so even a power cut leaves the old file or the
    new one. Without it, a killed process still does, but a power cut may leave an empty file.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
