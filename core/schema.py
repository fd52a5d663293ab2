"""The boundary models: what a catalog item is, and what an enrichment record promises.

Everything that leaves linernotes (output lines, run records, review entries) is one of these,
so a consumer can validate a file with ``OutputRecord.model_validate_json`` line by line. Output
files are read back (resume, export, monitor, eval), so the record's models are ``TextNumbers``: a
quoted ``"1_0"`` in a number field is refused, never read as 10.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from linernotes.numbers import NumberTextError, TextNumbers, parse_float

SCHEMA_VERSION = "1.0"


def is_line_key(text: str) -> bool:
    """``line:N``: how an output keys a row without a usable id, so never an item's id (a row
    with that id and the input error at line N would share one record)."""
    return text.startswith("line:") and text[5:].isdigit() and text[5:].isascii()


# Characters no id may hold: Unicode's control characters (category Cc: U+0000-U+001F and
# U+007F-U+009F, tab, newline, carriage return and ESC among them) and its line and paragraph
# separators (Zl U+2028, Zp U+2029). An id is printed on one line in logs, error messages, the
# progress line and the review page: a newline split it over two, and an ESC wrote terminal
# escapes into liner's stderr. Other characters (spaces at either end, bidi controls, which the
# review page shows as [U+202E]) are kept: ids compare as text, exactly.
_ID_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def id_character_reason(text: str) -> str | None:
    """Why ``text`` cannot be an id for a character it holds (see ``_ID_BREAKERS``), naming the
    first such character's code point: ``id contains a control character U+001B``; None when it
    holds none."""
    m = _ID_BREAKERS.search(text)
    if m is None:
        return None
    ch = m.group()
    kind = {"\u2028": "a line separator", "\u2029": "a paragraph separator"}.get(ch, "a control character")
    return f"id contains {kind} U+{ord(ch):04X} (at character {m.start() + 1})"


def float_id_reason(value: float) -> str:
    """Why a float is no id (never its text: 1.0 and the id "1.0" would be one id)."""
    return (f"id {value!r} is a float; ids are strings or integers (an integer column with a missing value is "
            "stored as float by pandas: write it as Int64 or text)")


ItemType = Literal["track", "episode", "chapter"]
TextField = Literal["title", "artist", "album", "label", "description", "lyrics", "transcript"]
TEXT_FIELDS: tuple[str, ...] = ("title", "artist", "album", "label", "description", "lyrics", "transcript")



def without_empty(data: Any, key: str) -> Any:
    """A model's dump without ``key`` when that key's value is empty: a field added later stays out
    of dumps, digests and records that do not use it, so they are what they were before it."""
    if isinstance(data, dict) and not data.get(key):
        data.pop(key, None)
    return data


# The years an item may carry (recorded music and spoken word; 0 is read as unknown).
YEARS = (1000, 2999)


# A BCP-47 language tag's shape in any case, subtags joined by "-" or a POSIX locale's "_"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# The tags the tagger always took as the catalog's language (``agents.checks.BCP47``)
TAKEN_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def canonical_language_tag(tag: str) -> str:
    """``tag`` (matching ``LANGUAGE_TAG``) in BCP-47's conventional casing: the language lower
    case, a 4-letter script title case, a 2-letter region upper case, other subtags lower case;
    ``_`` becomes ``-``."""
    first, *rest = re.split(r"[-_]", tag)
    out = [first.lower()]
    for sub in rest:
        if len(sub) == 4 and sub.isalpha():
            out.append(sub.title())
        elif len(sub) == 2 and sub.isalpha():
            out.append(sub.upper())
        else:
            out.append(sub.lower())
    return "-".join(out)


def extra_text(value: object) -> str | None:
    """An extra column's value as context text: a string as it is, a list of strings or numbers
    joined with ", " (a JSONL ``tags: ["synthwave", "instrumental"]`` is the catalog's words as
    much as a CSV ``tags`` cell "synthwave, instrumental"); None for anything else (a bool, a
    nested object, an empty list). The tools read it (``agents.content.item_text``), so the
    catalog reader bounds it (``store.catalog``: at most ``MAX_FIELD_CHARS`` of it per row)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        words = [str(v) for v in value if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v)]
        return ", ".join(words) or None
    return None


# an id longer than this is refused (``Item``) and is no key for its row's error record either
# (``store.catalog.usable_id``)
MAX_ID_CHARS = 512


class Item(BaseModel):
    """One catalog row after reading and column mapping; unknown columns land in ``extra``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    type: ItemType = "track"
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    label: str | None = None
    year: int | None = None
    description: str | None = None
    lyrics: str | None = None
    transcript: str | None = None
    language: str | None = None
    audio_path: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, v: Any) -> Any:
        if isinstance(v, bool) or v is None:
            raise ValueError("id must be a non-empty string or integer")
        if isinstance(v, float):  # never its text: 1.0 and the id "1.0" would be one id
            raise ValueError(float_id_reason(v))
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str) and not v.strip():
            raise ValueError("id must not be blank")
        if isinstance(v, str) and (why := id_character_reason(v)) is not None:
            raise ValueError(why)
        if isinstance(v, str) and is_line_key(v):
            raise ValueError(f"id {v!r} is reserved: liner keys a row without a usable id as line:N; rename it")
        return v

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        """``Track`` or `` episode `` (a spreadsheet's capital, a stray space) is the type it names;
        anything else is left for the choice error to name."""
        if isinstance(v, str) and (t := v.strip().lower()) in get_args(ItemType):
            return t
        return v

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, v: Any) -> Any:
        """A language tag the tagger did not take as one (a capital or ``_`` in its language:
        ``EN``, ``en_us``, ``PT-br``) in BCP-47's own casing (``en``, ``en-US``, ``pt-BR``): tags
        are case-insensitive, but the tagger answered ``und`` for a catalog saying ``EN``. A tag it
        took (``en``, ``en-us``) is kept as written, so no record that was right changes; a value
        that is no tag (``English``) is kept as given."""
        if isinstance(v, str) and LANGUAGE_TAG.match(t := v.strip()) and not TAKEN_TAG.match(t):
            return canonical_language_tag(t)
        return v

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        """Catalog exports write years as ``2020``, ``"2020"`` or ``"2020.0"``; accept all three.
        ``0`` is unknown (ID3 tags and many exports write it so), like a blank; any other year
        outside ``YEARS`` is refused: the genres combiner reads the year as a feature, and
        ``1e30`` would be a value no fitted scaler has seen."""
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            raise ValueError("year must be a number")
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        elif isinstance(v, str):
            try:
                f = parse_float(v)
            except NumberTextError as e:
                raise ValueError(f"year {e}") from None
            except ValueError as e:
                raise ValueError(f"year {v!r} is not a number") from e
            if not f.is_integer():
                raise ValueError(f"year {v!r} is not a whole number")
            v = int(f)
        if isinstance(v, int):
            if v == 0:
                return None
            if not YEARS[0] <= v <= YEARS[1]:
                raise ValueError(f"year {v} is outside {YEARS[0]}-{YEARS[1]} (0 or blank for unknown)")
        return v

    def text_fields(self) -> dict[str, str]:
        """The free-text fields the tools and the LLM may read, in a stable order."""
        out = {}
        for name in TEXT_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


class EvidenceSpan(TextNumbers):
    """A quotation from the input: ``item.<field>[start:end] == text`` is checked by verify."""

    field: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class PolicyFlag(TextNumbers):
    policy_id: str
    clause_id: str
    severity: int = Field(ge=0, le=4, description="0 none .. 4 severe")
    spans: list[EvidenceSpan] = Field(default_factory=list)
    source: Literal["lexicon", "model", "lexicon+model", "fusion", "lexicon+fusion"] = "lexicon"
    confidence: float | None = Field(None, ge=0, le=1, description="fusion: calibrated P(this clause is right)")


class Explicit(TextNumbers):
    value: bool
    evidence: list[EvidenceSpan] = Field(default_factory=list)


# One field per built-in signal (signals/builtin/*.yaml), spelt out: the record is the stable output
# format (JSONL, the Parquet table's columns), and schema sits below signals in the layers.
# tests/signals/test_builtin_agreement.py fails when a built-in spec is added or renamed without it.
class Confidence(TextNumbers):
    """Per field, never taken from the model: a calibrated probability of being right for the
    fields in ``calibrated`` (learned fusion), else a hand-set score from tool/model agreement."""

    genres: float = Field(ge=0, le=1)
    moods: float = Field(ge=0, le=1)
    valence: float = Field(ge=0, le=1)
    language: float = Field(ge=0, le=1)
    explicit: float = Field(ge=0, le=1)
    policy: float = Field(ge=0, le=1)
    calibrated: list[str] = Field(default_factory=list, description="fields whose confidence is a calibrated "
                                  "probability of being right (fitted fusion); the others are hand-set scores")
    thresholds: dict[str, float] = Field(default_factory=dict, description="per calibrated field, the "
                                         "confidence it needed to be auto-accepted (the fusion artifact's threshold "
                                         "for the answer given); a calibrated field absent here is advisory (never "
                                         "routed), the others are routed below the run's review_threshold")
    # left out of the dump when empty (as Enrichment.signals): records without such a field are unchanged
    llm_only: list[str] = Field(default_factory=list, exclude_if=lambda v: not v,
                                description="fields holding a value only the LLM gave, no tool supporting it (a "
                                "mood the mood shortlist did not find in the item's text; a language no catalog "
                                "tag or language id named); their confidence is the flat hand-set 0.3, not a "
                                "measure of anything")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The per-field confidences, in schema order (every attribute but ``calibrated``,
        ``thresholds`` and ``llm_only``, which describe them)."""
        return tuple(n for n in cls.model_fields if n not in ("calibrated", "thresholds", "llm_only"))

    @staticmethod
    def calibrated_in(confidence: Any) -> list[str]:
        """The fields a record's ``confidence`` object, as written (JSON), lists as calibrated; []
        when it lists none or is malformed: only a list names fields ("policy" is a substring of
        a string "policy,x", which a membership test would have taken for a list)."""
        listed = confidence.get("calibrated") if isinstance(confidence, dict) else None
        return [f for f in listed if isinstance(f, str)] if isinstance(listed, list) else []


# The review reasons that name what they send to a person, first thing after their kind: a built-in
# field's ("low confidence: genres 0.26 < 0.50 (uncalibrated)", "to confirm: policy 0.91 (...)":
# agents.fields.low_confidence; "to confirm: policy malicious_uses in one passage ..." and "to
# confirm: policy: the text is longer ...": fusion.decide's notes), a declared signal's ("low
# confidence: signal mood 0.40 < 0.50 (...)", "no value: signal mood": agents.nodes.signals) and
# the policy flags' ("policy severity 3": agents.nodes.route)
_FIELD_REASON = re.compile(r"(?:low confidence|to confirm): ([a-z][a-z0-9_]*)[ :]")
_SIGNAL_REASON = re.compile(r"(?:low confidence|no value): signal ([a-z][a-z0-9_]*)(?: |$)")
_SEVERITY_REASON = re.compile(r"policy severity \d")


class Review(TextNumbers):
    routed: bool
    reasons: list[str] = Field(default_factory=list)

    @staticmethod
    def fields_in(review: Any) -> set[str]:
        """The fields a record's ``review`` object, as written (JSON), sends to a person, read from
        its reasons: a built-in field by name (``"policy"``), a declared signal as
        ``"signals.<name>"``. A reason that names no field (``"unresolved: ..."``, ``"audio: ..."``)
        adds none; a malformed object gives the empty set."""
        reasons = review.get("reasons") if isinstance(review, dict) else None
        out: set[str] = set()
        for r in reasons if isinstance(reasons, list) else []:
            if not isinstance(r, str):
                continue
            if m := _SIGNAL_REASON.match(r):
                out.add(f"signals.{m.group(1)}")
            elif m := _FIELD_REASON.match(r):
                out.add(m.group(1))
            elif _SEVERITY_REASON.match(r):
                out.add("policy")
        return out


def add_cost(a: float | None, b: float | None) -> float | None:
    """The sum of two costs in USD; unknown (``None``) when either is."""
    return None if a is None or b is None else a + b


def round_cost(a: float | None) -> float | None:
    """A cost as records hold it (8 decimals), unknown staying unknown."""
    return None if a is None else round(a, 8)


class Usage(TextNumbers):
    """LLM usage of one item: ``calls`` requests sent (every attempt, retries and re-asks
    included; not cache hits, not calls the SDK refused to send), tokens as the provider
    reported them, ``cost_usd`` from LiteLLM's price table (0 for the embedded model, ``None``
    — unknown, never a made-up 0 — when a call went to a model the table has no price for),
    ``latency_s`` wall seconds across attempts, ``retries`` transport retries; ``tokens_cached``:
    of ``tokens_in``, those the engine served from its prompt cache (a reused prefix), so the
    prompt tokens it evaluated are ``tokens_in - tokens_cached``."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float | None = 0.0
    latency_s: float = 0.0
    cache_hit: bool = False
    retries: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            tokens_cached=self.tokens_cached + other.tokens_cached,
            cost_usd=add_cost(self.cost_usd, other.cost_usd),
            latency_s=self.latency_s + other.latency_s,
            cache_hit=self.cache_hit and other.cache_hit,
            retries=self.retries + other.retries,
        )


class Provenance(TextNumbers):
    model: str
    prompt_hash: str
    schema_version: str = SCHEMA_VERSION
    tool_versions: dict[str, str] = Field(default_factory=dict)
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = Field(0, description="prompt tokens served from the engine's prompt cache (prefix reuse)")
    cost_usd: float | None = Field(0.0, description="USD from LiteLLM's price table; null: a call went to a model "
                                   "with no known price (unknown, not free)")
    latency_s: float = 0.0
    cache_hit: bool = False
    llm_calls: int = 0
    attempts: int = 1
    llm_consulted: bool = True
    llm_fields: list[str] | None = Field(None, description="the fields the LLM was asked about (the cascade "
                                         "asks only for undecided ones); [] when it was not consulted")
    fusion: str | None = Field(None, description="content hash of the fusion artifact that decided the fields")


class SignalValue(TextNumbers):
    """One declared signal's value for one item (``linernotes.signals``). ``value`` by kind:
    multilabel a list of vocabulary ids, single_label one id, scalar a number in the spec's range,
    boolean true/false, text a string; None when nothing could be decided. ``confidence`` is never
    the model's say-so (see ``signals.decide``). ``provenance``: ``spec_hash`` (the spec's content
    hash), ``kind``, ``source`` (llm | evidence | none | fitted), ``calibrated``, ``threshold``;
    with a fitted model (``--fusion``) ``model_hash`` (its file's content hash), or, when the
    folder's model was fitted on another spec hash, ``uncalibrated`` (why it was not applied)."""

    value: Any = None
    confidence: float = Field(ge=0, le=1)
    evidence: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)


class Enrichment(TextNumbers):
    """The validated record linernotes writes for one item."""

    schema_version: str = SCHEMA_VERSION
    genres: list[str] = Field(default_factory=list, description="taxonomy ids")
    moods: list[str] = Field(default_factory=list, description="mood vocabulary ids")
    valence: float = Field(ge=-1, le=1)
    language: str = Field(description="BCP-47 tag, 'und' when unknown, 'zxx' for a track with no vocals "
                          "(ISO 639-2: no linguistic content)")
    explicit: Explicit
    policy_flags: list[PolicyFlag] = Field(default_factory=list)
    confidence: Confidence
    rationale: str = ""
    review: Review
    provenance: Provenance
    evidence: dict[str, Any] = Field(default_factory=dict, description="tool outputs shown to the model")
    draft: dict[str, Any] | None = Field(None, description="the LLM's answer before verification and fusion "
                                         "(ids, level, clauses); None when the LLM was not consulted")
    # left out of every dump when empty by ``exclude_if``, which pydantic-core applies while it
    # serializes: a wrap model serializer (``without_empty``) made it build the whole record as
    # Python objects first and serialize those, ~47 -> ~23 us per record's JSON line (the same bytes)
    signals: dict[str, SignalValue] = Field(default_factory=dict, exclude_if=lambda v: not v,
                                            description="declared signals (``liner tag "
                                            "--signals``) by name; left out of the JSON when there are none, so "
                                            "a run without declared signals writes the records it always did")

    @field_validator("evidence", mode="after")
    @classmethod
    def _finite(cls, v: dict[str, Any]) -> dict[str, Any]:
        """JSON has no inf/NaN (they are written as null): make them null here, so a record
        equals what its output line reads back as."""
        return _finite_json(v)


_LEAVES = frozenset((str, int, bool, type(None)))


def _finite_json(v: Any) -> Any:
    """``v`` with every non-finite float (of any float type) made None and tuples made lists,
    containers copied. Exact types are dispatched inline (a record's evidence is ~200 nodes, most
    of them scalars in dicts: 2.5x faster than a call per node); any other type takes
    ``_finite_any``, the same rules by ``isinstance``."""
    t = type(v)
    if t is dict:
        out: dict[Any, Any] = {}
        for k, x in v.items():
            tx = type(x)
            out[k] = (x if x - x == 0.0 else None) if tx is float else x if tx in _LEAVES else _finite_json(x)
        return out
    if t is list or t is tuple:
        return [(x if x - x == 0.0 else None) if type(x) is float else x if type(x) in _LEAVES else _finite_json(x)
                for x in v]
    return _finite_any(v)


def _finite_any(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite_json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite_json(x) for x in v]
    return v


class ErrorInfo(TextNumbers):
    """Why an item has no enrichment. ``usage``: what the item's LLM attempts cost before it
    failed (every billed request, failed ones included); None when no LLM call was attempted
    (bad input, tool failure) and in records written before this field existed."""

    kind: str
    message: str
    line: int | None = None
    source: str | None = None
    usage: Usage | None = None


class OutputRecord(TextNumbers):
    """One output line: exactly one per input item, ok or error."""

    id: str
    status: Literal["ok", "error"]
    enrichment: Enrichment | None = None
    error: ErrorInfo | None = None

    @field_validator("id")
    @classmethod
    def _one_line_id(cls, v: str) -> str:
        """The id rule of every reader (``id_character_reason``): output files are read back by
        ``liner export``, ``liner monitor``, eval and review, and a hand-written record's ESC or
        newline id went on into their tables, logs and terminals. Raises ``ValueError`` naming the
        code point (a reader reports it with the file's line and reads on)."""
        if (why := id_character_reason(v)) is not None:
            raise ValueError(why)
        return v


def validation_reasons(e: ValidationError, most: int = 3, root: str = "") -> str:
    """The first ``most`` problems of ``e`` as ``key.path: reason``, joined by "; " (pydantic's
    own first line is only "N validation errors for X"). A problem with the whole object is
    ``root: reason``, or the reason alone when ``root`` is ""."""
    parts = []
    for err in e.errors()[:most]:
        loc = ".".join(map(str, err["loc"])) or root
        msg = error_message(err)
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def record_line_reason(e: ValidationError) -> str:
    """Why one line of a records file (``liner tag``'s output, an eval's predictions) is no
    ``OutputRecord``, from its ``model_validate_json`` error: "not JSON: <parser message>" or
    "not an output record: <first problem>". The parser saw one line, so its "line 1" is dropped
    (it would read as a second line number beside the file's)."""
    err = e.errors()[0]
    if err["type"] == "json_invalid":
        return "not JSON: " + re.sub(r" at line 1 column (\d+)$", r" at column \1", str(err["msg"]))
    return f"not an output record: {validation_reasons(e, most=1, root='record')}"


# pydantic's messages for a value outside a fixed set list the allowed values but not the one given
NAMES_NO_INPUT = ("literal_error", "enum")


def error_message(err: dict[str, Any]) -> str:
    """One ``ValidationError.errors()`` entry's message, without pydantic's "Value error, " before
    a validator's own reason (``year: year 'nineteen' is not a number``), with the value given
    when pydantic leaves it out of a choice error: ``Input should be 'track', 'episode' or 'chapter', not 'video'``
    (the value's repr cut to 60 characters: a cell may hold a whole transcript)."""
    msg = str(err["msg"]).removeprefix("Value error, ")  # pydantic's wrapper of a validator's own reason
    if err.get("type") in NAMES_NO_INPUT and "input" in err:
        given = repr(err["input"])
        msg += f", not {given if len(given) <= 60 else given[:57] + '...'}"
    return msg
