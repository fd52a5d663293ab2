"""An eval over items the fusion combiners were fitted on says so (its figures are in-sample);
the artifact keeps a digest of every training item's gold id."""

from __future__ import annotations

from linernotes.evals.record import RunRecord
from linernotes.evals.report import in_sample_note, summary_markdown
from linernotes.evals.run import in_sample_message
from linernotes.fusion.artifact import FusionArtifact, default_fusion_dir, id_digest, in_sample, load_fusion


def _artifact(trained: dict[str, list[str]]) -> FusionArtifact:
    shipped = load_fusion(default_fusion_dir())
    return FusionArtifact(fields={f: shipped.fields[f].model_copy(update={"trained_on": sorted(id_digest(i) for i in ids)})
                                  for f, ids in trained.items()})


def test_overlap_is_counted_per_field():
    art = _artifact({"genres": ["a", "b", "c"], "valence": ["x"]})
    assert in_sample(art, ["a", "c", "z"]) == {"genres": 2}
    assert in_sample(art, ["x", "b"]) == {"genres": 1, "valence": 1}
    assert in_sample(art, ["q"]) == {} and in_sample(None, ["a"]) == {}
    assert id_digest("a") != id_digest("b") and len(id_digest("a")) == 10


def test_the_report_and_the_warning_say_in_sample():
    rec = RunRecord(spec="t", gold_fingerprint="f", extras={"fusion_in_sample": {"items": 60, "fields": {"valence": 60}}})
    assert "IN-SAMPLE" in in_sample_note(rec) and "valence 60 of 60" in summary_markdown(rec, plain=True)
    assert "in-sample" in in_sample_message({"valence": 60}, 60)
    assert in_sample_note(RunRecord(spec="t", gold_fingerprint="f")) == ""


# -- found by T7 (a user's read of the reports): the eval report did not name the fusion artifact,
# and the gate's report never said that its runs were in-sample
def _gate(baseline: RunRecord, candidate: RunRecord):
    from linernotes.evals.gate import GateResult

    return GateResult(passed=True, baseline=baseline, candidate=candidate, outcomes=[], n_items=3)


def test_the_eval_report_names_the_fusion_artifact():
    from linernotes.evals.report import render_run_html

    rec = RunRecord(spec="t", gold_fingerprint="f", prompt_hash="p1", tool_versions={"fusion": "a7584bf6f2b96e71"})
    for text in (summary_markdown(rec), summary_markdown(rec, plain=True), render_run_html(rec)):
        assert "fusion a7584bf6f2b96e71" in text
    assert "fusion" not in summary_markdown(RunRecord(spec="t", gold_fingerprint="f")).splitlines()[0]


def test_the_gate_report_says_which_run_is_in_sample():
    from linernotes.evals.report import gate_markdown, render_html

    clean = RunRecord(spec="t", gold_fingerprint="f")
    fitted = RunRecord(spec="t", gold_fingerprint="f",
                       extras={"fusion_in_sample": {"items": 40, "fields": {"genres": 40}}})
    for text in (gate_markdown(_gate(clean, fitted)), gate_markdown(_gate(clean, fitted), plain=True),
                 render_html(_gate(clean, fitted))):
        assert "candidate IN-SAMPLE" in text and "genres 40 of 40" in text and "baseline IN-SAMPLE" not in text
    both = gate_markdown(_gate(fitted, fitted))
    assert "baseline IN-SAMPLE" in both and "candidate IN-SAMPLE" in both
    assert "IN-SAMPLE" not in gate_markdown(_gate(clean, clean))


def test_liner_gate_carries_the_runs_in_sample_statement_and_drops_a_malformed_one(tmp_path):
    from linernotes.evals.gate import load_rules, run_gate
    from linernotes.evals.report import gate_markdown
    from linernotes.evals.scoring import score_record
    from linernotes.evals.synthetic import synthetic_record

    base = score_record(synthetic_record(30, seed=1), resamples=50)
    base.save(tmp_path / "base.json")
    fitted = base.model_copy(deep=True)
    fitted.extras["fusion_in_sample"] = {"items": 30, "fields": {"genres": 30}}
    fitted.save(tmp_path / "fitted.json")
    hostile = base.model_copy(deep=True)
    hostile.extras["fusion_in_sample"] = {"items": "x" * 10, "fields": [1, 2]}
    hostile.save(tmp_path / "hostile.json")
    rules = load_rules()
    res = run_gate(tmp_path / "base.json", tmp_path / "fitted.json", rules, resamples=50)
    md = gate_markdown(res)
    assert "candidate IN-SAMPLE" in md and "genres 30 of 30" in md and "baseline IN-SAMPLE" not in md
    assert res.candidate.metrics  # re-scored: the carried statement did not bring stored figures along
    assert "IN-SAMPLE" not in gate_markdown(run_gate(tmp_path / "base.json", tmp_path / "hostile.json", rules,
                                                     resamples=50))
