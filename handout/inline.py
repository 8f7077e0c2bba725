"""The small inline syntax of content text; :mod:`handout.text` turns it into escaped runs.

Content text may contain ``**bold**`` and the placeholders in :data:`PLACEHOLDERS`.
Every other character is printed as written: text is always escaped before it reaches
ReportLab, whose paragraph markup can read files (``<img src>``) and once ran code
(CVE-2023-33733, ``<font color>``). Tags are rejected outright so an author who meant
markup learns it is not supported instead of seeing it printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

BOLD = "**"

PLACEHOLDERS = {
    "clinic_name": "the clinic's name",
    "clinic_phone": "the clinic's phone number",
    "emergency_number": "the emergency phone number where the clinic is (911 in the US)",
}

_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHITESPACE = re.compile(r"\s+")
# Invisible characters that change how text reads or is ordered, and never belong in a handout.
# ZWNJ and ZWJ (U+200C, U+200D) are left alone: Persian and Indic scripts need them.
_FORBIDDEN = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]} | {
    "\u200b",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ufeff",
}


def text_problems(text: str) -> list[str]:
    """What is wrong with a content string, as messages saying what to do."""
    problems = []
    if not text.strip():
        problems.append("text is empty: write the text or remove the entry")
    tag = _TAG.search(text)
    if tag:
        problems.append(f"markup tag {tag.group(0)[:40]!r} is not allowed: remove it; use **bold** for emphasis")
    if text.count(BOLD) % 2:
        problems.append("a '**' has no closing '**': bold text is written **like this**")
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            problems.append(f"unknown placeholder {{{name}}}: use one of {known}")
    for char in sorted(set(text) & _FORBIDDEN):
        problems.append(f"invisible control character U+{ord(char):04X} is not allowed: delete it")
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace placeholders with their values and fold runs of white space to one space."""
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    return _WHITESPACE.sub(" ", filled).strip()


def plain(text: str, values: Mapping[str, str]) -> str:
    """The text as a reader sees it: placeholders filled, emphasis marks removed."""
    return fill(text.replace(BOLD, ""), values)
