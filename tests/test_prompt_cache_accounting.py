"""Prompt-cache accounting: the prompt tokens an engine served from its prompt cache (a reused
prefix) are read from OpenAI's ``usage.prompt_tokens_details.cached_tokens`` (llama.cpp's server
and LiteLLM report the same field), summed per item and written to the record's provenance."""

from __future__ import annotations

from types import SimpleNamespace

from linernotes.llm.client import _cached_of
from linernotes.schema import Usage


def test_cached_tokens_are_read_from_dict_and_object_usages() -> None:
    wire = SimpleNamespace(usage={"prompt_tokens": 260, "prompt_tokens_details": {"cached_tokens": 251}})
    sdk = SimpleNamespace(usage=SimpleNamespace(prompt_tokens=260, prompt_tokens_details=SimpleNamespace(
        cached_tokens=251)))
    assert _cached_of(wire) == 251 and _cached_of(sdk) == 251


def test_a_usage_without_the_field_counts_no_cached_tokens() -> None:
    for completion in (SimpleNamespace(usage=None), SimpleNamespace(usage={"prompt_tokens": 9}),
                       SimpleNamespace(usage={"prompt_tokens_details": None}),
                       SimpleNamespace(usage={"prompt_tokens_details": {"cached_tokens": None}}), object()):
        assert _cached_of(completion) == 0


def test_cached_tokens_add_up_across_attempts() -> None:
    total = Usage(calls=1, tokens_in=260, tokens_cached=0).add(Usage(calls=1, tokens_in=261, tokens_cached=251))
    assert (total.tokens_in, total.tokens_cached) == (521, 251)
