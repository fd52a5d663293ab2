"""An invalid JSONL line is reported at the column where it went wrong on that line, and --drop of
the id column is refused before any row (QA: a line
cut short, ``{"id":1``, said "at column 1": the parser's position past the line break)."""

from __future__ import annotations

from pathlib import Path

from linernotes.store.catalog import read_catalog


def test_a_line_cut_short_names_its_own_column(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text('{"id": "a", "title": "ok"}\n{"id":1\n{"id": "b"}\r\n', encoding="utf-8")
    rows = list(read_catalog(p))
    assert [r.item.id if r.item else None for r in rows] == ["a", None, "b"]
    assert rows[1].error.kind == "input.invalid_json"
    assert rows[1].error.message == "invalid JSON: Expecting ',' delimiter at column 8", rows[1].error.message


def test_dropping_the_id_column_is_refused_up_front(tmp_path: Path) -> None:
    import pytest

    from linernotes.store.catalog import CatalogError

    p = tmp_path / "c.jsonl"
    p.write_text('{"id": "a", "track_id": "t1"}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="--drop id: that is the id column"):
        read_catalog(p, drop=["id"])
    with pytest.raises(CatalogError, match="--drop track_id: that is the id column"):
        read_catalog(p, mapping={"track_id": "id"}, drop=["track_id"])
    assert [r.item.id for r in read_catalog(p, drop=["track_id"])] == ["a"]
