"""Warm the process-wide caches of the default configuration once, in the workers' forkserver
(``run.parallel.PRELOAD`` imports this module there and nowhere else), so every worker forked
from it inherits them instead of building its own.

What a process builds on its first items, whatever the run (measured 2026-11-30, one process,
CPU seconds): the policy lexicon's trie regex 1.6, the clause index and the stemmer's import 1.4,
the language model 0.4; and at runtime build the taxonomy indexes (BM25 and embeddings) ~2. Each
``--workers`` process paid all of it again (a 2,000-item run in 2 workers: ~4 ms of CPU per item
of warm-up alone). The caches are keyed by content (pack ref and digest), so a run on the default
packs finds them built and a run on other packs builds its own as before. Values never change:
these are caches of pure functions. Since session 13 the costliest of them are read from the
on-disk build cache instead (``tools.disk_cache``: the trie's source and regex code, the packs'
YAML, the language model) and nltk is no longer imported: ``import linernotes.run.warm`` in a new
interpreter 6.2 -> 3.8 s of CPU (``python -m benchmarks startup``).

Importing this module does the work (the forkserver can only import): ``warm()`` is the function.
A failure here must never stop a pool from starting, so it is swallowed; the workers then build
what they need themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any


def warm() -> None:
    """Run one sample item through the graph on the default packs, tools and combiners, with the
    LLM off (``--llm never``: no client, no request), then build what its call would build
    (``warm_call``)."""
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from linernotes.schema import Item

    config = TagConfig(llm_mode="never")
    rt = build_runtime(config, llm=SimpleNamespace(model_label="warm-up (no model)"))
    item = Item(id="warm-up", type="track", title="Warm up", artist="Nobody",
                description="A calm ambient piano piece about rain, with a driving techno beat.")
    state = asyncio.run(build_graph(rt).ainvoke({"item": item}))
    warm_call(state, rt)
    from linernotes.tools.policy.lookup import prepare

    prepare(rt.policy)  # the per-letter tries a context-only hit reads (~0.07 s from the disk cache)


def warm_call(state: dict[str, Any], rt: Any) -> None:
    """What a worker's first LLM call builds before its request, built here for the sample item
    asked about every field (``--llm always``), so no worker pays it (2026-12-01, load ~5: a
    worker's first 32 items 0.175 s of CPU above its next 32, 0.026 s with this; ~0.15 ms per item
    of a 2,000-item run in 2 workers): the HTTP transport's module with aiohttp's import (~0.1 s),
    LiteLLM's price table read as a file (``llm.prices``, ~25 ms), the prompt's render and the
    answer's class and JSON schema (``agents.nodes.extract``). No request is sent; the cached
    values are pure functions of the packaged files, as the rest of the warm-up's."""
    from linernotes.agents.nodes.extract import render_messages, response_for
    from linernotes.llm import fast  # noqa: F401 (the import is the work: aiohttp and its parsers)
    from linernotes.llm.prices import openai_cost
    from linernotes.signals import builtin

    openai_cost("gpt-4o-mini", 0, 0)  # any model: the first price read loads the whole table
    asked = {**state, "ask": builtin.applicable(builtin.fields(), state["item"].type)}
    render_messages(asked, rt)
    response_for(asked, rt)


def freeze() -> None:
    """Collect the warm-up's garbage, then move every object left out of the cycle collector's
    reach (``gc.freeze``), here in the forkserver, before it forks a worker. A worker inherits
    the frozen heap, so its own ``gc.collect()`` before ``gc.freeze()`` (``run.parallel._serve``)
    walks only what the worker built itself, not the ~300k objects of the imports, indexes and
    models again: 0.18 s of CPU per worker, on the pool's startup (a run waits for it). The
    frozen objects stay alive as they would anyway (modules, caches); the forkserver itself
    runs no Python code afterwards but its fork loop."""
    import gc

    gc.collect()
    gc.freeze()


with contextlib.suppress(Exception):  # a pool must start even if warming fails
    warm()
freeze()
