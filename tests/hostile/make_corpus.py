"""Writes the hostile-input corpus next to this file. Run it only to add cases; the files are committed.

.venv/bin/python tests/hostile/make_corpus.py
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image

HERE = Path(__file__).parent
BASE = """\
topics:
  - id: sample
    codes: [{system: ICD-10-CM, code: M61.9, name: Calcification and ossification of muscle}]
    review: {last_reviewed: 2026-11-01, next_review: 2028-11-01, status: approved}
    source_language: en
    sources: [{title: MedlinePlus, url: "https://medlineplus.gov/"}]
    documents:
      en:
        title: Bone in a muscle
        subtitle: Calcification of muscle
        summary: Bone can form in a muscle after you get hurt.
        key_points: [Rest helps., Ice helps., Call us if it gets worse.]
        sections:
          - heading: What is it?
            paragraphs: [It is bone in a muscle. It is not cancer.]
            bullets: [Pain, Swelling]
"""
FONT_PAYLOAD = (  # CVE-2023-33733: ReportLab before 3.6.13 evaluated this colour as Python
    "<font color=\\\"[[[getattr(pow, Word('__globals__'))['os'].system('touch /tmp/pwned')]]]\\\">x</font>"
)

CONTENT = {
    "yaml-unclosed-bracket": BASE.replace("[Pain, Swelling]", "[Pain, Swelling"),
    "yaml-bad-indentation": BASE.replace("        title: Bone", "      title: Bone"),
    "yaml-tab-indentation": BASE.replace("        summary:", "\tsummary:"),
    "yaml-python-tag": BASE.replace("title: Bone in a muscle", "title: !!python/object/apply:os.system [ls]"),
    "yaml-two-documents": BASE + "---\ntopics: []\n",
    "yaml-deep-nesting": BASE.replace("[Pain, Swelling]", "[" * 5000 + "x" + "]" * 5000),
    "duplicate-key": BASE.replace(
        "        title: Bone in a muscle", "        title: Bone in a muscle\n        title: Again"
    ),
    "duplicate-topic-id": BASE + BASE.split("topics:\n", 1)[1],
    "alias-simple": BASE.replace("status: approved}", "status: &s approved}").replace(
        "subtitle: Calcification of muscle", "subtitle: *s"
    ),
    "alias-billion-laughs": "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    + BASE,
    "empty-file": "",
    "only-comments": "# nothing here\n",
    "top-level-list": "- a\n- b\n",
    "top-level-scalar": "just text\n",
    "wrong-type-key-points": BASE.replace(
        "key_points: [Rest helps., Ice helps., Call us if it gets worse.]", "key_points: Rest helps."
    ),
    "wrong-type-sections": BASE.replace("        sections:\n", "        sections: {}\n        x_sections:\n"),
    "wrong-type-date": BASE.replace("last_reviewed: 2026-11-01", "last_reviewed: last tuesday"),
    "wrong-type-number-title": BASE.replace("title: Bone in a muscle", "title: 12345"),
    "unknown-key-top": BASE + "extra: 1\n",
    "unknown-key-section": BASE.replace(
        "          - heading: What is it?", "          - heading: What is it?\n            colour: red"
    ),
    "missing-summary": BASE.replace("        summary: Bone can form in a muscle after you get hurt.\n", ""),
    "missing-topics": "version: 1\n",
    "empty-topics": "topics: []\n",
    "too-few-key-points": BASE.replace("[Rest helps., Ice helps., Call us if it gets worse.]", "[Rest helps.]"),
    "bad-code": BASE.replace("code: M61.9", "code: not-a-code"),
    "review-dates-reversed": BASE.replace("next_review: 2028-11-01", "next_review: 2020-01-01"),
    "bad-status": BASE.replace("status: approved", "status: maybe"),
    "javascript-source-url": BASE.replace('url: "https://medlineplus.gov/"', 'url: "javascript:alert(1)"'),
    "img-in-title": BASE.replace("title: Bone in a muscle", 'title: Bone <img src="/etc/passwd"/>'),
    "img-in-summary": BASE.replace(
        "summary: Bone can form", 'summary: <img src="https://example.com/x.png"/> Bone can form'
    ),
    "font-cve-2023-33733-in-heading": BASE.replace("heading: What is it?", f'heading: "{FONT_PAYLOAD}"'),
    "javascript-link-in-bullet": BASE.replace(
        "[Pain, Swelling]", "['<a href=\"javascript:alert(1)\">Pain</a>', Swelling]"
    ),
    "unbalanced-b-in-paragraph": BASE.replace(
        "[It is bone in a muscle. It is not cancer.]", "['<b>It is bone in a muscle.']"
    ),
    "img-in-key-point": BASE.replace("[Rest helps.,", "['<img src=x onerror=alert(1)>',"),
    "img-in-subtitle": BASE.replace("subtitle: Calcification of muscle", "subtitle: <img src=x>"),
    "tag-in-source-title": BASE.replace("title: MedlinePlus", "title: <b>MedlinePlus</b>"),
    "tag-in-code-name": BASE.replace("name: Calcification and ossification of muscle", "name: <i>Calcification</i>"),
    "control-character": BASE.replace("bullets: [Pain, Swelling]", 'bullets: ["Pain\\x07", Swelling]'),
    "bidi-override": BASE.replace("bullets: [Pain, Swelling]", 'bullets: ["Pain \\u202Egnillews", Swelling]'),
    "zero-width-space": BASE.replace("heading: What is it?", 'heading: "What\\u200B is it?"'),
    "byte-order-mark-in-text": BASE.replace("summary: Bone", 'summary: "\\uFEFFBone'),
    "emoji": BASE.replace("title: Bone in a muscle", 'title: "Bone in a muscle \\U0001F9B4"'),
    "character-no-font-has": BASE.replace("bullets: [Pain, Swelling]", 'bullets: ["Pain \\U00010000", Swelling]'),
    "ten-thousand-character-word": BASE.replace(
        "[It is bone in a muscle. It is not cancer.]", "[" + "a" * 10_000 + "]"
    ),
    "unknown-placeholder": BASE.replace("Call us if it gets worse.", "Call {patient_phone} if it gets worse."),
    "unbalanced-bold": BASE.replace("Ice helps.", "**Ice helps."),
    "topic-id-with-dots": BASE.replace("id: sample", "id: ../../etc/passwd"),
    "topic-id-with-spaces": BASE.replace("id: sample", "id: Sample Topic"),
    "unknown-language-key": BASE.replace("      en:\n", "      xx-bogus:\n").replace(
        "source_language: en", "source_language: xx-bogus"
    ),
    "language-key-with-path": BASE.replace("      en:\n", "      ../etc:\n"),
    "translation-without-record": BASE + BASE.split("    documents:\n", 1)[1].replace("      en:", "      es:"),
    "source-language-without-document": BASE.replace("source_language: en", "source_language: fr"),
    "title-too-long": BASE.replace("title: Bone in a muscle", "title: " + "Bone " * 60),
    "not-utf8": None,  # written as Latin-1 bytes below
}

CLINIC = """\
name: Hostile Test Clinic
logo: logo.png
colors: {primary: "#0B6E4F"}
address: [1 Main Street]
phone: (555) 555-0100
website: https://example.org
page_size: letter
languages: [en]
"""
SVG_XXE = """<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="0" y="20">&secret;</text></svg>
"""
SVG_LOCAL_FILE = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="100" height="40"><image xlink:href="file:///etc/passwd" width="100" height="40"/>
<image href="../../secret.png" width="10" height="10"/></svg>
"""
SVG_URL = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="40">
<image xlink:href="http://example.com/tracker.png" width="100" height="40"/></svg>
"""

CLINICS: dict[str, tuple[str, dict[str, bytes]]] = {
    "logo-dot-dot": (CLINIC.replace("logo: logo.png", "logo: ../other/logo.png"), {}),
    "logo-absolute": (CLINIC.replace("logo: logo.png", "logo: /etc/passwd"), {}),
    "logo-missing": (CLINIC.replace("logo: logo.png", "logo: nowhere.png"), {}),
    "logo-corrupt-png": (CLINIC, {"logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20}),
    "logo-truncated-png": (CLINIC, {}),  # a real PNG cut in half, written below
    "logo-decompression-bomb": (CLINIC, {}),  # 30000 x 30000 pixels of one colour, written below
    "logo-gif": (CLINIC.replace("logo: logo.png", "logo: logo.gif"), {"logo.gif": b"GIF89a\x01\x00\x01\x00"}),
    "logo-png-named-svg": (CLINIC.replace("logo: logo.png", "logo: logo.svg"), {"logo.svg": b"\x89PNG\r\n\x1a\n"}),
    "svg-external-entity": (CLINIC.replace("logo: logo.png", "logo: logo.svg"), {"logo.svg": SVG_XXE.encode()}),
    "svg-local-file-reference": (
        CLINIC.replace("logo: logo.png", "logo: logo.svg"),
        {"logo.svg": SVG_LOCAL_FILE.encode()},
    ),
    "svg-url-reference": (CLINIC.replace("logo: logo.png", "logo: logo.svg"), {"logo.svg": SVG_URL.encode()}),
    "svg-not-xml": (CLINIC.replace("logo: logo.png", "logo: logo.svg"), {"logo.svg": b"<svg><g></svg"}),
    "bad-colour": (CLINIC.replace('primary: "#0B6E4F"', 'primary: "green"'), {}),
    "phone-with-letters": (CLINIC.replace("phone: (555) 555-0100", "phone: call me maybe"), {}),
    "javascript-website": (CLINIC.replace("website: https://example.org", "website: javascript:alert(1)"), {}),
    "bad-page-size": (CLINIC.replace("page_size: letter", "page_size: b5"), {}),
    "unknown-key": (CLINIC + "fax: 555\n", {}),
    "tag-in-name": (CLINIC.replace("name: Hostile Test Clinic", "name: <img src=x> Clinic"), {}),
    "tag-in-address": (CLINIC.replace("[1 Main Street]", '["<img src=/etc/passwd> 1 Main Street"]'), {}),
    "tag-in-health-system": (CLINIC + 'health_system: "<font color=red>Network</font>"\n', {}),
    "empty-clinic-file": ("", {}),
    "no-languages": (CLINIC.replace("languages: [en]", "languages: []"), {}),
    "unknown-language": (CLINIC.replace("languages: [en]", "languages: [en, qq-zz]"), {}),
    "emoji-in-address": (CLINIC.replace("[1 Main Street]", '["1 Main Street \\U0001F3E5"]'), {}),
    "clinic-yaml-syntax": (CLINIC.replace("colors: {primary", "colors: {primary: {"), {}),
}

LAYOUT = (Path(__file__).parent.parent.parent / "layouts" / "standard.yaml").read_text(encoding="utf-8")
LAYOUTS = {
    "min-above-max": LAYOUT.replace("  body_min: 12", "  body_min: 16"),
    "ten-columns": LAYOUT.replace("columns: 2", "columns: 10"),
    "negative-margin": LAYOUT.replace("top: 28", "top: -28"),
    "unknown-content-mode": LAYOUT.replace("content: full", "content: everything"),
    "bad-colour-role": LAYOUT.replace("header_fill: primary", "header_fill: tertiary"),
    "no-room-on-the-page": LAYOUT.replace("header_height: 54", "header_height: 200")
    .replace("{top: 28, right: 30, bottom: 24, left: 30}", "{top: 144, right: 144, bottom: 144, left: 144}")
    .replace("  body_max: 14", "  body_max: 40")
    .replace("  body_min: 12", "  body_min: 40"),
    "unknown-key": LAYOUT + "gutter: 3\n",
    "tag-in-description": LAYOUT.replace("description: Standard", "description: <img src=x> Standard"),
}


def main() -> None:
    for folder in ("content", "clinics", "layouts"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
        (HERE / folder).mkdir()
    (HERE / "content" / "base.yaml").write_text(BASE, encoding="utf-8")
    for name, text in CONTENT.items():
        path = HERE / "content" / f"{name}.yaml"
        if text is None:
            path.write_bytes(BASE.replace("Bone in a muscle", "Os dans le muscle \u00e9").encode("latin-1"))
        else:
            path.write_text(text, encoding="utf-8")
    good_logo = io.BytesIO()
    Image.new("RGB", (120, 40), "#0B6E4F").save(good_logo, format="PNG")
    for name, (text, assets) in CLINICS.items():
        folder = HERE / "clinics" / name
        folder.mkdir()
        (folder / "clinic.yaml").write_text(text, encoding="utf-8")
        for asset, data in assets.items():
            (folder / asset).write_bytes(data)
        if name == "logo-truncated-png":
            (folder / "logo.png").write_bytes(good_logo.getvalue()[: len(good_logo.getvalue()) // 2])
        if name == "logo-decompression-bomb":
            bomb = io.BytesIO()
            Image.new("1", (30_000, 30_000), 0).save(bomb, format="PNG", optimize=True)
            (folder / "logo.png").write_bytes(bomb.getvalue())
    for name, text in LAYOUTS.items():
        (HERE / "layouts" / f"{name}.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
