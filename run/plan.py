"""``--dry-run``: count the work and show one rendered prompt, without calling the LLM."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from linernotes.config import TagConfig
from linernotes.run.prepare import RunOptions, prepare_run
from linernotes.store.catalog import read_catalog


class BadRowExample(BaseModel):
    line: int
    kind: str
    message: str


class DryRunReport(BaseModel):
    items: int
    bad_rows: int
    bad_rows_by_kind: dict[str, int] = Field(default_factory=dict)
    bad_row_examples: list[BadRowExample] = Field(default_factory=list, description="the first few, in file order")
    est_tokens_in: int
    est_tokens_out: int
    est_cost_usd: float | None
    model: str
    sample_id: str | None = None
    sample_prompt: list[dict[str, str]] | None = None


MAX_EXAMPLES = 5  # one per error kind: enough to say why rows are bad without flooding the terminal


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // 4 + 8


class PromptCaptured(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by ``PromptCapture`` in place of the first LLM call, carrying its messages."""

    def __init__(self, messages: list[dict[str, Any]]):
        super().__init__("dry run: the LLM is not called")
        self.messages = messages


class PromptCapture:
    """An LLM client for the dry run: the graph's own nodes run up to their first LLM call, which
    raises ``PromptCaptured`` with the exact messages instead of sending them."""

    def __init__(self, llm: Any):
        self.model_label = llm.model_label

    async def structured(self, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        raise PromptCaptured(messages)


SAMPLE_ITEMS = 20  # items tried for a sample prompt: with --llm auto the evidence may decide the first ones


async def _first_prompt(graph: Any, item: Any) -> list[dict[str, Any]] | None:
    """The messages the graph would send for ``item`` first, or None when it sends none."""
    try:
        await graph.ainvoke({"item": item})
    except PromptCaptured as c:
        return c.messages
    return None


async def dry_run(config: TagConfig, opts: RunOptions) -> DryRunReport:
    from dataclasses import replace

    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime

    rt = build_runtime(prepare_run(config, opts, "dry-run").config)
    graph = build_graph(replace(rt, llm=PromptCapture(rt.llm)))
    items = bad = tried = 0
    by_kind: dict[str, int] = {}
    examples: list[BadRowExample] = []
    sample = None
    sample_id = None
    per_item = 0
    for n, row in enumerate(read_catalog(opts.input, opts.mapping, opts.drop, opts.keep_extra), start=1):
        if opts.limit is not None and n > opts.limit:
            break
        if row.item is None:
            bad += 1
            kind = row.error.kind if row.error else "unknown"
            by_kind[kind] = by_kind.get(kind, 0) + 1
            if row.error and len(examples) < MAX_EXAMPLES and kind not in {x.kind for x in examples}:
                examples.append(BadRowExample(line=row.line, kind=kind, message=row.error.message))
            continue
        items += 1
        if sample is None and tried < SAMPLE_ITEMS:
            tried += 1
            sample = await _first_prompt(graph, row.item)
            if sample is not None:
                sample_id = row.item.id
                per_item = _estimate_tokens(sample)
    tokens_in = per_item * items  # an upper bound: with --llm auto some items need no call
    tokens_out = items * config.llm.max_tokens // 2
    cost = None
    try:
        from linernotes.llm.transports import import_litellm

        litellm = import_litellm()
        litellm.suppress_debug_info = True  # an unpriced model is expected here, not worth a red line
        pin, pout = litellm.cost_per_token(model=config.llm.model, prompt_tokens=tokens_in,
                                           completion_tokens=tokens_out)
        cost = float(pin + pout)
    except Exception:  # noqa: BLE001 (unknown or local model: no price)
        cost = 0.0 if rt.llm.model_label.startswith("local:") else None
    return DryRunReport(items=items, bad_rows=bad, bad_rows_by_kind=by_kind, bad_row_examples=examples,
                        est_tokens_in=tokens_in, est_tokens_out=tokens_out,
                        est_cost_usd=cost, model=rt.llm.model_label, sample_id=sample_id, sample_prompt=sample)
