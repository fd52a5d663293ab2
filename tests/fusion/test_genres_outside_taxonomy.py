"""The genres combiner choosing a label outside the taxonomy (an exemplar index's own label: its
neighbours' votes make it a candidate): the record never holds the label, and the combiner's
confidence, which is that of the set it chose, is not kept beside what is left. QA session 24:
with the shipped artifact and an index whose same-artist / album / label neighbours carry
'zorkwave', 'fast drum and bass breaks' was tagged genres [] with calibrated confidence 0.9909,
not routed (the label was dropped after the combiner's decision, its confidence kept)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from linernotes.config import TagConfig
from linernotes.run.runner import RunOptions, run_batch
from linernotes.tools.retrieval.exemplars import build_exemplar_index

TEXTS = {"techno": "dark hypnotic techno", "ambient": "calm ambient drones", "house": "deep house grooves",
         "drum-and-bass": "fast drum and bass breaks"}


def test_a_chosen_label_outside_the_taxonomy_leaves_no_calibrated_answer(tmp_path: Path) -> None:
    records = []
    for i in range(40):
        genre = list(TEXTS)[i % 4]
        fields = {"artist": f"Artist {i % 10}", "label": f"Label{i % 8}", "album": f"Album {i % 10}"}
        records.append({"id": f"g{i:02d}", "text": f"Track {i} \n{fields['artist']} \n{fields['album']} \n"
                        f"{fields['label']} \n{TEXTS[genre]}", "genres": ["zorkwave"] if i % 2 else [genre],
                        "fields": fields})
    build_exemplar_index(records, tmp_path / "ex")
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "z2", "type": "track", "title": "Track Y", "artist": "Artist 1",
                                   "album": "Album 1", "label": "Label3",
                                   "description": "fast drum and bass breaks"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = asyncio.run(run_batch(TagConfig(llm_mode="never", exemplars=str(tmp_path / "ex")),
                                    RunOptions(input=catalog, output=out)))
    assert summary.ok == 1
    e = json.loads(out.read_text())["enrichment"]
    assert "zorkwave" not in e["genres"]
    # before: [] with 0.9909, calibrated, not routed
    assert "genres" not in e["confidence"]["calibrated"], e["confidence"]
    assert e["genres"] or e["review"]["routed"], (e["genres"], e["confidence"]["genres"], e["review"])
