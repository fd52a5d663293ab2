"""``liner fit --signals`` fits declared multilabel and scalar signals with the built-ins' per-kind
combiners (fusion.fitting), and ``liner tag --fusion DIR`` applies them: calibrated confidence,
the spec hash in provenance. Real items: the 64 VADER snippets of examples/signals/subject with
their labelled subject (as a multilabel set) and the VADER raters' mean (a scalar on [-4, 4])."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SPEC = """\
- name: subjects
  kind: multilabel
  labels: [film, product, news, personal, other]
  instructions: What the text is about (every subject that applies).
  evidence: [shortlist]
- name: positivity
  kind: scalar
  range: [-4, 4]
  instructions: How positive the text feels, -4 very negative .. 4 very positive.
"""


def _data(tmp_path: Path, shared: Path) -> tuple[Path, Path, Path]:
    """(catalog, signal spec, gold spec) for the subject items, with both gold columns."""
    from datasets import load_from_disk

    mean = {}
    with open(shared / "gold" / "vader-multirater.dev.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            mean[row["id"]] = row["mean"]
    rows = [{"id": r["id"], "type": "track", "description": r["description"], "source": r["source"],
             "subjects": [r["subject"]], "positivity": mean[r["id"]]}
            for r in load_from_disk(str(REPO / "examples" / "signals" / "subject" / "v1"))]
    assert len(rows) == 64
    catalog = tmp_path / "gold.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    gold = tmp_path / "gold.yaml"
    gold.write_text(f"""\
name: kinds-gold
data: {catalog}
group_field: source
inputs: {{description: description}}
tasks:
  - {{name: subjects, kind: multilabel, gold_field: subjects, signal: subjects}}
  - {{name: positivity, kind: scalar, gold_field: positivity, signal: positivity, tolerance: 1.0}}
""", encoding="utf-8")
    return catalog, spec, gold


def test_multilabel_and_scalar_signals_fit_with_the_kind_combiners_and_apply_at_tag_time(
        liner_in_process, tmp_path: Path, shared_data: Path) -> None:
    liner = liner_in_process
    catalog, spec, gold = _data(tmp_path, shared_data)
    run = tmp_path / "run.json"
    r = liner(["eval", str(gold), "-o", str(run), "--signals", str(spec), "--llm", "never", "--no-progress",
               "--resamples", "100"])
    assert r.returncode == 0, r.stderr[-3000:]

    fusion = tmp_path / "fusion"
    r = liner(["fit", str(gold), "--signals", str(spec), "--run", str(run), "-o", str(fusion), "--resamples", "100"])
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "positivity.pearson" in r.stdout and "subjects.micro_f1" in r.stdout  # each kind's headline figures
    from linernotes.signals.spec import load_signals

    hashes = {s.name: s.content_hash for s in load_signals([spec])}
    for name, kind in (("subjects", "multilabel"), ("positivity", "scalar")):
        model = json.loads((fusion / "signals" / f"{name}.json").read_text(encoding="utf-8"))
        assert (model["kind"], model["spec_hash"]) == (kind, hashes[name])
        assert model["model"]["kind"] == kind  # the fusion combiner of that kind, stored as JSON
    cv = json.loads((fusion / "cv" / "kinds-gold.signals.json").read_text(encoding="utf-8"))
    metrics = cv["metrics"]
    assert metrics["subjects.micro_f1"]["n"] == 64 and metrics["positivity.mae"]["n"] == 64
    assert metrics["positivity.coverage"]["value"] == 1.0
    # out of fold, the text regression knows more about positivity than the range's midpoint does
    midpoint_mae = sum(abs(it["gold"]["positivity"]) for it in cv["items"]) / 64
    assert metrics["positivity.mae"]["value"] < midpoint_mae
    conf = [it["prediction"]["signals"]["positivity"]["confidence"] for it in cv["items"]]
    assert len(set(conf)) > 5 and all(0.0 <= c <= 1.0 for c in conf)  # calibrated per item, not a prior

    out = tmp_path / "tagged.jsonl"
    r = liner(["tag", str(catalog), "-o", str(out), "--signals", str(spec), "--fusion", str(fusion), "--llm", "never",
               "--no-progress"])
    assert r.returncode in (0, 3), r.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 64
    for rec in records:
        sig = rec["enrichment"]["signals"]
        for name in ("subjects", "positivity"):
            prov = sig[name]["provenance"]
            assert prov["source"] == "fitted" and prov["calibrated"] is True, (name, prov)
            assert prov["spec_hash"] == hashes[name]
        assert set(sig["subjects"]["value"]) <= {"film", "product", "news", "personal", "other"}
        assert -4.0 <= sig["positivity"]["value"] <= 4.0
    assert len({rec["enrichment"]["signals"]["positivity"]["value"] for rec in records}) > 10


def test_a_kind_combiner_with_nothing_to_learn_from_says_why() -> None:
    from linernotes.schema import Item
    from linernotes.signals.fit import fit_fused
    from linernotes.signals.spec import parse_signals

    multi, scalar = parse_signals(SPEC.replace("  evidence: [shortlist]\n", ""), "s.yaml")
    rows = [(Item(id=f"i{n}", description="a text"), {}, None, ["film"], f"g{n}") for n in range(20)]
    with pytest.raises(ValueError, match="subjects: no item has a candidate label"):
        fit_fused(multi, rows, 0.5, uses_draft=False)
    rows = [(Item(id=f"i{n}"), {}, None, 1.0, f"g{n}") for n in range(20)]
    with pytest.raises(ValueError, match="positivity: the items carry no text"):
        fit_fused(scalar, rows, 0.5, uses_draft=False)
