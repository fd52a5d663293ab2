"""An id holding a control character (Unicode Cc: tab, newline, CR, ESC, C1 ...) or a line/paragraph
separator (U+2028, U+2029) is no id, wherever ids enter: the catalog readers (JSONL, CSV, Parquet),
the service's items, review build, ``liner eval``/``liner fit`` gold and an exemplar index's rows.
QA (session 24 leftovers): ``store.catalog.id_problem`` refused NUL and lone surrogates only, so an
id with a newline split one-line logs and error messages over two, and one with ESC wrote terminal
escapes into liner's stderr. The refusal names the code point; one bad row never stops the rest;
spaces at either end stay part of the id (ids compare as text, exactly)."""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from linernotes.schema import Item, id_character_reason
from linernotes.store.catalog import id_problem, read_catalog

BAD = {"tab\there": "U+0009", "new\nline": "U+000A", "cr\rid": "U+000D", "esc\x1b[31mred": "U+001B",
       "del\x7fid": "U+007F", "nel\x85id": "U+0085", "csi\x9bid": "U+009B", "ls\u2028id": "U+2028",
       "ps\u2029id": "U+2029", "bel\x07": "U+0007"}
GOOD = [" padded ", "a b", "nbsp\u00a0id", "bidi\u202eid", "zwj\u200did", "emoji-\U0001f3b5", "ünï", "x" * 512]


def test_the_rule_is_exactly_unicode_cc_zl_and_zp() -> None:
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cs":
            continue
        refused = id_character_reason(f"a{ch}b") is not None
        assert refused == (unicodedata.category(ch) in ("Cc", "Zl", "Zp")), hex(cp)


@pytest.mark.parametrize(("raw", "cp"), list(BAD.items()))
def test_id_problem_and_item_name_the_code_point(raw: str, cp: str) -> None:
    why = id_problem(raw)
    assert why is not None and why.startswith("id contains ") and cp in why, why
    with pytest.raises(ValueError, match=re.escape(cp)):
        Item(id=raw)


@pytest.mark.parametrize("raw", GOOD)
def test_other_ids_are_kept_as_written(raw: str) -> None:
    assert id_problem(raw) is None and Item(id=raw).id == raw


def _assert_rows(rows: list, source: Path, first_line: int = 1) -> None:
    """Row ``n`` of BAD (in order) is an error at its line naming the file and the code point; the
    good rows around them are items under their ids."""
    bad = [r for r in rows if r.error is not None]
    good = [r.item.id for r in rows if r.item is not None]
    assert good == ["before", *GOOD, "after"]
    assert len(bad) == len(BAD)
    for row, cp in zip(bad, BAD.values(), strict=True):
        assert row.key == f"line:{row.line}" and row.raw_id is None  # never written under the id
        assert row.error.kind == "input.invalid" and row.error.source == str(source)
        assert "id contains " in row.error.message and cp in row.error.message, row.error.message


def _records() -> list[dict]:
    return [{"id": i, "title": "t"} for i in ["before", *BAD, *GOOD, "after"]]


def test_jsonl_catalog(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    rows = list(read_catalog(p))
    _assert_rows(rows, p)
    assert [r.line for r in rows if r.error is not None] == list(range(2, 2 + len(BAD)))


def test_csv_catalog(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "title"])
        w.writeheader()
        w.writerows(_records())
    _assert_rows(list(read_catalog(p)), p)


def test_parquet_catalog(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "c.parquet"
    recs = _records()
    pq.write_table(pa.table({"id": [r["id"] for r in recs], "title": [r["title"] for r in recs]}), p)
    _assert_rows(list(read_catalog(p)), p)


def test_review_build_skips_such_rows_naming_them(tmp_path: Path) -> None:
    from linernotes.review.sources import load_source
    from tests.review.conftest import vader_row

    gold = tmp_path / "g.jsonl"
    gold.write_text("".join(json.dumps(vader_row(i, [1, 2])) + "\n" for i in ["before", *BAD, "after"]),
                    encoding="utf-8")
    source = load_source(gold=gold)
    assert [it.id for it in source.items] == ["before", "after"]
    assert len(source.notes) == len(BAD)
    for note, cp in zip(source.notes, BAD.values(), strict=True):
        assert cp in note and "cannot be reviewed" in note and "\n" not in note and "\x1b" not in note, note


def _spec(tmp_path: Path, data: str) -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    return spec


@pytest.mark.parametrize(("raw", "cp"), [("esc\x1b[2J", "U+001B"), ("two\nlines", "U+000A"), ("ls\u2028", "U+2028")])
def test_eval_and_fit_gold_refuse_it_at_its_line(tmp_path: Path, raw: str, cp: str) -> None:
    from linernotes.evals.gold import load_gold
    from linernotes.evals.spec import SpecError, load_spec

    rows = [{"id": f"r{n}", "text": f"text {n}", "ratings": [n % 3 - 1]} for n in range(4)]
    rows[2]["id"] = raw
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, "g.jsonl")), data)
    assert str(e.value).startswith(f"{data}:3: id: id contains ") and cp in str(e.value), str(e.value)
    table = tmp_path / "g.csv"  # read through datasets: named by its row
    with open(table, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "ratings"])
        w.writerows([[r["id"], r["text"], json.dumps(r["ratings"])] for r in rows])
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, "g.csv")), table)
    assert f"{table}: row 3: id: id contains " in str(e.value) and cp in str(e.value), str(e.value)


def test_an_exemplar_row_with_such_an_id_is_skipped_and_counted() -> None:
    from linernotes.tools.retrieval.exemplar_sources import SkippedRows, records_from_rows

    skipped = SkippedRows()
    rows = [{"id": i, "title": "a song", "gold_genres": ["rock"]} for i in ["a", "b\x1bc", "d\ne", "f"]]
    assert [r.id for r in records_from_rows(rows, skipped=skipped)] == ["a", "f"]
    assert dict(skipped.counts) == {"id contains a control character U+001B": 1,
                                    "id contains a control character U+000A": 1}


def test_a_service_batch_refuses_the_item_and_tags_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from linernotes.service.app import ServiceOptions, create_app
    from linernotes.service.server import BackgroundService
    from linernotes.testing.openai_stub import StubServer
    from tests.service.conftest import stub_config

    items = [{"id": "ok-1", "title": "Night Drive", "description": "a calm synth instrumental"},
             {"id": "esc\x1b]0;pwned\x07", "title": "x"}, {"id": "nl\nid", "title": "y"},
             {"id": "ok-2", "title": "Rain", "description": "a sad slow piano piece"}]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")  # the stub endpoint's (a test double)
    with StubServer(latency_ms=0) as stub:
        app = create_app(stub_config(stub.base_url), ServiceOptions(concurrency=2, max_queue=4))
        with BackgroundService(app) as svc:
            r = httpx.post(svc.base_url + "/v1/enrich", json={"items": items}, timeout=120)
    assert r.status_code == 200, r.text
    records = r.json()["records"]
    assert [(x["id"], x["status"]) for x in records] == [("ok-1", "ok"), ("line:2", "error"), ("line:3", "error"),
                                                         ("ok-2", "ok")]
    assert "U+001B" in records[1]["error"]["message"] and records[1]["error"]["line"] == 2
    assert "U+000A" in records[2]["error"]["message"] and records[2]["error"]["source"] == "request"
