"""Declared content signals: a YAML spec says what a signal is; nothing else needs code.

A spec file holds one signal (a mapping) or several (a list of mappings)::

    name: decade
    kind: single_label                 # multilabel | single_label | scalar | boolean | text
    labels: [1970s, 1980s, 1990s]      # or taxonomy: <pack name or path>; scalar: range: [lo, hi]
    applies_to: [track]                # item types; default all
    instructions: The decade the recording sounds like.
    evidence: [shortlist, audio]       # shortlist | exemplars | audio | lexicon | signals
    review_threshold: 0.5              # confidence below this routes the value to review

Errors (``SignalSpecError``, exit 2 in the CLI) name the file, the 1-based line and the key.
Each spec carries ``content_hash``: sha256 of its canonical JSON (and of its taxonomy pack's text
when it names one), so a record says exactly which definition produced its value.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from linernotes.files import MAX_CONFIG_BYTES, read_regular_text, special_kind
from linernotes.labels import SEPARATORS
from linernotes.numbers import TextNumbers
from linernotes.signals.yaml_lines import (
    SECOND_DOCUMENT,
    KeyedError,
    YamlNumber,
    YamlSyntaxError,
    line_of,
    load_with_lines,
    pydantic_reason,
)

SignalKind = Literal["multilabel", "single_label", "scalar", "boolean", "text"]
EvidenceKind = Literal["shortlist", "exemplars", "audio", "lexicon", "signals"]
ITEM_TYPES = ("track", "episode", "chapter")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_LIMIT = 200  # characters of one label (review's text box holds 200)
KEYS = ("name", "kind", "labels", "taxonomy", "range", "applies_to", "instructions", "evidence",
        "review_threshold")


def label_key(text: str) -> str:
    """What two spellings of one label share: 'Rock', 'rock', 'ROCK ' and fullwidth 'Ｒｏｃｋ' (NFKC,
    case-folded, stripped). A spec's labels are distinct under it, so it maps any spelling to one id."""
    return unicodedata.normalize("NFKC", str(text)).casefold().strip()


BOOLEAN_SPELLINGS = {"true": "true", "1": "true", "yes": "true", "y": "true",
                     "false": "false", "0": "false", "no": "false", "n": "false"}


def boolean_id(value: Any) -> str | None:
    """A boolean signal's gold cell as its id: JSON true, 1, 'Yes', 'y' -> 'true' (and the false
    spellings -> 'false'), as a hand-made gold column writes it; None when it names neither."""
    if isinstance(value, bool):
        return str(value).lower()
    return BOOLEAN_SPELLINGS.get(str(value).strip().lower())


def reserved_names() -> dict[str, str]:
    """Names a declared signal may not take, and why: the catalog's item fields (``Item``: id, type,
    title, ...), the built-in record fields (their values live in ``Enrichment.<field>``, and eval
    tasks / review fields / metrics are keyed by that name), the metric namespaces an eval
    report already uses (``run.*``, ``baseline.*``, ``rationale.*``) and the gold columns review
    reads as a built-in field or as annotators' labels (``mean``, ``ratings``, ``gold_genres``,
    ``annotators``, ...)."""
    from linernotes.schema import Enrichment, Item
    from linernotes.vocabulary import LLM_FIELDS

    # a catalog column: review reads a gold set's column of the signal's name as its gold (the
    # item's own title, type or id), hides it from the annotator and export overwrites it ('id')
    out = {n: "a catalog field of every item (review and export would take that column as its gold)"
           for n in Item.model_fields}
    out.update({n: "a record field of every enrichment" for n in Enrichment.model_fields})
    out.update({n: "a built-in signal" for n in LLM_FIELDS})
    out.update({n: "a metric namespace of eval reports" for n in ("run", "baseline", "rationale")})
    # a built-in field's column in the gold sets review reads (VADER's mean/ratings, bandcamp's
    # gold_genres): a gold set exported with the signal's column of that name was read back, without
    # --signals, as that field (QA session 25: a 0-10 signal 'mean' became valence, 9.0 / 4 = 2.25)
    from linernotes.vocabulary import ANNOTATORS_KEY, BUILTIN_LAYOUTS

    for field, layout in BUILTIN_LAYOUTS:
        for key in (layout.get("gold_key"), layout.get("ratings_key")):
            if key and key not in out:
                out[key] = f"the gold column review reads as the built-in {field}"
    out[ANNOTATORS_KEY] = "the gold column review reads each annotator's labels from"
    return out


def cell_problem(ids: list[str], kind: str) -> str | None:
    """Why a vocabulary cannot be written in a gold table's cell and read back, or None.

    A label a CSV/TSV reader takes for no value ('NA', 'None', 'null': pandas' ``na_values``,
    ``store.catalog.NA_MARKERS``) was read as missing: review queued the item as unlabelled and
    export wrote null over it. In a multilabel cell ',', ';' and '|' separate labels
    (``linernotes.labels.SEPARATORS``): ['jazz', 'rock, pop'] came back as three labels."""
    from linernotes.store.catalog import NA_MARKERS

    if marker := next((x for x in ids if x.strip() in NA_MARKERS), None):
        return (f"label {marker!r} is what a CSV/TSV gold set writes for no value (as pandas and R read it): "
                "its items would be read as unlabelled and exported as null; spell it out (e.g. 'North America', "
                "'no region')")
    bad = next((x for x in ids if SEPARATORS.search(x)), None) if kind == "multilabel" else None
    if bad is None:
        return None
    return (f"label {bad!r} holds {SEPARATORS.search(bad).group().strip()!r}, which separates the labels of a "
            "multilabel cell (a CSV gold set's 'calm, happy', the text cell review export writes): it would be read "
            "back as several labels; write it without ',', ';' or '|' (e.g. 'rock/pop')")


class SignalSpecError(ValueError):
    """A signal spec cannot be used: ``file:line: key: reason`` (exit code 2)."""


class SignalSpec(TextNumbers):
    """One declared signal (the YAML keys, validated). ``content_hash`` and ``origin`` are set by
    the loader, never read from YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(description="record key: enrichment.signals.<name>; [a-z][a-z0-9_]*")
    kind: SignalKind
    labels: list[str] | None = Field(None, description="the vocabulary (multilabel, single_label)")
    taxonomy: str | None = Field(None, description="a taxonomy pack name or YAML path as vocabulary")
    range: tuple[YamlNumber, YamlNumber] | None = Field(None, description="scalar: [lo, hi]")
    applies_to: list[Literal["track", "episode", "chapter"]] = Field(default_factory=lambda: list(ITEM_TYPES))
    instructions: str = Field("", max_length=4000, description="what the LLM (and the annotator) is told")
    evidence: list[EvidenceKind] = Field(default_factory=list)
    review_threshold: YamlNumber = Field(0.5, ge=0, le=1)
    content_hash: str = ""
    origin: str = Field("", exclude=True, description="the file it came from (not part of its identity)")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.fullmatch(v):  # fullmatch: "$" alone lets a trailing newline through
            raise ValueError(f"{v!r} must be lower case letters, digits and _, starting with a letter (<= 40)")
        return v

    @field_validator("instructions", mode="before")
    @classmethod
    def _instructions(cls, v: Any) -> Any:
        # an omitted key keeps the default; a key given empty is a spec left unfinished (the LLM
        # and the annotator would be told nothing about what the signal means)
        if v is None or (isinstance(v, str) and not v.strip()):
            raise ValueError("is empty; say what the signal means (the LLM and the annotators read it)")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        # NFC: review matches typed text NFC-normalised, so a label written decomposed ('Gru' +
        # U+0308, as macOS file names and some editors store it) could never be chosen there
        labels = [unicodedata.normalize("NFC", str(x)).strip() for x in v]
        if not labels:
            raise ValueError("needs at least one label")
        if (long := next((i for i, x in enumerate(labels) if len(x) > LABEL_LIMIT), None)) is not None:
            # every label is in each item's prompt and answer grammar, and a review control: a
            # 100,000-character label was taken and sent with every item
            raise KeyedError((long,), f"label {long + 1} is {len(labels[long]):,} characters; a label is at most "
                                      f"{LABEL_LIMIT} (say more in instructions)")
        if (blank := next((i for i, x in enumerate(labels) if not x), None)) is not None:
            # at the item's own line: 'needs at least one non-empty label' beside [a, " "] read as wrong
            raise KeyedError((blank,), f"label {blank + 1} of {len(labels)} is {'blank' if v[blank] else 'empty'}; "
                                       "remove it or give it a name")
        hidden = [x for x in labels if any(unicodedata.category(c) in ("Cc", "Cf") for c in x)]
        if hidden:  # a newline, tab or zero-width character: an annotator cannot see or type it
            raise ValueError(f"label {hidden[0]!r} holds a control or invisible character")
        # 'Rock', 'rock' and fullwidth 'Ｒｏｃｋ' are one label to an annotator and to the model
        folded = [label_key(x) for x in labels]
        dup = sorted({x for x, f in zip(labels, folded, strict=True) if folded.count(f) > 1})
        if dup:
            forms = "" if all(x.isascii() for x in dup) else (
                "; and Unicode forms: an accent composed or not, fullwidth letters")
            raise ValueError(f"duplicate labels {dup[:5]} (labels are compared ignoring case){forms}")
        return labels

    @model_validator(mode="after")
    def _by_kind(self) -> SignalSpec:
        vocab = self.labels is not None or self.taxonomy is not None
        if self.labels is not None and self.taxonomy is not None:
            raise KeyedError("taxonomy", "give labels or taxonomy, not both")
        if self.labels is not None and (why := cell_problem(self.labels, self.kind)):
            raise KeyedError("labels", why)
        if self.kind in ("multilabel", "single_label") and not vocab:
            raise KeyedError("kind", f"a {self.kind} signal needs labels: [...] or taxonomy: <pack>")
        if self.kind not in ("multilabel", "single_label") and vocab:
            raise KeyedError("labels" if self.labels is not None else "taxonomy",
                            f"a {self.kind} signal has no vocabulary")
        if self.kind == "scalar":
            if self.range is None:
                raise KeyedError("kind", "a scalar signal needs range: [lo, hi]")
            if not self.range[0] < self.range[1]:
                raise KeyedError("range", f"lo must be below hi, got {list(self.range)}")
            # the width is divided everywhere (eval's default tolerance is an eighth of it, the
            # review slider's step a hundredth, the fit scales by it): [-1e308, 1e308] spans inf and
            # eval failed after tagging with 'validation error for TaskSpec', naming no file
            width = self.range[1] - self.range[0]
            if not math.isfinite(width):
                raise KeyedError("range", f"hi - lo of {list(self.range)} is beyond the largest number (inf); "
                                          "give ends whose difference is finite")
            if width / 100 < sys.float_info.min:
                raise KeyedError("range", f"hi - lo of {list(self.range)} is {width:g}, too narrow to divide "
                                          "(review's slider steps by a hundredth of it); widen it")
        elif self.range is not None:
            raise KeyedError("range", f"only scalar signals have a range (this one is {self.kind})")
        if "shortlist" in self.evidence and not vocab:
            raise KeyedError("evidence", "shortlist needs a vocabulary (labels or taxonomy)")
        if not self.applies_to:
            raise KeyedError("applies_to", "needs at least one item type")
        return self

    def applies(self, item_type: str) -> bool:
        return item_type in self.applies_to

    @cached_property
    def vocabulary(self) -> list[tuple[str, str]]:
        """``[(id, label)]``: the labels as written, or the taxonomy's entries; [] without one."""
        if self.labels is not None:
            return [(x, x) for x in self.labels]
        if self.taxonomy is not None:
            from linernotes.tools.retrieval.taxonomy import load_taxonomy

            return [(e.id, e.label) for e in load_taxonomy(self.taxonomy).entries]
        if self.kind == "boolean":
            return [("true", "true"), ("false", "false")]
        return []

    @property
    def ids(self) -> list[str]:
        return [i for i, _ in self.vocabulary]


def _hash(data: dict[str, Any], taxonomy_text: str | None) -> str:
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    h = hashlib.sha256(blob.encode("utf-8"))
    if taxonomy_text is not None:
        h.update(b"\0" + taxonomy_text.encode("utf-8"))
    return h.hexdigest()[:16]


def _taxonomy_text(ref: str, folder: Path) -> tuple[str, str]:
    """(the reference a worker process can load, the pack's text) for a pack name or a path
    relative to the spec's folder. Raises ValueError when neither exists."""
    from importlib import resources

    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref:
        full = p if p.is_absolute() else folder / p
        if not full.is_file():
            raise ValueError(f"no taxonomy file {ref!r} (looked at {full})")
        return str(full.resolve()), full.read_text(encoding="utf-8")
    res = resources.files("linernotes.packs").joinpath(f"{ref}.yaml")
    if not res.is_file():
        raise ValueError(f"no shipped taxonomy named {ref!r}")
    return ref, res.read_text(encoding="utf-8")


def parse_signals(text: str, origin: str) -> list[SignalSpec]:
    """Specs from YAML text; ``origin`` names the file in errors and resolves relative taxonomy paths."""
    return [spec for spec, _ in _parse(text, origin)]


def _parse(text: str, origin: str) -> list[tuple[SignalSpec, int]]:
    """``parse_signals`` with the 1-based line of each spec's ``name`` key."""
    where = origin
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as e:
        hint = " (several signals: a list, each item starting '- name:')" if e.reason == SECOND_DOCUMENT else ""
        raise SignalSpecError(f"{where}:{e.line}: not valid YAML: {e.reason}{hint}") from None
    if not lines or data is None:
        raise SignalSpecError(f"{where}:1: empty signal spec (needs name and kind)")
    if data == []:  # '[]' (or 'signals: []' trimmed) declared nothing: --signals then added no signal, silently
        raise SignalSpecError(f"{where}:1: an empty list declares no signal (each item: a mapping starting '- name:')")
    docs = data if isinstance(data, list) else [data]
    prefix: tuple[Any, ...] = () if isinstance(data, dict) else ()
    out: list[tuple[SignalSpec, int]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(docs):
        base = (*prefix, i) if isinstance(data, list) else ()
        if not isinstance(raw, dict):
            raise SignalSpecError(f"{where}:{line_of(lines, base)}: a signal spec is a mapping of "
                                  f"{', '.join(KEYS)}; got {type(raw).__name__}")
        for key in raw:
            if key not in KEYS:
                raise SignalSpecError(f"{where}:{line_of(lines, (*base, key))}: {key}: unknown key "
                                      f"(allowed: {', '.join(KEYS)})")
        try:
            spec = SignalSpec.model_validate(raw)
        except ValidationError as e:
            loc, msg = pydantic_reason(e.errors()[0])
            key = ".".join(map(str, loc)) or "spec"
            raise SignalSpecError(f"{where}:{line_of(lines, (*base, *loc))}: {key}: {msg}") from None
        taxonomy_text = None
        update: dict[str, Any] = {"origin": origin}
        if spec.taxonomy is not None:
            try:
                ref, taxonomy_text = _taxonomy_text(spec.taxonomy, Path(origin).parent)
                from linernotes.tools.retrieval.taxonomy import load_taxonomy

                entries = load_taxonomy(ref).entries
            except (ValueError, OSError) as e:
                raise SignalSpecError(f"{where}:{line_of(lines, (*base, 'taxonomy'))}: taxonomy: "
                                      f"{str(e).splitlines()[0]}") from None
            update["taxonomy"] = ref
            if not entries:  # as labels: [] is refused; the run failed every item ('max() arg is an empty sequence')
                raise SignalSpecError(f"{where}:{line_of(lines, (*base, 'taxonomy'))}: taxonomy: {spec.taxonomy} has no "
                                      f"entries; a {spec.kind} signal needs at least one label")
            if why := cell_problem([e.id for e in entries], spec.kind):
                raise SignalSpecError(f"{where}:{line_of(lines, (*base, 'taxonomy'))}: taxonomy: an entry's id: {why}")
        update["content_hash"] = _hash(spec.model_dump(mode="json", exclude={"content_hash", "origin", "taxonomy"})
                                       | {"taxonomy": spec.taxonomy}, taxonomy_text)
        if spec.name in seen:
            raise SignalSpecError(f"{where}:{line_of(lines, (*base, 'name'))}: name: signal {spec.name!r} is "
                                  f"declared twice (first on line {seen[spec.name]})")
        seen[spec.name] = line_of(lines, (*base, "name"))
        out.append((spec.model_copy(update=update), seen[spec.name]))
    return out


def load_signals(paths: list[str | Path]) -> list[SignalSpec]:
    """Every spec of every file, in order. Errors (``file:line: key: reason``): a name declared
    twice (across files too), or a name reserved for a built-in field or metric namespace
    (``reserved_names``; the shipped built-in specs are loaded by ``signals.builtin``, not here)."""
    out: list[SignalSpec] = []
    names: dict[str, str] = {}
    reserved = reserved_names()
    given: set[Path] = set()
    for p in paths:
        path = Path(p)
        if path.is_dir():  # "no such file" for a folder that exists sends the user looking for a typo
            raise SignalSpecError(f"{path}: is a folder; --signals takes spec files (repeat it per file)")
        if not path.is_file():
            kind = special_kind(path)  # "not a regular file" did not say what it is
            raise SignalSpecError(f"{path}: " + (f"is {kind}, not a regular file" if kind else "not a regular file"
                                                 if path.exists() else "no such signal spec file"))
        if path.resolve() in given:  # else: "declared at <this same file>", which reads as a bug
            raise SignalSpecError(f"{path}: given twice (each spec file once)")
        given.add(path.resolve())
        try:
            text = read_regular_text(path, SignalSpecError, limit=MAX_CONFIG_BYTES, what="a signal spec")
        except (OSError, UnicodeDecodeError) as e:
            raise SignalSpecError(f"{path}: cannot read it ({e})") from None
        for spec, line in _parse(text, str(path)):
            if spec.name in reserved:
                raise SignalSpecError(f"{path}:{line}: name: {spec.name!r} is {reserved[spec.name]}; a declared "
                                      "signal needs a name of its own")
            if spec.name in names:
                raise SignalSpecError(f"{path}:{line}: name: signal {spec.name!r} is also declared at "
                                      f"{names[spec.name]}")
            names[spec.name] = f"{path}:{line}"
            out.append(spec)
    return out


def signals_for(specs: list[SignalSpec], item_type: str) -> list[SignalSpec]:
    return [s for s in specs if s.applies(item_type)]
