"""Fusion features come only from what the tagger sees: a gold value (or any column outside the
spec's inputs) never reaches an observation or a feature, on the sample path and the pool path."""

from __future__ import annotations

import json

import numpy as np

from linernotes.config import TagConfig
from linernotes.evals.fit import _observations, _pool
from linernotes.evals.gold import load_gold
from linernotes.evals.record import ItemResult
from linernotes.evals.spec import load_spec
from linernotes.fusion.features import candidate_rows, policy_dense, scalar_dense

SENTINEL = "zebra-quartz-gold"


def _spec(tmp_path):
    rows = [{"id": f"r{i}", "text": f"an ordinary sentence number {i}", "label": SENTINEL if i % 2 else "threat",
             "leak": SENTINEL, "src": "s"} for i in range(6)]
    (tmp_path / "g.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(f"""name: iso
data: {tmp_path / 'g.jsonl'}
group_field: src
inputs: {{description: text}}
tasks: [{{name: policy, kind: policy, gold_field: label, clause_map: {{violence.threat: threat}}}}]
""", encoding="utf-8")
    return load_spec(tmp_path / "s.yaml")


def _blob(obs) -> str:
    return json.dumps([o.item.model_dump(mode="json") for o in obs]) + json.dumps([o.evidence for o in obs]) + \
        json.dumps([o.draft for o in obs])


def test_pool_and_sample_observations_hold_no_gold_or_other_column(tmp_path):
    spec = _spec(tmp_path)
    gold = load_gold(spec, tmp_path / "g.jsonl")
    pool = _pool(spec, tmp_path / "g.jsonl", set(), None, TagConfig(), 0)
    obs, items = _observations(spec, gold.items, pool)
    assert len(obs) == 6 and {i.gold["policy"] for i in items} == {SENTINEL, "threat"}
    assert SENTINEL not in _blob(obs)
    # a prediction that (wrongly) carried the gold would still only hand over evidence and draft
    sample = {g.id: ItemResult(id=g.id, gold=g.gold, inputs=g.inputs,
                               prediction={"evidence": {}, "draft": None, "genres": [SENTINEL]}) for g in gold.items}
    obs2, _ = _observations(spec, gold.items, sample)
    assert SENTINEL not in _blob(obs2)


def test_features_do_not_change_when_only_gold_changes(tmp_path):
    spec = _spec(tmp_path)
    gold = load_gold(spec, tmp_path / "g.jsonl")
    pool = _pool(spec, tmp_path / "g.jsonl", set(), None, TagConfig(), 0)
    before, _ = _observations(spec, gold.items, pool)
    for g in gold.items:
        g.gold["policy"] = "something-else"
    after, _ = _observations(spec, gold.items, pool)
    for a, b in zip(before, after, strict=True):
        assert np.array_equal(scalar_dense(a), scalar_dense(b))
        assert np.array_equal(policy_dense(a, ["violence.threat"]), policy_dense(b, ["violence.threat"]))
        assert np.array_equal(candidate_rows(a, {})[1], candidate_rows(b, {})[1])
