"""A declared ``kind: text`` signal is evaluated like the other kinds: exact match and token F1
(SQuAD's answer metrics) against its gold text, with coverage, calibration and a gate on the same
metric names. Before, a gold spec's text task was refused ("Input should be 'multilabel', ...")
though such a signal could be declared, tagged and reviewed (QA qa-signals16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.metric_names import known_metrics
from linernotes.evals.metrics.text import normalize_text, score_text, token_f1
from linernotes.evals.scoring import signal_quality
from linernotes.evals.spec import SpecError, TaskSpec, load_spec
from tests.conftest import run_liner_in_process


def test_normalisation_and_token_f1() -> None:
    assert normalize_text("  The  Jazz-Age! ") == "the jazzage"
    assert normalize_text("ＪＡＺＺ") == "jazz"  # fullwidth: NFKC
    assert token_f1("the cat sat", "cat sat on mat") == pytest.approx(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4))
    assert token_f1("Jazz", "jazz!") == 1.0 and token_f1("", "") == 1.0 and token_f1("x", "") == 0.0
    assert token_f1("a a b", "a b b") == pytest.approx(2 / 3)  # multisets, not sets


def test_score_text_counts_missing_values_as_wrong_and_skips_items_without_gold() -> None:
    out = score_text("topic", ["jazz", "late night cooking", None, "news"], ["Jazz!", "cooking", "x", None])
    em, f1 = out.item_scores["topic.exact_match"], out.item_scores["topic.token_f1"]
    assert em == [1.0, 0.0, None, 0.0]
    assert f1 == [1.0, pytest.approx(0.5), None, 0.0]
    assert out.n["topic.exact_match"] == 3


def test_signal_quality_scores_a_text_task_with_coverage() -> None:
    task = TaskSpec(name="topic", kind="text", gold_field="topic", signal="topic")
    preds = [{"signals": {"topic": {"value": v, "confidence": 0.8}}} if v is not None else None
             for v in ("jazz", "cooking at home", None)]
    out = signal_quality(task, ["Jazz", "cooking", "news"], preds)
    assert out.item_scores["topic.exact_match"] == [1.0, 0.0, 0.0]
    assert out.item_scores["topic.token_f1"][1] == pytest.approx(0.5)
    assert {"topic.exact_match", "topic.token_f1", "topic.coverage", "topic.ece"} <= known_metrics(task)


def test_a_text_task_needs_its_signal_and_gold_that_is_text(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndata: g.jsonl\ninputs: {title: title}\ntasks: [{name: topic, kind: text, "
                    "gold_field: topic}]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="kind text scores a declared signal; set signal: <name>"):
        load_spec(str(spec))


@pytest.mark.slow  # the real CLI builds the tool runtime
def test_liner_eval_and_gate_on_a_text_signal(tmp_path: Path) -> None:
    (tmp_path / "topic.yaml").write_text("name: topic\nkind: text\ninstructions: The main topic in a few words.\n")
    (tmp_path / "g.jsonl").write_text("".join(json.dumps({"id": f"i{n}", "title": t, "topic": g}) + "\n" for n, (t, g)
                                              in enumerate([("Jazz in the rain", "jazz"), ("Pasta at home", "cooking")])))
    spec = tmp_path / "t.gold.yaml"
    spec.write_text("name: t\ndata: g.jsonl\ninputs: {title: title}\n"
                    "tasks: [{name: topic, kind: text, gold_field: topic, signal: topic}]\n")
    out = tmp_path / "r.json"
    r = run_liner_in_process(["eval", spec, "--signals", tmp_path / "topic.yaml", "-o", out, "--llm", "never",
                              "--no-progress"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert {"topic.exact_match", "topic.token_f1", "topic.coverage"} <= set(rec["metrics"])
    assert rec["metrics"]["topic.coverage"]["value"] == 0.0  # --llm never: the signal is never answered
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: topic.token_f1\n    max_drop: 0.05\n")
    g = run_liner_in_process(["gate", out, out, "--config", gates], cwd=tmp_path)
    assert g.returncode == 0, g.stdout + g.stderr
    (tmp_path / "g.jsonl").write_text(json.dumps({"id": "i0", "title": "x", "topic": ["a", "b"]}) + "\n")
    bad = run_liner_in_process(["eval", spec, "--signals", tmp_path / "topic.yaml", "-o", tmp_path / "b.json",
                                "--llm", "never", "--no-progress"], cwd=tmp_path)
    assert bad.returncode == 2 and "text gold is text, got an array" in bad.stderr, bad.stderr
