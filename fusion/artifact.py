"""The fusion artifact: one JSON file of fitted combiners (no pickle), a model card, a hash.

Layout of a fusion folder::

    fusion.json      FusionArtifact: per record field, its kind, vocabulary, fitted model,
                     review threshold and cross-fitted metrics
    MODEL_CARD.md    the same, for people: data, features, folds, metrics, the fit command

``content_hash`` (sha256 of fusion.json's bytes, first 16 hex digits) goes into every record's
provenance. Loading validates every number through pydantic: a tampered or truncated file is a
``FusionError``, never code execution.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from linernotes.digest import short_digest
from linernotes.files import read_regular
from linernotes.fusion.multilabel import MultilabelModel
from linernotes.fusion.scalar import ScalarModel
from linernotes.fusion.singlelabel import SingleLabelModel
from linernotes.fusion.windows import MAX_WINDOWS
from linernotes.json_lines import first_non_finite
from linernotes.numbers import UNDERSCORE_REASON, TextNumbers

# 2: a single-label model may carry character n-grams (char_tfidf); a reader of format 1 would
# ignore them and misread the columns, so it must refuse. Format 1 files read as before.
# 3: a multilabel model may carry ``calibrator_context``, which replaces its isotonic calibrators;
# a format-2 reader would drop the unknown key and give the isotonic confidence, so an artifact
# that uses it is written as 3 (one that does not stays 2, readable by older linernotes).
# 4: a multilabel model may carry ``calibrator_by_size`` (isotonic maps by exemplar-index size,
# ``fusion.index_size``); an older reader would drop it and give the size-free confidence.
# 5: a scalar model may carry character n-grams (char_tfidf) and word terms with negation scopes
# marked (``negation`` in its TF-IDF parameters); an older reader would drop the first and misread
# the columns, or hand the second to scikit-learn, which refuses it.
# 6: a single-label model may carry ``max_words`` (the fitted domain's upper end); an older reader
# would drop it and classify texts longer than any it was fitted on.
FORMAT = 2
FORMAT_CONTEXT_CALIBRATOR = 3
FORMAT_SIZE_CALIBRATOR = 4
FORMAT_SCALAR_TEXT = 5
FORMAT_FITTED_LENGTH = 6
READS = (1, 2, 3, 4, 5, 6)
FILE = "fusion.json"
# Read whole and parsed (pydantic, then json for the finite check: a few times its size in memory):
# the shipped artifact is ~12 MB, and a fit on a catalog many times the dev sets' size stays well
# under this; a bigger file is not an artifact liner fit wrote (a data dump named fusion.json, a
# disk image), refused from its size before it is read.
MAX_FUSION_BYTES = 256 << 20
CARD = "MODEL_CARD.md"
TARGET_PRECISION = 0.95

Model = Annotated[MultilabelModel | ScalarModel | SingleLabelModel, Field(discriminator="kind")]


class FusionError(ValueError):
    """A fusion artifact that cannot be used (missing, unreadable, invalid)."""


class FieldFusion(TextNumbers):
    """The fitted combiner of one record field."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    field: str
    kind: str
    vocabulary: str = Field("", description="taxonomy / policy pack the model was fitted on ('' for scalars)")
    model: Model
    threshold: float | None = Field(ge=0, le=1, description="calibrated confidence at or above which the field is "
                                    "auto-accepted; None: no level reached the target precision out of fold, so "
                                    "the field is advisory (never a review reason, its confidence still calibrated)")
    flag_threshold: float | None = Field(None, ge=0, le=1, description="single label with a none class (policy): the "
                                         "threshold for a flag (an answer other than none), chosen over the flag "
                                         "answers alone, while ``threshold`` is then the none answers' own: pooled, "
                                         "the many right 'none' answers would carry weak flags through; 1.0 when no "
                                         "level reached the target (flags are reviewed); None: ``threshold`` for "
                                         "every answer (artifacts fitted before it)")
    trained_on: list[str] = Field(default_factory=list, description="``id_digest`` of every item the "
                                  "combiner was fitted on (gold ids, negatives included), sorted: lets ``liner "
                                  "eval`` say which of its items are in-sample; [] in artifacts fitted before it")
    target_precision: float = Field(TARGET_PRECISION, gt=0, le=1)
    card: dict[str, Any] = Field(default_factory=dict, description="data, folds and cross-fitted metrics")

    @model_validator(mode="after")
    def _kind_is_the_models(self) -> FieldFusion:
        # the field's kind picks how its record value is scored and decided; a kind that is not
        # its model's would route a genre list through a scalar's rules
        if self.kind != self.model.kind:
            raise ValueError(f"kind {self.kind!r} is not its model's ({self.model.kind!r})")
        return self


# the combiner kind each record field takes (what ``liner fit`` fits for it): a combiner of another
# kind under a field (a hand-merged file, one field's entry copied under another's key) failed
# every item ("internal.TypeError: float() argument must be ... 'NoneType'") or was used silently
FIELD_KINDS = {"genres": "multilabel", "valence": "scalar", "policy": "single_label"}


class FusionArtifact(TextNumbers):
    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    format: int = FORMAT
    fit_command: str = ""
    created: str = ""
    fields: dict[str, FieldFusion] = Field(default_factory=dict)
    content_hash: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _each_field_its_own(self) -> FusionArtifact:
        for name, entry in self.fields.items():
            if entry.field != name:
                raise ValueError(f"fields.{name}: holds the combiner of field {entry.field!r}")
            want = FIELD_KINDS.get(name)
            if want is not None and entry.kind != want:
                raise ValueError(f"fields.{name}: a {entry.kind} combiner; the {name} field takes a {want} one")
        return self

    def get(self, field: str, vocabulary: str = "") -> FieldFusion | None:
        """The combiner for ``field`` when it was fitted on this vocabulary (a genre model fitted on
        one taxonomy says nothing calibrated about another's labels)."""
        f = self.fields.get(field)
        if f is None or (f.vocabulary and vocabulary and f.vocabulary != vocabulary):
            return None
        return f


def id_digest(item_id: str) -> str:
    """A gold item id as ``FieldFusion.trained_on`` keeps it: the first 10 hex digits of its
    SHA-1 (short enough for ~20,000 ids in a few hundred KB; a chance collision on a
    10,000-item eval is ~1e-8)."""
    return hashlib.sha1(item_id.encode("utf-8")).hexdigest()[:10]


def in_sample(art: FusionArtifact | None, ids: list[str]) -> dict[str, int]:
    """Field -> how many of ``ids`` (gold ids) its combiner was fitted on; fields with none are
    left out."""
    if art is None:
        return {}
    digests = [id_digest(i) for i in ids]
    out = {}
    for name, entry in art.fields.items():
        seen = set(entry.trained_on)
        n = sum(d in seen for d in digests)
        if n:
            out[name] = n
    return out


def default_fusion_dir() -> Path:
    """The artifact shipped with linernotes (fitted on the three dev gold sets)."""
    return Path(str(resources.files("linernotes.fusion").joinpath("default")))


def load_fusion(path: str | Path) -> FusionArtifact:
    """From a fusion folder (or its fusion.json). Raises FusionError with a one-line reason."""
    p = Path(path)
    f = p / FILE if p.is_dir() else p
    # a device reads without end (MemoryError) and a FIFO blocks for good: refused before opening
    try:
        raw = read_regular(f, FusionError, ": give a fusion folder or its fusion.json", limit=MAX_FUSION_BYTES,
                           what="a fusion artifact")
    except OSError as e:
        raise FusionError(f"{f}: cannot read fusion artifact ({e.strerror or e})") from None
    try:
        art = FusionArtifact.model_validate_json(raw)
    except ValidationError as e:
        if (newer := _written_format(raw)) is not None and newer not in READS:  # its new keys are unknown here
            raise FusionError(_newer(f, newer)) from None
        raise FusionError(f"{f}: not a valid fusion artifact: {error_reason(first_error(e), raw)}") from None
    if art.format not in READS:
        raise FusionError(_newer(f, art.format))
    need, key = _needs(art)
    if key and art.format < need:  # an older reader would take the file and drop or misread ``key``
        raise FusionError(f"{f}: not a valid fusion artifact: {key}: needs format {need}, the file says "
                          f"format {art.format}")
    if missing := _missing_end(art):
        raise FusionError(f"{f}: not a valid fusion artifact: {missing}: none in a format-{art.format} file (every "
                          "single-label fit records its longest training text; without it the combiner would "
                          "classify text of any length): restore the number or refit")
    if not art.fields:
        raise FusionError(f"{f}: not a valid fusion artifact: fields: no fitted field (a fit writes one per "
                          "field kind it fitted)")
    # pydantic's float lists take NaN from JSON, and a NaN coefficient fails every item; the
    # tokens are searched first because parsing and walking the 12 MB default costs ~1 s
    found = first_non_finite(json.loads(raw)) if _NON_FINITE.search(raw) else None
    if found is not None:
        raise FusionError(f"{f}: not a valid fusion artifact: {found[0]}: not a finite number")
    art.content_hash = short_digest(raw)
    return art


_NON_FINITE = re.compile(rb"NaN|Infinity")


def _newer(f: Path, fmt: int) -> str:
    return (f"{f}: fusion format {fmt}, this linernotes reads {', '.join(map(str, READS))} "
            "(a newer linernotes wrote it: upgrade linernotes, or refit with this one: liner fit)")


def _written_format(raw: bytes) -> int | None:
    """The top-level ``format`` of a fusion.json that did not validate, None when it has no integer
    one (or is not JSON): a newer format may hold keys this version does not know, and then the
    format, not the first unknown key, is what to tell."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    return fmt if isinstance(fmt, int) and not isinstance(fmt, bool) else None


def first_error(e: ValidationError) -> Any:
    """The error of ``e`` to tell: its first unknown key (``extra_forbidden``) if any, else its
    first. A renamed key (``Kind`` for ``kind``, ``none_treshold``) is both an unknown key and a
    missing one, and pydantic lists the missing one first ('kind: Field required'), which hides
    the name the person wrote."""
    errors = e.errors(include_url=False)
    return next((err for err in errors if err["type"] == "extra_forbidden"), errors[0])


def error_reason(err: Any, raw: bytes) -> str:
    """One line for the first validation error: ``line L column C: reason`` when the bytes are not
    JSON (pydantic's message has no usable position on every version: it printed ": Invalid JSON"),
    ``key.path: reason`` for a wrong value, the reason alone for a wrong document."""
    if err["type"] == "json_invalid":
        try:
            json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as u:
            return f"byte {u.start}: not UTF-8 text ({u.reason})"
        except json.JSONDecodeError as j:
            return f"line {j.lineno} column {j.colno}: {j.msg}"
        except RecursionError:
            return "JSON is nested too deeply"
        # Python parses what pydantic refused (NaN, a number out of range): pydantic's own words
        detail = str((err.get("ctx") or {}).get("error") or err["msg"])
        m = re.fullmatch(r"(.*) at line (\d+) column (\d+)", detail)
        return f"line {m[2]} column {m[3]}: {m[1]}" if m else detail
    loc = ".".join(map(str, err["loc"]))
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":  # every model of the file forbids keys it does not have
        msg = "no such key (misspelt? a key this linernotes does not read would be ignored): remove it or fix its name"
    elif err["type"] in ("float_type", "int_type") and isinstance(err.get("input"), str):
        # the fitted arrays are strict (estimators.Fitted): numbers, never text that reads as one
        text = err["input"]
        msg += f", not the quoted text {text!r:.60}" + (f": {UNDERSCORE_REASON}" if "_" in text else "")
    return f"{loc}: {msg}" if loc else msg


def _missing_end(art: FusionArtifact) -> str:
    """The first single-label model without ``max_words`` in a file of format 6 or later, "" for
    none. A fit since format 6 always records it and no later key needs format 6, so a null there
    is a hand edit that would drop the fitted domain's end (the classifier's 'longer is cleaner'
    length feature is unbounded beyond it); older formats have no end, as they were fitted."""
    if art.format < FORMAT_FITTED_LENGTH:
        return ""
    return next((f"fields.{n}.model.max_words" for n, f in art.fields.items()
                 if isinstance(f.model, SingleLabelModel) and f.model.max_words is None), "")


def format_of(art: FusionArtifact) -> int:
    """The oldest format that holds everything ``art`` uses (see FORMAT)."""
    return _needs(art)[0]


def _needs(art: FusionArtifact) -> tuple[int, str]:
    """(the oldest format that holds everything ``art`` uses, the first key that needs it; "" for
    ``FORMAT``)."""
    def first(key: str) -> str:
        return next((f"fields.{n}.model.{key}" for n, f in art.fields.items()
                     if getattr(f.model, key, None) is not None), "")
    found = first("max_words")
    if found:
        return FORMAT_FITTED_LENGTH, found
    for name, f in art.fields.items():
        if isinstance(f.model, ScalarModel):
            if f.model.char_tfidf is not None:
                return FORMAT_SCALAR_TEXT, f"fields.{name}.model.char_tfidf"
            if f.model.tfidf.params.get("negation"):
                return FORMAT_SCALAR_TEXT, f"fields.{name}.model.tfidf.params.negation"
    for fmt, key in ((FORMAT_SIZE_CALIBRATOR, "calibrator_by_size"), (FORMAT_CONTEXT_CALIBRATOR, "calibrator_context")):
        found = first(key)
        if found:
            return fmt, found
    return FORMAT, ""


def save_fusion(art: FusionArtifact, folder: str | Path) -> str:
    """Write fusion.json atomically plus the model card; returns the content hash."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    art.format = format_of(art)  # a refit into a format-1 folder writes what this version reads
    blob = json.dumps(art.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    tmp = folder / (FILE + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, folder / FILE)
    art.content_hash = short_digest(blob)
    (folder / CARD).write_text(model_card(art), encoding="utf-8")
    return art.content_hash


def model_card(art: FusionArtifact) -> str:
    # a fit into an existing folder keeps the fields it does not cover: each field's own command is
    # named, or the card said every field was fitted by the last command
    commands = {f.card.get("command") or art.fit_command for f in art.fields.values()}
    mixed = len(commands) > 1
    lines = [f"# Fusion model card ({art.content_hash})", "",
             f"{'Last fitted' if mixed else 'Fitted'} {art.created} with: `{art.fit_command}`"
             + (" (fields fitted by other commands name theirs below)" if mixed else ""), "",
             "Every figure is cross-fitted: each item was scored by models that never saw it.", "",
             "A field's confidence is the calibrated probability that it is right: genres when at least one "
             "genre is chosen and none of them is wrong (`precise`), valence when within the spec's tolerance "
             "of gold (`within_tol`), policy when the category is the gold one (`correct`). "
             "`auto_accept_*` figures are at the field's review threshold (an advisory field, with none, is "
             "never sent to review: every answer is auto-accepted).", ""]
    for name, f in sorted(art.fields.items()):
        card = f.card
        lines += [f"## {name} ({f.kind}{', ' + f.vocabulary if f.vocabulary else ''})", "",
                  f"- data: {card.get('data', '')}",
                  f"- items: {card.get('items', '?')} ({card.get('with_draft', '?')} with an LLM draft)"
                  + (f"; {card['rows']} training rows (an item tagged in several regimes or index sizes is "
                     "several rows)" if card.get("rows", card.get("items")) != card.get("items") else ""),
                  *([f"- fitted with: `{card.get('command') or art.fit_command}`"] if mixed else []),
                  f"- folds: {card.get('folds', '')}",
                  f"- features: {', '.join(f.model.features)}",
                  (f"- review threshold: {f.threshold:.3f} (target precision of auto-accepted: {f.target_precision})"
                   if f.threshold is not None else
                   f"- review threshold: none (advisory: no confidence level reached {f.target_precision} precision)")]
        by_size = getattr(f.model, "calibrator_by_size", None)
        if by_size is not None:
            lines.append("- confidence by exemplar-index size (isotonic map per class; an index with no size in "
                         "the evidence: the size-free map): " + "; ".join(
                             f"{side.replace('_', ' ')} up to {', '.join(f'{e:,.0f}' for e in c.edges)} items and above"
                             for side, c in (("same_album", by_size.same_album), ("new_release", by_size.new_release))
                             if c is not None))
        max_words = getattr(f.model, "max_words", None)
        if max_words is not None:
            lines.append(f"- fitted domain: {f.model.MIN_WORDS} to {max_words} words of text (the longest training "
                         f"text of a class other than none; emoji and punctuation tokens count toward the "
                         f"{max_words}, not toward the {f.model.MIN_WORDS}); "
                         + ("shorter texts: the lexicon alone, uncalibrated; longer ones: passage by passage (below)"
                            if getattr(f.model, "window_rule", None) is not None else
                            "shorter or longer texts: the lexicon alone, uncalibrated"))
        rule = getattr(f.model, "window_rule", None)
        if rule is not None:
            lines.append(f"- long texts: read as passages (sentences of at most {max_words} tokens, up to "
                         f"{MAX_WINDOWS} of them); flagged when a passage's P(none) is below the level at which at most "
                         f"1 - (1 - {rule.budget})^(1/passages) of the fit's clean texts fell (Sidak, inner out of fold; "
                         "lowest scores kept of " + ", ".join(f"{t.count:,} {t.source}" for t in rule.tails)
                         + "): at most a " + f"{rule.budget:.1%}" + " false-flag rate per clean text of the fit's sources; such a flag is "
                         "uncalibrated and always routed to review")
        if f.flag_threshold is not None:
            lines.append(f"- flag review threshold: {f.flag_threshold:.3f} (an answer other than none, chosen over the "
                         f"flag answers alone; target precision {f.target_precision}"
                         + ("; no level reached it, so a flag is reviewed unless its confidence is 1.0)"
                            if f.flag_threshold >= 1.0 else ")"))
        for k, v in sorted((card.get("metrics") or {}).items()):
            lines.append(f"- {k}: {v}")
        lines.append("")
    return "\n".join(lines)


# The fewest auto-accepted items whose precision a threshold is judged by (fewer: noise).
MIN_ACCEPTED = 20


# The lowest review threshold any fitted field gets (evals.fit's _fit_task, declared signals'
# fits): an answer its calibrated confidence calls more likely wrong than right is never
# auto-accepted, however precise the answers above it are together.
REVIEW_FLOOR = 0.5


def choose_threshold(confidence: list[float], correct: list[bool], target: float = TARGET_PRECISION,
                     min_accepted: int = MIN_ACCEPTED, floor: float = 0.0) -> tuple[float | None, float, float]:
    """The lowest confidence threshold, at least ``floor``, whose auto-accepted items (confidence
    >= it) are at least ``target`` precise, counting at least ``min_accepted`` of them (a smaller
    share is noise). Returns (threshold, precision, coverage); (None, nan, 0.0) when no threshold
    reaches it."""
    pairs = sorted(zip(confidence, correct, strict=True), key=lambda x: -x[0])
    best: tuple[float | None, float, float] = (None, float("nan"), 0.0)
    right = 0
    for n, (c, ok) in enumerate(pairs, 1):
        if c < floor:
            break
        right += int(ok)
        if n < len(pairs) and pairs[n][0] == c:
            continue  # ties: the threshold accepts all of them or none
        if n >= min_accepted and right / n >= target:
            best = (float(c), right / n, n / len(pairs))
    return best
