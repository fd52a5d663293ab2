"""USD per call for the HTTP transport, from LiteLLM's bundled price table read as a file.

Why not ``litellm.cost_per_token``: importing LiteLLM costs ~145 MB of memory and ~3 s of CPU per
process (measured 2026-11-30 on the 2-core VM), and the HTTP transport exists to skip LiteLLM;
each ``--workers`` process would pay both just to price its answers. The table is the JSON file
LiteLLM ships (``model_prices_and_context_window_backup.json``, the one it loads itself with
``LITELLM_LOCAL_MODEL_COST_MAP=True``), found without importing the package.

Only chat models LiteLLM lists for the ``openai`` provider are priced (the HTTP transport carries
``openai/...`` models only); anything else (a local vLLM/llama.cpp model name) has no price:
``None``, unknown, never a made-up 0.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

TABLE = "model_prices_and_context_window_backup.json"


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")  # locates the package; does not import it
    if spec is None or not spec.submodule_search_locations:
        return {}
    try:
        path = Path(next(iter(spec.submodule_search_locations))) / TABLE
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, StopIteration):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=256)
def _rates(model: str) -> tuple[float, float, float] | None:
    """(input, cached input, output) USD per token of an ``openai`` model, or None."""
    entry = _table().get(model.removeprefix("openai/"))
    if not isinstance(entry, dict) or entry.get("litellm_provider") != "openai":
        return None
    try:
        pin, pout = float(entry["input_cost_per_token"]), float(entry["output_cost_per_token"])
        cached = float(entry.get("cache_read_input_token_cost", pin))
    except (KeyError, TypeError, ValueError):
        return None
    return pin, cached, pout


def openai_cost(model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float | None:
    """USD for one call of ``model`` (``gpt-4o-mini`` or ``openai/gpt-4o-mini``): prompt tokens
    at the input rate (those served from the provider's prompt cache at its cached rate) plus
    completion tokens at the output rate; ``None`` when the table has no price for it."""
    rates = _rates(model)
    if rates is None:
        return None
    pin, cached, pout = rates
    cached_tokens = max(0, min(cached_tokens, prompt_tokens))
    return (prompt_tokens - cached_tokens) * pin + cached_tokens * cached + completion_tokens * pout
