"""``--dry-run``: count the work, estimate the LLM calls and tokens, and show one rendered prompt,
without calling the LLM. The graph's own nodes (tools, the cascade's triage) run on the first
``SAMPLE_ITEMS`` items up to their first LLM call, so the estimate follows ``--llm``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from linernotes.config import TagConfig
from linernotes.run.prepare import RunOptions, prepare_run, where
from linernotes.store.catalog import read_catalog


class BadRowExample(BaseModel):
    line: int
    kind: str
    message: str
    where: str = Field("", description="the row by catalog, line and its record's id (run.prepare.where)")


class DryRunReport(BaseModel):
    items: int
    bad_rows: int
    bad_rows_by_kind: dict[str, int] = Field(default_factory=dict)
    bad_row_examples: list[BadRowExample] = Field(default_factory=list, description="the first few, in file order")
    llm_mode: str = Field("auto", description="--llm: always | auto | never")
    sampled: int = Field(0, description="items the graph ran on (tools and triage; no LLM call) to estimate the calls")
    sampled_needing_llm: int = Field(0, description="of those, items whose first LLM call was reached")
    est_llm_calls: int = Field(0, description="items x the sampled calls per item (extract, and the declared "
                               "signals' call when one applies)")
    est_tokens_in: int
    est_tokens_out: int
    est_cost_usd: float | None
    model: str
    sample_id: str | None = None
    sample_prompt: list[dict[str, str]] | None = None


MAX_EXAMPLES = 5  # one per error kind: enough to say why rows are bad without flooding the terminal


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // 4 + 8


# -- output tokens: from the answer's schema -------------------------------------------------------
# A per-part constant, measured 2026-11-30 on the bundled example with the embedded SmolLM2-135M
# (no response cache; `liner tag examples/catalog.jsonl --llm always|auto [--rationale] --no-cache`):
# 97.6 output tokens per call for the six compact fields (two lists, 3 + 3 handles at most),
# 54 for genres + moods alone (trk-004 under auto), and ~40 more with --rationale (137.8 per
# item, benchmarks/results/2026-11-30-cascade-300.json). The model fills each list to its
# maxItems and writes whitespace between the parts, so the counts fit
# OBJECT + KEY per property + ITEM per list entry + a string's maxLength / TEXT_CHARS:
# 2 + 6 x 11 + 6 x 5 = 98 and 2 + 2 x 11 + 6 x 5 = 54.
OBJECT_TOKENS = 2
KEY_TOKENS = 11  # a property: its key, the separators and whitespace, and a one-token value
ITEM_TOKENS = 5  # a list entry: a quoted handle ("G3"), the comma and whitespace
TEXT_CHARS = 3.5  # characters per token of free text written to its maxLength (the rationale)
FREE_TEXT_TOKENS = 20  # a string with neither enum nor maxLength
ESTIMATE_FACTOR = 1.5  # the stated bound, estimate / measured on the example, either way (tested)


def _value_tokens(prop: dict[str, Any]) -> int:
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items") or {}
        n = int(prop.get("maxItems", 3))
        pool = items.get("enum")
        if pool:
            n = min(n, len(pool))
        return n * ITEM_TOKENS
    if kind == "object":
        return _object_tokens(prop)
    if kind == "string" and "enum" not in prop:
        length = prop.get("maxLength")
        return round(int(length) / TEXT_CHARS) if length is not None else FREE_TEXT_TOKENS
    return 0  # a number, a bool, an enum member: in KEY_TOKENS


def _object_tokens(schema: dict[str, Any]) -> int:
    props = schema.get("properties") or {}
    return OBJECT_TOKENS + sum(KEY_TOKENS + _value_tokens(p) for p in props.values())


def estimate_output_tokens(schema: dict[str, Any] | None) -> int:
    """Output tokens of one answer to ``schema`` (the JSON schema the call sends; see the
    constants above for the measured shape); 0 without a schema."""
    return _object_tokens(schema) if schema else 0


class PromptCaptured(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by ``PromptCapture`` in place of the first LLM call, carrying its messages."""

    def __init__(self, messages: list[dict[str, Any]], response_model: Any = None,
                 schema: dict[str, Any] | None = None):
        super().__init__("dry run: the LLM is not called")
        self.messages = messages
        self.response_model = response_model
        self.schema = schema


class PromptCapture:
    """An LLM client for the dry run: the graph's own nodes run up to their first LLM call, which
    raises ``PromptCaptured`` with the exact messages instead of sending them."""

    def __init__(self, llm: Any):
        self.model_label = llm.model_label

    async def structured(self, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        model = args[0] if args else kwargs.get("response_model")
        schema = args[1] if len(args) > 1 else kwargs.get("schema")
        if schema is None and isinstance(model, type) and issubclass(model, BaseModel):
            schema = model.model_json_schema()
        raise PromptCaptured(messages, model, schema)


SAMPLE_ITEMS = 50  # items the graph runs on (tools + triage) to estimate how many need the LLM under --llm auto


async def _first_prompt(graph: Any, item: Any, config: TagConfig
                        ) -> tuple[list[dict[str, Any]] | None, int, int]:
    """(the messages the graph would send for ``item`` first or None when it sends none, how many
    calls the item makes, the first call's estimated output tokens). The declared signals' call
    comes after the record, so an item whose first call is extract makes one more when a signal
    applies to its type (the graph stops at the first call, the signals node is never reached)."""
    from linernotes.signals.answer import SignalAnswer
    from linernotes.signals.spec import signals_for

    try:
        await graph.ainvoke({"item": item})
    except PromptCaptured as c:
        model = c.response_model
        signals_call = isinstance(model, type) and issubclass(model, SignalAnswer)
        later = not signals_call and config.llm_mode != "never" and bool(signals_for(config.signals, item.type))
        return c.messages, 1 + later, estimate_output_tokens(c.schema)
    return None, 0, 0


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
    needing = item_calls = 0
    prompt_tokens = answer_tokens = 0
    for n, row in enumerate(read_catalog(opts.input, opts.mapping, opts.drop, opts.keep_extra), start=1):
        if opts.limit is not None and n > opts.limit:
            break
        if row.item is None:
            bad += 1
            kind = row.error.kind if row.error else "unknown"
            by_kind[kind] = by_kind.get(kind, 0) + 1
            if row.error and len(examples) < MAX_EXAMPLES and kind not in {x.kind for x in examples}:
                rec_id = row.key if row.raw_id is None else row.raw_id  # the id its error record gets
                examples.append(BadRowExample(line=row.line, kind=kind, message=row.error.message,
                                              where=where(rec_id, row.error.source, row.line, row.end_line)))
            continue
        items += 1
        if tried < SAMPLE_ITEMS:
            tried += 1
            messages, n_calls, out_tokens = await _first_prompt(graph, row.item, config)
            if messages is not None:
                needing += 1
                item_calls += n_calls
                prompt_tokens += _estimate_tokens(messages) * n_calls  # a later signals call: sized like the first
                answer_tokens += out_tokens * n_calls
                if sample is None:
                    sample, sample_id = messages, row.item.id
    # the sampled share of items that reach an LLM call, applied to the whole catalog (with
    # --llm auto the evidence decides some items; the first items may not be typical of the rest)
    calls = round(items * item_calls / tried) if tried else 0
    tokens_in = (prompt_tokens // item_calls) * calls if item_calls else 0
    tokens_out = min(answer_tokens // item_calls, config.llm.max_tokens) * calls if item_calls else 0
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
                        llm_mode=config.llm_mode, sampled=tried, sampled_needing_llm=needing, est_llm_calls=calls,
                        est_tokens_in=tokens_in, est_tokens_out=tokens_out,
                        est_cost_usd=cost, model=rt.llm.model_label, sample_id=sample_id, sample_prompt=sample)
