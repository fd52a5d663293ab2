"""An eval report and a gate report name the fitted signal models a run's declared signals were
decided by, beside the fusion artifact: ``(model, fusion 95e7..., signal model explicit_lyrics
2fc9...)``. QA newuser23: a gate of a run without a signal model against one with it (``liner fit
G --signals S -o DIR``, ``liner eval G --signals S --fusion DIR``) showed the same
``fusion 95e700f5cd7d16a4`` on both sides (a signals-only artifact keeps the built-in combiners),
so what changed between the runs was nowhere in the report."""

from __future__ import annotations

from linernotes.evals.gate import GateResult
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.report import gate_markdown, summary_markdown

TOOLS = {"fusion": "95e700f5cd7d16a4"}


def _signal(model_hash: str | None) -> dict:
    prov = {"spec_hash": "d42e163049b61c15", "kind": "boolean", "source": "fitted" if model_hash else "none"}
    if model_hash:
        prov["model_hash"] = model_hash
    return {"explicit_lyrics": {"value": True if model_hash else None, "confidence": 0.6, "evidence": {},
                                "provenance": prov}}


def _record(model_hash: str | None) -> RunRecord:
    items = [ItemResult(id=f"t{i}", prediction={"signals": _signal(model_hash)}) for i in range(3)]
    return RunRecord(spec="explicit-gold", gold_fingerprint="f", model="local:x.gguf", tool_versions=TOOLS,
                     items=items)


def test_the_gate_header_names_the_candidates_signal_model() -> None:
    result = GateResult(passed=True, baseline=_record(None), candidate=_record("2fc9c473c45f2392"), outcomes=[],
                        n_items=3)
    header = next(line for line in gate_markdown(result, plain=True).splitlines() if "→ candidate" in line)
    before, after = header.split("→ candidate")
    assert "fusion 95e700f5cd7d16a4)" in before and "signal model" not in before, header
    assert "fusion 95e700f5cd7d16a4, signal model explicit_lyrics 2fc9c473c45f2392)" in after, header


def test_the_eval_report_names_it() -> None:
    assert "signal model explicit_lyrics 2fc9c473c45f2392" in summary_markdown(_record("2fc9c473c45f2392"), plain=True)
