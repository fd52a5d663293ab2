"""``liner review build`` reads a gzipped JSON lines run or gold (``out.jsonl.gz``, as ``liner tag
--runner beam`` writes its output, and a ``catalog.jsonl.gz``, which liner tag reads), as liner
monitor and liner export read that output. QA newuser23: ``review build --run out.jsonl.gz`` said
"out.jsonl.gz:1: not UTF-8 text (byte 1: invalid start byte); expected JSON lines" (exit 2) for a
Beam run that monitor and export read, and ``--gold catalog.jsonl.gz`` the same; a damaged .gz is
named as such."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from linernotes.review.sources import SourceError
from linernotes.review.store import ReviewStore
from linernotes.signals.spec import load_signals
from tests.conftest import run_liner_in_process

SPEC = "name: explicit_lyrics\nkind: boolean\napplies_to: [track]\ninstructions: Explicit lyrics.\nevidence: [lexicon]\n"
ROWS = [{"id": "t1", "type": "track", "title": "Bad Mouth", "lyrics": "shut your damn mouth"},
        {"id": "t2", "type": "track", "title": "Sunrise", "lyrics": "the morning sun is rising"}]


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(catalog.jsonl.gz, out.jsonl.gz, the spec): a real liner tag output, gzipped."""
    tmp = tmp_path_factory.mktemp("gzip-inputs")
    (tmp / "s.yaml").write_text(SPEC, encoding="utf-8")
    catalog = tmp / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    out = tmp / "out.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--signals", tmp / "s.yaml", "--llm", "never"])
    assert r.returncode == 0, r.stderr
    for path in (catalog, out):
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as f:
            f.write(path.read_bytes())
    return tmp / "catalog.jsonl.gz", tmp / "out.jsonl.gz", tmp / "s.yaml"


def test_a_gzipped_run_and_gold_build_the_same_queue(tagged: tuple[Path, Path, Path], tmp_path: Path) -> None:
    catalog_gz, out_gz, spec = tagged
    signals = load_signals([spec])
    plain = build_store(tmp_path / "plain.sqlite", run=out_gz.with_suffix(""), gold=catalog_gz.with_suffix(""),
                        signals=signals)
    zipped = build_store(tmp_path / "gz.sqlite", run=out_gz, gold=catalog_gz, signals=signals)
    assert (zipped.queued, zipped.scope, zipped.gold_rows) == (plain.queued, plain.scope, plain.gold_rows) == (2, 2, 2)
    items = {i.id: i for i in ReviewStore(tmp_path / "gz.sqlite").list_items(None)}
    assert sorted(items) == ["t1", "t2"]


def test_a_damaged_gzip_is_named(tagged: tuple[Path, Path, Path], tmp_path: Path) -> None:
    catalog_gz, out_gz, spec = tagged
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(out_gz.read_bytes()[:40])
    with pytest.raises(SourceError, match=r"cut\.jsonl\.gz: not a readable gzip file"):
        build_store(tmp_path / "s.sqlite", run=cut, gold=catalog_gz, signals=load_signals([spec]))
