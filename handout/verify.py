"""Check the finished PDF itself before it is written: a handout is exactly one page."""

from __future__ import annotations

import io

from pypdf import PdfReader


class VerificationFailed(AssertionError):
    """The renderer produced something it must never produce: a bug, not a user error."""


def verify(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    pages = len(reader.pages)
    if pages != 1:
        raise VerificationFailed(f"the rendered handout has {pages} pages instead of 1")
