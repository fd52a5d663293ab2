"""liner review stats --signals: agreement on a declared signal's gold, as for the built-ins (QA,
session 16). Before: a gold set exported from a labelling store (or labelled by named annotators)
for a declared signal read 'the gold rows carry no reviewable field (valence/mean, ...)', exit 2,
and stats had no way to be told the signal: model-vs-gold kappa and annotator agreement on a new
signal were out of reach, though build, export, eval, fit and gate took --signals."""

from __future__ import annotations

import json
from pathlib import Path

RUDE = "name: rude\nkind: boolean\ninstructions: Is it rude?\n"


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "rude.yaml").write_text(RUDE, encoding="utf-8")
    named = [("a", "true", "true", "true"), ("b", "false", "false", "false"), ("c", "true", "true", "false"),
             ("d", "false", "false", "false")]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": i, "type": "track", "title": i, "rude": g,
                                        "annotators": {"alice": {"rude": x}, "bob": {"rude": y}}}) + "\n"
                            for i, g, x, y in named), encoding="utf-8")
    run = tmp_path / "tagged.jsonl"
    run.write_text("".join(json.dumps({"id": i, "status": "ok", "error": None, "enrichment": {
        "genres": [], "moods": [], "valence": 0.0, "language": "en", "explicit": {"value": False, "evidence": []},
        "policy_flags": [], "confidence": {}, "review": {"routed": False, "reasons": []},
        "signals": {"rude": {"value": v, "confidence": 0.8, "evidence": {}, "provenance": {}}}}}) + "\n"
        for i, v in [("a", True), ("b", False), ("c", True), ("d", True)]), encoding="utf-8")
    return tmp_path / "rude.yaml", gold, run


def test_stats_scores_a_declared_signal_given_with_signals(liner_in_process, tmp_path: Path) -> None:
    spec, gold, run = _files(tmp_path)
    r = liner_in_process(["review", "stats", "--gold", gold, "--run", run, "--signals", spec, "--json"])
    assert r.returncode == 0, r.stderr
    (report,) = json.loads(r.stdout)
    (field,) = report["fields"]
    assert field["field"] == "rude" and field["coders"] == 3  # alice, bob and the model
    pairs = {(p["a"], p["b"]): p["n"] for p in report["pairs"]}
    assert pairs == {("alice", "bob"): 4, ("alice", "model"): 4, ("bob", "model"): 4}


def test_without_signals_the_error_says_how_to_name_them(liner_in_process, tmp_path: Path) -> None:
    _, gold, run = _files(tmp_path)
    r = liner_in_process(["review", "stats", "--gold", gold, "--run", run])
    assert r.returncode == 2
    assert "no reviewable field" in r.stderr and "give its spec file with --signals" in r.stderr


def test_a_bad_spec_is_named_exit_2(liner_in_process, tmp_path: Path) -> None:
    _, gold, _ = _files(tmp_path)
    (tmp_path / "bad.yaml").write_text("name: rude\nkind: scalar\ninstructions: x\n", encoding="utf-8")
    r = liner_in_process(["review", "stats", "--gold", gold, "--signals", tmp_path / "bad.yaml"])
    assert r.returncode == 2 and "bad.yaml:2: kind: a scalar signal needs range" in r.stderr, r.stderr
