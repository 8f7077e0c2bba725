"""The last check before a handout is written: the bytes are a readable PDF of exactly one page."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfgen.canvas import Canvas

from handout.verify import VerificationFailed, verify


def pdf_of(pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for number in range(pages):
        canvas.drawString(72, 720, f"page {number + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_a_one_page_pdf_passes() -> None:
    verify(pdf_of(1))


def test_a_second_page_is_a_bug_not_a_handout() -> None:
    with pytest.raises(VerificationFailed, match="2 pages instead of 1"):
        verify(pdf_of(2))


@pytest.mark.parametrize("broken", [b"", b"%PDF-1.4\nnot a pdf", pdf_of(1)[:200]])
def test_bytes_that_are_not_a_pdf_fail(broken: bytes) -> None:
    with pytest.raises(VerificationFailed):
        verify(broken)
