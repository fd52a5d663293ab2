"""The clause a fused policy flag uses for a category is the one the category's training items'
evidence names most often, among the clauses the spec maps to it (ties: spec order). By spec
order alone the shipped fit flagged malicious_uses requests (fraud, forged passports, hacking) as
drugs.reference, severity 1, 'References to drug use'."""

from __future__ import annotations

from linernotes.evals.fit import _clause_for
from linernotes.evals.spec import load_spec
from linernotes.fusion.observation import Observation
from linernotes.schema import Item


def _obs(hits: list[str], retrieved: list[str]) -> Observation:
    ev = {"policy_hits": [{"clause_id": c} for c in hits], "clauses": [{"id": c} for c in retrieved]}
    return Observation(Item(id="x", description="text"), ev, None)


def test_the_clause_the_evidence_names_most_often_wins_and_spec_order_breaks_ties() -> None:
    task = load_spec("policy-prompts").tasks[0]
    first = _clause_for(task)
    assert first["malicious_uses"] == "drugs.reference"  # the spec lists it first
    obs = [_obs([], ["illegal.malicious-use"]), _obs(["drugs.reference"], ["illegal.malicious-use"]),
           _obs([], ["chatbot.reliance", "self-harm"])]
    labels = ["malicious_uses", "malicious_uses", "human_chatbox"]
    chosen = _clause_for(task, obs, labels)
    assert chosen["malicious_uses"] == "illegal.malicious-use"
    assert chosen["human_chatbox"] == "self-harm"  # a tie: the spec's first
    assert chosen["threat"] == first["threat"]  # a category with one clause, or no items: as before


def test_the_shipped_artifact_flags_malicious_uses_as_illegal_malicious_use() -> None:
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    model = load_fusion(default_fusion_dir()).get("policy").model
    assert model.clause_for["malicious_uses"] == "illegal.malicious-use"
