"""The cache folder: what one run keeps so that later runs are faster, and nothing more.

The folder is ``$HANDOUT_CACHE_DIR``, else the platform's cache folder for handout
(``~/.cache/handout`` on Linux). It holds:

- ``fonts/``: what ReportLab reads from each font file (:mod:`handout.font_cache`);
- ``fits/``: the body size a one-page fit found for a document on a page (:mod:`handout.fit`);
- ``drawings/``: a page's body as a batch drew it, for the next like page (:mod:`handout.drawing_cache`);
- ``bands/``: the pixels of that body in the catalog's thumbnails (:mod:`handout.catalog`);
- ``texts/``: dates and language names Babel wrote out from CLDR's data (:mod:`handout.locales`).

Deleting it is safe. Each file names what it was made from, and one that is missing, damaged or
made from something else is made again. A folder that cannot be written only costs time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

from handout.errors import OutputError
from handout.output import write_atomic

CACHE_FOLDER_VARIABLE = "HANDOUT_CACHE_DIR"


def cache_folder() -> Path | None:
    """The cache folder; None when it would be relative, as the platform's is for an account that has no
    home folder (a container run under a user id of its own): nothing is cached in the working folder."""
    configured = os.environ.get(CACHE_FOLDER_VARIABLE)
    folder = Path(configured) if configured else platformdirs.user_cache_path("handout", appauthor=False)
    return folder if folder.is_absolute() else None


def cached_file(kind: str, name: str) -> Path | None:
    """Where the cache keeps file ``name`` of ``kind`` (``fonts``, ``fits``, ``drawings``, ``bands``, ``texts``);
    None if there is no cache."""
    folder = cache_folder()
    return folder / kind / name if folder is not None else None


def digest(text: str) -> str:
    """A short name for ``text`` (a file's path, a fit's key) that any file system takes."""
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def read_kept(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def keep(path: Path, data: bytes) -> None:
    """Write a cache file whole, or not at all. Not flushed to disk: one that a power cut leaves empty
    is made again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, durable=False)
    except (OSError, OutputError):
        pass
