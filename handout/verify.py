"""Check the finished PDF itself before it is written: a handout is exactly one page.

The bytes are opened with pdfium, the engine of Chromium's PDF viewer, from which staff
open and print the handouts in the catalog.
"""

from __future__ import annotations

import pypdfium2 as pdfium


class VerificationFailed(AssertionError):
    """The renderer produced something it must never produce: a bug, not a user error."""


def verify(pdf: bytes) -> None:
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as error:
        raise VerificationFailed(f"the rendered handout is not a readable PDF: {error}") from None
    try:
        pages = len(document)
    finally:
        document.close()
    if pages != 1:
        raise VerificationFailed(f"the rendered handout has {pages} pages instead of 1")
