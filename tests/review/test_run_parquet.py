"""``liner review build --run`` with a Parquet output of ``liner tag`` reads its JSONL journal (the
same records); a Parquet file without one, or any binary file, is a SourceError naming the file
(QA: ``--run out.parquet`` ended in a UnicodeDecodeError traceback, exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.sources import SourceError, load_tag_output


def test_a_parquet_output_is_read_from_its_journal(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    out.write_bytes(b"PAR1\xb5\x00binary")
    (tmp_path / "out.parquet.journal.jsonl").write_text(
        "".join(json.dumps({"id": i, "status": "ok"}) + "\n" for i in ("a", "b")), encoding="utf-8")
    assert sorted(load_tag_output(out)) == ["a", "b"]
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "_journal.jsonl").write_text(json.dumps({"id": "c", "status": "ok"}) + "\n", encoding="utf-8")
    assert list(load_tag_output(folder)) == ["c"]


def test_a_parquet_without_journal_or_a_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "alone.parquet"
    out.write_bytes(b"PAR1\xb5\x00binary")
    with pytest.raises(SourceError, match="alone.parquet: a Parquet output without its journal"):
        load_tag_output(out)
    binary = tmp_path / "out.jsonl"
    binary.write_bytes(b"PAR1\xb5\x00binary")
    with pytest.raises(SourceError, match=r"out.jsonl:1: not UTF-8 text"):
        load_tag_output(binary)
