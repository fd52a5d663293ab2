"""``liner fit --signals`` reports each fitted model beside its evidence-only baselines, and a
model worse than its evidence alone is not shipped. QA session 25: fitted mood scored 0.40 out of
fold against 0.867 for the shortlist's top label, was written into the fusion folder without a
word, and ``liner tag --fusion`` used it.

The gold is made so a fitted model must lose: the shortlist's top entry is the gold label on
every item, but each item's scores are scaled by a factor from 0.001 to 1, so a linear model of
the raw scores cannot tell the top entry on the small-scaled items, where ``shortlist_top1`` is
right every time. The run record is a real ``liner eval --llm never`` run whose shortlist
evidence is replaced by those scores (the tagger's own shortlist cannot be set)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_liner_in_process

pytestmark = pytest.mark.slow  # one eval and three fits of a 60-item single_label signal (~1 min)

SIGNAL = """\
name: tone
kind: single_label
labels: [bright, dark, plain]
instructions: The tone of the text.
evidence: [shortlist]
"""
GOLD_SPEC = """\
name: tone-gold
data: gold.jsonl
inputs: {description: description}
tasks:
  - {name: tone, kind: single_label, gold_field: tone, signal: tone}
"""
LABELS = ("bright", "dark", "plain")
N = 60


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """(folder with the spec files and the patched run record ``run.json``)."""
    tmp = tmp_path_factory.mktemp("baselines")
    (tmp / "tone.yaml").write_text(SIGNAL, encoding="utf-8")
    (tmp / "g.yaml").write_text(GOLD_SPEC, encoding="utf-8")
    rows = [{"id": f"t{i}", "description": f"text number {i}", "tone": LABELS[i % 3]} for i in range(N)]
    (tmp / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = run_liner_in_process(["eval", tmp / "g.yaml", "-o", tmp / "run.json", "--signals", tmp / "tone.yaml",
                              "--llm", "never", "--resamples", "200"])
    assert r.returncode == 0, r.stderr[-3000:]
    record = json.loads((tmp / "run.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(0)
    for it in record["items"]:
        gold = it["gold"]["tone"]
        scale = float(10 ** rng.uniform(-3, 0))
        shortlist = sorted(({"id": lab, "label": lab, "score": scale * (1.0 if lab == gold else rng.uniform(0.9, 0.99))}
                            for lab in LABELS), key=lambda c: -c["score"])
        sig = it["prediction"]["signals"]["tone"]
        sig["evidence"] = {"shortlist": shortlist}
        sig["value"] = shortlist[0]["id"]
    (tmp / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return tmp


def _fit(tmp: Path, out: Path, *extra: str):
    return run_liner_in_process(["fit", tmp / "g.yaml", "--signals", tmp / "tone.yaml", "--run", tmp / "run.json",
                                 "-o", out, "--resamples", "200", *extra])


def test_a_model_worse_than_its_evidence_is_not_shipped_and_the_output_says_why(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "fus"
    (out / "signals").mkdir(parents=True)
    (out / "signals" / "tone.json").write_text("{}", encoding="utf-8")  # an older fit's model: must not stay
    r = _fit(run, out)
    assert r.returncode == 0, r.stderr[-3000:]
    # the fitted figures beside the baseline's, in the output
    assert "vs evidence-only baseline: tone.accuracy (higher is better)" in r.stdout and "shortlist_top1 1.000" in r.stdout
    assert "signal tone NOT SHIPPED" in r.stderr and "WORSE than its evidence alone" in r.stderr, r.stderr
    assert "--keep-worse-signals" in r.stderr
    assert not (out / "signals" / "tone.json").exists()
    cv = json.loads((out / "cv" / "tone-gold.signals.json").read_text(encoding="utf-8"))
    assert "tone" in cv["extras"]["signal_fit"]["withheld"] and "tone" not in cv["extras"]["signal_fit"]["models"]
    row = next(x for x in cv["extras"]["baselines"]["comparison"] if x["metric"] == "tone.accuracy")
    assert row["ci_high"] < 0  # the verdict is the scorer's paired CI, not a rule of its own
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## signal tone: NOT SHIPPED" in card and "WORSE than its evidence alone" in card


def test_the_flag_keeps_a_worse_model_and_still_warns(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "fus"
    r = _fit(run, out, "--keep-worse-signals")
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "signals" / "tone.json").exists()
    assert "WORSE than its evidence alone" in r.stderr and "written anyway" in r.stderr
    assert "NOT SHIPPED" not in (out / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_a_model_not_worse_than_its_evidence_is_shipped(run: Path, tmp_path: Path) -> None:
    """The same items with the shortlist at one scale: the fitted model learns the top entry."""
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    for it in record["items"]:
        sl = it["prediction"]["signals"]["tone"]["evidence"]["shortlist"]
        top = sl[0]["score"]
        for c in sl:
            c["score"] = c["score"] / top
    even = tmp_path / "even"
    even.mkdir()
    for name in ("tone.yaml", "g.yaml", "gold.jsonl"):
        (even / name).write_bytes((run / name).read_bytes())
    (even / "run.json").write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "fus"
    r = _fit(even, out)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "signals" / "tone.json").exists() and "NOT SHIPPED" not in r.stderr
    assert "vs evidence-only baseline: tone.accuracy" in r.stdout


def test_the_flag_without_signals_is_refused(tmp_path: Path) -> None:
    r = run_liner_in_process(["fit", "vader-valence", "-o", tmp_path / "fus", "--keep-worse-signals"])
    assert r.returncode == 2 and "--keep-worse-signals applies to --signals fits only" in r.stderr
    assert not (tmp_path / "fus").exists()
