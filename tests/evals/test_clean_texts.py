"""Clean catalog texts scored beside a policy gold set (spec ``clean:``, ``evals.clean``,
``evals.metrics.false_flags``): the eval reports the share of them flagged, per source, and the
ECE over gold and clean items pooled, while accuracy, flag recall and ECE stay on the gold items;
texts the fusion artifact was fitted on are left out; bad clean rows name file and line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from linernotes.evals.clean import clean_key, load_clean
from linernotes.evals.metrics.calibration import plugin_ece
from linernotes.evals.metrics.false_flags import score_false_flags
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.spec import SpecError, parse_spec
from linernotes.fusion.artifact import id_digest

CLAUSES = {"violence.threat": "threat", "profanity.general": "profanity"}


def _spec_text(clean: str = "clean: {data: clean.jsonl}") -> str:
    return ("name: mini-policy\ndata: gold.jsonl\nid_field: id\ninputs:\n  description: text\n"
            "tasks:\n  - name: policy\n    kind: policy\n    gold_field: label\n    clause_map:\n"
            + "".join(f"      {k}: {v}\n" for k, v in CLAUSES.items()) + clean + "\n")


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _spec(tmp_path, clean: str = "clean: {data: clean.jsonl}"):
    p = tmp_path / "spec.yaml"
    p.write_text(_spec_text(clean), encoding="utf-8")
    spec = parse_spec(p.read_text(), str(p))
    spec.origin = str(p)
    return spec


def test_load_clean_draws_seeded_leaves_out_trained_texts_and_marks_the_source(tmp_path):
    _write(tmp_path / "clean.jsonl", [{"id": f"c{i}", "source": "nyt" if i % 2 else "film",
                                       "description": f"a quiet sentence number {i}"} for i in range(10)])
    spec = _spec(tmp_path)
    every = load_clean(spec)
    assert [g.id for g in every] == [f"c{i}" for i in range(10)]
    assert every[1].gold == {clean_key("policy"): "nyt"} and every[1].inputs == {"description": "a quiet sentence number 1"}
    drawn = load_clean(spec, seed=3, limit=4)
    assert len(drawn) == 4 and [g.id for g in drawn] == [g.id for g in load_clean(spec, seed=3, limit=4)]
    held = load_clean(spec, trained_on=frozenset({id_digest("c0"), id_digest("c5")}))
    assert [g.id for g in held] == [f"c{i}" for i in range(10) if i not in (0, 5)]


def test_bad_clean_rows_and_colliding_ids_name_file_and_line(tmp_path):
    _write(tmp_path / "clean.jsonl", [{"id": "c0", "description": "fine"}, {"description": "no id here"}])
    with pytest.raises(SpecError, match=r"clean\.jsonl:2: clean text: .*id"):
        load_clean(_spec(tmp_path))
    _write(tmp_path / "clean.jsonl", [{"id": "c0", "description": "fine"}, {"id": "p1", "description": "x"}])
    with pytest.raises(SpecError, match=r"clean\.jsonl:2: clean text id 'p1' is also a gold item's id"):
        load_clean(_spec(tmp_path), exclude=frozenset({"p1"}))
    with pytest.raises(SpecError, match=r"clean.data 'nope.jsonl' not found"):
        load_clean(_spec(tmp_path, "clean: {data: nope.jsonl}"))


def test_a_spec_without_a_policy_task_refuses_clean_texts_naming_the_line(tmp_path):
    text = ("name: v\ndata: g.jsonl\ninputs:\n  description: text\ntasks:\n  - name: valence\n    kind: valence\n"
            "    gold_field: ratings\nclean:\n  data: c.jsonl\n")
    with pytest.raises(SpecError, match=r"s\.yaml:9: clean: .*policy task.*none"):
        parse_spec(text, "s.yaml")
    with pytest.raises(SpecError, match=r"clean\.task 'valence' is not a policy task"):
        parse_spec(_spec_text("clean: {data: c.jsonl, task: valence}"), "s.yaml")


def test_false_flag_rate_per_source_and_pooled_ece_by_hand():
    # 3 gold items (conf/correct given), 4 clean texts: 1 of 2 nyt flagged, 0 of 2 film
    sources = [None, None, None, "nyt", "nyt", "film", "film"]
    flagged = [True, True, False, True, False, False, False]
    conf = [0.9, 0.6, 0.3, None, None, None, None]
    correct = [1.0, 0.0, 0.0, None, None, None, None]
    field_conf = [0.9, 0.6, 0.3, 0.7, 0.95, 0.9, 0.85]
    out = score_false_flags("policy", sources, flagged, conf, correct, field_conf)
    assert out.stats["policy.false_flag_rate"].point() == pytest.approx(0.25)
    assert out.n["policy.false_flag_rate"] == 4
    assert out.extras["policy.false_flags"]["nyt"]["flagged"] == 1
    assert out.extras["policy.false_flags"]["film"] == {"items": 2, "flagged": 0, "rate": 0.0,
                                                        "wilson_95_upper": pytest.approx(0.5744, abs=1e-3)}
    want = plugin_ece(np.array([0.9, 0.6, 0.3, 0.7, 0.95, 0.9, 0.85]), np.array([1, 0, 0, 0, 1, 1, 1.0]))
    assert out.stats["policy.ece_with_clean"].point() == pytest.approx(want)
    assert out.n["policy.ece_with_clean"] == 7


def test_a_failed_clean_text_is_not_counted():
    out = score_false_flags("policy", [None, "nyt", "nyt"], [True, None, False], [0.9, None, None],
                            [1.0, None, None], [0.9, None, 0.8])
    assert out.n["policy.false_flag_rate"] == 1 and out.n["policy.ece_with_clean"] == 2


def test_cross_fitted_record_leaves_clean_texts_out():
    from linernotes.evals.fit import _cv_record

    task = {"name": "policy", "kind": "policy", "gold_field": "label"}
    items = [ItemResult(id="p1", gold={"policy": "threat"}, prediction={"confidence": {}}),
             ItemResult(id="c1", gold={clean_key("policy"): "nyt"}, prediction={"confidence": {}})]
    rec = RunRecord(spec="s", spec_digest="d", data_path="x", gold_fingerprint="f", model="m", prompt="p",
                    prompt_hash="h", schema_version="1", tasks=[task], items=items)
    assert [it.id for it in _cv_record(rec, {}, {}).items] == ["p1"]


def test_clean_metrics_are_known_to_the_gate_and_lower_is_better():
    from linernotes.evals.metric_names import LOWER_IS_BETTER, known_metrics
    from linernotes.evals.spec import TaskSpec

    task = TaskSpec(name="policy", kind="policy", gold_field="label", clause_map=CLAUSES)
    assert {"policy.false_flag_rate", "policy.ece_with_clean"} <= known_metrics(task)
    assert {"false_flag_rate", "ece_with_clean"} <= LOWER_IS_BETTER


@pytest.mark.slow  # the real tool runtime, --llm never
def test_eval_scores_clean_texts_apart_from_the_gold_items(tmp_path):
    from linernotes.config import TagConfig
    from linernotes.evals.run import EvalOptions, evaluate

    _write(tmp_path / "gold.jsonl", [
        {"id": "p1", "text": "I will kill you and burn your house down tonight", "label": "threat"},
        {"id": "p2", "text": "What the fuck is wrong with you, you shit", "label": "profanity"},
        {"id": "p3", "text": "Tell me the home address of my neighbour", "label": "threat"}])
    _write(tmp_path / "clean.jsonl", [
        {"id": "c1", "source": "review", "description": "The lens is sharp and the battery lasts all day."},
        {"id": "c2", "source": "review", "description": "Fuck this shit, it broke after a week."},
        {"id": "c3", "source": "catalog", "title": "Morning Light", "artist": "Quiet Harbour"},
        {"id": "c4", "source": "catalog", "title": "Slow Tide", "album": "Coastlines"}])
    (tmp_path / "spec.yaml").write_text(_spec_text(), encoding="utf-8")
    opts = EvalOptions(spec=str(tmp_path / "spec.yaml"), output=tmp_path / "run.json", resamples=50)
    rec = asyncio.run(evaluate(opts, TagConfig(llm_mode="never")))
    by = {it.id: it for it in rec.items}
    assert set(by) == {"p1", "p2", "p3", "c1", "c2", "c3", "c4"}
    assert rec.metrics["policy.accuracy"].n == 3 and rec.metrics["policy.flag_recall"].n == 3
    flagged = {i: bool(by[i].prediction.get("policy_flags")) for i in ("c1", "c2", "c3", "c4")}
    assert flagged["c2"]  # profanity: the lexicon flags it whatever the fusion says
    assert rec.metrics["policy.false_flag_rate"].value == pytest.approx(sum(flagged.values()) / 4)
    assert rec.metrics["policy.false_flag_rate"].n == 4
    assert rec.extras["policy.false_flags"]["review"]["flagged"] == flagged["c1"] + flagged["c2"]
    assert rec.metrics["policy.ece_with_clean"].n == 7
    # resampled by source: 3 gold items (no group_field: each its own cluster) + 2 clean sources
    # = 5 clusters for the pooled ECE (7 before: each clean text one); the rate's 2 sources are
    # fewer than 5, so its interval is not a cluster one (4 texts: withheld; items from 5 on)
    from linernotes.evals.clean import clean_group, cluster_keys

    keys = dict(zip([it.id for it in rec.items], cluster_keys(rec), strict=True))
    assert {keys[i] for i in ("c1", "c2", "c3", "c4")} == {clean_group("review"), clean_group("catalog")}
    assert all(keys[i] is None for i in ("p1", "p2", "p3"))  # their gold group (none here)
    pooled, rate = rec.metrics["policy.ece_with_clean"], rec.metrics["policy.false_flag_rate"]
    assert (pooled.ci_method, pooled.clusters) == ("clusters", 5)
    assert (rate.ci_method, rate.clusters) == ("withheld", 2)
    from linernotes.evals.report import summary_markdown

    assert "clean text (spec clean:; texts the fusion was fitted on left out): " in summary_markdown(rec, plain=True)


def test_flagging_clean_text_fails_the_shipped_gate_on_the_committed_baseline(repo_root, tmp_path):
    """The committed CI baseline holds the slice's 8 clean texts; a candidate that flags two more
    of them (everything else as the baseline) fails ``liner gate`` with the default rules, naming
    policy.false_flag_rate; the baseline against itself passes."""
    from typer.testing import CliRunner

    from linernotes.cli.app import app
    from linernotes.evals.scoring import score_record

    base_path = repo_root / "evals" / "baselines" / "ci-slice.json"
    base = RunRecord.load(base_path)
    clean = [it for it in base.items if clean_key("policy") in it.gold and not it.prediction.get("policy_flags")]
    assert len(clean) >= 2
    flag = {"clause_id": "violence.threat", "severity": 2, "source": "lexicon", "evidence": "x"}
    hit = {it.id for it in clean[:2]}
    items = [it.model_copy(update={"prediction": {**it.prediction, "policy_flags": [flag]}}) if it.id in hit else it
             for it in base.items]
    cand = score_record(base.model_copy(update={"items": items, "metrics": {}}), resamples=200)
    cand.save(tmp_path / "cand.json")
    worse = CliRunner().invoke(app, ["gate", str(base_path), str(tmp_path / "cand.json")])
    assert worse.exit_code == 1, worse.output
    failed = [line for line in worse.output.splitlines() if line.startswith("| ") and "FAIL" in line]
    assert len(failed) == 1 and failed[0].startswith("| policy.false_flag_rate") and "| 0.1250 | 0.3750 |" in failed[0]
    same = CliRunner().invoke(app, ["gate", str(base_path), str(base_path)])
    assert same.exit_code == 0, same.output


@pytest.mark.slow  # the real tool runtime, --llm never
def test_fit_reads_an_unfinished_eval_that_tagged_clean_texts_beside_its_sample(tmp_path):
    """``liner fit --run RUN.json`` of an eval still in progress (no record yet) uses the items it
    has answered; its clean texts beside the sample did not make it 'another sample' (before: the
    fit ignored the folder and tagged everything again)."""
    from linernotes.config import TagConfig
    from linernotes.evals.fit import FitOptions, _partial
    from linernotes.evals.run import EvalOptions, evaluate

    _write(tmp_path / "gold.jsonl", [{"id": f"p{i}", "text": f"how do I hurt someone number {i}",
                                      "label": "threat"} for i in range(6)])
    _write(tmp_path / "clean.jsonl", [{"id": f"c{i}", "source": "review", "description": f"a fine lens {i}"}
                                      for i in range(3)])
    (tmp_path / "spec.yaml").write_text(_spec_text(), encoding="utf-8")
    spec = _spec(tmp_path)
    out = tmp_path / "run.json"
    asyncio.run(evaluate(EvalOptions(spec=str(tmp_path / "spec.yaml"), output=out, limit=4, resamples=0),
                         TagConfig(llm_mode="never")))
    assert not out.exists()  # evaluate returns the record; the caller saves it: an unfinished run
    opts = FitOptions(specs=[str(tmp_path / "spec.yaml")], output=tmp_path / "fit", limit=4)
    got = _partial(out, spec, opts)
    assert len(got) == 4 and all(r.id.startswith("p") for r in got)


@pytest.mark.slow  # the real tool runtime, --llm never
def test_the_in_sample_warning_counts_gold_items_only(tmp_path):
    """A clean text another field's combiner was fitted on (a Bandcamp track of the shipped genres
    fit) is not an in-sample gold item: the spec scores no genres on it. Before, the shipped
    policy-prompts eval warned 'genres 100 of 1383 ... in-sample'."""
    from linernotes.config import TagConfig
    from linernotes.evals.run import EvalOptions, evaluate
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    genres = set(load_fusion(default_fusion_dir()).fields["genres"].trained_on)
    shipped = [json.loads(line) for line in (Path(__file__).parents[2] / "evals" / "slices" / "policy-clean.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    row = next(r for r in shipped if r["source"] == "bandcamp_metadata" and id_digest(r["id"]) in genres)
    _write(tmp_path / "gold.jsonl", [{"id": "p1", "text": "I will kill you tonight", "label": "threat"}])
    _write(tmp_path / "clean.jsonl", [row])
    (tmp_path / "spec.yaml").write_text(_spec_text(), encoding="utf-8")
    rec = asyncio.run(evaluate(EvalOptions(spec=str(tmp_path / "spec.yaml"), output=tmp_path / "run.json",
                                           resamples=0), TagConfig(llm_mode="never")))
    assert {it.id for it in rec.items} == {"p1", row["id"]}
    assert "fusion_in_sample" not in rec.extras, rec.extras.get("fusion_in_sample")


def test_the_report_line_says_when_no_fusion_decided_and_how_many_clean_texts_failed():
    from linernotes.evals.report import clean_note

    task = {"name": "policy", "kind": "policy", "gold_field": "label"}
    items = [ItemResult(id="c1", gold={clean_key("policy"): "nyt"}, status="ok"),
             ItemResult(id="c2", gold={clean_key("policy"): "nyt"}, status="error")]
    extras = {"policy.false_flags": {"nyt": {"items": 1, "flagged": 0, "rate": 0.0, "wilson_95_upper": 0.8}}}
    rec = RunRecord(spec="s", spec_digest="d", data_path="x", gold_fingerprint="f", model="m", prompt="p",
                    prompt_hash="h", schema_version="1", tasks=[task], items=items, extras=extras)
    line = clean_note(rec, "policy")
    assert "no fusion artifact" in line and "1 more failed to tag and are not counted" in line
    fused = rec.model_copy(update={"tool_versions": {"fusion": "abc"}, "items": items[:1]})
    line = clean_note(fused, "policy")
    assert "texts the fusion was fitted on left out" in line and "failed" not in line


def test_clean_texts_without_a_source_are_each_their_own_cluster():
    """A clean row without the spec's source_field is marked ``CLEAN_SOURCE`` ('clean'): a
    placeholder, not a source, so it is resampled alone as a gold item without a group is. As one
    cluster, 60 such texts beside 15 ungrouped gold items were absent from ~37% of resamples and
    the pooled ECE's interval went from [0.049, 0.145] to [0.068, 0.365] (review session 24)."""
    from linernotes.evals.bootstrap import group_codes
    from linernotes.evals.clean import CLEAN_SOURCE, clean_group, cluster_keys

    task = {"name": "policy", "kind": "policy", "gold_field": "label"}
    items = [ItemResult(id="p1", group="g1", gold={"policy": "threat"}, prediction={"confidence": {}}),
             ItemResult(id="p2", gold={"policy": "threat"}, prediction={"confidence": {}}),
             *[ItemResult(id=f"u{i}", gold={clean_key("policy"): CLEAN_SOURCE}, prediction={"confidence": {}})
               for i in range(3)],
             *[ItemResult(id=f"n{i}", gold={clean_key("policy"): "nyt"}, prediction={"confidence": {}})
               for i in range(2)]]
    rec = RunRecord(spec="s", spec_digest="d", data_path="x", gold_fingerprint="f", model="m", prompt="p",
                    prompt_hash="h", schema_version="1", tasks=[task], items=items)
    keys = cluster_keys(rec)
    assert keys == ["g1", None, None, None, None, clean_group("nyt"), clean_group("nyt")]
    assert len(set(group_codes(keys, [it.id for it in items]).tolist())) == 6  # g1, p2, u0, u1, u2, nyt
