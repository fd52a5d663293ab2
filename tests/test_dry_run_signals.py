"""``liner tag --dry-run --signals``: the declared signals' call (one per item whose type a signal
applies to, after the record) is counted, not only the graph's first call (QA: with --llm always
and a signal the estimate said one call per item, the run made two)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from linernotes.config import TagConfig
from linernotes.run.plan import dry_run
from linernotes.run.prepare import RunOptions
from linernotes.signals.spec import load_signals

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "catalog.jsonl"


def test_always_with_a_signal_estimates_extract_and_signals_call_per_item(tmp_path: Path) -> None:
    spec = tmp_path / "talky.yaml"
    spec.write_text("name: talky\nkind: boolean\ninstructions: mostly speech\n", encoding="utf-8")
    cfg = TagConfig(llm_mode="always", audio_base=str(EXAMPLE.parent), signals=load_signals([spec]))
    r = asyncio.run(dry_run(cfg, RunOptions(input=EXAMPLE, output=tmp_path / "o.jsonl", limit=4)))
    assert (r.items, r.sampled_needing_llm, r.est_llm_calls) == (4, 4, 8)
