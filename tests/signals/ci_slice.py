"""Capture what the tagger does on the CI slice: every LLM request (as its cache key: model
identity, messages, JSON schema and sampling parameters, hashed) and every record written.

Used by ``test_builtin_regression.py`` and, to re-make the fixture on purpose after an intended
change, by ``python -m tests.signals.ci_slice --write``. The spy only records and then calls the
real client: it changes nothing the tagger does."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixtures" / "ci_slice_builtins.json"
# wall-clock and cost fields: the same request twice takes another time; how much of a prompt the
# engine found in its prompt cache depends on what it served before
VOLATILE = ("latency_s", "cost_usd", "cache_hit", "tokens_cached")
# One item per kind of built-in field, plus a second policy source (Do-Not-Answer and
# RealToxicityPrompts prompt the policy field differently): every built-in's request shape and the
# fusion of each is covered. The whole 12-item slice took ~175 s of the CI budget with --llm always;
# these 4 take a third of it.
SUBSET = ("bandcamp-02955", "tweets-1557", "dna-human_chatbox-070", "rtp-sexually_explicit-053")
SLICE = Path(__file__).resolve().parents[2] / "evals" / "slices" / "ci-slice.jsonl"


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    rec = json.loads(json.dumps(record))
    enr = rec.get("enrichment") or {}
    for k in VOLATILE:
        (enr.get("provenance") or {}).pop(k, None)
    return rec


def subset_slice(work: Path) -> Path:
    """The CI slice's ``SUBSET`` items, in the slice's order, as a JSON-lines file in ``work``."""
    lines = [line for line in SLICE.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["id"] in SUBSET]
    if len(lines) != len(SUBSET):
        raise ValueError(f"{SLICE}: {len(lines)} of the {len(SUBSET)} subset ids found")
    out = work / "ci-slice-subset.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


async def capture(work: Path) -> dict[str, Any]:
    """Run ``liner eval ci-slice --data <SUBSET of it>`` in process (embedded model, no response
    cache) with the spy."""
    from linernotes.config import TagConfig
    from linernotes.evals.run import EvalOptions, evaluate
    from linernotes.llm import client as llm_client
    from linernotes.llm.config import LLMConfig

    requests: list[str] = []
    real = llm_client.LLMClient.structured

    async def spy(self, messages, response_model, schema=None):
        requests.append(self.key_for(messages, response_model, schema))
        return await real(self, messages, response_model, schema)

    llm_client.LLMClient.structured = spy
    try:
        # --llm always: every built-in field of every item is asked (the cascade, the default,
        # asks for few on this slice), so the requests show how the built-ins compose
        # cache_prompt off: llama.cpp decodes a prompt whose prefix it reused with other batch
        # shapes, so greedy answers could differ between runs and the records with them
        config = TagConfig(llm=LLMConfig(use_cache=False, seed=0, extra_params={"cache_prompt": False}),
                           llm_mode="always")
        # clean=False: the spec's 8 clean texts would triple the embedded calls of --llm always; the
        # subset covers every built-in's request shape without them
        await evaluate(EvalOptions(spec="ci-slice", data=subset_slice(work), output=work / "run.json",
                                  resamples=0, concurrency=1, clean=False), config)
    finally:
        llm_client.LLMClient.structured = real
    lines = (work / "run.json.d" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    records = sorted((normalised(json.loads(line)) for line in lines), key=lambda r: r["id"])
    return {"requests": sorted(requests), "records": records}


if __name__ == "__main__":
    import tempfile

    if "--write" not in sys.argv:
        sys.exit("usage: python -m tests.signals.ci_slice --write   (re-makes the fixture: only after an intended change)")
    with tempfile.TemporaryDirectory() as d:
        got = asyncio.run(capture(Path(d)))
    FIXTURE.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{FIXTURE}: {len(got['requests'])} requests, {len(got['records'])} records")
