"""The label-prior baseline on the real Bandcamp dev gold (../shared/data; this test fails, not
skips, without it): for each evaluated track, the 3 most frequent gold genres among the exemplar
items (every gold item NOT evaluated) of the same label. The expected table is rebuilt here from
the raw JSONL with the standard library, not through datasets or evals.gold."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from linernotes.evals.gold import load_gold, slugify
from linernotes.evals.metrics.baselines import label_prior_for
from linernotes.evals.record import ExemplarInfo, ItemResult, RunRecord
from linernotes.evals.scoring import score_record
from linernotes.evals.spec import load_spec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bandcamp(repo_root):
    path = repo_root.parent / "shared" / "data" / "gold" / "bandcamp-tracks.dev.jsonl"
    assert path.is_file(), f"{path} is missing: the label-prior test needs the shared dev data"
    spec = load_spec("bandcamp-genres")
    sample = load_gold(spec, path, limit=60, seed=0)
    record = RunRecord(
        spec=spec.name, spec_digest=spec.digest(), data_path=str(path), gold_fingerprint=sample.fingerprint,
        seed=0, limit=60, exemplars=ExemplarInfo(task="genres", exclude="sample", count=0, digest="-"),
        tasks=[t.model_dump(mode="json") for t in spec.tasks],
        items=[ItemResult(id=g.id, group=g.group, inputs=g.inputs, gold=g.gold,
                          prediction={"genres": [], "confidence": {"genres": 0.0}, "evidence": {}})
               for g in sample.items])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return record, rows


def _expected(record, rows):
    held = {it.id for it in record.items}
    counts: dict[str, Counter] = {}
    for r in rows:
        if str(r["id"]) in held or not r.get("gold_genres"):
            continue
        labels = r["gold_genres"] if isinstance(r["gold_genres"], list) else [r["gold_genres"]]
        counts.setdefault(r["labelname"], Counter()).update({slugify(str(g)) for g in labels})
    return {lab: [g for g, _ in sorted(c.items(), key=lambda x: (-x[1], x[0]))[:3]] for lab, c in counts.items()}


def test_label_prior_table_and_its_scores(bandcamp):
    record, rows = bandcamp
    table, why = label_prior_for(record)
    assert why == "" and table is not None
    expected = _expected(record, rows)
    for it in record.items:
        assert table.get(it.inputs["label"], []) == expected.get(it.inputs["label"], []), it.inputs["label"]
    tp = fp = fn = 0
    for it in record.items:
        pred, gold = set(expected.get(it.inputs["label"], [])), set(it.gold["genres"])
        tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    scored = score_record(record, resamples=100)
    m = scored.metrics["baseline.label_prior.genres.micro_f1"]
    assert m.value == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-6) and tp > 0
    rows_ = [r for r in scored.extras["baselines"]["comparison"] if r["baseline"] == "label_prior"]
    assert rows_ and all(r["diff"] <= 0 for r in rows_)  # an empty record cannot beat it


def test_label_prior_is_skipped_with_a_reason_when_the_gold_is_not_the_runs(bandcamp):
    record, _ = bandcamp
    other_seed = record.model_copy(update={"seed": 1})  # claims another sample than its items
    table, why = label_prior_for(other_seed)
    assert table is None and "not available" in why
    tampered = record.model_copy(update={"gold_fingerprint": "0" * 16})
    scored = score_record(tampered, resamples=20)
    assert "baseline.label_prior.genres.micro_f1" not in scored.metrics
    assert "genres:label_prior" in scored.extras["baselines"]["skipped"]
