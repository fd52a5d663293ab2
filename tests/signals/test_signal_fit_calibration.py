"""A fitted boolean / single_label signal's confidence is a calibrated probability, fitted as the
built-in combiners' is (``fusion.estimators.calibrator`` on inner out-of-fold top answers), or is
said to be uncalibrated. QA session 25: the raw logistic probability was stored and marked
"calibrated": out-of-fold ECE 0.30 on good gold, 0.69 on bad gold, answers auto-accepted at 1.0.

The gold here is made so the raw probabilities are overconfident: the label is shown by one
shortlist score only part of the time, beside twenty columns of audio noise a logistic regression
on ~100 items learns from. ECE is measured on rows the fit never saw."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from linernotes.evals.metrics.calibration import plugin_ece
from linernotes.fusion.fitting import MIN_CALIBRATION
from linernotes.schema import Item
from linernotes.signals.fit import (
    NUMERIC_AUDIO,
    SignalModel,
    features,
    fit_fused,
    fit_signal,
    open_models,
    save_model,
)
from linernotes.signals.spec import parse_signals

SPECS = {s.name: s for s in parse_signals("""\
- name: mood
  kind: single_label
  labels: [happy, sad, calm]
  instructions: The mood.
  evidence: [audio, shortlist]
- name: loud
  kind: boolean
  instructions: Whether the track is loud.
  evidence: [audio]
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic, 0 calm to 10 intense.
""", "specs.yaml")}


def _rows(name: str, n: int, seed: int) -> list[tuple[dict[str, Any], Any, Any, str]]:
    """(evidence, llm answer, gold, group): the shortlist's top score (a single_label's) and the
    LLM's answer (a boolean's only clue) name the gold label half the time (else a random
    label); the audio is noise."""
    spec = SPECS[name]
    labels = spec.ids
    r = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = int(r.integers(len(labels)))
        shown = k if r.random() < 0.5 else int(r.integers(len(labels)))
        evidence = {"audio": {key: float(r.normal()) for key in NUMERIC_AUDIO},
                    "shortlist": [{"id": m, "score": (0.5 if j == shown else 0.1) + 0.05 * float(r.normal())}
                                  for j, m in enumerate(labels)]}
        out.append((evidence, labels[shown], labels[k], f"s{seed}-{i}"))
    return out


def _held_out_ece(model: SignalModel, name: str, rows: list[tuple[Any, ...]]) -> float:
    spec = SPECS[name]
    preds = [model.predict(spec, ev, ans) for ev, ans, _, _ in rows]
    right = [label == gold for (label, _), (_, _, gold, _) in zip(preds, rows, strict=True)]
    return plugin_ece(np.array([c for _, c in preds]), np.array(right))


@pytest.mark.parametrize("seed", [1, 3])
def test_overconfident_probabilities_come_out_calibrated_on_held_out_rows(seed: int) -> None:
    name = "mood"
    train, held = _rows(name, 100, seed), _rows(name, 400, seed + 100)
    model, oof = fit_signal(SPECS[name], train)
    assert model.is_calibrated() and model.calibration is not None
    raw = model.model_copy(update={"calibration": None})  # the same classifier, its raw top probability
    calibrated_ece, raw_ece = _held_out_ece(model, name, held), _held_out_ece(raw, name, held)
    assert raw_ece > 0.08  # the gold does what it is made for: the raw probability is overconfident
    assert calibrated_ece < raw_ece - 0.02, (calibrated_ece, raw_ece)
    # the fit's own out-of-fold confidences are the calibrated ones too (what liner gate reads)
    right = [o is not None and o[0] == g for o, (_, _, g, _) in zip(oof, train, strict=True)]
    assert plugin_ece(np.array([o[1] for o in oof]), np.array(right)) < raw_ece


@pytest.mark.parametrize("name", ["mood", "loud"])
def test_the_calibrator_is_stored_and_applied_when_the_model_is_read_back(name: str, tmp_path) -> None:
    spec = SPECS[name]
    model, _ = fit_signal(spec, _rows(name, 100, 5))
    save_model(model, tmp_path)
    loaded = open_models(tmp_path, [spec])[0][name]
    assert loaded.is_calibrated()
    for ev, ans, _, _ in _rows(name, 5, 6):
        label, conf = loaded.predict(spec, ev, ans)
        assert (label, conf) == model.predict(spec, ev, ans)
        raw = float(max(loaded.proba(features(spec, ev, ans)[1])))
        assert conf == pytest.approx(float(loaded.calibration(np.array([raw]))[0]))


def test_too_little_gold_is_marked_uncalibrated_with_no_threshold(tmp_path) -> None:
    n = MIN_CALIBRATION - 10
    spec = SPECS["mood"]
    model, oof = fit_signal(spec, _rows("mood", n, 7))
    assert not model.is_calibrated() and model.threshold is None
    assert f"{n} gold item(s), fewer than the {MIN_CALIBRATION}" in model.uncalibrated_note()
    # its confidence is the raw top probability, and a hand-set threshold is not used on it
    ev, ans, _, _ = _rows("mood", 1, 8)[0]
    assert model.predict(spec, ev, ans)[1] == pytest.approx(float(max(model.proba(features(spec, ev, ans)[1]))))
    assert model.model_copy(update={"threshold": 0.2}).threshold_or(0.9) == 0.9
    # a model file from before calibration was stored reads as uncalibrated, not as calibrated
    save_model(model, tmp_path)
    path = tmp_path / "signals" / "mood.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.pop("calibration")
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert not open_models(tmp_path, [spec])[0]["mood"].is_calibrated()


def test_a_kind_combiner_fitted_on_too_little_gold_is_marked_uncalibrated() -> None:
    """The scalar / multilabel combiners calibrate on inner out-of-fold predictions too; on fewer
    than MIN_CALIBRATION items that calibrator is noise, so the model says uncalibrated."""
    spec = SPECS["energy"]
    words = ("calm quiet soft ambient", "steady mid pop groove", "intense loud fast metal")
    rows = [(Item(id=f"i{i}", type="track", title=f"song {i}", description=f"{words[i % 3]} number {i}"), {}, None,
             float(1 + 4 * (i % 3)), f"g{i}") for i in range(20)]
    model, _ = fit_fused(spec, rows, tolerance=1.0, uses_draft=False, folds=3)
    assert model.is_calibrated() is False and model.threshold is None
    assert "20 gold item(s)" in model.uncalibrated_note()
