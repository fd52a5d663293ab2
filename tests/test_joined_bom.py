"""Files joined with ``cat``, each saved with a UTF-8 byte-order mark, carry the mark at the start of
a line in the middle of the file. QA session 22: such a JSONL catalog's second file's first line
failed ('invalid JSON: Unexpected UTF-8 BOM'), the item lost from the run; a CSV row's id began
with U+FEFF ('\\ufeffb', matching no gold id); a JSONL gold set was refused at that line and a CSV
gold set read the id '\\ufeffb'. A mark at the start of any line is now dropped, by every reader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec
from linernotes.json_lines import json_objects
from linernotes.review.sources import read_gold_lines
from linernotes.store.catalog import read_catalog

BOM = b"\xef\xbb\xbf"


def _joined(*parts: str) -> bytes:
    return b"".join(BOM + p.encode("utf-8") for p in parts)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _catalog(path: Path) -> list[tuple[str, str | None, str | None]]:
    return [(r.key, r.item.title if r.item else None, r.error.message if r.error else None) for r in read_catalog(path)]


@pytest.mark.parametrize("name", ["c.jsonl", "c.jsonl.gz"])
def test_a_jsonl_catalog_joined_from_files_with_marks_reads_every_line(tmp_path: Path, name: str) -> None:
    data = _joined('{"id": "a", "title": "One"}\n', '{"id": "b", "title": "Two"}\n{"id": "c", "title": "Three"}\n')
    assert _catalog(_write(tmp_path / name, data)) == [("a", "One", None), ("b", "Two", None), ("c", "Three", None)]


@pytest.mark.parametrize("name", ["c.csv", "c.tsv.gz"])
def test_a_csv_row_after_a_mark_has_its_own_id(tmp_path: Path, name: str) -> None:
    sep = "\t" if ".tsv" in name else ","
    data = _joined(f"id{sep}title\na{sep}One\n", f"b{sep}Two\n", f"c{sep}Three\n")
    assert _catalog(_write(tmp_path / name, data)) == [("a", "One", None), ("b", "Two", None), ("c", "Three", None)]


def test_a_joined_csv_with_its_header_twice_names_the_second_header(tmp_path: Path) -> None:
    rows = _catalog(_write(tmp_path / "c.csv", _joined("id,title\na,One\n", "id,title\nb,Two\n")))
    assert [r[0] for r in rows] == ["a", "line:3", "b"] and "repeats the header line" in rows[1][2]


def test_joined_utf16_files_read_every_line(tmp_path: Path) -> None:
    # each file starts with UTF-16's own mark: the second is U+FEFF at the start of line 2
    data = b"".join(("\ufeff" + json.dumps({"id": i, "title": t}) + "\n").encode("utf-16-le")
                    for i, t in (("a", "One"), ("b", "Two")))
    assert _catalog(_write(tmp_path / "c.jsonl", data)) == [("a", "One", None), ("b", "Two", None)]


def test_json_objects_drops_a_mark_on_any_line(tmp_path: Path) -> None:
    p = _write(tmp_path / "g.jsonl", _joined('{"id": "a"}\n', '{"id": "b"}\n'))
    assert list(json_objects(p)) == [(1, {"id": "a"}), (2, {"id": "b"})]


def _spec(tmp_path: Path, data: str) -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    return spec


@pytest.mark.parametrize(("name", "parts"), [
    ("g.jsonl", ['{"id": "a", "text": "x", "ratings": [1]}\n', '{"id": "b", "text": "y", "ratings": [0]}\n']),
    ("g.csv", ["id,text,ratings\na,x,1\n", "b,y,0\n"]),
])
def test_a_joined_gold_set_reads_every_id_without_the_mark(tmp_path: Path, name: str, parts: list[str]) -> None:
    data = _write(tmp_path / name, _joined(*parts))
    gold = load_gold(load_spec(_spec(tmp_path, name)), data)
    assert [i.id for i in gold.items] == ["a", "b"]


@pytest.mark.parametrize(("name", "parts"), [
    ("g.jsonl", ['{"id": "a", "valence": 0.5}\n', '{"id": "b", "valence": -0.5}\n']),
    ("g.csv", ["id,valence\na,0.5\n", "b,-0.5\n"]),
])
def test_the_review_gold_reader_reads_the_ids_without_the_mark(tmp_path: Path, name: str, parts: list[str]) -> None:
    data = _write(tmp_path / name, _joined(*parts))
    assert [row["id"] for _, row in read_gold_lines(data)] == ["a", "b"]
