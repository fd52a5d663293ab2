"""A micro-batch's scalar and single-label decisions in one product (``fused_many``,
``decide_many``) are each item's own decision, bit for bit: the shipped valence and policy
combiners on texts inside and outside their fitted domains, with and without evidence."""

from __future__ import annotations

from linernotes.fusion.decide import fused, fused_many
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

TEXTS = ["", "a", "The the THE the", "é ünïcode — “quotes” 123 456", "x " * 400, "sad sad sad happy\nangry",
         "kill them all, every one of them", "a calm piano piece for a rainy sunday", "😡 😡 😡", "I  love\t\tthis  song",
         "Buy cheap pills now!!! http://spam.example", "an ode to joy and sorrow and joy again", ":) <3",
         "I hate this stupid song so much, worst ever", "Late night session, recorded in one take with friends."]


def _observations() -> list[Observation]:
    out = []
    for i, text in enumerate(TEXTS * 8):
        evidence = {"lexical_valence": round((i % 7 - 3) / 3.7 + i / 1000, 3)} if i % 3 else {}
        if i % 4 == 1:
            evidence["policy_hits"] = [{"clause_id": "violence.threat", "severity": 3}]
        out.append(Observation(item=Item(id=f"b{i}", type="track", title=text or "?!", description=text),
                               evidence=evidence, draft={"valence": "positive"} if i % 2 else None))
    return out


def test_decide_many_is_each_rows_decide_bit_for_bit(artifact) -> None:
    obs = _observations()
    for field in ("valence", "policy"):
        model = artifact.fields[field].model
        inside = [o for o in obs if model.applies(o)]
        assert len(inside) >= 10, field
        # unrounded floats: a dense product over several rows (BLAS) changes last bits that
        # the records' 4 decimals would mostly hide
        assert model.decide_many(inside) == [model.decide(o) for o in inside], field


def test_fused_many_is_fused_one_at_a_time(artifact) -> None:
    obs = _observations()
    for field in ("valence", "policy"):
        vocabulary = artifact.fields[field].vocabulary
        entry = artifact.get(field, vocabulary)
        assert entry is not None, field
        got = fused_many(artifact, field, obs, vocabulary)
        want = [fused(artifact, field, o, vocabulary) for o in obs]
        assert [d and d.model_dump() for d in got] == [d and d.model_dump() for d in want], field
        assert None in got and any(got), f"{field}: items outside and inside the fitted domain"
    assert fused_many(artifact, "no-such-field", obs) == [None] * len(obs)
