"""``liner fit --signals S.yaml --run RUN.json`` refuses a run whose signal values were made under
another definition of the signal than S.yaml gives now (exit 2, naming both spec hashes). Before,
the model learned from the old definition's evidence and was stamped with the new one's hash, so
``liner tag`` applied it to the changed signal, exit 0 (found by QA qa-fit16)."""

from __future__ import annotations

from pathlib import Path

from linernotes.signals.spec import load_signals
from tests.conftest import REPO, run_liner_in_process

GOLD = REPO / "examples" / "signals" / "subject.gold.yaml"
SIGNAL = REPO / "examples" / "signals" / "subject.yaml"


def test_a_run_of_another_signal_definition_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    r = run_liner_in_process(["eval", GOLD, "--signals", SIGNAL, "-o", run, "--llm", "never", "--resamples", "0",
                              "--no-progress"])
    assert r.returncode == 0, r.stderr
    changed = tmp_path / "subject.yaml"  # one label more since the eval
    changed.write_text(SIGNAL.read_text().replace("personal, other]", "personal, other, sports]"), encoding="utf-8")
    old, new = (load_signals([p])[0].content_hash for p in (SIGNAL, changed))
    r = run_liner_in_process(["fit", GOLD, "--signals", changed, "--run", run, "-o", tmp_path / "fit",
                              "--resamples", "0"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert (f"liner: error: --run {run}: its values of signal subject were made with signal spec {old}; --signals "
            f"defines it as {new} now (changed since the eval?)") in r.stderr, r.stderr
    assert not (tmp_path / "fit").exists()
    r = run_liner_in_process(["fit", GOLD, "--signals", SIGNAL, "--run", run, "-o", tmp_path / "fit",
                              "--resamples", "0"])
    assert r.returncode == 0, r.stdout + r.stderr
