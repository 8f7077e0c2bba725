"""Brand colours assigned to the layout's colour roles, and the WCAG contrast arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.colors import Color, HexColor, white

from handout.schema import BrandColours, ColourRoles

NEAR_BLACK = HexColor("#1A1A1A")


def relative_luminance(colour: Color) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red) + 0.7152 * channel(colour.green) + 0.0722 * channel(colour.blue)


def contrast_ratio(first: Color, second: Color) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def tint(colour: Color, whiteness: float) -> Color:
    """``colour`` mixed with white; ``whiteness`` 0 keeps it, 1 gives white."""
    return Color(*(c + (1 - c) * whiteness for c in (colour.red, colour.green, colour.blue)))


def readable_text_on(background: Color) -> Color:
    """White or near-black, whichever contrasts more with ``background``."""
    return white if contrast_ratio(white, background) >= contrast_ratio(NEAR_BLACK, background) else NEAR_BLACK


@dataclass(frozen=True)
class Palette:
    header_fill: Color
    header_text: Color
    heading_text: Color
    summary_fill: Color
    highlight_fill: Color
    highlight_border: Color
    warning_fill: Color
    warning_border: Color


def palette_for(brand: BrandColours, roles: ColourRoles) -> Palette:
    primary = HexColor(brand.primary)
    named = {
        "primary": primary,
        "secondary": HexColor(brand.secondary) if brand.secondary else tint(primary, 0.88),
    }

    def role(value: str) -> Color:
        return named.get(value) or HexColor(value)

    header_fill = role(roles.header_fill)
    return Palette(
        header_fill=header_fill,
        header_text=readable_text_on(header_fill),
        heading_text=role(roles.heading_text),
        summary_fill=role(roles.summary_fill),
        highlight_fill=role(roles.highlight_fill),
        highlight_border=role(roles.highlight_border),
        warning_fill=role(roles.warning_fill),
        warning_border=role(roles.warning_border),
    )


TEXT_CONTRAST = 4.5  # WCAG 2.1 AA for text at body size


def low_contrast(palette: Palette) -> list[tuple[str, float]]:
    """The page's text colours that stand out less from their background than WCAG 2.1 AA asks: (role, ratio)."""
    pairs = [
        ("headings", palette.heading_text, white),
        ("header text", palette.header_text, palette.header_fill),
        ("summary text", NEAR_BLACK, palette.summary_fill),
        ("box text", NEAR_BLACK, palette.highlight_fill),
        ("box headings", palette.heading_text, palette.highlight_fill),
        ("warning headings", palette.warning_border, palette.warning_fill),
    ]
    ratios = [(role, contrast_ratio(text, background)) for role, text, background in pairs]
    return [(role, ratio) for role, ratio in ratios if ratio < TEXT_CONTRAST]
