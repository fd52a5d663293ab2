"""``liner index build -o`` pointing at a file is refused as a user error, the file left alone."""

from __future__ import annotations


def test_index_build_into_a_path_that_is_a_file_is_refused_and_the_file_kept(tmp_path, liner_in_process):
    # it was a FileExistsError traceback from mkdir, exit 1 (QA, session 12)
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n')
    out = tmp_path / "exemplars"
    out.write_text("keep me\n")
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(out)])
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"liner: error: {out}: is a file; -o/--out is the index folder")
    assert "Traceback" not in r.stderr
    assert out.read_text() == "keep me\n"


def test_a_gold_line_that_is_not_json_is_named_by_file_and_line(tmp_path, liner_in_process):
    # it read 'Expecting property name ... line 1 column 2', without the file and at the wrong line (QA, session 12)
    gold = tmp_path / "mal.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n{oops\n[1, 2]\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x")])
    assert r.returncode == 2, r.stderr
    assert f"{gold}:2: not JSON (Expecting property name enclosed in double quotes at column 2)" in r.stderr, r.stderr
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n[1, 2]\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "y")])
    assert r.returncode == 2 and f"{gold}:2: not a JSON object (a list)" in r.stderr, r.stderr


def test_a_genres_field_no_row_has_is_refused_naming_the_columns(tmp_path, liner_in_process):
    # it built an empty index, exit 0, '"added": 0' (QA, session 12)
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x"), "--genres-field", "nope"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{gold}: no row has the column 'nope' (columns: id, title, gold_genres)" in r.stderr, r.stderr
    ok = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "y")])
    assert ok.returncode == 0 and '"added": 1' in ok.stdout, ok.stdout + ok.stderr


def test_a_label_cell_that_cannot_be_read_names_file_line_and_id_and_leaves_no_folder(tmp_path, liner_in_process):
    # it read 'a label cell must be text or a list, got an object' with no file, line or id, and left
    # a new index folder holding only meta.json, which the fixed rerun then extended (session 13)
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n\n'
                    '{"id": "c", "title": "Dawn", "gold_genres": {"main": "house"}}\n')
    out = tmp_path / "new" / "exemplars"
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(out)])
    assert r.returncode == 2, r.stderr
    assert f"{gold}:3 (id 'c'): gold_genres: a label cell must be text or a list, got an object" in r.stderr, r.stderr
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "empty"  # a folder that was there before keeps only what it held
    kept.mkdir()
    (kept / "notes.txt").write_text("mine\n")
    assert liner_in_process(["index", "build", "--gold", str(gold), "-o", str(kept)]).returncode == 2
    assert sorted(p.name for p in kept.iterdir()) == ["notes.txt"]


def test_a_parquet_label_cell_is_named_by_row_and_id(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    from linernotes.tools.retrieval.exemplar_sources import records_from_file

    path = tmp_path / "g.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "title": ["Night Drive", "Dawn"],
                             "gold_genres": [{"main": "techno"}, {"main": "house"}]}), path)
    with pytest.raises(ValueError, match=r"g\.parquet: row 1 \(id 'a'\): gold_genres: a label cell must be text"):
        list(records_from_file(path))


def test_a_tsv_gold_file_is_split_on_tabs(tmp_path, liner_in_process):
    # .tsv went to datasets' CSV reader with its comma: one column 'id\ttitle\tgold_genres' (session 13)
    gold = tmp_path / "g.tsv"
    gold.write_text("\ufeffid\ttitle\tgold_genres\na\tNight Drive, Again\ttechno, house\nb\tDawn\tambient\n")
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x")])
    assert r.returncode == 0 and '"added": 2' in r.stdout, r.stdout + r.stderr
    assert "Generating" not in r.stderr  # datasets' progress bars stay off stderr
    from linernotes.tools.retrieval.exemplars import open_exemplar_index

    index = open_exemplar_index(tmp_path / "x")
    assert {rec.id: rec.genres for rec in index.records} == {"a": ["techno", "house"], "b": ["ambient"]}
    assert "Night Drive, Again" in next(rec.text for rec in index.records if rec.id == "a")


def test_a_labeled_file_without_rows_says_so(tmp_path, liner_in_process):
    for name, text, why in [("h.csv", "id,title,gold_genres\n", "a header line only"),
                            ("h.tsv", "id\ttitle\n\n", "a header line only"), ("e.csv", "", "an empty file")]:
        gold = tmp_path / name
        gold.write_text(text)
        r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x")])
        assert r.returncode == 2 and f"{gold}: no rows ({why})" in r.stderr, r.stderr
        assert not (tmp_path / "x").exists()


def test_ann_threshold_below_one_is_refused(tmp_path, liner_in_process):
    # -5 was accepted and built an HNSW graph for one item (session 12 leftover)
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x"), "--ann-threshold", "-5"])
    assert r.returncode == 2 and "--ann-threshold" in r.stderr, r.stderr
    assert not (tmp_path / "x").exists()


def test_extending_an_index_with_another_embedder_or_ann_threshold_is_refused(tmp_path, liner_in_process):
    # the index kept its own settings and the option was ignored without a word, exit 0: the items
    # added under --embedder wordllama:64 were 128-d (QA qa-fit16)
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n')
    more = tmp_path / "more.jsonl"
    more.write_text('{"id": "b", "title": "Slow Bloom", "gold_genres": ["ambient"]}\n')
    out = tmp_path / "idx"
    assert liner_in_process(["index", "build", "--gold", str(gold), "-o", str(out)]).returncode == 0
    meta = (out / "meta.json").read_text()
    r = liner_in_process(["index", "build", "--gold", str(more), "-o", str(out), "--embedder", "wordllama:64"])
    assert r.returncode == 2, r.stdout
    assert (f"liner: error: --embedder wordllama:64: {out} is an index of wordllama:128 vectors, and items added "
            "to it are embedded as it was built") in r.stderr, r.stderr
    r = liner_in_process(["index", "build", "--gold", str(more), "-o", str(out), "--ann-threshold", "5"])
    assert r.returncode == 2 and f"--ann-threshold 5: {out} was built with 50000" in r.stderr, r.stderr
    assert (out / "meta.json").read_text() == meta  # nothing added
    same = liner_in_process(["index", "build", "--gold", str(more), "-o", str(out), "--embedder", "wordllama:128"])
    assert same.returncode == 0 and '"total": 2' in same.stdout, same.stdout + same.stderr
    new = liner_in_process(["index", "build", "--gold", str(more), "-o", str(tmp_path / "idx64"),
                            "--embedder", "wordllama:64"])
    assert new.returncode == 0 and '"embedder": "wordllama:64"' in new.stdout, new.stdout + new.stderr


def test_an_embedder_that_cannot_load_is_named_with_its_option(tmp_path, liner_in_process):
    # it said 'liner: error: invalid literal for int() with base 10: 'abc'' (QA qa-fit16)
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "title": "Night Drive", "gold_genres": ["techno"]}\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "x"), "--embedder",
                          "wordllama:abc"])
    assert r.returncode == 2
    assert r.stderr.startswith("liner: error: --embedder wordllama:abc: cannot load it (invalid literal"), r.stderr
    assert not (tmp_path / "x").exists()


def test_rows_that_add_no_exemplar_are_counted_and_named_by_reason(tmp_path, liner_in_process):
    # 10 rows, '"added": 6' and nothing about the other 4: a row repeating an id with other labels
    # vanished without a word (session 16)
    import json

    rows = [{"id": "a", "title": "Dark techno roller", "g": ["techno"]},
            {"id": "b", "title": "Sunny reggae tune", "g": "reggae"},
            {"id": "c", "title": "No labels", "g": []},
            {"id": "d", "title": "Null labels", "g": None},
            {"id": "a", "title": "Same id, other labels", "g": ["house"]},
            {"id": "e", "g": ["house"]},
            {"title": "No id", "g": ["house"]},
            {"id": "f", "title": "Kept", "g": ["TECHNO", " House "]}]
    gold = tmp_path / "g.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "ix"
    r = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(out), "--genres-field", "g"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 3 and json.loads(r.stdout)["skipped"] == 5
    assert f"not added, 2 row(s): no genre labels in 'g' (first: {gold}:3 (id 'c'))" in r.stderr
    assert f"not added, 1 row(s): repeats an earlier row's id (that row's labels are kept) (first: {gold}:5 (id 'a') " \
           f"repeats {gold}:1)" in r.stderr
    assert f"not added, 1 row(s): no text a tagger reads (title, description, lyrics ...) (first: {gold}:6 (id 'e'))" \
           in r.stderr
    assert f"not added, 1 row(s): no id (first: {gold}:7)" in r.stderr
    kept = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert [(k["id"], k["genres"]) for k in kept] == [("a", ["techno"]), ("b", ["reggae"]), ("f", ["techno", "house"])]

    again = liner_in_process(["index", "build", "--gold", str(gold), "-o", str(out), "--genres-field", "g"])
    assert again.returncode == 0 and json.loads(again.stdout)["added"] == 0, again.stderr
    assert f"not added, 3 row(s): id already in the index (its record there is kept) (first: index {out})" \
           in again.stderr
