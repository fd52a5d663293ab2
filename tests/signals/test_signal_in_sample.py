"""A run scored on the items a declared signal's model was fitted on says it is in-sample (found by
QA, session 13): ``liner fit --signals`` then ``liner eval --fusion DIR`` on the same gold set gave
the fitted signals in-sample figures (rude accuracy 0.83 from 0.00, energy Pearson 0.89) and
``liner gate`` passed them with no word, while the built-in combiners' in-sample runs are flagged.
Now each fitted signal model keeps the id digests it was trained on, eval warns and records it
(``extras.fusion_in_sample``: ``signals.<name>``), and the gate's report says IN-SAMPLE."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.signals.fit import SignalModel, in_sample
from tests.conftest import run_liner_in_process

SIGNAL = "name: rude\nkind: boolean\ninstructions: Profanity in the lyrics.\nevidence: [lexicon]\n"
GOLD_SPEC = """\
name: rude-gold
data: gold.jsonl
id_field: id
item_type: track
inputs:
  title: title
  lyrics: lyrics
tasks:
  - name: rude
    kind: boolean
    gold_field: rude
    signal: rude
"""


def test_in_sample_counts_the_gold_ids_a_model_was_trained_on() -> None:
    from linernotes.fusion.artifact import id_digest

    model = SignalModel(name="rude", kind="boolean", spec_hash="h", classes=["false", "true"], feature_names=[],
                        mean=[], scale=[], coef=[[]], intercept=[0.0], trained_on=[id_digest("a"), id_digest("b")])
    assert in_sample({"rude": model}, ["a", "b", "c"]) == {"signals.rude": 2}
    assert in_sample({"rude": model}, ["c"]) == {}
    assert in_sample({"rude": model.model_copy(update={"trained_on": []})}, ["a"]) == {}  # fitted before: no claim


def test_eval_and_gate_say_a_fitted_signal_is_in_sample(tmp_path: Path) -> None:
    (tmp_path / "rude.yaml").write_text(SIGNAL, encoding="utf-8")
    (tmp_path / "g.yaml").write_text(GOLD_SPEC, encoding="utf-8")
    rows = [{"id": f"i{i}", "type": "track", "title": f"song {i}",
             "lyrics": "damn this shit" if i % 2 else "la la la", "rude": bool(i % 2)} for i in range(10)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    common = ["--signals", tmp_path / "rude.yaml", "--llm", "never", "--resamples", "50"]
    base = run_liner_in_process(["eval", tmp_path / "g.yaml", "-o", tmp_path / "base.json", *common])
    assert base.returncode == 0, base.stderr
    fit = run_liner_in_process(["fit", tmp_path / "g.yaml", "--signals", tmp_path / "rude.yaml",
                                "--run", tmp_path / "base.json", "-o", tmp_path / "fus"])
    assert fit.returncode == 0, fit.stderr
    cand = run_liner_in_process(["eval", tmp_path / "g.yaml", "-o", tmp_path / "cand.json", *common,
                                 "--fusion", tmp_path / "fus"])
    assert cand.returncode == 0, cand.stderr
    record = json.loads((tmp_path / "cand.json").read_text(encoding="utf-8"))
    assert record["extras"]["fusion_in_sample"] == {"items": 10, "fields": {"signals.rude": 10}}
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: rude.accuracy\n    max_drop: 0.05\n", encoding="utf-8")
    gate = run_liner_in_process(["gate", tmp_path / "base.json", tmp_path / "cand.json", "--config", gates])
    assert "candidate IN-SAMPLE" in gate.stdout and "signals.rude 10 of 10" in gate.stdout, gate.stdout
