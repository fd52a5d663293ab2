"""Clean catalog texts an eval scores beside a policy gold set (spec ``clean``, ``CleanSpec``).

Each text becomes a gold item with no gold value of any task and the marker
``gold["<policy task>_clean"] = <its source>``: the task's accuracy, flag recall and ECE skip it
(they score items with a gold value), and ``evals.metrics.false_flags`` counts its flags. Items
the run's fusion artifact was fitted on are left out (``FieldFusion.trained_on``), so the
false-flag rate is a held-out figure for whatever artifact the eval runs with.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from linernotes.evals.gold import GoldItem
from linernotes.evals.spec import GoldSpec, SpecError
from linernotes.schema import TEXT_FIELDS, Item

if TYPE_CHECKING:
    from linernotes.evals.record import RunRecord

CLEAN_SOURCE = "clean"  # the source of a row without the spec's source_field


def clean_key(task: str) -> str:
    """The gold key that marks a clean text of ``task`` (its value: the text's source)."""
    return f"{task}_clean"


def is_clean(spec: GoldSpec, item: GoldItem) -> bool:
    """Whether ``item`` is one of the spec's clean texts (it carries the clean task's marker)."""
    return spec.clean is not None and clean_key(spec.clean.task or "") in item.gold


def _clean_keys(record: RunRecord) -> set[str]:
    """The gold keys that mark a run record's clean texts: one per policy task (the record keeps
    its tasks, not its spec, so a stored record is read without the spec)."""
    return {clean_key(str(t.get("name"))) for t in record.tasks if isinstance(t, dict) and t.get("kind") == "policy"}


def clean_ids(record: RunRecord) -> set[str]:
    """Ids of a run record's clean texts: its items marked with a policy task's clean key."""
    keys = _clean_keys(record)
    return {it.id for it in record.items if keys & set(it.gold or {})}


def clean_group(source: str) -> str:
    """A clean text's bootstrap cluster: its source. Texts of one source are alike (a source's
    false-flag rate differs from another's: 3.1% NYT editorial against 0% Bandcamp metadata out of
    fold), as a gold set's rows of one ``group_field`` value are, so they are resampled together.
    The prefix keeps a clean source apart from a gold group of the same name."""
    return f"\x00clean:{source}"


def cluster_keys(record: RunRecord) -> list[str | None]:
    """Each item's bootstrap cluster (``evals.bootstrap.group_codes``), in item order: its gold
    group, and a clean text's source (``clean_group``). Each clean text was its own cluster before
    (it has no group): with the policy prompts' 2 sources, the pooled ``ece_with_clean`` was
    resampled over 402 "clusters", 2 of them holding every gold item. Read from the source marker,
    not stored as the item's group, so records made before compare and re-score alike. A text
    without a source (marked ``CLEAN_SOURCE``: the spec's source_field is empty or absent) is its
    own cluster, as a gold item without a group is: the placeholder says nothing of how the texts
    are alike, and as one cluster 60 of them beside 15 ungrouped gold items were missing from ~37%
    of resamples (the pooled ECE's interval [0.049, 0.145] became [0.068, 0.365])."""
    keys = _clean_keys(record)
    out: list[str | None] = []
    for it in record.items:
        source = next((it.gold[k] for k in keys if k in (it.gold or {})), None)
        out.append(clean_group(str(source)) if source not in (None, CLEAN_SOURCE) else it.group)
    return out


def clean_path(spec: GoldSpec) -> Path:
    """``clean.data`` against the spec's folder, the current folder, then the shipped specs'
    folder (a copy of a shipped spec edited elsewhere still finds the shipped clean texts);
    SpecError when absent."""
    from importlib import resources

    if spec.clean is None:
        raise SpecError(f"spec {spec.name}: has no clean setting")
    raw = Path(spec.clean.data)
    here = Path(spec.origin).parent if spec.origin else Path.cwd()
    shipped = Path(str(resources.files("linernotes.evals").joinpath("specs")))
    for path in ([raw] if raw.is_absolute() else [here / raw, Path.cwd() / raw, shipped / raw]):
        if path.exists():
            return path
    raise SpecError(f"spec {spec.name}: clean.data {spec.clean.data!r} not found ({here / raw})")


def _source(item: Item, column: str) -> object:
    """The value of a clean row's ``column``: an extra column, or a catalog field (the record
    ``label`` a catalog groups its rows by was never read: every text counted as 'clean')."""
    if column in (item.extra or {}):
        return item.extra[column]
    return getattr(item, column, None) if column in Item.model_fields and column != "extra" else None


def _no_text(spec: GoldSpec, item: Item) -> str:
    """Why a clean row with none of the catalog's text fields is refused, naming its columns and,
    when one of them is a column the spec's ``inputs`` read from the gold set, the catalog field
    to write instead (the clean texts are read as a catalog, not through ``inputs``)."""
    columns = [k for k, v in item.model_dump(exclude={"id", "type", "extra"}, exclude_none=True).items() if v != ""]
    columns += list(item.extra or {})
    renames = [f"{dst} for {src}" for dst, src in spec.inputs.items() if src in (item.extra or {})]
    return (f"no text to tag (none of the catalog fields {', '.join(TEXT_FIELDS)}; its columns: "
            f"{', '.join(columns) or 'none but id'}); clean texts are read as liner tag reads a catalog, not "
            "through the spec's inputs" + (f": write {', '.join(renames)}" if renames else ""))


def load_clean(spec: GoldSpec, seed: int = 0, limit: int | None = None, exclude: frozenset[str] = frozenset(),
               trained_on: frozenset[str] = frozenset()) -> list[GoldItem]:
    """The spec's clean texts as gold items, read as ``liner tag`` reads a catalog (its errors:
    SpecError naming file and line: an unreadable row, or one with none of the catalog's text
    fields, which would count as an unflagged clean text whatever the field does with text).
    ``exclude``: ids of the gold set's rows, drawn by --limit or not (a clean row
    with one of them is refused: the two would share a prediction); ``trained_on``: id digests
    (``fusion.artifact.id_digest``) a fusion artifact was fitted on, left out. At most
    ``min(clean.limit, limit)`` of the rest, a seeded draw (``seed``, ``_draw``: the texts left out
    do not move the others) in file order."""
    from linernotes.fusion.artifact import id_digest
    from linernotes.store.catalog import CatalogError, read_catalog

    if spec.clean is None:
        return []
    rule = spec.clean
    path = clean_path(spec)
    task = rule.task or ""
    items: list[GoldItem] = []
    named, columns = False, set[str]()
    try:
        for row in read_catalog(path, keep_extra=True):
            if row.item is None:
                why = row.error.message if row.error is not None else "not readable"
                raise SpecError(f"{path}:{row.line}: clean text: {why}")
            item = row.item
            if not item.text_fields():  # scored as an unflagged clean text, it only lowers the rate
                raise SpecError(f"{path}:{row.line}: clean text {item.id!r}: {_no_text(spec, item)}")
            if item.id in exclude:
                raise SpecError(f"{path}:{row.line}: clean text id {item.id!r} is also a gold item's id of spec "
                                f"{spec.name}; give the clean texts ids of their own")
            source = _source(item, rule.source_field)
            named = named or source not in (None, "")
            columns.update(k for k, v in item.model_dump(exclude={"extra", "type"}, exclude_none=True).items() if v != "")
            columns.update(item.extra or {})
            inputs = item.model_dump(mode="json", exclude={"id", "type", "extra"}, exclude_none=True)
            items.append(GoldItem(id=item.id, group=None, inputs=inputs,
                                  gold={clean_key(task): str(source) if source not in (None, "") else CLEAN_SOURCE}))
    except CatalogError as e:
        raise SpecError(f"spec {spec.name}: clean.data: {e}") from None
    if items and not named and "source_field" in rule.model_fields_set:  # a typo counted every text as one source
        raise SpecError(f"{path}: no clean text has a value in column {rule.source_field!r} (clean.source_field of "
                        f"spec {spec.name}); its columns: {', '.join(sorted(columns))}")
    held = [id_digest(g.id) not in trained_on for g in items]
    return [items[i] for i in _draw(held, min(x for x in (rule.limit, limit, len(items)) if x is not None), seed)]


def _draw(held: list[bool], most: int, seed: int) -> list[int]:
    """Positions (file order) of at most ``most`` rows among those ``held`` out of the fusion fit:
    the seeded draw over every row, and for each drawn row the fit took, one more drawn from the
    held rows not drawn. A fit that took rows outside the draw leaves it as it is (the draw over
    the held rows alone moved wholesale when one of 400 texts was left out, so two fusion
    artifacts' runs scored other clean texts; ``liner gate`` refuses such a pair)."""
    n = len(held)
    if most >= n:
        return [i for i in range(n) if held[i]]
    first = np.random.default_rng(seed).choice(n, most, replace=False)
    keep, drawn = [int(i) for i in first if held[i]], set(first.tolist())
    rest = [i for i in range(n) if held[i] and i not in drawn]
    if len(keep) < most and rest:  # a second stream: the first draw stays what it was without exclusions
        more = np.random.default_rng([seed, 1]).choice(len(rest), min(most - len(keep), len(rest)), replace=False)
        keep += [rest[int(j)] for j in more]
    return sorted(keep)
