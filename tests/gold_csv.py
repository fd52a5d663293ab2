"""A policy gold spec over a CSV file, for tests of how gold CSV rows are read."""

from __future__ import annotations

from pathlib import Path

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec


def load_policy_csv(tmp: Path, text: str) -> tuple[Path, object]:
    """Write ``text`` as ``tmp/g.csv`` (columns id, text, label) and a policy spec reading it, then
    load the gold set: (the CSV's path, the GoldSet). Raises what ``load_gold`` raises."""
    data = tmp / "g.csv"
    data.write_text(text, encoding="utf-8")
    spec = tmp / "p.yaml"
    spec.write_text(f"name: p\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: policy, kind: policy, gold_field: label, clause_map: {profanity.insult: insult}}]\n",
                    encoding="utf-8")
    return data, load_gold(load_spec(spec), data)
