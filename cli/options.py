"""The options ``liner tag`` and ``liner serve`` share, declared once: both build their config
with ``config.config_from_options``, so an option is spelt, documented and bounded the same in
both commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Model = Annotated[str, typer.Option("--model", "-m", help="LiteLLM model string, 'embedded' (default) "
                                    "or local:/path/to/model.gguf")]
ApiBase = Annotated[str | None, typer.Option(help="Base URL for the provider")]
Threads = Annotated[int, typer.Option(min=1, help="CPU threads of the embedded model")]
# at most a day: --timeout inf failed every call as 'llm.bad_response: OverflowError: cannot convert
# float infinity to integer' (the HTTP client's timer); nan, 0 and negatives are the config's to refuse
Timeout = Annotated[float, typer.Option(max=86_400, help="Seconds per LLM call")]
Retries = Annotated[int, typer.Option(min=0, help="Transport retries per call")]
Cache = Annotated[bool, typer.Option("--cache/--no-cache", help="Use the response cache")]
CachePath = Annotated[Path | None, typer.Option(help="Response cache file (default ~/.cache/linernotes)")]
Taxonomy = Annotated[str | None, typer.Option(help="Genre taxonomy pack name or YAML path")]
Exemplars = Annotated[Path | None, typer.Option(help="Exemplar index folder for few-shot examples")]
MaxAudioSeconds = Annotated[float, typer.Option(help="Analyse at most this much of each file")]
Prompt = Annotated[str, typer.Option(help="Prompt: a shipped name (extract.v1, extract.v2) or a .md file's path")]
LlmMode = Annotated[str, typer.Option("--llm", help="auto: the LLM only for fields the evidence leaves "
                                      "undecided; always: every field of every item; never: tools and "
                                      "fusion only")]
Fusion = Annotated[str, typer.Option(help="Fusion artifact folder, 'default' (shipped) or 'none' "
                                     "(hand-set rules, uncalibrated confidences)")]
Rationale = Annotated[bool, typer.Option("--rationale", help="Ask the LLM for a one-sentence rationale")]
Transport = Annotated[str, typer.Option(help="auto: http for openai/... models with --api-base, litellm "
                                        "for the rest; litellm (any provider); http (one aiohttp POST to an "
                                        "OpenAI-compatible --api-base: ~10x less CPU per call)")]
# every command that writes a file or folder: refused inside data the package ships (files.refuse_shipped)
OverwriteShipped = Annotated[bool, typer.Option(
    "--overwrite-shipped", help="Allow the output inside a folder linernotes ships (its packs, fusion, specs, "
    "baselines): replaces it for every user of this install")]
Signals = Annotated[list[Path] | None, typer.Option(
    "--signals", help="Declared signal spec YAML (repeatable): adds enrichment.signals.<name>")]
