"""Every fit output carries its model card (QA session 23): ``liner fit SPEC --signals S -o DIR``
wrote DIR/signals/<name>.json and DIR/cv/<spec>.signals.json but no MODEL_CARD.md, so a folder
given to ``liner tag --fusion`` said nothing of what it was fitted on, how or how well. Now the
card names each fitted signal (kind, spec hash, items, folds, review threshold, the fit command)
and its out-of-fold figures; in a folder that also holds fusion.json the signals follow the
combiners' card, and a fit of the built-in fields there keeps them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from linernotes.evals.model_card import write_card
from linernotes.fusion.artifact import default_fusion_dir, load_fusion
from tests.conftest import run_liner_in_process

SIGNAL = "name: rude\nkind: boolean\ninstructions: Profanity in the lyrics.\nevidence: [lexicon]\n"
GOLD_SPEC = """\
name: rude-gold
data: gold.jsonl
inputs: {title: title, lyrics: lyrics}
tasks:
  - {name: rude, kind: boolean, gold_field: rude, signal: rude}
"""


def _fit(tmp_path: Path, out: Path) -> str:
    (tmp_path / "rude.yaml").write_text(SIGNAL, encoding="utf-8")
    (tmp_path / "g.yaml").write_text(GOLD_SPEC, encoding="utf-8")
    rows = [{"id": f"i{i}", "type": "track", "title": f"song {i}",
             "lyrics": "damn this shit" if i % 2 else "la la la", "rude": bool(i % 2)} for i in range(10)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run = run_liner_in_process(["eval", tmp_path / "g.yaml", "-o", tmp_path / "run.json", "--signals",
                                tmp_path / "rude.yaml", "--llm", "never", "--resamples", "50"])
    assert run.returncode == 0, run.stderr
    fit = run_liner_in_process(["fit", tmp_path / "g.yaml", "--signals", tmp_path / "rude.yaml",
                                "--run", tmp_path / "run.json", "-o", out, "--resamples", "50"])
    assert fit.returncode == 0, fit.stderr
    from linernotes.signals.spec import load_signals

    return load_signals([tmp_path / "rude.yaml"])[0].content_hash


def test_a_signals_only_fit_writes_its_model_card(tmp_path: Path) -> None:
    out = tmp_path / "fus"
    spec_hash = _fit(tmp_path, out)
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("# Signal model card\n"), card
    model = json.loads((out / "signals" / "rude.json").read_text(encoding="utf-8"))
    cv = json.loads((out / "cv" / "rude-gold.signals.json").read_text(encoding="utf-8"))
    assert f"## signal rude (boolean, spec {spec_hash})" in card
    assert "- model: signals/rude.json" in card and "- items: 10" in card and "- folds: 5" in card
    assert "- data: spec rude-gold, cross-fitted record cv/rude-gold.signals.json" in card
    # 10 gold items: too few to calibrate on, so no fitted threshold, and the card says so
    assert model["threshold"] is None and model["calibration"] is None
    assert "- review threshold: the signal spec's review_threshold" in card
    assert "- confidence: UNCALIBRATED" in card
    assert "--signals" in card.split("with: `", 1)[1].split("`", 1)[0]  # the fit command
    accuracy = cv["metrics"]["rude.accuracy"]["value"]
    assert f"- rude.accuracy: {round(accuracy, 4)}" in card


def test_the_signals_follow_the_combiners_card_in_a_fusion_folder(tmp_path: Path) -> None:
    out = tmp_path / "fus"
    out.mkdir()
    shutil.copy(default_fusion_dir() / "fusion.json", out / "fusion.json")
    _fit(tmp_path, out)  # into a folder a fit of the built-in fields made
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("# Fusion model card (") and "## genres (multilabel" in card
    assert card.index("## policy") < card.index("# Declared signals") < card.index("## signal rude (boolean")
    # a later fit of the built-in fields writes its card with the signals still named (evals.fit)
    (out / "MODEL_CARD.md").unlink()
    write_card(out, load_fusion(out))
    assert "## signal rude (boolean" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
