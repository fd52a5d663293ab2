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
