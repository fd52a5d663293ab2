"""``liner eval`` end to end with the real tools and the STUB OpenAI-compatible endpoint as the
LLM (a test double: no model needed): the record carries evidence-only baselines computed from
the tool outputs stored in its own predictions, and ``--report``/``--html`` show them next to the
record with paired intervals plus a risk-coverage table per field."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from linernotes.evals.record import RunRecord

pytestmark = pytest.mark.slow  # builds the real tool runtime


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from linernotes.cli.app import app
    from linernotes.testing.openai_stub import StubServer

    d = tmp_path_factory.mktemp("evalb")
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    try:
        with StubServer(latency_ms=0) as stub:
            r = CliRunner().invoke(app, ["eval", "ci-slice", "--model", "openai/stub", "--api-base", stub.base_url,
                                         "--resamples", "200", "--no-progress", "-o", str(d / "run.json"),
                                         "--report", str(d / "run.md"), "--html", str(d / "run.html")])
    finally:
        mp.undo()
    assert r.exit_code == 0, r.output
    return RunRecord.load(d / "run.json"), (d / "run.md").read_text(), (d / "run.html").read_text()


def test_lexical_and_lexicon_baselines_come_from_the_stored_evidence(evaluated):
    rec, _, _ = evaluated
    val = [it for it in rec.items if it.gold.get("valence") is not None]
    lex = np.array([(it.prediction["evidence"].get("lexical_valence") or 0.0) for it in val])
    gold = np.array([it.gold["valence"] for it in val])
    assert rec.metrics["baseline.lexical.valence.mae"].value == pytest.approx(np.abs(lex - gold).mean(), abs=1e-6)
    pol = [it for it in rec.items if it.gold.get("policy") is not None]
    flagged = [bool(it.prediction["evidence"].get("policy_hits")) for it in pol]
    assert rec.metrics["baseline.lexicon.policy.flag_recall"].value == pytest.approx(sum(flagged) / len(pol))
    top1 = [it for it in rec.items if it.gold.get("genres")]
    hits = sum(bool({c["id"] for c in it.prediction["evidence"]["genres"][:1]} & set(it.gold["genres"])) for it in top1)
    assert rec.metrics["baseline.shortlist_top1.genres.micro_recall"].value * sum(
        len(it.gold["genres"]) for it in top1) == pytest.approx(hits)


def test_reports_show_record_vs_baselines_and_risk_coverage(evaluated):
    rec, md, html = evaluated
    metrics = {(r["metric"], r["baseline"]) for r in rec.extras["baselines"]["comparison"]}
    assert {("valence.pearson", "lexical"), ("policy.accuracy", "lexicon"), ("genres.micro_f1", "shortlist_top3")} \
        <= metrics
    for doc in (md, html):
        assert "evidence-only baselines" in doc and "risk-coverage" in doc
        assert "shortlist_top3" in doc and "lexical" in doc
    assert html.count("risk-coverage") >= 3  # one table per scored field
    # each field's ECE comes with what perfect calibration would show on the same items
    for task in ("genres", "valence", "policy"):
        c = rec.extras[f"{task}.ece_consistency"]
        assert c["ece"] == pytest.approx(rec.metrics[f"{task}.ece"].value, abs=1e-4) and 0 <= c["p_value"] <= 1
    assert md.count("ECE if perfectly calibrated") >= 3 and html.count("ECE if perfectly calibrated") >= 3
    # the policy field's flags and 'none' answers are calibrated apart too: together the items scored
    by = rec.extras["policy.ece_by_answer"]
    assert by and sum(v["n"] for v in by.values()) == rec.extras["policy.ece_consistency"]["n"]
    from linernotes.evals.metrics.baselines import predicted_category
    from linernotes.evals.spec import load_spec

    task = next(t for t in load_spec("ci-slice").tasks if t.name == "policy")
    flags = [it for it in rec.items if it.gold.get("policy") is not None and it.prediction
             and predicted_category(it.prediction, task)[1]]
    assert by.get("flag", {}).get("n", 0) == len(flags)
    assert "by answer: " in md and "by answer: " in html
    # each calibrated field says the level it was auto-accepted at (the shipped artifact's, per
    # answer) and the risk-coverage table has a row at it
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    art = load_fusion(default_fusion_dir())
    allowed = {f: {round(t, 4) for t in (e.threshold, e.flag_threshold) if t is not None} for f, e in art.fields.items()}
    seen = {}
    for it in rec.items:
        conf = (it.prediction or {}).get("confidence") or {}
        for f, t in (conf.get("thresholds") or {}).items():
            assert f in conf["calibrated"] and t in allowed[f], (it.id, f, t)
            seen.setdefault(f, set()).add(t)
    assert seen.get("policy"), "the policy combiner decided items of the slice"
    # a flag is answered at the flag threshold (chosen over flags alone; 1.0 when no level made
    # flags 95% precise): below it a person confirms it, at or above it it is auto-accepted
    flag_t = round(art.fields["policy"].flag_threshold, 4)
    flagged = [it for it in rec.items if (it.prediction or {}).get("confidence", {}).get("thresholds", {}).get("policy")
               == flag_t]
    assert flagged
    for it in flagged:
        reviewed = any(r.startswith(("to confirm: policy", "low confidence: policy"))
                       for r in it.prediction["review"]["reasons"])
        assert reviewed == (it.prediction["confidence"]["policy"] < flag_t), (it.id, it.prediction["review"])
    # the CI slice is drawn from the dev sets the shipped combiners were fitted on: the run says so
    from linernotes.fusion.artifact import in_sample

    overlap = in_sample(art, [it.id for it in rec.items if "policy_clean" not in it.gold])  # gold items only
    assert overlap and rec.extras["fusion_in_sample"]["fields"] == overlap
    assert "IN-SAMPLE" in md and "IN-SAMPLE" in html
    for f, levels in seen.items():
        task = {"genres": "genres", "policy": "policy", "valence": "valence"}[f]
        assert levels <= {r["threshold"] for r in rec.extras[f"{task}.risk_coverage"]}
    # 4 items per task in 2-4 clusters: the report says the intervals were withheld, not [v, v]
    assert rec.metrics["valence.mae"].ci_method == "withheld" and "interval withheld" in md
