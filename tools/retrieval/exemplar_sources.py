"""Where exemplars come from: gold sets (JSONL, CSV, Parquet, ``datasets`` folders) and the
accepted items of a previous ``liner tag`` run, joined back to the catalog it read.

Only the fields a tagger may read become exemplar text, in the same order the graph builds an
item's text, so a query and its neighbours are written alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from linernotes.json_lines import file_lines, json_objects
from linernotes.labels import label_list
from linernotes.schema import TEXT_FIELDS, id_character_reason
from linernotes.store.catalog import read_catalog
from linernotes.store.records import is_record
from linernotes.tools.retrieval.exemplars import STRUCTURED_FIELDS, ExemplarRecord
from linernotes.tools.retrieval.taxonomy import slugify

# Common column names in catalog exports for the item fields (bandcamp: track, labelname).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "track", "name"),
    "artist": ("artist",),
    "album": ("album",),
    "label": ("label", "labelname"),
    "description": ("description",),
    "lyrics": ("lyrics",),
    "transcript": ("transcript",),
}
MAX_FIELD_CHARS = 1000


def exemplar_text(row: Mapping[str, Any]) -> str:
    """The item's readable fields joined in the graph's order; gold or leaky columns never enter."""
    parts = []
    for name in TEXT_FIELDS:
        for column in FIELD_ALIASES.get(name, (name,)):
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                parts.append(value.strip()[:MAX_FIELD_CHARS])
                break
    return " \n".join(parts)


def exemplar_fields(row: Mapping[str, Any]) -> dict[str, str]:
    """The row's ``STRUCTURED_FIELDS`` (artist, label, album) under their catalog aliases, stripped
    and capped like the text; a missing or blank field is left out (never matches anything)."""
    out = {}
    for name in STRUCTURED_FIELDS:
        for column in FIELD_ALIASES.get(name, (name,)):
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                out[name] = value.strip()[:MAX_FIELD_CHARS]
                break
    return out


class SkippedRows:
    """Rows of a labeled file that became no exemplar, by reason, each reason with its first row's
    place ("FILE:LINE (id 'x')"): an index build that added 6 of 10 rows said nothing of the other 4."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def note(self, reason: str, where: str, n: int = 1) -> None:
        self.counts[reason] += n
        self.first.setdefault(reason, where)

    def lines(self) -> list[str]:
        """One line per reason, most frequent first: 'N row(s): REASON (first: WHERE)'."""
        return [f"{n} row(s): {reason} (first: {self.first[reason]})" for reason, n in self.counts.most_common()]


def records_from_rows(rows: Iterable[Mapping[str, Any]], genres_field: str = "gold_genres",
                      to_id: Callable[[str], str] = slugify, source: str = "gold",
                      skipped: SkippedRows | None = None) -> Iterator[ExemplarRecord]:
    """Rows with an ``id`` and a list of genre labels (or ids) become records; rows without
    text or genres are skipped (they can neither be found nor vote), and so is a row repeating an
    earlier row's id (the first keeps it, as an index keeps the first record of an id): each is
    counted in ``skipped`` when given. A label cell that cannot be read (an object) is a
    ``ValueError`` naming ``source``, the row (1-based) and its id."""
    return _records(((f"{source}: row {n}", row) for n, row in enumerate(rows, start=1)), genres_field, to_id, source,
                    skipped)


def _records(rows: Iterable[tuple[str, Mapping[str, Any]]], genres_field: str, to_id: Callable[[str], str],
             source: str, skipped: SkippedRows | None = None) -> Iterator[ExemplarRecord]:
    """``records_from_rows`` over ``(where, row)`` pairs: ``where`` ("FILE:LINE", "FILE: row N")
    leads the message of a row whose label cell cannot be read, and names a skipped row."""
    seen: dict[str, str] = {}
    skipped = skipped if skipped is not None else SkippedRows()
    for where, row in rows:
        shown = f" (id {row['id']!r:.60})" if row.get("id") is not None else ""
        try:
            genres = label_list(row.get(genres_field))
        except ValueError as e:
            raise ValueError(f"{where}{shown}: {genres_field}: {e}") from None
        text = exemplar_text(row)
        if row.get("id") is None:
            skipped.note("no id", where)
        elif (why := id_character_reason(str(row["id"]))) is not None:
            # an exemplar's id is shown in records' evidence and in logs, on one line
            skipped.note(why.split(" (at character")[0], where + shown)
        elif not genres:
            skipped.note(f"no genre labels in {genres_field!r}", where + shown)
        elif not text:
            skipped.note("no text a tagger reads (title, description, lyrics ...)", where + shown)
        elif (key := str(row["id"])) in seen:
            skipped.note("repeats an earlier row's id (that row's labels are kept)", f"{where}{shown} repeats "
                         f"{seen[key]}")
        else:
            seen[key] = where
            yield ExemplarRecord(id=key, text=text, genres=list(dict.fromkeys(map(to_id, genres))),
                                 source=source, fields=exemplar_fields(row))


def records_from_file(path: str | Path, genres_field: str = "gold_genres",
                      to_id: Callable[[str], str] = slugify,
                      mapping: Mapping[str, str] | None = None,
                      skipped: SkippedRows | None = None) -> Iterator[ExemplarRecord]:
    """A gold file: JSONL, or anything ``datasets`` can open (CSV, Parquet, a save_to_disk folder).
    ``mapping`` renames columns like ``liner tag --map`` (``catalog.parse_mapping``: src -> dst).
    A bad line (JSONL) or label cell is a ``ValueError`` naming ``FILE:LINE`` (JSONL) or
    ``FILE: row N`` (the others, 1-based data rows) and the row's id. Rows that add no record are
    counted in ``skipped`` (see ``records_from_rows``)."""
    p = Path(path)
    if p.suffix == ".jsonl":
        rows: Iterable[tuple[str, Mapping[str, Any]]] = ((f"{p}:{n}", row) for n, row in json_objects(p))
    else:
        id_src = next((src for src, dst in (mapping or {}).items() if dst == "id"), "id")
        rows = ((f"{p}: row {n}", row) for n, row in enumerate(_dataset_rows(p, id_src), start=1))
    if mapping:
        rows = ((where, _renamed(row, mapping)) for where, row in rows)
    columns: list[str] = []
    found = False

    def watched(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        nonlocal found
        for where, row in rows:
            found = found or genres_field in row
            if not columns:
                columns.extend(map(str, row))
            yield where, row

    yield from _records(watched(rows), genres_field, to_id, source=p.name, skipped=skipped)
    if not found:  # a misspelt --genres-field built an empty index and said "added": 0
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        raise ValueError(f"{p}: no row has the column {genres_field!r} (columns: {shown or 'none, the file has no rows'}); "
                         "name the genre column with --genres-field")


def _renamed(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A mapped column wins over a column that already has the target name."""
    targets = set(mapping.values())
    out = {k: v for k, v in row.items() if k not in targets}
    out.update({dst: row[src] for src, dst in mapping.items() if src in row})
    return out


def _dataset_rows(p: Path, id_column: str = "id") -> Iterable[Mapping[str, Any]]:
    from linernotes.store.tables import load_table

    # the columns an exemplar's text and identity come from are text as written ('007', not 7)
    return iter(load_table(p, id_column, [c for names in FIELD_ALIASES.values() for c in names]))


def records_from_run(output: str | Path, catalog: str | Path, mapping: dict[str, str] | None = None,
                     accepted_only: bool = True, skipped: SkippedRows | None = None) -> Iterator[ExemplarRecord]:
    """Items of a previous run that came out ok (and, by default, were not routed to review),
    with their text read again from the catalog the run tagged (the output holds no text).
    Records that add no exemplar are counted in ``skipped`` by reason; a run none of whose
    labeled items is in ``catalog`` is a ``ValueError`` (the wrong catalog, most likely: it built
    an empty index, exit 0, '"added": 0')."""
    skipped = skipped if skipped is not None else SkippedRows()
    labels: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for n, raw in file_lines(output, ValueError, ": give a liner tag output"):
        at = f"{output}:{n}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:  # one such line stopped the build, naming no file or line
            skipped.note("not UTF-8 text", f"{at} (byte {e.start}: {e.reason})")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            rec = None
        if not is_record(rec):
            skipped.note("not an output record (a line cut short by a kill?)", at)
            continue
        enr = rec.get("enrichment") or {}
        if rec.get("status") != "ok":
            skipped.note("not ok in the run (an error record)", at)
        elif not enr.get("genres"):
            skipped.note("no genres in its record", at)
        elif accepted_only and (enr.get("review") or {}).get("routed"):
            skipped.note("routed to review (--include-routed adds these)", at)
        else:
            labels[str(rec["id"])] = list(enr["genres"])
            where[str(rec["id"])] = at
    for row in read_catalog(catalog, mapping=mapping):
        if row.item is None or row.item.id not in labels:
            continue
        item_id = row.item.id
        genres = labels.pop(item_id)
        fields = row.item.model_dump()
        text = exemplar_text(fields)
        if not text:
            skipped.note("no text a tagger reads in the catalog (title, description, lyrics ...)", where[item_id])
            continue
        yield ExemplarRecord(id=item_id, text=text, genres=genres, source=f"run:{Path(output).name}",
                             fields=exemplar_fields(fields))
    if labels and len(labels) == len(where):  # every labeled id is left: the catalog matched none
        raise ValueError(f"{catalog}: none of the {len(labels)} labeled items of {output} is in it (e.g. id "
                         f"{next(iter(labels))!r}); give the catalog that run tagged with --catalog")
    for item_id in labels:  # left: ids the catalog does not have
        skipped.note("its id is not in the catalog", where[item_id])


class LabelTally:
    """Counts the genre ids of the records passing through ``pass_through`` (records are a stream:
    the index build consumes them once) and names those ``taxonomy`` lacks: an exemplar label no
    taxonomy entry has can be voted for but never match the shortlist, and usually means a cell was
    read wrong (a separator the reader did not know, another vocabulary).

    ``taxonomy``: a shipped pack name or a YAML path, loaded here, before any record is read or
    written (raises FileNotFoundError/ValueError for one that cannot load)."""

    def __init__(self, taxonomy: str) -> None:
        from linernotes.tools.retrieval.taxonomy import load_taxonomy

        self.taxonomy = load_taxonomy(taxonomy)
        self.counts: Counter[str] = Counter()
        self.records = 0

    def pass_through(self, records: Iterable[ExemplarRecord]) -> Iterator[ExemplarRecord]:
        for r in records:
            self.records += 1
            self.counts.update(r.genres)
            yield r

    def outside(self) -> dict[str, int]:
        """Ids not in the taxonomy -> records carrying them, most frequent first (ties by id)."""
        bad = {g: n for g, n in self.counts.items() if g not in self.taxonomy}
        return dict(sorted(bad.items(), key=lambda kv: (-kv[1], kv[0])))
