"""How the model is reached: ``LLMConfig``, a plain pydantic model (no client, no SDK imported),
so the run's ``TagConfig`` can hold it without depending on the LLM stack."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from linernotes.numbers import TextNumbers

EMBEDDED = "embedded"


class LLMConfig(TextNumbers):
    """Everything that decides how the model is reached. Keys never live here: LiteLLM reads them
    from the environment, so they cannot leak into manifests or caches."""

    model: str = EMBEDDED
    api_base: str | None = None
    timeout_s: float = Field(120.0, gt=0, description="seconds one request may take")
    max_retries: int = Field(4, ge=0)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    temperature: float = Field(0.0, ge=0)
    seed: int = 0
    max_tokens: int = Field(320, ge=1)
    threads: int = Field(1, ge=1)
    parallel: int | None = Field(None, ge=1, description="embedded engine slots (requests it serves at once) in "
                                 "this process; None: worked out from the run's concurrency by the run preparation")
    mode: str = "json_schema"
    cache_path: str | None = None
    use_cache: bool = True
    extra_params: dict[str, Any] = Field(default_factory=dict)
    transport: Literal["auto", "litellm", "http", "fast"] = Field(
        "auto", description="auto (default): http for openai/... models with an api_base in json_schema mode, "
        "litellm for the rest; litellm: any provider; http (old name: fast): one aiohttp POST to an "
        "OpenAI-compatible endpoint (openai/... with api_base, json_schema mode; else litellm). A local GGUF "
        "runs on the embedded engine, reached over litellm unless http is asked for")

    @field_validator("api_base")
    @classmethod
    def _one_spelling(cls, v: str | None) -> str | None:
        """``.../v1/`` and ``.../v1`` are one endpoint (a resume refused the other spelling as a new
        endpoint): trailing slashes and surrounding spaces dropped; blank means none."""
        if v is None:
            return None
        v = v.strip().rstrip("/")
        return v or None
