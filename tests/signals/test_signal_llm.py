"""The signals node with the real embedded model: one request per item for the signals that apply
to its type (composed schema), verified values, the spec hash in provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SPEC = """\
- name: decade
  kind: single_label
  labels: [1970s, 1980s, 1990s]
  applies_to: [track]
  instructions: The decade the recording sounds like.
- name: mood_score
  kind: scalar
  range: [0, 10]
  instructions: How cheerful it is, 0 to 10.
  evidence: [signals]
- name: topic
  kind: multilabel
  taxonomy: podcast-categories
  applies_to: [episode]
  instructions: The podcast categories of the episode.
  evidence: [shortlist]
"""


def test_llm_answers_only_the_signals_that_apply(liner_in_process, tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "t", "type": "track", "title": "Disco Nights",
                                   "description": "A 1978 disco groove with strings."}) + "\n"
                       + json.dumps({"id": "e", "type": "episode", "title": "Cold Case",
                                     "description": "A true crime podcast about an unsolved murder."}) + "\n",
                       encoding="utf-8")
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", str(catalog), "-o", str(out), "--signals", str(spec), "--no-progress"])
    assert r.returncode in (0, 3), r.stderr
    recs = {json.loads(line)["id"]: json.loads(line)["enrichment"] for line in out.read_text().splitlines()}
    track, episode = recs["t"]["signals"], recs["e"]["signals"]
    assert set(track) == {"decade", "mood_score"} and set(episode) == {"mood_score", "topic"}
    assert track["decade"]["provenance"]["source"] == "llm" and track["decade"]["value"] in ("1970s", "1980s", "1990s")
    assert 0 <= track["mood_score"]["value"] <= 10
    assert "genres" in track["mood_score"]["evidence"]["signals"]  # evidence: [signals] sees the record
    topics = episode["topic"]["value"]
    shortlisted = {c["id"] for c in episode["topic"]["evidence"]["shortlist"]}
    assert topics and set(topics) <= shortlisted  # a long vocabulary is cut to the item's shortlist
    assert recs["t"]["provenance"]["llm_calls"] >= 1
