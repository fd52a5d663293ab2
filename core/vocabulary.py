"""The answer vocabulary the LLM and the fusion share: valence levels and language codes.

Kept out of any node so the extract/verify/route nodes and the fusion read one definition.
"""

from __future__ import annotations

from typing import Any

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


# The gold column review reads each annotator's labels from (review.fields).
ANNOTATORS_KEY = "annotators"

# Known gold layouts of the built-in fields, first match per field wins: a run record's gold dict
# uses enrichment names (``valence`` + ``valence_ratings`` already on [-1, 1], see
# linernotes.evals.gold); the raw gold files keep their own columns (VADER ``mean``/``ratings`` on
# -4..4, bandcamp ``gold_genres``). The layouts are review's knowledge of those files; each
# field's review kind comes from its shipped spec (signals/builtin/*.yaml), as a declared
# signal's does.
BUILTIN_LAYOUTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("valence", {"gold_key": "valence", "ratings_key": "valence_ratings"}),
    ("valence", {"gold_key": "mean", "scale": 4.0, "ratings_key": "ratings", "ratings_scale": 4.0}),
    ("genres", {"gold_key": "genres"}),
    ("genres", {"gold_key": "gold_genres"}),
    ("moods", {"gold_key": "moods"}),
    ("language", {"gold_key": "language"}),
    ("explicit", {"gold_key": "explicit"}),
)
