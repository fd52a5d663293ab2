"""The answer vocabulary the LLM and the fusion share: valence levels and language codes.

Kept out of any node so the extract/verify/route nodes and the fusion read one definition.
"""

from __future__ import annotations

# A five-level scale is what a small model answers reliably; the values are the level's centre on
# [-1, 1] (the record's valence range), evenly spaced.
VALENCE_SCALE: dict[str, float] = {"very negative": -0.8, "negative": -0.4, "neutral": 0.0, "positive": 0.4,
                                   "very positive": 0.8}
LANGUAGES: list[str] = ["en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "ru", "ja", "ko", "zh", "ar", "hi",
                        "tr", "und"]

LLM_FIELDS: tuple[str, ...] = ("genres", "moods", "valence", "language", "explicit", "policy")
"""The record fields an extract call can be asked about, in answer order."""

DRAFT_KEYS: dict[str, tuple[str, ...]] = {
    "genres": ("genres",), "moods": ("moods",), "valence": ("valence",), "language": ("language",),
    "explicit": ("explicit",), "policy": ("policy_clauses", "explicit_quote"),
}
"""Which ``Draft`` attributes carry each field's answer."""
