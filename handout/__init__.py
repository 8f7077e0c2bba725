"""handout: one-page, branded, plain-language patient handouts as PDF."""

__version__ = "0.1.0"
