"""A fit killed (kill -9) while tagging its multilabel exemplar pool left the round's temporary
index under FUSION_DIR/runs/.../pool/ (TemporaryDirectory's cleanup never ran), and no rerun removed
it (found by QA, session 14). Now the pool removes the indexes of fits that are gone when it
starts, and keeps a live process's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from linernotes.config import TagConfig
from linernotes.evals.exemplar_pool import INDEX_PREFIX, pool_results
from linernotes.evals.gold import GoldSet
from linernotes.evals.spec import parse_spec

SPEC = """name: g
data: g.jsonl
inputs: {title: title}
tasks: [{name: genres, kind: multilabel, gold_field: gold_genres}]
exemplars: {task: genres}
"""


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_fits_pool_index_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    work = tmp_path / "runs" / "pool"
    dead = work / f"{INDEX_PREFIX}{_dead_pid()}-abc123"
    live = work / f"{INDEX_PREFIX}{os.getpid()}-def456"
    other = work / "notes"
    for folder in (dead, live, other):
        folder.mkdir(parents=True)
        (folder / "records.jsonl").write_text("{}\n", encoding="utf-8")
    spec = parse_spec(SPEC, "g.yaml")
    empty = GoldSet(spec="g", data_path="g.jsonl", fingerprint="f", items=[])
    assert pool_results(spec, empty, empty, TagConfig(), work=work) == {}
    assert not dead.exists()
    assert live.exists() and other.exists()
