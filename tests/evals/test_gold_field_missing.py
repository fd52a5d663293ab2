"""A task whose gold_field is not a column of the gold data (found by QA, session 13): a typo
('energyy', next to tasks whose columns exist) left the task unscored, no metric, exit 0, and a gate rule on it read 'baseline lacks
this metric' instead of failing. Now the gold load refuses it, naming the file, the column, the
task and the columns the data has (exit 2 in the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec


def test_a_gold_field_the_data_lacks_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"i{n}", "title": "t", "energy": n}) + "\n" for n in range(3)),
                    encoding="utf-8")
    path = tmp_path / "g.yaml"
    path.write_text("name: g\ndata: g.jsonl\nid_field: id\ninputs:\n  title: title\ntasks:\n"
                    "  - name: energy\n    kind: scalar\n    gold_field: energy\n    signal: energy\n"
                    "  - name: pace\n    kind: scalar\n    gold_field: pacee\n    signal: pace\n",
                    encoding="utf-8")
    with pytest.raises(SpecError, match=r"g.jsonl: no column 'pacee' \(the gold_field of task pace of spec g\); "
                                        r"its columns: id, title, energy"):
        load_gold(load_spec(path), data)
