"""``liner tools ...``: each evidence tool on its own, JSON out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

tools_app = typer.Typer(no_args_is_help=True, help="Run one evidence tool on its own (JSON output).")


def _utf8(text: str) -> str:
    """TEXT as given, or ``BadParameter`` (exit 2) when it holds bytes that are not UTF-8: Python
    keeps them as lone surrogates (PEP 383), which the retrieval tokenizer met with a TypeError
    traceback (exit 1); the policy tool quoted them back."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise typer.BadParameter(f"TEXT is not UTF-8 text (character {e.start + 1} is the byte "
                                 f"0x{ord(text[e.start]) & 0xFF:02x}); pass UTF-8 text") from None
    return text


def _print(model: object) -> None:
    data = model.model_dump(mode="json") if hasattr(model, "model_dump") else model
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@tools_app.command("retrieve")
def retrieve(
    text: Annotated[str, typer.Argument(help="Item text to find taxonomy entries for", callback=_utf8)],
    taxonomy: Annotated[str, typer.Option(help="Pack name or YAML path")] = "music-genres",
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 10,
    exemplars: Annotated[Path | None, typer.Option(help="Exemplar index folder: add similar items' genres")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or embedding")] = "hybrid",
) -> None:
    """Shortlist the top-k taxonomy entries for TEXT (and the nearest exemplars, if given)."""
    from linernotes.tools.retrieval.exemplars import open_exemplar_index
    from linernotes.tools.retrieval.shortlist import shortlist
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    if mode not in ("hybrid", "lexical", "embedding"):
        raise typer.BadParameter(f"--mode must be hybrid, lexical or embedding, not {mode!r}")
    try:
        tax = load_taxonomy(taxonomy)
        index = open_exemplar_index(exemplars) if exemplars else None
    except (FileNotFoundError, ValueError) as e:
        typer.echo(f"liner: error: {e}", err=True)
        raise typer.Exit(2) from None
    out: dict = {"taxonomy": tax.ref, "mode": mode,
                 "candidates": [c.model_dump() for c in shortlist(text, tax, k, exemplars=index, mode=mode)]}
    if index is not None:
        out["exemplars"] = [h.model_dump() for h in index.search(text, 3)]
    _print(out)


@tools_app.command("audio")
def audio(
    file: Annotated[Path, typer.Argument(help="Audio file (wav, flac, ogg, mp3)")],
    max_seconds: Annotated[float, typer.Option(min=1.0, help="Analyse at most this much, from the middle")] = 180.0,
    root: Annotated[Path | None, typer.Option(help="Refuse files outside this folder (a relative FILE is taken inside it)")] = None,
) -> None:
    """Audio features of FILE (tempo, key, loudness, energy, speech ratio, silence) as JSON."""
    from linernotes.tools.audio.errors import AudioError
    from linernotes.tools.audio.features import analyze

    try:
        _print(analyze(file, max_seconds, root))
    except AudioError as e:
        typer.echo(f"liner: error: {e} [{e.kind}]", err=True)
        raise typer.Exit(2) from None


@tools_app.command("policy")
def policy(
    text: Annotated[str, typer.Argument(help="Text to check against the policy pack", callback=_utf8)],
    pack: Annotated[str, typer.Option(help="Policy pack name or YAML path")] = "content-policy",
    k: Annotated[int, typer.Option("-k", min=0, max=20, help="Relevant clauses to list")] = 3,
) -> None:
    """Policy lexicon hits (clause, severity, exact evidence spans) and the clauses relevant to TEXT."""
    from linernotes.tools.policy.check import check
    from linernotes.tools.policy.pack import load_policy_pack

    try:
        policy_pack = load_policy_pack(pack)
    except (OSError, ValueError) as e:
        typer.echo(f"liner: error: policy pack {pack!r}: {e}", err=True)
        raise typer.Exit(2) from None
    _print(check({"text": text}, policy_pack, k))
