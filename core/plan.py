"""``--dry-run``: count the work and show one rendered prompt, without calling the LLM."""

from __future__ import annotations

from pydantic import BaseModel, Field

from linernotes.catalog import read_catalog
from linernotes.config import TagConfig
from linernotes.runner import RunOptions


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


async def dry_run(config: TagConfig, opts: RunOptions) -> DryRunReport:
    from linernotes.agents.nodes.extract import render_messages
    from linernotes.agents.nodes.gather import gather
    from linernotes.agents.nodes.run_tools import run_tools
    from linernotes.agents.runtime import build_runtime

    rt = build_runtime(config)
    items = bad = 0
    by_kind: dict[str, int] = {}
    examples: list[BadRowExample] = []
    sample = None
    sample_id = None
    tokens_in = 0
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
        if sample is None:
            state = {"item": row.item}
            state.update(gather(state, rt))
            state.update(await run_tools(state, rt))
            sample = render_messages(state, rt)
            sample_id = row.item.id
            per_item = _estimate_tokens(sample)
        tokens_in += per_item
    tokens_out = items * config.llm.max_tokens // 2
    cost = None
    try:
        import litellm

        litellm.suppress_debug_info = True  # an unpriced model is expected here, not worth a red line
        pin, pout = litellm.cost_per_token(model=config.llm.model, prompt_tokens=tokens_in,
                                           completion_tokens=tokens_out)
        cost = float(pin + pout)
    except Exception:  # noqa: BLE001 (unknown or local model: no price)
        cost = 0.0 if rt.llm.model_label.startswith("local:") else None
    return DryRunReport(items=items, bad_rows=bad, bad_rows_by_kind=by_kind, bad_row_examples=examples,
                        est_tokens_in=tokens_in, est_tokens_out=tokens_out,
                        est_cost_usd=cost, model=rt.llm.model_label, sample_id=sample_id, sample_prompt=sample)
