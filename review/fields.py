"""The reviewable fields: how a gold row and a prediction express each one, and how far apart two values are.

Review works on the *enrichment* scale (valence in [-1, 1], genres as taxonomy ids) so the model,
the gold set and every rater are comparable; ``scale`` converts back to the gold set's own column
on export (VADER's ``mean`` is on -4..4, so ``scale=4``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel

FieldKind = Literal["interval", "set", "nominal"]


class FieldSpec(BaseModel):
    """One gold column that maps onto one enrichment field."""

    name: str
    kind: FieldKind
    gold_key: str
    scale: float = 1.0
    ratings_key: str | None = None
    lo: float = -1.0
    hi: float = 1.0

    def from_gold(self, raw: Any) -> Any:
        """Native gold value -> enrichment scale."""
        if raw is None:
            return None
        if self.kind == "interval":
            return float(raw) / self.scale
        if self.kind == "set":
            return sorted({str(x) for x in (raw if isinstance(raw, list | tuple) else [raw])})
        return str(raw)

    def to_gold(self, value: Any) -> Any:
        """Enrichment scale -> native gold value (what export writes back)."""
        if value is None:
            return None
        if self.kind == "interval":
            return round(float(value) * self.scale, 6)
        return value

    def ratings(self, row: dict[str, Any]) -> list[float]:
        """Every individual rater's score, on the enrichment scale (anonymous: positions are not people)."""
        if not self.ratings_key or not isinstance(row.get(self.ratings_key), list):
            return []
        raw = [float(r) for r in row[self.ratings_key] if r is not None]
        # Run records may already carry ratings on the enrichment scale; raw VADER ratings are -4..4.
        scale = self.scale if self.scale != 1.0 else (4.0 if any(abs(r) > 1 for r in raw) else 1.0)
        return [r / scale for r in raw]

    def from_prediction(self, pred: dict[str, Any] | None) -> Any:
        if not pred:
            return None
        value = pred.get(self.name)
        if self.name == "explicit" and isinstance(value, dict):
            return str(bool(value.get("value"))).lower()
        if value is None:
            return None
        return self.from_gold(value) if self.kind != "interval" else float(value)

    def parse(self, text: Any) -> Any:
        """An annotator's edited value (form text or JSON) -> a validated value on the enrichment scale."""
        if self.kind == "interval":
            v = float(text)
            if not math.isfinite(v) or not self.lo <= v <= self.hi:
                raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}]")
            return v
        if self.kind == "set":
            items = text if isinstance(text, list) else str(text).split(",")
            return sorted({str(s).strip() for s in items if str(s).strip()})
        s = str(text).strip()
        if not s:
            raise ValueError(f"{self.name} must not be empty")
        return s

    def distance(self, a: Any, b: Any) -> float:
        """Disagreement between two values on [0, 1]: 0 identical, 1 as far apart as the field allows."""
        if a is None or b is None:
            return 0.0
        if self.kind == "interval":
            return min(1.0, abs(float(a) - float(b)) / (self.hi - self.lo))
        if self.kind == "set":
            sa, sb = set(a), set(b)
            union = sa | sb
            return 0.0 if not union else 1.0 - len(sa & sb) / len(union)
        return 0.0 if a == b else 1.0

    def spread(self, ratings: list[float]) -> float:
        """Rater disagreement on [0, 1]: population sd over the largest sd the range allows (half of it)."""
        if self.kind != "interval" or len(ratings) < 2:
            return 0.0
        mean = sum(ratings) / len(ratings)
        sd = math.sqrt(sum((r - mean) ** 2 for r in ratings) / len(ratings))
        return min(1.0, sd / ((self.hi - self.lo) / 2))

    def labels(self, value: Any) -> list[str]:
        """Human labels for the queue's label filter (a valence becomes its sentiment bin)."""
        if value is None:
            return []
        if self.kind == "interval":
            return [sentiment_bin(float(value))]
        if self.kind == "set":
            return [str(v) for v in value]
        return [str(value)]


NEUTRAL_BAND = 0.125  # half a point on VADER's -4..4 scale


def sentiment_bin(valence: float) -> str:
    if valence > NEUTRAL_BAND:
        return "positive"
    if valence < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


# Known gold layouts, first match per field wins: a run record's gold dict uses enrichment names;
# the raw gold files keep their own columns (VADER ``mean``/``ratings``, bandcamp ``gold_genres``).
KNOWN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(name="valence", kind="interval", gold_key="valence", ratings_key="ratings"),
    FieldSpec(name="valence", kind="interval", gold_key="mean", scale=4.0, ratings_key="ratings"),
    FieldSpec(name="genres", kind="set", gold_key="genres"),
    FieldSpec(name="genres", kind="set", gold_key="gold_genres"),
    FieldSpec(name="moods", kind="set", gold_key="moods"),
    FieldSpec(name="language", kind="nominal", gold_key="language"),
    FieldSpec(name="explicit", kind="nominal", gold_key="explicit"),
)


def detect_fields(row: dict[str, Any]) -> list[FieldSpec]:
    """The reviewable fields a gold row carries."""
    found: dict[str, FieldSpec] = {}
    for spec in KNOWN_FIELDS:
        if spec.name not in found and row.get(spec.gold_key) is not None:
            found[spec.name] = spec
    return list(found.values())
