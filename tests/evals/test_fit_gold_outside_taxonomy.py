"""``liner fit`` refuses genre gold outside the task's taxonomy before anything is tagged. QA
session 24: 20 of 40 items labelled 'zorkwave' fitted with exit 0 and oof accuracy 1.0 (the
exemplar votes made 'zorkwave' a candidate, the combiner learned to choose it and the card
counted it right), while no record may hold it: at tag time the answer was dropped."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

TEXTS = {"techno": "dark hypnotic techno", "ambient": "calm ambient drones", "house": "deep house grooves",
         "drum-and-bass": "fast drum and bass breaks"}


def test_genre_gold_outside_the_taxonomy_is_refused_before_tagging(tmp_path: Path) -> None:
    from linernotes.cli.app import app

    rows = [{"id": f"g{i:02d}", "track": f"Track {i}", "labelname": f"Label{i % 8}", "tags": TEXTS[g],
             "gold_genres": ["zorkwave"] if i % 2 else [g]} for i, g in enumerate(list(TEXTS) * 10)]
    data = tmp_path / "gen.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = tmp_path / "g.yaml"
    spec.write_text(f"name: tiny-genres\ndata: {data}\ngroup_field: labelname\n"
                    "inputs: {title: track, label: labelname, description: tags}\n"
                    "tasks: [{name: genres, kind: multilabel, gold_field: gold_genres, taxonomy: music-genres}]\n",
                    encoding="utf-8")
    # an unreachable endpoint: had the sample been tagged first, the error would be the endpoint's
    r = CliRunner().invoke(app, ["fit", str(spec), "--limit", "20", "--folds", "3", "--model", "openai/x",
                                 "--api-base", "http://127.0.0.1:9/v1", "-o", str(tmp_path / "fus")])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert (f"spec tiny-genres: {data}: gold genres labels not in taxonomy music-genres@") in said, said
    assert "1 of 3 distinct labels, on 20 items, e.g. 'zorkwave' -> 'zorkwave'. No record may hold one" in said
    assert not (tmp_path / "fus").exists()
