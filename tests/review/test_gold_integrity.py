"""Issue 13 items 6-8: export accounts for every gold row, writes what the annotator saw after a
rebuild (marking decisions made on older gold), and concurrent exports publish whole versions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import load_from_disk
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.export import ExportError, export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.review.web.app import Settings, create_app


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def vrow(rid, ratings, **kw):
    row = {"id": rid, "text": f"text of {rid}", "ratings": ratings, "mean": sum(ratings) / len(ratings), **kw}
    if rid is None:
        del row["id"]
    return row


# -- item 6: every row accounted for ------------------------------------------------------------
def test_duplicate_and_missing_ids_are_kept_and_named(tmp_path, liner):
    """The issue's input: 5 rows with a duplicate and a missing id gave 3 rows out, silently."""
    rows = [vrow("a", [-4, 4, -4, 4]), vrow("b", [3, 3, 3, 3]), vrow("a", [1, 1, 1, 1], text="second a"),
            vrow(None, [2, 2, 2, 2]), vrow("c", [-4, 4, -4, 4])]
    gold = write_jsonl(tmp_path / "g.jsonl", rows)
    store = tmp_path / "s.sqlite"
    r = liner(["review", "build", "--gold", str(gold), "-o", str(store)])
    assert r.returncode == 0, r.stderr
    assert f"{gold}:3: id 'a' repeats {gold}:1" in r.stderr and f"{gold}:4: no id" in r.stderr
    s = ReviewStore(store)
    s.adjudicate("a", Adjudication(annotator="ann", action="edit", version=0, values={"valence": 0.5}))
    r = liner(["review", "export", "--store", str(store), "-o", str(tmp_path / "gold")])
    assert r.returncode == 0 and "5 rows" in r.stdout and "2 rows kept unreviewed" in r.stdout, r.stderr
    out = list(load_from_disk(str(tmp_path / "gold/v1")))
    assert [x["id"] for x in out] == ["a", "b", "a", None, "c"]
    assert out[0]["mean"] == pytest.approx(2.0)  # the decision lands on the reviewed (first) row only
    assert out[2]["text"] == "second a" and out[2]["mean"] == pytest.approx(1.0)
    assert out[3]["mean"] == pytest.approx(2.0) and out[3]["ratings"] == [2, 2, 2, 2]
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text())
    assert prov["rows"] == 5 and len(prov["unreviewed_rows"]) == 2


@pytest.mark.parametrize("rows,where", [
    ([vrow("a", [1, 1]), vrow(7, [2, 2]), vrow("c", [3, 3])], ":2: column 'id' holds number 7"),  # the issue's
    ([vrow(1, [1, 1]), vrow(2, [2, 2]), vrow("x3", [3, 3])], ":3: column 'id' holds string 'x3'"),
    ([vrow("a", [1, 1], year=1999), vrow("b", [2, 2], year="1999")], ":2: column 'year' holds string"),
    ([vrow("a", [1, 1], tags=["x"]), vrow("b", [2, 2], tags="x")], ":2: column 'tags' holds string"),
])
def test_a_row_of_another_column_type_is_skipped_and_named(tmp_path, rows, where):
    """Session 25: one such row refused the whole gold set; now the row whose type differs from
    its column's (most rows' kind, the first on a tie) is left out and named, the rest reviewed."""
    gold = write_jsonl(tmp_path / "g.jsonl", rows)
    result = build_store(tmp_path / "s.sqlite", gold=gold)
    assert any(f"{gold}{where}" in n and "a gold column needs one type" in n for n in result.notes), result.notes
    assert result.skipped_lines == 1 and result.gold_rows == len(rows) - 1
    odd = next(str(r["id"]) for n, r in enumerate(rows, 1) if f":{n}:" in where)
    assert odd not in {i.id for i in ReviewStore(tmp_path / "s.sqlite").list_items()}


def test_mixed_ids_through_the_cli_name_the_row_exit_0(tmp_path, liner_in_process):
    gold = write_jsonl(tmp_path / "g.jsonl", [vrow("a", [1, 1]), vrow(7, [2, 2])])
    r = liner_in_process(["review", "build", "--gold", str(gold), "-o", str(tmp_path / "s.sqlite")])
    assert r.returncode == 0 and f"{gold}:2" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "1 unreadable line(s) skipped" in r.stdout


def test_non_object_line_is_skipped_naming_the_line(tmp_path):
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps(vrow("a", [1, 1])) + "\n" + "[1, 2]\n")
    result = build_store(tmp_path / "s.sqlite", gold=gold)
    assert any("g.jsonl:2: not a JSON object (a list)" in n for n in result.notes), result.notes
    assert result.skipped_lines == 1 and result.gold_rows == 1


def test_a_store_whose_rows_cannot_be_typed_fails_export_naming_the_row(tmp_path, built_store):
    """A store written before the build-time check: export refuses, naming the row, and writes nothing."""
    import sqlite3

    con = sqlite3.connect(built_store)
    con.execute("UPDATE gold SET row = json_set(row, '$.source', 5) WHERE pos = 2")
    con.commit()
    con.close()
    with pytest.raises(ExportError, match=r"gold row 3 \(id 'raters-split'\): column 'source' holds number 5"):
        export_gold(ReviewStore(built_store), tmp_path / "gold")
    assert not list((tmp_path / "gold").glob("v*"))


# -- item 7: rebuild with corrected gold --------------------------------------------------------
def test_rebuild_with_corrected_gold_exports_it_and_marks_older_decisions(tmp_path):
    g1 = write_jsonl(tmp_path / "g1.jsonl", [vrow("x", [-4, 4, -4, 4]), vrow("y", [-4, 4, -4, 4]),
                                             vrow("z", [-4, 4, -4, 4]), vrow("gone", [-4, 4, -4, 4])])
    store = tmp_path / "s.sqlite"
    build_store(store, gold=g1)
    s = ReviewStore(store)
    s.adjudicate("x", Adjudication(annotator="ann", action="edit", version=0, values={"valence": 0.25}))
    s.adjudicate("y", Adjudication(annotator="ann", action="edit", version=0, values={"valence": -0.25}))
    # g2 corrects x's ratings and mean, keeps y, drops 'gone', adds 'new'
    g2 = write_jsonl(tmp_path / "g2.jsonl", [vrow("x", [-4, 4, -4, 4, 4]), vrow("y", [-4, 4, -4, 4]),
                                             vrow("z", [-3, 3, -3, 4]), vrow("new", [-4, 4, -4, 4])])
    build_store(store, gold=g2)
    x, y = ReviewStore(store).get("x"), ReviewStore(store).get("y")
    assert x.decided_on_older_gold == {"valence": {"decided_on": 0.0, "now": pytest.approx(0.2)}}
    assert y.decided_on_older_gold == {} and x.decision == {"valence": 0.25}
    res = export_gold(ReviewStore(store), tmp_path / "gold")
    assert res.decided_on_older_gold == 1
    out = {r["id"]: r for r in load_from_disk(res.path)}
    assert list(out) == ["x", "y", "z", "new"]  # exactly g2's rows, in g2's order
    assert out["x"]["ratings"] == [-4, 4, -4, 4, 4] and out["x"]["mean"] == pytest.approx(1.0)  # the decision
    assert out["z"]["mean"] == pytest.approx(0.25) and out["z"]["ratings"] == [-3, 3, -3, 4]  # g2, not g1
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text())
    change = {c["id"]: c for c in prov["changes"]}
    assert change["x"]["decided_on_older_gold"] is True and change["x"]["decided_on_gold"] == 0.0
    assert change["x"]["before"] == pytest.approx(0.8) and change["y"]["decided_on_older_gold"] is False
    assert prov["decided_on_older_gold"] == ["x"]
    with TestClient(create_app(Settings(store=store)), base_url="http://127.0.0.1") as c:
        assert 'id="older-gold"' in c.get("/item/x").text and 'id="older-gold"' not in c.get("/item/y").text


# -- item 8: concurrent exports ------------------------------------------------------------------
@pytest.mark.slow
def test_four_concurrent_exports_publish_four_whole_versions(built_store, tmp_path):
    gold = tmp_path / "gold"
    procs = [subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "review", "export", "--store",
                               str(built_store), "-o", str(gold)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [rc for _, _, rc in results] == [0, 0, 0, 0], results
    assert sorted(d.name for d in gold.iterdir() if not d.name.startswith(".")) == ["v1", "v2", "v3", "v4"]
    assert [d.name for d in gold.iterdir() if d.name.startswith(".")] == [".export.lock"]  # no temp folder
    for n in range(1, 5):
        assert len(load_from_disk(str(gold / f"v{n}"))) == 6
        assert json.loads((gold / f"v{n}/provenance.json").read_text())["version"] == n
    assert sorted(out.split(":")[0] for out, _, _ in results) == [f"wrote {gold}/v{n}" for n in range(1, 5)]


def test_failed_and_killed_exports_leave_no_version_and_no_temp(store, tmp_path, monkeypatch):
    from datasets import Dataset

    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / ".v1.tmp-99999-dead").mkdir()  # what an export SIGKILLed mid-write leaves
    (gold / ".v1.tmp-99999-dead/data-00000-of-00001.arrow").write_bytes(b"half")
    real = Dataset.save_to_disk

    def fail_midway(self, path, *a, **kw):  # test double: writes part of a version, then the disk fails
        real(self, path, *a, **kw)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Dataset, "save_to_disk", fail_midway)
    with pytest.raises(ExportError, match="No space"):  # exit 2 naming the version (was an OSError traceback)
        export_gold(store, gold)
    assert [d.name for d in gold.iterdir()] == [".export.lock"]
    monkeypatch.setattr(Dataset, "save_to_disk", real)
    res = export_gold(store, gold)
    assert res.version == 1 and len(load_from_disk(res.path)) == 6
    assert sorted(d.name for d in gold.iterdir()) == [".export.lock", "v1"]


def test_export_waits_for_the_lock_then_names_the_holder(store, tmp_path):
    import fcntl
    import os

    gold = tmp_path / "gold"
    gold.mkdir()
    fd = os.open(gold / ".export.lock", os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(ExportError, match=r"another export \(pid 4242\)"):
            export_gold(store, gold, lock_wait_s=0.3)
    finally:
        os.close(fd)
    assert export_gold(store, gold).version == 1


def test_store_from_before_position_keyed_gold_is_migrated(tmp_path):
    """A store written by the previous schema (gold keyed by id, no gold column on decisions) opens,
    keeps its rows and decisions, and then records the gold a decision was made on."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    gold = write_jsonl(tmp_path / "g.jsonl", [vrow("x", [-4, 4, -4, 4]), vrow("y", [3, 3, 3, 3])])
    build_store(path, gold=gold)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE gold_old (id TEXT PRIMARY KEY, pos INTEGER NOT NULL, row TEXT NOT NULL);
        INSERT INTO gold_old SELECT id, pos, row FROM gold; DROP TABLE gold; ALTER TABLE gold_old RENAME TO gold;
        ALTER TABLE adjudications DROP COLUMN gold;""")
    con.close()
    s = ReviewStore(path)
    assert [r["id"] for r in s.gold_rows()] == ["x", "y"]
    state = s.adjudicate("x", Adjudication(annotator="ann", action="accept_gold", version=0))
    assert state.history[0].gold == {"valence": 0.0}
    assert export_gold(s, tmp_path / "out").rows == 2
