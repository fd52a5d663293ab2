"""A fitted declared-signal model names itself in each record it decides (``provenance.model_hash``,
the model file's content hash, as ``provenance.fusion`` names the built-ins' artifact), and a model
fitted on another version of the spec is warned about once per run and marked uncalibrated in
the record (it was skipped silently). Real items: the examples/signals/subject VADER snippets and
their raters' mean; the models are fitted here in-process on 40 of them (a few seconds): fewer than
fusion.fitting.MIN_CALIBRATION, so the records say the fitted confidence is uncalibrated and why."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # fits two models and runs liner tag twice, once as a real (forked) process

SPEC = """\
- name: positivity
  kind: scalar
  range: [-4, 4]
  instructions: How positive the text feels, -4 very negative .. 4 very positive.
- name: subject
  kind: single_label
  labels: [film, product, news, personal, other]
  instructions: What the text is about.
"""


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(fusion folder with both signals' fitted models, the spec file, a 3-item catalog)."""
    from datasets import load_from_disk

    from linernotes.schema import Item
    from linernotes.signals.fit import fit_fused, fit_signal, save_model
    from linernotes.signals.spec import load_signals

    shared = REPO.parent / "shared" / "data"
    if not shared.is_dir():
        pytest.fail(f"reference data not found at {shared}", pytrace=False)
    mean = {}
    with open(shared / "gold" / "vader-multirater.dev.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            mean[row["id"]] = row["mean"]
    items = list(load_from_disk(str(REPO / "examples" / "signals" / "subject" / "v1")))[:40]
    tmp = tmp_path_factory.mktemp("fitted")
    spec_path = tmp / "signals.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    positivity, subject = load_signals([spec_path])
    rows = [(Item(id=r["id"], description=r["description"]), {}, None, mean[r["id"]], r["source"]) for r in items]
    model, _ = fit_fused(positivity, rows, 1.0, uses_draft=False, folds=3)
    save_model(model, tmp / "fusion")
    model, _ = fit_signal(subject, [({}, None, r["subject"], r["source"]) for r in items], folds=3)
    save_model(model, tmp / "fusion")
    catalog = tmp / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": r["id"], "type": "track", "description": r["description"]}) + "\n"
                               for r in items[:3]), encoding="utf-8")
    return tmp / "fusion", spec_path, catalog


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_fitted_signal_model_puts_its_own_content_hash_in_provenance(liner_in_process, fitted, tmp_path) -> None:
    fusion, spec, catalog = fitted
    out = tmp_path / "out.jsonl"
    r = liner_in_process(["tag", str(catalog), "-o", str(out), "--signals", str(spec), "--fusion", str(fusion),
                          "--llm", "never", "--no-progress"])
    assert r.returncode in (0, 3), r.stderr[-3000:]
    assert "uncalibrated" not in r.stderr
    for name in ("positivity", "subject"):
        file_hash = hashlib.sha256((fusion / "signals" / f"{name}.json").read_bytes()).hexdigest()[:16]
        for rec in _records(out):
            prov = rec["enrichment"]["signals"][name]["provenance"]
            # 40 gold items: too few to calibrate on, the record says so (it claimed calibrated)
            assert prov["source"] == "fitted" and prov["calibrated"] is False, (name, prov)
            assert prov["model_hash"] == file_hash, (name, prov)  # the fitted model, next to the spec's hash
            assert "40 gold item(s), fewer than the 50" in prov["uncalibrated"], (name, prov)


def test_a_model_fitted_on_another_spec_version_warns_once_and_the_record_says_uncalibrated(
        forkcli, fitted, tmp_path) -> None:
    from linernotes.signals.spec import load_signals

    fusion, spec, catalog = fitted
    changed = tmp_path / "signals.yaml"  # same names, positivity's guideline reworded: a new spec hash
    changed.write_text(SPEC.replace("How positive the text feels", "How upbeat the text sounds"), encoding="utf-8")
    old = {s.name: s.content_hash for s in load_signals([spec])}
    new = {s.name: s.content_hash for s in load_signals([changed])}
    assert old["positivity"] != new["positivity"] and old["subject"] == new["subject"]
    model_hash = hashlib.sha256((fusion / "signals" / "positivity.json").read_bytes()).hexdigest()[:16]

    out = tmp_path / "out.jsonl"
    # a real (forked) liner process: the warning must reach its stderr, not a test's log capture
    r = forkcli.run(["tag", str(catalog), "-o", str(out), "--signals", str(changed), "--fusion", str(fusion),
                     "--llm", "never", "--no-progress"], tmp_path / "log")
    assert r.rc in (0, 3), r.stderr[-3000:]
    warnings = [line for line in r.stderr.splitlines() if "fitted model" in line]
    assert len(warnings) == 1, r.stderr  # once per run, not once per item (3 items)
    (line,) = warnings
    assert "signal positivity" in line and old["positivity"] in line and new["positivity"] in line
    assert model_hash in line and "uncalibrated" in line
    records = _records(out)
    assert len(records) == 3
    for rec in records:
        prov = rec["enrichment"]["signals"]["positivity"]["provenance"]
        assert prov["calibrated"] is False and prov["source"] != "fitted"
        assert old["positivity"] in prov["uncalibrated"] and new["positivity"] in prov["uncalibrated"]
        assert "model_hash" not in prov
        # the other signal's model still matches its spec and is applied
        subject = rec["enrichment"]["signals"]["subject"]["provenance"]
        assert subject["source"] == "fitted" and "model_hash" in subject
