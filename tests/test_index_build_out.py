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
