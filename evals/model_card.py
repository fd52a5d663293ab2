"""A fit folder's MODEL_CARD.md: the fusion combiners' card (``fusion.artifact.model_card``) and a
section per declared signal fitted into ``signals/`` (``liner fit --signals``).

Every fit output carries its card: a signals-only fit (no fusion.json) wrote none, and a fit of
the built-in fields into a folder holding fitted signals described the combiners only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from linernotes.fusion.artifact import CARD, FILE, FusionArtifact, load_fusion, model_card

SIGNALS_HEADER = ("# Signal model card\n\nDeclared signals fitted into this folder (`signals/<name>.json`); "
                  "the built-in fields keep the shipped combiners (no fusion.json here).\n\n"
                  "Every figure is cross-fitted: each item was scored by models that never saw it.\n")


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return e


def _fits(folder: Path) -> dict[str, dict[str, Any]]:
    """Signal name -> what the latest cross-fitted record (``cv/<spec>.signals.json``) that fitted
    it says: spec, record file, command, created, and the signal's out-of-fold metrics."""
    out: dict[str, dict[str, Any]] = {}
    for cv in sorted((folder / "cv").glob("*.signals.json")):
        rec = _json(cv)
        if not isinstance(rec, dict):
            continue
        fit = (rec.get("extras") or {}).get("signal_fit") or {}
        for name in fit.get("models") or {}:
            metrics = {k: m.get("value") for k, m in (rec.get("metrics") or {}).items()
                       if k.startswith(f"{name}.") and isinstance(m, dict) and m.get("value") is not None}
            entry = {"spec": rec.get("spec"), "record": f"cv/{cv.name}", "command": fit.get("command"),
                     "created": fit.get("created") or rec.get("created"), "metrics": metrics}
            if str(entry["created"] or "") >= str((out.get(name) or {}).get("created") or ""):
                out[name] = entry
    return out


def _withheld(folder: Path) -> dict[str, str]:
    """Signal name -> why the latest signals fit into ``folder`` did not write its model (worse
    out of fold than its evidence alone: ``evals.signal_verdict``), from the cv records."""
    out: dict[str, tuple[str, str]] = {}
    for cv in sorted((folder / "cv").glob("*.signals.json")):
        rec = _json(cv)
        fit = ((rec.get("extras") or {}).get("signal_fit") or {}) if isinstance(rec, dict) else {}
        created = str(fit.get("created") or "")
        for name, why in (fit.get("withheld") or {}).items():
            if created >= (out.get(name) or ("", ""))[0]:
                out[name] = (created, str(why))
    return {name: why for name, (_, why) in out.items()}


def signals_section(folder: str | Path) -> str:
    """The card's lines for every fitted signal model in ``folder/signals/`` ("" when none): kind,
    spec hash, items, folds, review threshold, the fit command and the out-of-fold figures; and
    for each signal whose model a fit withheld (and none is in the folder), why."""
    folder = Path(folder)
    models = sorted((folder / "signals").glob("*.json")) if (folder / "signals").is_dir() else []
    withheld = {name: why for name, why in _withheld(folder).items()
                if not (folder / "signals" / f"{name}.json").exists()}
    if not models and not withheld:
        return ""
    fits = _fits(folder)
    lines: list[str] = []
    for name, why in sorted(withheld.items()):
        lines += [f"## signal {name}: NOT SHIPPED", "", f"- {why}", ""]
    for path in models:
        model = _json(path)
        if not isinstance(model, dict):
            lines += [f"## signal {path.stem}", "", f"- signals/{path.name}: not readable ({model})", ""]
            continue
        name = str(model.get("name") or path.stem)
        fit = fits.get(name, {})
        figures = model.get("figures") or {}
        threshold = model.get("threshold")
        lines += [f"## signal {name} ({model.get('kind', '?')}, spec {model.get('spec_hash', '?')})", "",
                  f"- model: signals/{path.name}",
                  *([f"- fitted {fit.get('created') or '?'} with: `{fit['command']}`"] if fit.get("command") else []),
                  *([f"- data: spec {fit.get('spec')}, cross-fitted record {fit['record']}"] if fit else []),
                  f"- items: {figures.get('items', len(model.get('trained_on') or []) or '?')}",
                  f"- folds: {figures.get('folds', '?')}",
                  (f"- review threshold: {threshold:.3f}" if isinstance(threshold, int | float) else
                   "- review threshold: the signal spec's review_threshold"),
                  *(["- confidence: UNCALIBRATED (the model's raw probability; fitted on too few gold items to "
                     "calibrate)"] if figures.get("calibrated") is False else [])]
        shown = {k: v for k, v in figures.items() if k not in ("items", "folds")}
        lines += [f"- {k}: {v}" for k, v in sorted(shown.items())]
        lines += [f"- {k}: {round(v, 4) if isinstance(v, float) else v}"
                  for k, v in sorted((fit.get("metrics") or {}).items())]
        lines.append("")
    return "\n".join(lines)


def write_card(folder: str | Path, art: FusionArtifact | None = None) -> Path:
    """Write ``folder/MODEL_CARD.md``: the fusion card of ``art`` (or of the folder's fusion.json)
    followed by the fitted signals' sections, or the signals' card alone in a folder without
    fusion.json. Returns the card's path."""
    folder = Path(folder)
    if art is None and (folder / FILE).is_file():
        art = load_fusion(folder)
    signals = signals_section(folder)
    if art is not None:
        text = model_card(art) + ("\n# Declared signals\n\n" + signals if signals else "")
    else:
        text = SIGNALS_HEADER + "\n" + signals
    card = folder / CARD
    card.write_text(text, encoding="utf-8")
    return card
