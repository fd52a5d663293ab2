"""``liner index build OUT --catalog CATALOG`` reads a gzipped output (``out.jsonl.gz``, as ``liner
tag --runner beam`` writes it) like the plain one, names a damaged .gz, and counts a line that is
not UTF-8 as a skipped line. QA newuser23: a Beam output said "liner: error: 'utf-8' codec can't
decode byte 0x8b in position 1: invalid start byte" (no file, no line), and so did one Latin-1 line
in a plain output: the whole build stopped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.tools.retrieval.exemplar_sources import SkippedRows, records_from_run
from tests.conftest import run_liner_in_process

ROWS = [{"id": f"t{i}", "type": "track", "title": title, "description": desc} for i, (title, desc) in enumerate([
    ("Night Drive", "A driving synthwave and techno track with warm analog pads."),
    ("Slow Rain", "Melancholic ambient piano piece, calm and reflective."),
    ("Block Party", "Upbeat hip hop with a funky bass line."),
])]


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("exemplar-run-gzip")
    catalog = tmp / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    out = tmp / "out.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--llm", "never"])
    assert r.returncode == 0, r.stderr
    return catalog, out


def _ids(output: Path, catalog: Path, skipped: SkippedRows | None = None) -> list[str]:
    return sorted(r.id for r in records_from_run(output, catalog, accepted_only=False, skipped=skipped))


def test_a_gzipped_output_gives_the_same_records(tagged: tuple[Path, Path], tmp_path: Path) -> None:
    catalog, out = tagged
    gz = tmp_path / "out.jsonl.gz"
    with gzip.open(gz, "wb") as f:
        f.write(out.read_bytes())
    assert _ids(gz, catalog) == _ids(out, catalog) == ["t0", "t1", "t2"]


def test_a_damaged_gzip_is_named(tagged: tuple[Path, Path], tmp_path: Path) -> None:
    catalog, out = tagged
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(out.read_bytes())[:60])
    with pytest.raises(ValueError, match=r"cut\.jsonl\.gz: not a readable gzip file"):
        _ids(cut, catalog)


def test_a_line_that_is_not_utf8_is_skipped_and_named(tagged: tuple[Path, Path], tmp_path: Path) -> None:
    catalog, out = tagged
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(out.read_bytes() + b'{"id": "caf\xe9", "status": "ok"}\n')
    skipped = SkippedRows()
    assert _ids(bad, catalog, skipped) == ["t0", "t1", "t2"]
    assert any("not UTF-8" in line and "bad.jsonl:4" in line for line in skipped.lines()), skipped.lines()
