"""A declared vocabulary's shortlist answers in the spec's own ids (QA, session 16). The labels were
indexed as taxonomy entries, whose ids are stored accent-folded: 'Grün' came back as 'Grun', so
--llm never recorded a value outside the spec (review refused it, eval could never match it) and
the fitted model's per-label features were 0; labels 'Café' and 'Cafe' made one duplicate id and
every item of the run was an error record ('1 validation error for Taxonomy ... duplicate ids')."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.signals.decide import from_evidence
from linernotes.signals.evidence import shortlist_for
from linernotes.signals.spec import load_signals

SPEC = "name: farbe\nkind: single_label\nlabels: [Grün, Rot, Café, Cafe]\nevidence: [shortlist]\ninstructions: x\n"


def _spec(tmp_path: Path):
    (tmp_path / "farbe.yaml").write_text(SPEC, encoding="utf-8")
    return load_signals([tmp_path / "farbe.yaml"])[0]


def test_the_shortlist_names_the_specs_labels(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    got = shortlist_for(spec, "ein grüner Wald, grün grün")
    assert {c["id"] for c in got} == {"Grün", "Rot", "Café", "Cafe"}
    assert got[0]["id"] == "Grün" and got[0]["label"] == "Grün"
    assert from_evidence(spec, {"shortlist": got}).value == "Grün"


def test_liner_tag_records_the_label_as_declared(liner_in_process, tmp_path: Path) -> None:
    _spec(tmp_path)
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "Wald", "description": "grün grün"}) + "\n",
                       encoding="utf-8")
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", catalog, "-o", out, "--signals", tmp_path / "farbe.yaml", "--llm", "never"])
    assert r.returncode == 0, r.stderr
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["status"] == "ok", record["error"]
    assert record["enrichment"]["signals"]["farbe"]["value"] == "Grün"
