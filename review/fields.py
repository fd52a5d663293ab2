"""The reviewable fields: how a gold row and a prediction express each one, and how far apart two values are.

Review works on the *enrichment* scale (valence in [-1, 1], genres as taxonomy ids) so the model,
the gold set and every rater are comparable; ``scale`` converts back to the gold set's own column
on export (VADER's ``mean`` is on -4..4, so ``scale=4``).
"""

from __future__ import annotations

import math
import statistics
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from linernotes.labels import label_list, label_text
from linernotes.numbers import TextNumbers, parse_float
from linernotes.review import vocab
from linernotes.signals.answer import TEXT_LIMIT
from linernotes.signals.spec import boolean_id
from linernotes.vocabulary import ANNOTATORS_KEY, BUILTIN_LAYOUTS  # noqa: F401 (re-exported: review reads them here)

FieldKind = Literal["interval", "set", "nominal"]
Control = Literal["multiselect", "radio", "slider", "toggle", "text"]
# a declared signal's kind -> (review field kind, the annotator's control)
SIGNAL_CONTROLS: dict[str, tuple[FieldKind, Control]] = {
    "multilabel": ("set", "multiselect"), "single_label": ("nominal", "radio"), "scalar": ("interval", "slider"),
    "boolean": ("nominal", "toggle"), "text": ("nominal", "text")}


class FieldSpec(TextNumbers):
    """One gold column that maps onto one enrichment field."""

    name: str
    kind: FieldKind
    gold_key: str
    scale: float = 1.0
    ratings_key: str | None = None
    ratings_scale: float = 1.0
    lo: float = -1.0
    hi: float = 1.0
    vocabulary: list[str] | None = Field(None, description="allowed values for set/nominal fields "
                                                           "(review.vocab); None: the field's default")
    vocabulary_source: str = ""
    signal: str | None = Field(None, description="a declared signal: predictions are enrichment.signals.<signal>")
    control: Control | None = Field(None, description="the item page's control (declared signals)")
    instructions: str = Field("", description="the signal's guideline, shown beside the item")
    labels_shown: dict[str, str] = Field(default_factory=dict, description="vocabulary id -> label, where they differ")
    applies_to: list[str] | None = Field(None, description="item types the field is labelled on (a declared "
                                         "signal's applies_to); None: every item")
    _memo: Any = PrivateAttr(None)

    def applies(self, item_type: str) -> bool:
        return self.applies_to is None or item_type in self.applies_to

    def from_gold(self, raw: Any) -> Any:
        """Native gold value -> enrichment scale (a declared signal's: in its ids, ``as_id``)."""
        if raw is None:
            return None
        if self.kind == "interval":
            return parse_float(raw) / self.scale
        if self.kind == "set":  # a CSV/TSV cell 'happy, sad' is two labels, as eval and index build read it
            value: Any = sorted(set(label_list(raw)))
        elif self.boolean and (b := boolean_id(raw)) is not None:
            value = b  # JSON true, 1, 'Yes' -> 'true', as the model's value is spelt (it sat beside 'True')
        else:
            value = label_text(raw)
        return self.as_id(value) if self.signal is not None else value

    @property
    def boolean(self) -> bool:
        """A yes/no field: a declared boolean signal (its toggle), or a built-in one (explicit:
        vocabulary true/false)."""
        return self.control == "toggle" or (self.signal is None and self.allowed() == {"true", "false"})

    def as_id(self, value: Any) -> Any:
        """A declared signal's gold ``value`` spelt as the signal's values are, as eval reads gold:
        'Old' is 'old', a taxonomy label its id. A value the signal does not allow stays as written
        (``refused`` names it)."""
        try:
            return self.parse(value)
        except ValueError:
            return value

    def refused(self, value: Any) -> str | None:
        """Why a declared signal's current definition does not allow ``value`` (a gold value
        labelled under an older spec: a dropped label, a narrower range, another kind), or None."""
        if self.signal is None or value is None or value == []:
            return None
        try:
            self.parse(value)
        except ValueError as e:
            return str(e)
        return None

    def to_gold(self, value: Any) -> Any:
        """Enrichment scale -> native gold value (what export writes back)."""
        if value is None:
            return None
        if self.kind == "interval":
            return round(float(value) * self.scale, 6)
        return value

    def annotator_values(self, row: dict[str, Any]) -> dict[str, Any]:
        """Every annotator's value for this field, on the enrichment scale.

        An anonymous rating list (VADER) becomes ``rater:1..n`` (positions, not people); an
        ``annotators`` mapping ``{annotator id: {field: value}}`` keeps real identities.
        """
        out: dict[str, Any] = {}
        raw = row.get(self.ratings_key) if self.ratings_key else None
        if isinstance(raw, list):
            for n, r in enumerate(raw, 1):
                if r is not None:
                    out[f"rater:{n}"] = (parse_float(r) / self.ratings_scale if self.kind == "interval"
                                         else self.from_gold(r))
        named = row.get(ANNOTATORS_KEY)
        if isinstance(named, dict):
            for who, labels in named.items():
                if isinstance(labels, dict) and labels.get(self.name) is not None:
                    out[str(who)] = self.from_gold(labels[self.name])
        return out

    def ratings(self, row: dict[str, Any]) -> list[Any]:
        return list(self.annotator_values(row).values())

    def gold_problem(self, row: dict[str, Any]) -> str | None:
        """Why review cannot read this field in a gold row (``column 'ratings': could not convert
        string to float: 'a'``), or None: the gold value, every rating and every named
        annotator's label go through the very reads the queue makes."""
        try:
            self.from_gold(row.get(self.gold_key))
        except (TypeError, ValueError, OverflowError, AttributeError) as e:
            return f"column {self.gold_key!r}: {str(e)[:120]}"
        for key in (self.ratings_key, ANNOTATORS_KEY):  # one at a time, to name the column
            try:
                self.annotator_values({key: row.get(key)} if key else {})
            except (TypeError, ValueError, OverflowError, AttributeError) as e:
                return f"column {key!r}: {str(e)[:120]}"
        return self._out_of_range(row) if self.kind == "interval" else None

    def _out_of_range(self, row: dict[str, Any]) -> str | None:
        """An interval field's gold value or rating that is not a finite number (NaN, inf: no
        rating of anything), named with its column; None when all are. A scale other than the
        layout's (ratings 1..5 read with VADER's) is kept: agreement is still defined on it."""
        values = [(self.gold_key, self.scale, self.from_gold(row.get(self.gold_key)))]
        raw = row.get(self.ratings_key) if self.ratings_key else None
        values += [(self.ratings_key, self.ratings_scale, parse_float(r) / self.ratings_scale)
                   for r in (raw if isinstance(raw, list) else []) if r is not None]
        named = self.annotator_values({ANNOTATORS_KEY: row.get(ANNOTATORS_KEY)})
        values += [(ANNOTATORS_KEY, self.scale, v) for v in named.values()]
        for key, scale, v in values:
            if v is not None and not math.isfinite(v):
                return f"column {key!r}: {v * scale:g} is not a finite number"
        return None

    def from_prediction(self, pred: dict[str, Any] | None) -> Any:
        if not pred:
            return None
        if self.signal is not None:
            answer = (pred.get("signals") or {}).get(self.signal) or {}
            value = answer.get("value")
            if isinstance(value, bool):
                return str(value).lower()
            if value == [] and (answer.get("provenance") or {}).get("source") in ("llm", "fitted"):
                return []  # the model's "none of these applies"; [] from nowhere (--llm never) is no answer
            if value is None or value == []:
                return None
            return self.from_gold(value) if self.kind != "interval" else float(value)
        value = pred.get(self.name)
        if self.name == "explicit" and isinstance(value, dict):
            return str(bool(value.get("value"))).lower()
        if value is None:
            return None
        return self.from_gold(value) if self.kind != "interval" else float(value)

    def allowed(self) -> frozenset[str] | None:
        """The field's vocabulary: the one stored at build, else its default (stores built before)."""
        if self.vocabulary is not None:
            return self._vocab_sets()[0]
        default, _ = vocab.vocabulary(self.name)
        return frozenset(default) if default is not None else None

    def parse(self, text: Any) -> Any:
        """An annotator's edited value (form text or JSON) -> a validated value on the enrichment scale.

        Numbers: a finite number (or its text) in [lo, hi], never a bool. Sets: a non-empty list of
        strings (or comma-separated text), each in the field's vocabulary (``review.vocab``); a
        declared signal's ``[]``: none of its labels applies.
        Nominal: one non-empty string from the vocabulary (explicit: true/false; language: a BCP-47
        tag). Raises ``ValueError`` naming the field and the refused value.
        """
        if self.kind == "interval":
            if isinstance(text, bool) or not isinstance(text, int | float | str):
                raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}], not {type(text).__name__}")
            try:
                v = parse_float(text)
            except OverflowError:  # a JSON integer beyond any float (10**400): out of range, not a 500
                raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}], not an integer of "
                                 f"{text.bit_length()} bits") from None
            except ValueError:
                raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}], not {str(text)!r:.40}") \
                    from None
            if not math.isfinite(v) or not self.lo <= v <= self.hi:  # the docstring's promise: name the value
                raise ValueError(f"{self.name} must be a number in [{self.lo}, {self.hi}], not {v:g}")
            return v
        allowed = self.allowed()
        if self.kind == "set":
            if isinstance(text, list):
                if not all(isinstance(x, str) for x in text):
                    raise ValueError(f"{self.name} must be a list of labels (strings)")
                items = text
            elif isinstance(text, str):
                items = text.split(",")
            else:
                raise ValueError(f"{self.name} must be a list of labels or comma-separated text, "
                                 f"not {type(text).__name__}")
            labels = [vocab.normalise(x) for x in items if vocab.normalise(x)]
            if not labels and self.signal is not None and text == []:
                return []  # a declared signal's explicit empty list: none of its labels applies (eval scores it)
            if not labels:
                raise ValueError(f"{self.name} needs at least one label")
            if allowed is None:
                return sorted(set(labels))
            by_fold = self._spellings(allowed)
            ids = {x: by_fold.get(x.casefold()) or vocab.match(x, allowed) for x in labels}
            unknown = [x for x, i in ids.items() if i is None]
            if unknown:
                shown = ", ".join(repr(x)[:60] for x in unknown[:3])
                raise ValueError(f"{self.name}: {shown} not in the vocabulary ({self.vocabulary_source or 'default'})")
            return sorted({i for i in ids.values() if i})
        if not isinstance(text, str | bool):
            raise ValueError(f"{self.name} must be one label (text), not {type(text).__name__}")
        s = vocab.normalise(str(text).lower() if isinstance(text, bool) else text)
        if not s:
            raise ValueError(f"{self.name} must not be empty")
        if allowed is not None:
            if self.signal is not None:  # a declared vocabulary keeps its ids' case ("True Crime")
                by_fold = self._spellings(allowed)
                if s.casefold() in by_fold:
                    return by_fold[s.casefold()]
            if s.lower() in allowed:
                return s.lower()
            raise ValueError(f"{self.name} must be one of {', '.join(sorted(allowed)[:10])}, not {s!r:.60}")
        if self.name == "language" and not vocab.is_language_tag(s):
            raise ValueError(f"{self.name} must be a BCP-47 language tag like 'en' or 'pt-BR', not {s!r:.60}")
        bad = next((i for i, c in enumerate(s) if unicodedata.category(c) == "Cc" and not c.isspace()), None)
        if bad is not None:  # the page's box cannot type one; the catalog reader refuses a NUL in a field
            raise ValueError(f"{self.name} holds a control character (U+{ord(s[bad]):04X} at character {bad + 1}); "
                             "a label is text a person can read")
        s = " ".join(s.split())  # one line, as the tagger writes a text signal's value (signals.decide.verify)
        if len(s) > TEXT_LIMIT:  # the item page's box holds 200; the API must not take more than the tagger writes
            raise ValueError(f"{self.name} must be at most {TEXT_LIMIT} characters (a text signal's limit), "
                             f"not {len(s):,}")
        return s

    def _spellings(self, allowed: frozenset[str]) -> dict[str, str]:
        """A declared signal's ids by their case-folded spellings: the id, and a taxonomy entry's label
        ('Calm' for the id m1, as the page shows it and eval reads gold); a label two entries share
        names neither. {} for a built-in field (its ids are matched by ``vocab.match``)."""
        if self.signal is None:
            return {}
        if self.vocabulary is None:
            return {a.casefold(): a for a in allowed}
        return self._vocab_sets()[1]

    def _vocab_sets(self) -> tuple[frozenset[str], dict[str, str]]:
        """(``vocabulary`` as a set, ``_spellings``), built once per vocabulary: every gold value read
        goes through ``parse``, and a 1,800-entry taxonomy rebuilt both each time (1.7 ms a value).
        Keyed by the lists' identity: ``model_copy(update=...)`` gives a new list, so a new memo."""
        key = (id(self.vocabulary), id(self.labels_shown))
        if self._memo is None or self._memo[0] != key:
            ids = list(self.vocabulary or [])
            members = frozenset(ids)
            by_label: dict[str, set[str]] = {}
            for i, label in self.labels_shown.items():
                if i in members:
                    by_label.setdefault(label.casefold(), set()).add(i)
            spellings = {**{k: next(iter(v)) for k, v in by_label.items() if len(v) == 1},
                         **{a.casefold(): a for a in ids}}
            self._memo = (key, members, spellings)
        return self._memo[1], self._memo[2]

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

    def spread(self, values: list[Any]) -> float:
        """Annotator disagreement on [0, 1]: for numbers the population sd over the largest sd the
        range allows (half of it); for labels the mean pairwise distance."""
        if len(values) < 2:
            return 0.0
        if self.kind != "interval":
            pairs = [(a, b) for i, a in enumerate(values) for b in values[i + 1:]]
            return sum(self.distance(a, b) for a, b in pairs) / len(pairs)
        try:
            mean = sum(values) / len(values)
            sd = math.sqrt(sum((r - mean) ** 2 for r in values) / len(values))
        except OverflowError:  # ratings like 1e308: their squares overflow; exact arithmetic does not
            sd = statistics.pstdev(values)
        return min(1.0, sd / ((self.hi - self.lo) / 2))

    def consensus(self, values: list[Any]) -> Any:
        """Mean for numbers, labels at least half the annotators gave for sets, the majority label otherwise."""
        if not values:
            return None
        if self.kind == "interval":
            return round(sum(values) / len(values), 6)
        if self.kind == "set":
            counts = Counter(x for v in values for x in v)
            return sorted(x for x, c in counts.items() if c * 2 >= len(values))
        return Counter(map(str, values)).most_common(1)[0][0]

    def tied(self, values: list[Any]) -> bool:
        """Whether annotators' labels for a one-label field have no majority to decide: the most
        given label shares its count with another (alice 1970s, bob 1980s). ``consensus`` would
        then pick whichever came first, so an overlap store keeps such an item open for another
        annotator instead (numbers have a mean and sets a half rule: never tied). A declared text
        signal is never tied either: free text rarely matches word for word, so with overlap 2 its
        items stayed open through any number of annotators and export kept the gold unchanged; its
        decision is the most given text (the first saved among equals), and export lists each
        annotator's text with ``agreed: false``."""
        if self.kind in ("interval", "set") or self.control == "text" or len(values) < 2:
            return False
        top = Counter(map(str, values)).most_common(2)
        return len(top) == 2 and top[0][1] == top[1][1]

    def labels(self, value: Any) -> list[str]:
        """Human labels for the queue's label filter (a valence becomes its sentiment bin)."""
        if value is None:
            return []
        if self.kind == "interval":
            return [f"{float(value):g}"] if self.signal is not None else [sentiment_bin(float(value))]
        if self.kind == "set":
            return [str(v) for v in value]
        return [str(value)]


def signal_field(spec: Any) -> FieldSpec:
    """The review field of a declared signal (``linernotes.signals.spec.SignalSpec``): its kind's
    control, its vocabulary (true/false for boolean), its range, its instructions."""
    kind, control = SIGNAL_CONTROLS[spec.kind]
    lo, hi = spec.range if spec.range is not None else (-1.0, 1.0)
    vocab = [i for i, _ in spec.vocabulary] if spec.kind in ("multilabel", "single_label", "boolean") else None
    shown = {i: label for i, label in spec.vocabulary if label != i}
    return FieldSpec(name=spec.name, kind=kind, gold_key=spec.name, lo=lo, hi=hi, vocabulary=vocab,
                     vocabulary_source=f"signal {spec.name} ({spec.content_hash})" if vocab else "",
                     signal=spec.name, control=control, instructions=spec.instructions, labels_shown=shown,
                     applies_to=list(spec.applies_to))


NEUTRAL_BAND = 0.125  # half a point on VADER's -4..4 scale


def sentiment_bin(valence: float) -> str:
    if valence > NEUTRAL_BAND:
        return "positive"
    if valence < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


@lru_cache(maxsize=1)
def known_fields() -> tuple[FieldSpec, ...]:
    """The built-in fields' review templates: layout from ``BUILTIN_LAYOUTS``, kind from the
    shipped spec's kind (multilabel -> set, scalar -> interval, boolean/text -> nominal)."""
    from linernotes.signals.builtin import builtin_specs

    specs = builtin_specs()
    return tuple(FieldSpec(name=name, kind=SIGNAL_CONTROLS[specs[name].kind][0], **layout)
                 for name, layout in BUILTIN_LAYOUTS)


def detect_fields(row: dict[str, Any]) -> list[FieldSpec]:
    """The reviewable fields a gold row carries."""
    found: dict[str, FieldSpec] = {}
    named = row.get(ANNOTATORS_KEY) if isinstance(row.get(ANNOTATORS_KEY), dict) else {}
    labelled = {k for labels in named.values() if isinstance(labels, dict) for k in labels}
    for spec in known_fields():
        if spec.name not in found and row.get(spec.gold_key) is not None:
            found[spec.name] = spec
    for spec in known_fields():  # labelled by annotators but no consensus column yet
        if spec.name not in found and spec.name in labelled:
            found[spec.name] = spec
    return list(found.values())
