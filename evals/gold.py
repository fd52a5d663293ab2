"""Load a gold set with HF ``datasets`` and split every row into what the tagger may see and what
it must never see.

``GoldItem.inputs`` holds only the spec's allowlisted columns (renamed to Item fields);
``GoldItem.gold`` holds the answers. The tagger's input file is written from ``inputs`` alone.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from linernotes.digest import short_digest
from linernotes.evals.spec import GoldSpec, SpecError, TaskSpec
from linernotes.files import require_regular
from linernotes.json_lines import surrogate_problem
from linernotes.labels import label_list, label_text
from linernotes.numbers import NumberTextError, parse_float
from linernotes.schema import Item

if TYPE_CHECKING:
    from linernotes.tools.retrieval.exemplars import ExemplarRecord


def slugify(label: str) -> str:
    """The genre id function of the taxonomy packs (``psychedelic trance`` -> ``psychedelic-trance``,
    ``Forró`` in NFC or NFD -> ``forro``): ``tools.retrieval.taxonomy.slugify``, one rule for packs,
    gold and exemplar labels."""
    from linernotes.tools.retrieval.taxonomy import slugify as shared

    return shared(label)


class LabelCheck(BaseModel):
    """Gold labels of one multilabel task checked against its taxonomy: a label whose id is not in
    the taxonomy can never be predicted, so it only lowers recall."""

    task: str
    taxonomy: str
    labels: int = Field(description="distinct gold ids")
    unknown: int = Field(description="distinct gold ids not in the taxonomy")
    items: int = Field(description="gold items carrying at least one unknown id")
    examples: dict[str, str] = Field(default_factory=dict, description="up to 5: raw gold label -> its id")

    def message(self) -> str:
        shown = ", ".join(f"{raw!r} -> {gid!r}" for raw, gid in self.examples.items())
        return (f"gold labels not in taxonomy {self.taxonomy} ({self.task}): {self.unknown} of {self.labels} "
                f"distinct labels, on {self.items} items, e.g. {shown}; they can never be predicted")


def check_labels(spec: GoldSpec, gold: GoldSet) -> list[LabelCheck]:
    """One ``LabelCheck`` per multilabel task with a taxonomy (raises FileNotFoundError/ValueError
    for a taxonomy that cannot be loaded)."""
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    out = []
    for task in spec.tasks:
        if task.kind != "multilabel" or not task.taxonomy:
            continue
        tax = load_taxonomy(task.taxonomy)
        ids: set[str] = set()
        bad_ids: set[str] = set()
        examples: dict[str, str] = {}
        items = 0
        for item in gold.items:
            got = item.gold.get(task.name) or []
            bad = {g for g in got if g not in tax}
            ids.update(got)
            bad_ids |= bad
            items += bool(bad)
            for label in item.gold.get(f"{task.name}_labels") or []:
                gid = slugify(str(label))
                if gid in bad and len(examples) < 5 and gid not in examples.values():
                    examples[str(label)] = gid
        out.append(LabelCheck(task=task.name, taxonomy=tax.ref, labels=len(ids), unknown=len(bad_ids), items=items,
                              examples=examples))
    return out


def check_gold_values(spec: GoldSpec, items: Iterable[Any]) -> list[str]:
    """Warnings for built-in tasks' gold no prediction can match. Policy: a record's category is the
    ``clause_map`` value of its most severe flag, or ``none_label`` without one, so a gold label
    outside those (a typo: ``profanty``; a category the map lacks) is scored wrong on every run.
    Valence: a prediction lies in [-1, 1], so a gold mean outside it (ratings on another scale than
    the spec's ``scale``) is never within tolerance. One message per task, with the count and up
    to 3 examples."""
    out = []
    items = list(items)
    for task in spec.tasks:
        if task.kind == "valence" and task.signal is None:
            far = [(item.id, item.gold[task.name]) for item in items
                   if task.name in item.gold and abs(item.gold[task.name]) > 1]
            if far:
                shown = ", ".join(f"{i!r}: {v:g}" for i, v in far[:3])
                out.append(f"gold of task {task.name} on {len(far)} items is outside [-1, 1] after dividing the "
                           f"ratings by the spec's scale {task.scale:g}, e.g. {shown}; predictions lie in [-1, 1]: "
                           "is the scale right?")
        if task.kind != "policy" or not task.clause_map:
            continue
        known = {*task.clause_map.values(), task.none_label}
        bad = [(item.id, item.gold[task.name]) for item in items
               if task.name in item.gold and item.gold[task.name] not in known]
        if bad:
            shown = ", ".join(f"{i!r}: {v!r}" for i, v in bad[:3])
            out.append(f"gold of task {task.name} on {len(bad)} items is a category no prediction can have (not "
                       f"{task.none_label!r} nor a value of the spec's clause_map: {', '.join(sorted(known))}), "
                       f"e.g. {shown}; they are scored wrong on every run")
    return out


def check_groups(spec: GoldSpec, items: Iterable[Any]) -> list[str]:
    """Warnings for a ``group_field`` the rows leave empty. The bootstrap resamples groups, and an
    item without one is a cluster of its own: a misspelt ``group_field`` (no row has the column)
    made every interval an item-level one, with nothing said, while reports counted the items as
    clusters. ``items``: objects with ``id`` and ``group`` (GoldItem, ItemResult)."""
    if not spec.group_field:
        return []
    items = list(items)
    missing = [i.id for i in items if i.group is None]
    if not missing:
        return []
    column = f"column {spec.group_field!r} (the spec's group_field)"
    if len(missing) == len(items):
        return [f"no item has a value in {column}: each item is its own cluster in the bootstrap, so the intervals "
                "ignore how the items are grouped; is the column name right?"]
    shown = ", ".join(repr(i) for i in missing[:3])
    return [f"{len(missing)} of {len(items)} items have no value in {column}, e.g. {shown}: each of them is its own "
            "cluster in the bootstrap"]


def canonical_signal_gold(spec: GoldSpec, items: Iterable[Any], signals: Iterable[Any]) -> None:
    """Write each declared signal's gold labels as its ids, in place: a spec's labels are compared
    ignoring case and Unicode form (``signals.spec.label_key``), as review matches typed labels, so
    gold 'Sad' from a hand-made CSV is the id 'sad', not a label the tagger can never predict; a
    taxonomy signal's gold may name an entry by its label ('Books' is the id arts/books).
    Labels matching no id are kept as they are (``check_signal_gold`` warns about them).
    ``items``: objects with a ``gold`` dict (GoldItem, ItemResult)."""
    from linernotes.signals.spec import label_key

    declared = {s.name: s for s in signals}
    for task in spec.tasks:
        sig = declared.get(task.signal) if task.signal else None
        if sig is None or sig.kind not in ("single_label", "multilabel"):
            continue
        # a taxonomy entry's label names its id too ('Books' is arts/books), as review's type-ahead takes
        # it; a label two entries share names neither
        by_label: dict[str, set[str]] = {}
        for i, label in sig.vocabulary:
            by_label.setdefault(label_key(label), set()).add(i)
        ids = {k: next(iter(v)) for k, v in by_label.items() if len(v) == 1} | {label_key(i): i for i in sig.ids}
        for item in items:
            value = item.gold.get(task.name)
            if isinstance(value, str):
                item.gold[task.name] = ids.get(label_key(value), value)
            elif isinstance(value, list):
                item.gold[task.name] = sorted({ids.get(label_key(v), v) for v in value})


def check_signal_gold(spec: GoldSpec, items: Iterable[Any], signals: Iterable[Any]) -> list[str]:
    """Warnings for declared-signal gold the signal can never predict: a label outside its
    vocabulary (single_label, multilabel) or a number outside its ``range`` (scalar; predictions are
    clipped to it). ``items``: objects with ``id`` and ``gold`` (GoldItem, ItemResult); one message
    per task, with the count and up to 3 examples."""
    declared = {s.name: s for s in signals}
    out = []
    for task in spec.tasks:
        sig = declared.get(task.signal) if task.signal else None
        if sig is None or sig.kind not in ("single_label", "multilabel", "scalar"):
            continue
        bad: list[tuple[str, Any]] = []
        allowed = set(sig.ids) if sig.kind != "scalar" else set()
        for item in items:
            value = item.gold.get(task.name)
            if value is None:
                continue
            if sig.kind == "scalar":
                lo, hi = sig.range
                if not lo <= float(value) <= hi:
                    bad.append((item.id, value))
            else:
                outside = [v for v in ([value] if isinstance(value, str) else value) if str(v) not in allowed]
                if outside:
                    bad.append((item.id, outside if sig.kind == "multilabel" else outside[0]))
        if bad:
            where = (f"outside its range {list(sig.range)} (predictions are clipped to it)" if sig.kind == "scalar"
                     else "not in its labels (they can never be predicted)")
            shown = ", ".join(f"{i!r}: {v!r}" for i, v in bad[:3])
            out.append(f"gold of signal {sig.name} (task {task.name}) on {len(bad)} items is {where}, e.g. {shown}")
    return out


class GoldItem(BaseModel):
    id: str
    group: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    gold: dict[str, Any] = Field(default_factory=dict)


class GoldSet(BaseModel):
    spec: str
    data_path: str
    fingerprint: str
    items: list[GoldItem]
    missing_inputs: dict[str, str] = Field(default_factory=dict, description="Item field -> the input column "
                                           "of the spec that no row of the data has (the tagger never sees it)")
    other_types: dict[str, int] = Field(default_factory=dict, description="item type -> how many rows a 'type' "
                                        "column gives it, for types other than the spec's item_type (every item is "
                                        "tagged as item_type all the same)")
    all_ids: list[str] = Field(default_factory=list, exclude=True, description="every row's id, before a --limit "
                               "draw (a clean text may not take one: evals.clean)")


def _load_dataset(path: Path, id_column: str = "id", text_columns: Iterable[str] = ()) -> Any:
    from linernotes.store.tables import load_table

    try:
        return load_table(path, id_column, text_columns)
    except ValueError as e:
        where = _json_error(path) if path.is_file() and path.name.lower().endswith(".json") else None
        if where:  # datasets reports a byte position in a chunk; say the line
            raise SpecError(where) from None
        raise SpecError(str(e)) from None


def _json_error(path: Path) -> str | None:
    """``path:LINE: not JSON (reason)`` for a .json gold file that is not JSON (one document, or
    JSON lines), None when it parses."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        why = surrogate_problem(json.loads(text))
        return None if why is None else f"{path}: {why}"
    except UnicodeDecodeError as e:
        return f"{path}: not text (byte {e.start}: {e.reason})"
    except OSError:
        return None
    except json.JSONDecodeError as whole:
        if whole.msg != "Extra data":
            return f"{path}:{whole.lineno}: not JSON ({whole.msg} at column {whole.colno})"
    from linernotes.store.catalog import jsonl_records  # more than one document: JSON lines

    for n, record, problem in jsonl_records(path):
        if problem is not None:
            return f"{path}:{n}: not JSON ({problem[1]})"
        if (why := surrogate_problem(record)) is not None:
            return f"{path}:{n}: {why}"
    return None


def fingerprint(rows: list[dict[str, Any]]) -> str:
    """Content fingerprint with datasets' own Hasher: unlike ``Dataset._fingerprint`` it does not
    change when the same file sits at another path (a CI checkout), but does with any value."""
    from datasets.fingerprint import Hasher

    return Hasher.hash(rows)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, list | str) and len(value) == 0)


def gold_for(task: TaskSpec, value: Any) -> dict[str, Any]:
    """The canonical gold of one task for one row (empty when the row has none)."""
    if task.signal is not None and task.kind == "multilabel" and isinstance(value, list) and not value:
        # an explicit empty list: none of the signal's labels applies (review export writes a decision
        # of none so). Left out as "no gold", every label predicted on such items went uncounted:
        # precision was measured only where some label applied
        return {task.name: []}
    if not _present(value):
        return {}
    if task.signal is not None:  # a declared signal's vocabulary ids are its own (never slugified)
        try:
            gold = signal_gold(task.kind, value)
        except ValueError as e:
            raise SpecError(f"{task.gold_field}: {e}") from None
        if isinstance(gold, float) and math.isnan(gold):  # a 'nan' cell is an empty one, as a NaN number is
            return {}
        return {task.name: gold}
    if task.kind == "multilabel":
        labels = label_list(value)
        return {task.name: sorted({slugify(v) for v in labels}), f"{task.name}_labels": labels}
    if task.kind == "valence":
        try:
            ratings = [r / task.scale for r in _ratings(value)]
        except ValueError as e:
            raise SpecError(f"{task.gold_field}: {e}") from None
        if not ratings:  # every rater's cell missing: no gold, as an empty cell
            return {}
        return {task.name: sum(ratings) / len(ratings), f"{task.name}_ratings": ratings}
    if isinstance(value, list | dict):  # str() made "['insult']", a category nothing predicts
        raise SpecError(f"{task.gold_field}: {task.kind} gold is one category, got {_json_type(value)} "
                        f"{json.dumps(value, default=str)[:60]}")
    return {task.name: policy_category(task, str(value))}


def policy_category(task: TaskSpec, label: str) -> str:
    """A policy gold label as the category a prediction has (a ``clause_map`` value or
    ``none_label``) when it names one up to case, surrounding space and Unicode form, as declared
    signals' gold is read (``signals.spec.label_key``): a hand-made gold file's 'Profanity' or
    ' insult ' was scored wrong on every run. A label naming none is kept (``check_gold_values``
    warns about it)."""
    from linernotes.signals.spec import label_key

    known: dict[str, set[str]] = {}
    for category in (*task.clause_map.values(), task.none_label):
        known.setdefault(label_key(category), set()).add(category)
    match = known.get(label_key(label), set())
    return next(iter(match)) if len(match) == 1 else label


def _ratings(value: Any) -> list[float]:
    """A valence cell's ratings as numbers: a number or a list of them; a rater's null is a missing
    rating and left out. Raises ValueError for text that is not a number, a NaN or an infinity in
    a list (``[NaN, 1]`` was read as ``[1]`` without a word: a NaN is no rating anyone wrote, and
    the item's gold then rested on the other raters alone; one NaN kept in made the item's gold NaN
    and skipped every mean-based metric of the run), or an object. A cell that is NaN as a whole
    never gets here: it is an empty CSV cell (``gold_for``: no gold)."""
    out = []
    for r in value if isinstance(value, list) else [value]:
        if r is None:
            continue
        if isinstance(r, float) and math.isnan(r):
            raise ValueError("a rating is NaN (not a number); write null for a rater without a rating, or leave "
                             "the rater out")
        try:
            if isinstance(r, dict | list | bool):
                raise TypeError
            number = parse_float(r)
        except NumberTextError as e:
            raise ValueError(f"a rating {e}") from None
        except (TypeError, ValueError):
            raise ValueError(f"a rating is {json.dumps(r, default=str)[:40]}, not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"a rating is {r!r}, not a finite number")
        out.append(number)
    return out


def signal_gold(kind: str, value: Any) -> Any:
    """A declared signal's gold as scoring compares it: sorted ids, an id, "true"/"false", a float,
    a text (stripped; scoring normalises it further, ``evals.metrics.text``)."""
    if kind == "multilabel":
        return sorted(set(label_list(value)))
    if kind == "boolean":
        return _bool_text(value)
    if kind == "scalar":
        return _number(value)
    if kind == "text":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(f"text gold is text, got {_json_type(value)} {json.dumps(value, default=str)[:60]}")
        return label_text(value).strip()
    if isinstance(value, list | dict):  # str() made "['sad']", a label nothing predicts (as policy gold, gold_for)
        raise ValueError(f"{kind} gold is one label, got {_json_type(value)} {json.dumps(value, default=str)[:60]}")
    return label_text(value)  # a whole float is its integer label: a CSV column of numbers with a blank cell


def _number(value: Any) -> float:
    """A scalar gold cell as a float (NaN, including the text 'nan', is returned for the caller to
    treat as missing). Raises ValueError for true/false, a list or object, text that is not a
    number, or an infinity: one 'inf' cell made MAE and Pearson unscorable for the whole run
    ("no items to compute it on"), and JSON true was read as 1.0."""
    if isinstance(value, bool | list | dict):
        raise ValueError(f"scalar gold is a number, got {_json_type(value)} {json.dumps(value, default=str)[:40]}")
    try:
        number = parse_float(value)
    except NumberTextError as e:
        raise ValueError(f"scalar gold {e}") from None
    except (TypeError, ValueError):
        raise ValueError(f"scalar gold is a number, got {str(value)[:40]!r}") from None
    if math.isinf(number):
        raise ValueError(f"scalar gold is a finite number, got {str(value)[:40]!r}")
    return number


def _bool_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return "true"
    if text in ("false", "0", "no", "n"):
        return "false"
    raise SpecError(f"boolean gold {value!r} is not true/false")


def split_row(spec: GoldSpec, row: dict[str, Any]) -> GoldItem:
    raw_id = row.get(spec.id_field)
    if not _has_id(raw_id):
        raise SpecError(f"spec {spec.name}: a row has no {spec.id_field!r}")
    inputs = {dst: row.get(src) for dst, src in spec.inputs.items() if _present(row.get(src))}
    gold: dict[str, Any] = {}
    for task in spec.tasks:
        gold.update(gold_for(task, row.get(task.gold_field)))
    group = row.get(spec.group_field) if spec.group_field else None
    # an empty or blank cell (or a NaN) is no group, not one group of every such row
    group = str(group) if _present(group) and str(group).strip() else None
    return GoldItem(id=str(raw_id), group=group, inputs=inputs, gold=gold)


def load_gold(spec: GoldSpec, path: Path, limit: int | None = None, seed: int = 0) -> GoldSet:
    """All rows, or a seeded random sample of ``limit`` rows (gold files are often sorted by label,
    so the first N rows would be one class). Bad input raises SpecError naming the file and the
    line (JSONL) or row / id: ``gold.jsonl:7: not JSON (...)``, ``gold.jsonl:3: no 'id' ...``."""
    require_regular(path, SpecError, ": a gold set is a file or a datasets folder")  # a FIFO blocked for good
    if _is_jsonl(path):
        check_jsonl(spec, path)
    elif path.is_file() and path.name.lower().endswith((".csv", ".tsv")):
        check_csv(spec, path)
    # the group and the tagger's inputs are text as written (a CSV's album '007' is not group 7.0)
    ds = _load_dataset(path, spec.id_field, [c for c in (spec.group_field, *spec.inputs.values()) if c])
    if len(ds) == 0:
        raise SpecError(f"{path}: empty gold set (no rows)")
    missing = [c for c in [spec.id_field, *spec.inputs.values(), *spec.gold_fields] if c not in ds.column_names]
    if spec.id_field in missing or len(missing) == len(spec.inputs) + len(spec.gold_fields) + 1:
        raise SpecError(f"{path}: columns {missing} of spec {spec.name} are missing")
    absent = {dst: src for dst, src in spec.inputs.items() if src not in ds.column_names}
    if absent and len(absent) == len(spec.inputs):
        # the tagger would get items with nothing but their type: every score would be the
        # evidence of empty items, exit 0 (an `inputs:` typo such as `description: txt`)
        raise SpecError(f"{path}: none of the input columns of spec {spec.name} ({spec.origin or 'in memory'}) is in it "
                        f"({', '.join(f'inputs.{k}: {v}' for k, v in absent.items())}); the tagger would see "
                        f"nothing. Its columns: {', '.join(ds.column_names[:12])}")
    first_row: dict[str, int] = {}
    for i, raw_id in enumerate(ds[spec.id_field]):  # every row, before sampling: the row number is still known
        if not _has_id(raw_id):
            raise SpecError(f"{path}: row {i + 1}: no {spec.id_field!r} (the spec's id_field)")
        if (why := id_type_problem(raw_id)) is not None:
            raise SpecError(f"{path}: row {i + 1}: {spec.id_field}: {why}")
        first = first_row.setdefault(str(raw_id), i + 1)
        if first != i + 1:
            raise SpecError(f"{path}: row {i + 1}: {_repeat(raw_id, 'row', first)}")
    if limit is not None and limit < len(ds):
        # in memory: a shuffle otherwise writes an indices file next to a save_to_disk gold set
        # (into the package's folder for shipped gold, which may be read-only); same permutation
        ds = ds.shuffle(seed=seed, keep_in_memory=True).select(range(limit), keep_in_memory=True)
    rows = ds.to_list()
    items = []
    for r in rows:
        try:
            items.append(split_row(spec, r))
        except (SpecError, ValueError, TypeError) as e:  # a gold value of the wrong shape: name the row
            raise SpecError(f"{path}: id {str(r.get(spec.id_field))!r}: {e}") from None
    return GoldSet(spec=spec.name, data_path=str(path), fingerprint=fingerprint(rows), items=items,
                   missing_inputs=absent, other_types=other_types(spec, rows), all_ids=list(first_row))


def other_types(spec: GoldSpec, rows: list[dict[str, Any]]) -> dict[str, int]:
    """``{type: rows}`` of the rows whose ``type`` column names another item type than the spec's
    ``item_type`` (sorted by type). A gold set made from a mixed catalog (``liner review export``
    keeps the catalog's ``type``) was tagged as tracks throughout, podcast episodes given music
    genres, without a word: a spec tags one type, and ``inputs`` cannot map ``type``."""
    counts = Counter(t for r in rows if isinstance(r.get("type"), str)
                     and (t := r["type"].strip().lower()) and t != spec.item_type)
    return dict(sorted(counts.items()))


def _repeat(raw_id: Any, unit: str, first: int) -> str:
    # a gold set is refused whole, unlike a catalog (whose repeat is one error record): two gold
    # rows for one id are two answers for one item, and which one scores is not ours to guess
    return (f"id {str(raw_id)!r} repeats {unit} {first}; a gold set needs one row per id "
            f"(remove or merge one of the two)")


def _is_jsonl(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith((".jsonl", ".jsonl.gz"))


def _has_id(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def id_type_problem(value: Any) -> str | None:
    """Why a gold row's id cell is not an id (the catalog's rule, ``Item.id``: a string or an
    integer), or None. ``str()`` of anything else was the id, exit 0: ``5.5`` became ``'5.5'``,
    ``true`` ``'True'`` and ``{"a": 1}`` Python's ``"{'a': 1}"`` in the run record, and ``1`` and
    ``1.0`` (pandas' integer column with a missing value) were two ids, where a catalog refuses
    all of these (``liner tag``'s ``input.invalid``). A string or integer is then held to the rest
    of the catalog's rule (``store.catalog.id_problem``): 'NA', 'line:3', a NUL or a 600-character
    id were gold items no catalog row can be (review build refuses them too)."""
    from linernotes.store.catalog import id_problem

    if not isinstance(value, str | int | float):  # true/false (an int) and floats: id_problem's own reasons
        return f"id {json.dumps(value, default=str)[:60]} is {_json_type(value)}; ids are strings or integers"
    return id_problem(value)


def check_jsonl(spec: GoldSpec, path: Path) -> None:
    """Check a JSONL gold file line by line with the catalog's JSONL reader (same line numbers, same
    parse rules), so a bad line is named: ``path:LINE: reason`` (SpecError). Each line must be a
    JSON object with a non-empty id and at least one of the spec's gold columns, and a valence
    task's column no NaN or Infinity; the file must have at least one line."""
    from linernotes.json_lines import first_non_finite
    from linernotes.store.catalog import jsonl_records, line_limit

    reasons = {"input.invalid_json": "not JSON", "input.encoding": "not text",
               "input.line_too_long": "line too long"}
    gold = sorted(spec.gold_fields)
    seen = 0
    first_line: dict[str, int] = {}
    try:
        for n, record, problem in jsonl_records(path, line_limit()):
            if problem is not None:
                kind, reason = problem
                raise SpecError(f"{path}:{n}: {reasons.get(kind, kind)} ({reason})")
            if not isinstance(record, dict):
                raise SpecError(f"{path}:{n}: not a JSON object (got {_json_type(record)}); each gold line is one "
                                "object of columns")
            if (why := surrogate_problem(record)) is not None:  # pyarrow refuses it naming no line
                raise SpecError(f"{path}:{n}: {why}")
            if not _has_id(record.get(spec.id_field)):
                raise SpecError(f"{path}:{n}: no {spec.id_field!r} (the id column spec {spec.name} names)")
            if (why := id_type_problem(record[spec.id_field])) is not None:
                raise SpecError(f"{path}:{n}: {spec.id_field}: {why}")
            first = first_line.setdefault(str(record[spec.id_field]), n)
            if first != n:
                raise SpecError(f"{path}:{n}: {_repeat(record[spec.id_field], 'line', first)}")
            if not any(c in record for c in gold):
                raise SpecError(f"{path}:{n}: none of the gold columns {gold} of spec {spec.name} "
                                f"(has {sorted(record)[:8]})")
            for task in spec.tasks:  # JSON's NaN / Infinity: named at its line (past datasets a NaN is an empty cell)
                if task.kind == "valence" and (bad := first_non_finite(record.get(task.gold_field), task.gold_field)):
                    raise SpecError(f"{path}:{n}: {bad[0]}: a rating is {bad[1]!r}, not a finite number; write null "
                                    "for a rater without a rating, or leave the rater out")
            seen += 1
    except (OSError, EOFError) as e:  # an unreadable or truncated .gz
        raise SpecError(f"{path}: cannot read it ({e})") from None
    if not seen:
        raise SpecError(f"{path}: empty gold file (no JSON lines)")


def check_csv(spec: GoldSpec, path: Path) -> None:
    """Check a CSV/TSV gold file row by row with the catalog's CSV reader (``tables.check_csv_rows``:
    same rules, same line numbers): the first row it cannot read as a row is a SpecError
    ``path:LINE: reason``. datasets' reader said "DatasetGenerationError: An error occurred while
    generating the dataset" for a row with extra cells, and read an unclosed quote's following rows
    into one field without a word (22 of 40 items scored)."""
    from linernotes.store.tables import check_csv_rows

    try:
        check_csv_rows(path, mapping={} if spec.id_field == "id" else {spec.id_field: "id"})
    except ValueError as e:
        raise SpecError(str(e)) from None


def _json_type(value: Any) -> str:
    names = {list: "an array", dict: "an object", str: "a string", bool: "true/false", int: "a number",
             float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def tagger_id(item_id: str) -> str:
    """An opaque id for the tagger: gold ids can spell the answer (``dna-human_chatbox-070``)."""
    return "item-" + short_digest(item_id)


def tagger_record(spec: GoldSpec, item: GoldItem) -> dict[str, Any]:
    """The catalog row the tagger gets: an opaque id, type, allowlisted inputs. Nothing else."""
    return {"id": tagger_id(item.id), "type": spec.item_type, **item.inputs}


def to_tagger_item(spec: GoldSpec, item: GoldItem) -> Item:
    from linernotes.store.catalog import to_item

    return to_item(tagger_record(spec, item), keep_extra=False)


def write_tagger_input(spec: GoldSpec, items: list[GoldItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(tagger_record(spec, item), ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)


def exemplar_items(spec: GoldSpec, full: GoldSet, sample: GoldSet) -> list[GoldItem]:
    """The gold items an eval may hand the tagger as labeled neighbours: never an evaluated item
    and, under ``exclude: groups``, never one sharing an evaluated item's group."""
    if spec.exemplars is None:
        return []
    held = {i.id for i in sample.items}
    rule = spec.exemplars
    groups = {i.group for i in sample.items if i.group is not None} if rule.exclude == "groups" else set()
    if rule.exclude == "field" and rule.field:
        shared = {norm_key(i.inputs.get(rule.field)) for i in sample.items} - {None}
        return [i for i in full.items if i.id not in held and norm_key(i.inputs.get(rule.field)) not in shared]
    return [i for i in full.items if i.id not in held and (i.group is None or i.group not in groups)]


def norm_key(value: Any) -> str | None:
    """An exclusion key: case- and space-insensitive, so "Circuit " and "circuit" are one album."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return " ".join(str(value).casefold().split())


def exemplar_records(spec: GoldSpec, items: list[GoldItem]) -> list[ExemplarRecord]:
    """Index records written exactly like a tagged catalog item's (``records_from_run``): text from
    the Item the tagger would get, so a query and its neighbours read alike; genres from the task's
    gold labels; opaque tagger ids. Items without text or genres are skipped (they cannot vote)."""
    from linernotes.tools.retrieval.exemplar_sources import records_from_rows

    if spec.exemplars is None:
        return []
    labels = f"{spec.exemplars.task}_labels"
    return list(records_from_rows(_exemplar_rows(spec, items, labels), genres_field=labels,
                                  source=f"gold:{spec.name}"))


def _exemplar_rows(spec: GoldSpec, items: list[GoldItem], labels: str) -> Iterator[dict[str, Any]]:
    for item in items:
        try:
            row = to_tagger_item(spec, item).model_dump()
        except ValueError:  # the tagger would answer it with an error record; nothing to show
            continue
        yield {**row, labels: item.gold.get(labels) or []}
