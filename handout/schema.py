"""The schema of every input file: content, clinic brands and layouts.

This is the only module that knows the shape of the files. Everything after loading
receives these validated, immutable objects. Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from handout.inline import text_problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _check_text(value: str) -> str:
    problems = text_problems(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


def matching(pattern: str, what: str) -> Any:
    """A string constraint whose error says in words what is expected; the JSON Schema keeps the pattern."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return [AfterValidator(check), Field(json_schema_extra={"pattern": pattern}, description=what)]


def _check_language(value: str) -> str:
    if not _known_language(value):
        raise ValueError(f"unknown language code {value!r}: use a code such as 'en', 'es' or 'zh-Hans'")
    if value != canonical_language(value):  # the content's documents are found by their code as written
        raise ValueError(f"write the language code {value!r} as {canonical_language(value)!r}")
    return value


@lru_cache(maxsize=1024)
def _known_language(code: str) -> bool:
    """Whether CLDR knows the language: asked of every clinic's every language, so the answers are kept."""
    try:
        Locale.parse(code, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


def canonical_language(code: str) -> str:
    """A language code in its usual case: language lower case, script title case, region upper case."""
    parts = code.split("-")
    styled = [parts[0].lower()] + [part.title() if len(part) == 4 else part.upper() for part in parts[1:]]
    return "-".join(styled)


Text = Annotated[str, AfterValidator(_check_text), Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, AfterValidator(_check_text), Field(min_length=1, max_length=200)]
Id = Annotated[
    str,
    StringConstraints(max_length=64),
    *matching(r"[a-z0-9]+(-[a-z0-9]+)*", "an id of lower-case letters, digits and single hyphens"),
]
Language = Annotated[
    str,
    AfterValidator(_check_language),
    Field(description="A language code (BCP 47), e.g. 'en', 'es', 'zh-Hans'"),
]
Colour = Annotated[str, *matching(r"#[0-9A-Fa-f]{6}", "a colour written #RRGGBB, e.g. '#0B6E4F'")]
Url = Annotated[
    str,
    StringConstraints(max_length=300),
    *matching(r"https?://[^\s<>\"]+", "a web address starting https://"),
]


# ---------------------------------------------------------------- content


class Code(Strict):
    system: Literal["ICD-10-CM"] = "ICD-10-CM"
    code: Annotated[str, *matching(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", "an ICD-10-CM code such as 'M61.9'")]
    name: ShortText


class Review(Strict):
    last_reviewed: dt.date
    next_review: dt.date
    status: Literal["draft", "approved", "retired"] = Field(
        description="draft: written, not yet approved by a clinician; approved; retired: do not print"
    )
    reviewed_by: ShortText | None = None

    @model_validator(mode="after")
    def _next_after_last(self) -> Review:
        if self.next_review <= self.last_reviewed:
            raise ValueError("next_review must be after last_reviewed")
        return self


class Source(Strict):
    title: ShortText
    url: Url


class Translation(Strict):
    """Where a translated document came from and whether a qualified translator checked it."""

    from_language: Language
    source_version: str = Field(description="The source document's version, as `handout list` prints it")
    method: Literal["human", "machine"]
    reviewed: bool = False
    reviewed_by: ShortText | None = None


class Section(Strict):
    heading: ShortText
    kind: Literal["normal", "highlight", "warning"] = Field(
        default="normal", description="highlight: a tinted box (e.g. when to call); warning: emergency box"
    )
    paragraphs: list[Text] = Field(default_factory=list, max_length=10)
    bullets: list[Text] = Field(default_factory=list, max_length=15)

    @model_validator(mode="after")
    def _has_body(self) -> Section:
        if not self.paragraphs and not self.bullets:
            raise ValueError("a section needs paragraphs, bullets or both")
        return self


class Document(Strict):
    """The whole handout text in one language."""

    title: ShortText
    subtitle: ShortText | None = Field(default=None, description="E.g. the medical name of the condition")
    summary: Text = Field(description="The one main message, printed first")
    key_points: list[Text] = Field(min_length=3, max_length=5, description="Used by the large-print layout")
    sections: list[Section] = Field(min_length=1, max_length=20)
    translation: Translation | None = None

    def version(self) -> str:
        """A short hash of the text, recorded by translations made from this document."""
        text = self.model_dump(mode="json", exclude={"translation"})
        digest = hashlib.sha256(json.dumps(text, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return digest[:12]

    def texts(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every printed string with its path inside the document."""
        found: list[tuple[tuple[str | int, ...], str]] = [
            (("title",), self.title),
            (("summary",), self.summary),
        ]
        if self.subtitle:
            found.append((("subtitle",), self.subtitle))
        found += [(("key_points", i), point) for i, point in enumerate(self.key_points)]
        for s, section in enumerate(self.sections):
            found.append((("sections", s, "heading"), section.heading))
            found += [(("sections", s, "paragraphs", i), p) for i, p in enumerate(section.paragraphs)]
            found += [(("sections", s, "bullets", i), b) for i, b in enumerate(section.bullets)]
        return found


class Topic(Strict):
    id: Id
    codes: list[Code] = Field(min_length=1)
    review: Review
    source_language: Language
    sources: list[Source] = Field(min_length=1)
    documents: dict[Language, Document] = Field(min_length=1)

    @model_validator(mode="after")
    def _translations_consistent(self) -> Topic:
        if self.source_language not in self.documents:
            raise ValueError(f"source_language '{self.source_language}' has no document")
        for language, document in self.documents.items():
            problem = _translation_problem(self.source_language, language, document)
            if problem:  # the language goes with it: a batch builds the topic's other documents
                raise PydanticCustomError(
                    "document", "documents.{language}: {problem}", {"language": language, "problem": problem}
                )
        return self


def _translation_problem(source_language: str, language: str, document: Document) -> str:
    if language == source_language and document.translation is not None:
        return "this is the source language: remove its 'translation'"
    if language != source_language and document.translation is None:
        return "add 'translation' (from_language, source_version, method, reviewed)"
    if document.translation is not None and document.translation.from_language == language:
        return (f"translation.from_language is '{language}' itself: name the language it was translated from, "
                f"e.g. '{source_language}'")  # fmt: skip
    return ""


class Content(Strict):
    topics: list[Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Content:
        problem = repeated_ids_problem([topic.id for topic in self.topics])
        if problem:
            raise ValueError(problem)
        return self


def repeated_ids_problem(ids: list[str]) -> str:
    """What is wrong with the topic ids, if some are repeated: also asked of topics a batch leaves out."""
    repeated = sorted({topic_id for topic_id in ids if ids.count(topic_id) > 1})
    return f"topic ids must be unique; repeated: {', '.join(repeated)}" if repeated else ""


# ---------------------------------------------------------------- clinics


class BrandColours(Strict):
    primary: Colour
    secondary: Colour | None = None


class Clinic(Strict):
    name: ShortText
    health_system: ShortText | None = Field(default=None, description="Parent system, printed for co-branding")
    logo: str | None = Field(default=None, description="PNG or SVG file inside the clinic's asset folder")
    colors: BrandColours
    address: list[ShortText] = Field(min_length=1, max_length=4)
    phone: Annotated[str, *matching(r"[0-9+()\-. ]{3,30}", "a phone number of 3 to 30 digits, spaces and + ( ) - .")]
    website: Url | None = None
    emergency_number: Annotated[str, *matching(r"[0-9]{2,4}", "an emergency number of 2-4 digits")] = "911"
    page_size: Literal["letter", "a4"] = "letter"
    languages: list[Language] = Field(min_length=1)

    @field_validator("languages")
    @classmethod
    def _each_language_once(cls, languages: list[str]) -> list[str]:
        repeated = sorted({language for language in languages if languages.count(language) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} listed more than once: list each language once")
        return languages


# ---------------------------------------------------------------- layouts

ColourRole = Annotated[
    str,
    *matching(r"primary|secondary|#[0-9A-Fa-f]{6}", "'primary' or 'secondary' (brand colours) or a fixed #RRGGBB"),
]


class Margins(Strict):
    top: float = Field(ge=0, le=144)
    right: float = Field(ge=0, le=144)
    bottom: float = Field(ge=0, le=144)
    left: float = Field(ge=0, le=144)


SMALLEST_BODY = 12.0  # points: health-literacy guidance for patient materials (large print: 18 or more)
SMALLEST_PRINT = 7.0  # points: the header and footer, which a patient reads for the clinic's phone number


def _readable_body(size: float) -> float:
    if size < SMALLEST_BODY:
        raise ValueError(f"body text smaller than {SMALLEST_BODY:g} pt is too small for many patients to read: set "
                         f"it to {SMALLEST_BODY:g} or more, and shorten the text if it then does not fit")  # fmt: skip
    return size


def _readable_print(size: float) -> float:
    if size < SMALLEST_PRINT:
        raise ValueError(f"text smaller than {SMALLEST_PRINT:g} pt is too small to read: set it to "
                         f"{SMALLEST_PRINT:g} or more")  # fmt: skip
    return size


BodySize = Annotated[float, Field(le=48, json_schema_extra={"minimum": SMALLEST_BODY}), AfterValidator(_readable_body)]
PrintSize = Annotated[float, Field(json_schema_extra={"minimum": SMALLEST_PRINT}), AfterValidator(_readable_print)]


class TypeScale(Strict):
    body_max: BodySize = Field(description="Largest body size tried, in points")
    body_min: BodySize = Field(description="Smallest body size allowed, in points")
    step: float = Field(default=0.5, gt=0, le=4)
    leading: float = Field(default=1.3, ge=1.0, le=2.0, description="Line height as a multiple of the size")
    title: float = Field(default=1.8, ge=1, le=4, description="Title size as a multiple of the body size")
    heading: float = Field(default=1.15, ge=1, le=3)
    footer: PrintSize = Field(default=8.5, le=24, description="Footer size in points")
    header: PrintSize = Field(default=12, le=36, description="Header (clinic name) size in points")

    @model_validator(mode="after")
    def _min_below_max(self) -> TypeScale:
        if self.body_min > self.body_max:
            raise ValueError("body_min must not be larger than body_max")
        return self


class ColourRoles(Strict):
    header_fill: ColourRole = "primary"
    heading_text: ColourRole = "primary"
    summary_fill: ColourRole = "secondary"
    highlight_fill: ColourRole = "secondary"
    highlight_border: ColourRole = "primary"
    warning_fill: ColourRole = "#FDECEA"
    warning_border: ColourRole = "#B3261E"


class Layout(Strict):
    description: ShortText
    content: Literal["full", "key_points"] = Field(description="full: all sections; key_points: key points only")
    margins: Margins
    columns: int = Field(default=1, ge=1, le=3)
    column_gap: float = Field(default=18, ge=0, le=72)
    header_height: float = Field(default=64, ge=24, le=200)
    pin_warnings: bool = Field(
        default=False, description="Print warning sections across the full width at the foot of the page"
    )
    type: TypeScale
    colors: ColourRoles = ColourRoles()


SCHEMAS: dict[str, type[BaseModel]] = {"content": Content, "clinic": Clinic, "layout": Layout}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema editors use to check a content, clinic or layout file."""
    schema = SCHEMAS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"handout {name} file"
    return schema


# ---------------------------------------------------------------- scripts (handout/scripts.yaml)


class FontFiles(Strict):
    package: str = Field(description="The pip-installed Python package that holds the font files")
    regular: str
    bold: str


class ScriptStyle(Strict):
    family: str
    shaping: bool = Field(default=False, description="Shape text with HarfBuzz (joining, conjuncts)")
    direction: Literal["ltr", "rtl"] = "ltr"
    line_breaking: Literal["words", "cjk"] = Field(
        default="words", description="cjk: break between characters, never before closing punctuation"
    )


class ScriptTable(Strict):
    families: dict[str, FontFiles]
    fallback: str = Field(
        description="The family for characters a left-to-right script's own family lacks (a clinic's Polish "
        "or Vietnamese name on a Chinese page)"
    )
    scripts: dict[str, ScriptStyle]

    @model_validator(mode="after")
    def _families_exist(self) -> ScriptTable:
        unknown = sorted(({s.family for s in self.scripts.values()} | {self.fallback}) - set(self.families))
        if unknown:
            raise ValueError(f"scripts use unknown font families: {', '.join(unknown)}")
        return self
