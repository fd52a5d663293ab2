"""A small valence gold spec over the first rows of the shared VADER dev file, for tests that run
``liner eval``/``liner fit`` on real data without the LLM."""

from __future__ import annotations

from pathlib import Path


def vader_spec(folder: Path, shared_data: Path, rows: int, name: str = "v", file: str = "v.yaml") -> Path:
    """Write ``folder/vader.jsonl`` (the dev file's first ``rows`` rows) and a spec ``folder/<file>``
    named ``name`` reading it (description <- text, valence <- ratings / 4, groups by source);
    returns the spec's path."""
    lines = (shared_data / "gold" / "vader-multirater.dev.jsonl").read_text(encoding="utf-8").splitlines()
    data = folder / "vader.jsonl"
    data.write_text("\n".join(lines[:rows]) + "\n", encoding="utf-8")
    spec = folder / file
    spec.write_text(f"name: {name}\ndata: {data}\ngroup_field: source\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 4}]\n", encoding="utf-8")
    return spec
