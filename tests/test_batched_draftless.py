"""``--llm always``: a micro-batch's combiners fitted without drafts (the shipped policy and
valence ones) decide its asked items in one product (``agents.decisions.draftless_ahead``),
reused by each item's ``fuse``; the records are those of each item tagged alone. The packs,
tools and shipped fusion artifact are real; the LLM is a recording test double that answers
after a short wait, as an endpoint does."""

from __future__ import annotations

import asyncio

from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.fusion.estimators import Linear
from linernotes.schema import Item

from .test_cascade import DECIDED, UNDECIDED, RecordingLLM
from .test_cascade_reuse import ASKED


class WaitingLLM(RecordingLLM):
    """The recording double, answering after ``wait_s`` (the batch's other items get their turn)."""

    model_label = "test-double:waiting"

    def __init__(self, wait_s: float = 0.01) -> None:
        super().__init__()
        self.wait_s = wait_s

    async def structured(self, messages, response_model, schema=None):
        await asyncio.sleep(self.wait_s)
        return await super().structured(messages, response_model, schema)


ITEMS = [DECIDED, UNDECIDED, ASKED,
         Item(id="t-short", type="track", title="Home"),  # one word: outside the policy combiner's domain
         Item(id="t-angry", type="track", title="I hate this stupid song", artist="Nobody",
              description="The worst thing I ever heard, kill it with fire.")]


def test_a_batch_decides_its_draftless_fields_in_one_product(monkeypatch) -> None:
    rt = build_runtime(TagConfig(llm_mode="always"), llm=WaitingLLM())
    policy = rt.fusion.get("policy", rt.policy.id).model.classifier
    calls: list[int] = []
    proba = Linear.predict_proba

    def counted(self, X):
        if self is policy:
            calls.append(X.shape[0])
        return proba(self, X)

    monkeypatch.setattr(Linear, "predict_proba", counted)
    slots = asyncio.run(build_graph(rt).run([{"item": item} for item in ITEMS]))
    assert all(s.exception is None for s in slots)
    assert calls == [len(ITEMS) - 1], "one product for every item inside the policy combiner's domain"
    batched = {s.state["item"].id: s.state for s in slots}
    assert all(state["draft"] is not None for state in batched.values()), "every item was asked"

    calls.clear()
    for item in ITEMS:  # each item alone: its own product, the same decisions
        alone = asyncio.run(build_graph(rt).ainvoke({"item": item}))
        got = {f: d.model_dump() for f, d in batched[item.id]["decisions"].items()}
        assert got == {f: d.model_dump() for f, d in alone["decisions"].items()}, item.id
    assert calls == [1] * (len(ITEMS) - 1)
