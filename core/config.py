"""Run configuration: one object that decides what a run does; its hash goes into the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_serializer

from linernotes.digest import short_digest
from linernotes.llm.config import LLMConfig
from linernotes.numbers import TextNumbers
from linernotes.schema import without_empty
from linernotes.signals.spec import SignalSpec

# A day of audio per file (decoded at 22,050 Hz float32: 7.6 GB) is past any use; seconds.
MAX_AUDIO_SECONDS = 86_400.0


class TagConfig(TextNumbers):
    llm: LLMConfig = Field(default_factory=LLMConfig)
    prompt: str = "extract.v2"
    rationale: bool = Field(False, description="ask the LLM for a one-sentence rationale (more output tokens)")
    llm_mode: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: the LLM only for fields the fused evidence leaves undecided (the cascade); "
        "always: one LLM draft per item, every field; never: evidence and fusion only (no LLM call)")
    fusion: str | None = Field("default", description="fusion artifact folder, 'default' (shipped) or None "
                               "(hand-set heuristics, confidences marked uncalibrated)")
    genre_taxonomy: str = "music-genres"
    podcast_taxonomy: str = "podcast-categories"
    mood_taxonomy: str = "moods"
    policy_pack: str = "content-policy"
    shortlist_k: int = Field(10, ge=1, le=50)
    mood_k: int = Field(8, ge=1, le=50)
    max_genres: int = Field(3, ge=1, le=10)
    max_moods: int = Field(3, ge=1, le=10)
    max_attempts: int = Field(2, ge=1, le=5, description="extract attempts per item (1 + bounded re-asks)")
    review_threshold: float = Field(0.5, ge=0, le=1)
    # the built-ins whose shipped spec routes (review_threshold > 0; signals.builtin.advisory() are
    # the others), spelt out: reading the specs here would load taxonomy packs (~0.3 s) for every
    # command that builds a config; tests/signals/test_builtin_agreement.py holds it to the specs
    review_fields: list[str] = Field(default_factory=lambda: ["genres", "valence", "language", "explicit", "policy"],
                                     description="low confidence on these routes to review (moods are advisory)")
    review_severity: int = Field(3, ge=0, le=4)
    # bounded: inf or 1e308 seconds overflowed the frame count (internal.OverflowError on every audio item)
    audio_max_seconds: float = Field(180.0, gt=0, le=MAX_AUDIO_SECONDS)
    audio_root: str | None = None
    audio_base: str | None = Field(None, description="relative audio paths resolve here (the catalog's folder)")
    exemplars: str | None = None
    content_chars: int = Field(1200, ge=100)
    signals: list[SignalSpec] = Field(default_factory=list, description="declared signals (liner tag --signals); "
                                      "left out of the dump when empty, so digests and resume identities of "
                                      "runs without them are what they were")

    @model_serializer(mode="wrap")
    def _without_empty_signals(self, handler: Any) -> Any:
        return without_empty(handler(self), "signals")

    def digest(self, relocate: Callable[[Any], Any] | None = None) -> str:
        """16 hex digits of SHA-256 over the JSON dump (keys sorted); ``relocate`` rewrites the
        dump first (``run.prepare.config_digest`` makes paths in a run's folder relative to it)."""
        data = self.model_dump(mode="json")
        blob = json.dumps(relocate(data) if relocate else data, sort_keys=True)
        return short_digest(blob)


def config_from_options(*, model: str = "embedded", api_base: str | None = None, threads: int = 1,
                        timeout_s: float = 120.0, retries: int = 4, use_cache: bool = True,
                        cache_path: str | None = None, transport: str = "auto", prompt: str = "extract.v2",
                        llm_mode: str = "auto", fusion: str | None = "default", rationale: bool = False,
                        audio_max_seconds: float = 180.0, audio_root: str | None = None,
                        exemplars: str | None = None, taxonomy: str | None = None,
                        signals: list[Any] | None = None) -> TagConfig:
    """The TagConfig of a command's options, one path for ``liner tag`` and ``liner serve`` (so an
    option means the same in both). ``signals``: paths of signal spec YAMLs, loaded here.
    Raises pydantic ValidationError naming the field (``llm_mode``: not auto/always/never ...),
    and ValueError for an unreadable signal spec or an ``audio_root`` that is not a folder."""
    if audio_root is not None and not Path(audio_root).expanduser().is_dir():
        # every audio path was then 'outside the root': the run tagged without audio, exit 0
        what = "not a folder" if Path(audio_root).expanduser().exists() else "no such folder"
        raise ValueError(f"--audio-root {audio_root}: {what} (audio paths must resolve inside it)")
    llm = LLMConfig(model=model, api_base=api_base, threads=threads, transport=transport, timeout_s=timeout_s,
                    max_retries=retries, use_cache=use_cache, cache_path=cache_path)
    kwargs: dict[str, Any] = {"llm": llm, "prompt": prompt, "llm_mode": llm_mode, "fusion": fusion,
                              "rationale": rationale, "audio_max_seconds": audio_max_seconds,
                              "audio_root": audio_root, "exemplars": exemplars}
    if taxonomy:
        kwargs["genre_taxonomy"] = taxonomy
    if signals:
        from linernotes.signals.spec import load_signals

        kwargs["signals"] = load_signals(signals)
    return TagConfig(**kwargs)
