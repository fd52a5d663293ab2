"""A store rebuilt from a gold set without a field that was already decided (valence decided, then
rebuilt with a genres-only gold set): build warns and export refuses with exit 2, naming the item,
the field and what to do; the export had stopped with ``KeyError: 'valence'`` (a traceback).
Rebuilt with the first gold set again, the decision exports as before: nothing was lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.review.store import Adjudication, ReviewStore

CLI = [sys.executable, "-m", "linernotes.cli.app", "review"]
VALENCE_ROWS = [{"id": "a", "text": "x", "ratings": [-4, 4, -4, 4], "mean": 0.0},
                {"id": "b", "text": "y", "ratings": [3, 3, 3, -3], "mean": 1.5}]
GENRE_ROWS = [{"id": "a", "text": "x", "gold_genres": ["rock"], "annotators": {"p": {"genres": ["pop"]},
                                                                              "q": {"genres": ["rock"]}}},
              {"id": "b", "text": "y", "gold_genres": ["pop"]}]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True)


@pytest.mark.parametrize("action", ["edit", "accept_consensus"])
def test_a_decision_on_a_field_the_rebuild_dropped_is_named_not_a_keyerror(tmp_path, action):
    store = tmp_path / "review.sqlite"
    first, second = _jsonl(tmp_path / "g1.jsonl", VALENCE_ROWS), _jsonl(tmp_path / "g2.jsonl", GENRE_ROWS)
    assert _cli("build", "-o", str(store), "--gold", str(first)).returncode == 0
    ReviewStore(store).adjudicate("a", Adjudication(annotator="ann", action=action, version=0,
                                                    values={"valence": 0.5} if action == "edit" else {}))
    built = _cli("build", "-o", str(store), "--gold", str(second))
    assert built.returncode == 0, built.stderr
    assert "'a': valence" in built.stderr and "the store has no field 'valence' any more" in built.stderr
    out = _cli("export", "--store", str(store), "-o", str(tmp_path / "gold"))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "'a': valence" in out.stderr and "no field 'valence'" in out.stderr and "relabel" in out.stderr
    assert not (tmp_path / "gold" / "v1").exists()
    assert _cli("build", "-o", str(store), "--gold", str(first)).returncode == 0  # the decision is still there
    again = _cli("export", "--store", str(store), "-o", str(tmp_path / "gold"))
    assert again.returncode == 0, again.stderr
    rows = {r["id"]: r for r in load_from_disk(str(tmp_path / "gold" / "v1"))}
    assert rows["a"]["mean"] == (2.0 if action == "edit" else 0.0) and rows["b"]["mean"] == 1.5  # 0.5 * scale 4
