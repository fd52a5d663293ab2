"""A non-finite number (.nan, .inf, -.inf) in any settings file is refused at its line as "a finite
number", never read as a limit: ``review_threshold: .nan`` was refused as "less than or equal to 1"
(QA, session 12), and a gates file's ``max_drop: .inf`` passed validation (ge=0) and let every drop
through the gate. One case per YAML the product reads: signal specs, gold specs, gates files,
monitor thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, load_rules
from linernotes.evals.spec import SpecError, parse_spec
from linernotes.monitor.load import MonitorInputError
from linernotes.monitor.thresholds import load_thresholds
from linernotes.signals.spec import SignalSpecError, load_signals

GOLD = """name: g
data: g.jsonl
id_field: id
inputs: {{title: title}}
tasks:
  - name: valence
    kind: valence
    gold_field: ratings
    tolerance: {value}
"""


def _signal(tmp: Path, value: str) -> None:
    p = tmp / "s.yaml"
    p.write_text(f"name: x\nkind: boolean\ninstructions: say\nreview_threshold: {value}\n")
    load_signals([p])


def _gold(tmp: Path, value: str) -> None:
    parse_spec(GOLD.format(value=value), str(tmp / "g.yaml"))


def _gates(tmp: Path, value: str) -> None:
    p = tmp / "gates.yaml"
    p.write_text(f"rules:\n  - metric: genres.micro_f1\n    max_drop: {value}\n")
    load_rules(p)


def _gate_margin(tmp: Path, value: str) -> None:
    p = tmp / "gates.yaml"
    p.write_text(f"rules:\n  - metric: genres.micro_f1\n    kind: beats_baseline\n    margin: {value}\n")
    load_rules(p)


def _thresholds(tmp: Path, value: str) -> None:
    p = tmp / "t.yaml"
    p.write_text(f"labels:\n  genres: {value}\n")
    load_thresholds(p)


CASES = [(_signal, SignalSpecError, 4), (_gold, SpecError, 9), (_gates, GateError, 3),
         (_gate_margin, GateError, 4), (_thresholds, MonitorInputError, 2)]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
@pytest.mark.parametrize(("load", "error", "line"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_a_non_finite_number_is_refused_at_its_line(tmp_path: Path, load, error, line: int, value: str) -> None:
    with pytest.raises(error) as e:
        load(tmp_path, value)
    msg = str(e.value)
    assert f".yaml:{line}:" in msg and "finite number" in msg, msg


@pytest.mark.parametrize(("load", "error", "line"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_the_same_files_with_a_finite_number_load(tmp_path: Path, load, error, line: int) -> None:
    load(tmp_path, "0.25")  # the cases above fail on the number alone
