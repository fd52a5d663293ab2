"""One bad line never kills a review build (QA session 25). ``liner review build --gold CATALOG
--signals SPEC`` refused the whole catalog over one non-UTF-8 line ('hostile.jsonl:4: not UTF-8
text ...', exit 2), which ``liner tag`` makes one error record; so did a line that is not JSON or
not an object, a ragged or Latin-1 CSV row, a gold row of another column type, a bad line in the
``liner tag`` output given as --run and a bad item of an eval run record. Now each is skipped and
named (file, line or item, reason) in a warning, counted on the summary line, kept in the store
and listed by export's provenance.json (the new version lacks them); exit 2 only when no line of a
file is usable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.sources import SourceError
from linernotes.review.store import ReviewStore
from linernotes.signals.spec import load_signals

SPEC = "name: rude\nkind: boolean\ninstructions: Is it rude?\n"


def _spec(tmp: Path) -> list:
    (tmp / "rude.yaml").write_text(SPEC, encoding="utf-8")
    return load_signals([tmp / "rude.yaml"])


def _row(rid: str, **kw) -> bytes:
    return (json.dumps({"id": rid, "type": "track", "title": f"Title {rid}", **kw}) + "\n").encode()


BAD_JSONL_LINES = {
    "latin-1": (b'{"id": "bin", "title": "caf\xe9"}\n', "not UTF-8 text (byte 27: invalid continuation byte)"),
    "not json": (b'{"id": "cut", "title": \n', "not JSON ("),
    "a list": (b"[1, 2, 3]\n", "not a JSON object (a list)"),
    "a number": (b"42\n", "not a JSON object (a int)"),
    "surrogate": (b'{"id": "s", "title": "\\ud800"}\n', "not valid Unicode"),
    "key twice": (b'{"id": "x", "id": "y"}\n', "key 'id' appears twice"),
}


@pytest.mark.parametrize("kind", list(BAD_JSONL_LINES))
def test_a_bad_gold_line_is_skipped_and_named(tmp_path: Path, kind: str) -> None:
    line, says = BAD_JSONL_LINES[kind]
    gold = tmp_path / "c.jsonl"
    gold.write_bytes(_row("a") + line + _row("b"))
    result = build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    assert result.skipped_lines == 1 and result.gold_rows == 2
    assert any(n.startswith(f"{gold}:2: ") and says in n for n in result.notes), result.notes
    assert {i.id for i in ReviewStore(tmp_path / "s.sqlite").list_items()} == {"a", "b"}


def test_the_qa_catalog_through_the_cli(tmp_path: Path, liner_in_process) -> None:
    """The issue's shape: bad bytes on line 4, a list on line 6, among good rows; exit 0, every bad
    line named with its reason, the count on the summary line, export lists them."""
    gold = tmp_path / "hostile.jsonl"
    gold.write_bytes(_row("k0") + _row("k1") + _row("k2") + b'{"id": "bin", "title": "\xff\xfe bad"}\n'
                     + _row("k3") + b"[1,2,3]\n" + b"\n" + _row("k4"))
    (tmp_path / "rude.yaml").write_text(SPEC, encoding="utf-8")
    store = tmp_path / "s.sqlite"
    r = liner_in_process(["review", "build", "-o", store, "--gold", gold, "--signals", tmp_path / "rude.yaml"])
    assert r.returncode == 0, r.stderr
    assert f"{gold}:4: not UTF-8 text (byte 24: invalid start byte)" in r.stderr, r.stderr
    assert f"{gold}:6: not a JSON object (a list)" in r.stderr, r.stderr
    assert "queued 5 of 5 items" in r.stdout and "2 unreadable line(s) skipped" in r.stdout, r.stdout
    r = liner_in_process(["review", "export", "--store", store, "-o", tmp_path / "gold"])
    assert r.returncode == 0 and "2 unreadable gold line(s) skipped at build" in r.stdout, r.stdout + r.stderr
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text(encoding="utf-8"))
    assert prov["unread_gold_count"] == 2 and [u.split(": ")[0] for u in prov["unread_gold_lines"]] == [
        f"{gold}:4", f"{gold}:6"]
    assert prov["rows"] == 5


def test_a_rebuild_from_a_fixed_file_clears_the_list(tmp_path: Path) -> None:
    gold = tmp_path / "c.jsonl"
    gold.write_bytes(_row("a") + b"[1]\n")
    build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    gold.write_bytes(_row("a") + _row("b"))
    result = build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    assert result.skipped_lines == 0
    export_gold(ReviewStore(tmp_path / "s.sqlite"), tmp_path / "gold")
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text(encoding="utf-8"))
    assert prov["unread_gold_lines"] == [] and prov["unread_gold_count"] == 0


def test_a_gold_file_with_no_usable_line_is_refused_naming_the_first(tmp_path: Path) -> None:
    gold = tmp_path / "c.jsonl"
    gold.write_bytes(b"\xff\xfe\n[1]\n")
    with pytest.raises(SourceError, match=r"the gold set has no rows that review can read: 2 unreadable line\(s\) "
                                          r"skipped, the first .*c.jsonl:1: not UTF-8 text"):
        build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))


@pytest.mark.parametrize(("row", "says"), [
    (b"b,track,Caf\xe9\n", "field 'title' is not valid UTF-8 (byte 0xE9 after 'Caf')"),
    (b"b,track,B,extra\n", "row has 4 fields, header has 3"),
])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_bad_csv_row_is_skipped_and_named_the_rest_keep_their_row_numbers(tmp_path: Path, row: bytes, says: str,
                                                                          newline: bytes) -> None:
    gold = tmp_path / "c.csv"
    gold.write_bytes(b"".join(x.replace(b"\n", newline) for x in (b"id,type,title\n", b"a,track,A\n", row,
                                                                   b"c,track,007\n")))
    result = build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    assert result.skipped_lines == 1 and result.gold_rows == 2
    assert any(n.startswith(f"{gold}:3: {says}") for n in result.notes), result.notes
    store = ReviewStore(tmp_path / "s.sqlite")
    assert [r["id"] for r in store.gold_rows()] == ["a", "c"]
    assert store.gold_rows()[1]["title"] == "007"  # still read as the text written


def test_a_csv_row_spanning_lines_is_skipped_whole(tmp_path: Path) -> None:
    gold = tmp_path / "c.csv"
    gold.write_bytes(b'id,type,title\na,track,A\nb,track,"Caf\xe9\nsecond line"\n\nd,track,D\n')
    result = build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    assert any(n.startswith(f"{gold}:3-4: ") for n in result.notes), result.notes
    assert [r["id"] for r in ReviewStore(tmp_path / "s.sqlite").gold_rows()] == ["a", "d"]


def test_a_bad_line_in_the_tag_output_is_skipped_and_named(tmp_path: Path) -> None:
    """The --run file: that item is still in the gold set (the catalog), without a prediction."""
    gold = tmp_path / "c.jsonl"
    gold.write_bytes(_row("a") + _row("b"))
    run = tmp_path / "out.jsonl"
    ok = {"status": "ok", "enrichment": None, "error": None}
    run.write_bytes((json.dumps({"id": "a", **ok}) + "\n").encode() + b'{"id": "b", "status": "o\xe9"}\n'
                    + b'{"id": "b", "sta\n')
    result = build_store(tmp_path / "s.sqlite", run=run, gold=gold, signals=_spec(tmp_path))
    assert result.skipped_lines == 2, result.notes
    assert any(n.startswith(f"{run}:2: not UTF-8 text") and "no prediction" in n for n in result.notes), result.notes
    assert any(n.startswith(f"{run}:3: not JSON") for n in result.notes), result.notes
    assert ReviewStore(tmp_path / "s.sqlite").meta()["unread_gold_count"] == 0  # the gold set is whole


@pytest.mark.parametrize(("bad", "says"), [
    ({"inputs": {}}, "items[1]: no id"),
    ("a string", "items[1]: not a JSON object (a str)"),
    ({"id": "a", "inputs": {}}, "items[1]: id 'a' repeats items[0]"),
    ({"id": "b", "inputs": "text"}, "items[1] (id 'b'): inputs must be an object, not str"),
])
def test_a_bad_item_of_a_run_record_is_skipped_and_named(tmp_path: Path, bad, says: str) -> None:
    good = {"id": "a", "inputs": {"description": "fine"}, "gold": {"valence": 0.5, "valence_ratings": [0.5, -0.5]},
            "prediction": None, "status": "error", "error": {"kind": "x", "message": "m"}}
    other = {**good, "id": "c"}
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"items": [good, bad, other]}), encoding="utf-8")
    result = build_store(tmp_path / "s.sqlite", run=run)
    assert result.skipped_lines == 1
    assert any(n.startswith(f"{run}: {says}") for n in result.notes), result.notes
    assert {i.id for i in ReviewStore(tmp_path / "s.sqlite").list_items()} == {"a", "c"}


def test_a_line_over_the_line_limit_is_skipped_not_read_whole(tmp_path: Path, monkeypatch) -> None:
    """liner tag's limit (LINER_MAX_LINE_BYTES, 16 MiB by default): review read any line whole."""
    monkeypatch.setenv("LINER_MAX_LINE_BYTES", "200")
    gold = tmp_path / "c.jsonl"
    gold.write_bytes(_row("a") + _row("long", description="x" * 1000) + _row("b"))
    result = build_store(tmp_path / "s.sqlite", gold=gold, signals=_spec(tmp_path))
    assert any(n.startswith(f"{gold}:2: longer than 200 bytes") for n in result.notes), result.notes
    assert [r["id"] for r in ReviewStore(tmp_path / "s.sqlite").gold_rows()] == ["a", "b"]
