"""``liner tag --fusion FIT`` where FIT holds fitted models of declared signals (``liner fit
--signals``) that the run does not declare (QA session 25): without ``--signals``, or with a spec
file that lacks one of them, the models were never applied and the records held no value of those
signals, exit 0, not a word. Now the run warns once, naming the signals, the folder and the way
out; a run that declares them all is not warned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.signals.fit import fit_signal, save_model
from linernotes.signals.spec import load_signals

SPECS = """\
- name: rude
  kind: boolean
  instructions: Profanity in the text.
  evidence: [lexicon]
- name: loud
  kind: boolean
  instructions: A loud track.
  evidence: [lexicon]
"""


@pytest.fixture
def fitted(tmp_path: Path) -> tuple[Path, Path, Path]:
    both = tmp_path / "both.yaml"
    both.write_text(SPECS, encoding="utf-8")
    one = tmp_path / "one.yaml"
    one.write_text(SPECS.split("- name: loud")[0], encoding="utf-8")
    folder = tmp_path / "fit"
    for spec in load_signals([both]):  # real fits on made-up evidence: lexicon hits say true
        rows = [({"lexicon": [{"term": "x"}] * (i % 2)}, None, "true" if i % 2 else "false", f"g{i}")
                for i in range(12)]
        save_model(fit_signal(spec, rows)[0], folder)
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "A song"}) + "\n", encoding="utf-8")
    return folder, both, one


@pytest.mark.parametrize(("signals", "named", "why"), [
    ([], "loud, rude", "that this run does not declare (no --signals)"),
    (["one.yaml"], "loud", "that --signals does not declare")])
def test_fitted_models_of_undeclared_signals_are_named(forkcli, fitted, tmp_path: Path, signals: list[str],
                                                       named: str, why: str) -> None:
    folder = fitted[0]
    args = [str(a) for s in signals for a in ("--signals", tmp_path / s)]
    # a real (forked) liner process: the warning must reach its stderr, not a test's log capture
    r = forkcli.run(["tag", str(tmp_path / "c.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--fusion", str(folder),
                     "--llm", "never", "--no-progress", *args], tmp_path / "log")
    assert r.rc == 0, r.stderr[-2000:]
    expected = (f"liner: warning: --fusion {folder} holds fitted models of declared signals {named} "
                f"({folder / 'signals'}), {why}: they are not applied")
    assert r.stderr.count(expected) == 1, r.stderr[-2000:]


def test_a_run_that_declares_every_fitted_signal_is_not_warned(forkcli, fitted, tmp_path: Path) -> None:
    folder, both, _ = fitted
    r = forkcli.run(["tag", str(tmp_path / "c.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--fusion", str(folder),
                     "--signals", str(both), "--llm", "never", "--no-progress"], tmp_path / "log")
    assert r.rc == 0, r.stderr[-2000:]
    assert "holds fitted models" not in r.stderr
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert {n: v["provenance"]["source"] for n, v in record["enrichment"]["signals"].items()} == \
        {"rude": "fitted", "loud": "fitted"}
