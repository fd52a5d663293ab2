"""``linernotes.store.tables.load_table``: the one reader of labeled tables (gold sets for eval/fit,
exemplar sources for ``liner index build``)."""

from __future__ import annotations

import json

import pytest

from linernotes.store.tables import load_table


def test_tsv_is_split_on_tabs_and_a_byte_order_mark_is_dropped(tmp_path):
    p = tmp_path / "gold.tsv"
    p.write_text("\ufeffid\ttext\tlabel\n1\tgood, really\tpositive\n2\tbad\tnegative\n", encoding="utf-8")
    ds = load_table(p)
    assert ds.column_names == ["id", "text", "label"]
    assert ds["text"] == ["good, really", "bad"]


def test_eval_gold_reads_a_tsv_like_a_csv(tmp_path):
    from linernotes.evals.gold import load_gold
    from linernotes.evals.spec import GoldSpec

    spec = GoldSpec.model_validate({"name": "t", "data": "x", "id_field": "id", "inputs": {"description": "text"},
                                    "tasks": [{"name": "policy", "kind": "policy", "gold_field": "label"}]})
    rows = "id\ttext\tlabel\na\tsome words, with a comma\tprofanity\nb\tother\tinsult\n"
    (tmp_path / "g.tsv").write_text(rows)
    (tmp_path / "g.csv").write_text(rows.replace("\t", ",").replace("some words, with a comma", '"some words, with a comma"'))
    tsv, csv = load_gold(spec, tmp_path / "g.tsv"), load_gold(spec, tmp_path / "g.csv")
    assert [(g.id, g.inputs, g.gold) for g in tsv.items] == [(g.id, g.inputs, g.gold) for g in csv.items]
    assert len(tsv.items) == 2


@pytest.mark.parametrize(("name", "text", "message"), [
    ("h.csv", "id,label\n", "h.csv: no rows (a header line only)"),
    ("e.tsv", "", "e.tsv: no rows (an empty file)"),
    ("g.xlsx", "id\n1\n", "g.xlsx: unknown table format (use .jsonl, .json, .parquet, .csv, .tsv"),
])
def test_a_file_without_rows_or_of_an_unknown_kind_is_named(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_table(tmp_path / name)


def test_a_folder_with_several_splits_asks_for_one(tmp_path):
    import datasets

    d = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"id": [1]}),
                              "test": datasets.Dataset.from_dict({"id": [2]})})
    d.save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(ValueError, match=r"dd: holds splits \['train', 'test'\]; point at one split's folder"):
        load_table(tmp_path / "dd")


def test_a_semicolon_separated_csv_reads_like_a_comma_one(tmp_path):
    """QA (session 13): a ';' gold CSV (Excel where ',' is the decimal mark) was one column
    named 'id;text;label'; now its header's separator is used, as the catalog reader does."""
    (tmp_path / "c.csv").write_text('id,text,label\n1,"good, really",positive\n2,bad,negative\n')
    (tmp_path / "s.csv").write_text('\ufeffid;text;label\n1;good, really;positive\n2;bad;negative\n', encoding="utf-8")
    comma, semi = load_table(tmp_path / "c.csv"), load_table(tmp_path / "s.csv")
    assert semi.column_names == comma.column_names == ["id", "text", "label"]
    assert semi.to_list() == comma.to_list()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "utf-8"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".tsv"])
def test_a_wide_unicode_table_is_read_like_the_catalog_reads_it(tmp_path, encoding, suffix):
    """A UTF-16/32 gold or exemplar file (Excel's "Unicode text", PowerShell's default) was
    "datasets could not load it (DatasetGenerationError: An error occurred while generating the
    dataset)" while the same file as a catalog was read (catalog.wide_encoding): now read as text
    in its encoding, BOM or not."""
    rows = [{"id": "a", "title": "Forró é", "genres": "techno"}, {"id": "b", "title": "x, y", "genres": "house"}]
    if suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        sep = "," if suffix == ".csv" else "\t"
        text = sep.join(rows[0]) + "\n" + "".join(sep.join(f'"{v}"' if sep in v else v for v in r.values()) + "\n"
                                                  for r in rows)
    path = tmp_path / f"gold{suffix}"
    path.write_bytes(text.encode(encoding))
    ds = load_table(path)
    assert ds.column_names == ["id", "title", "genres"] and [dict(r) for r in ds] == rows
