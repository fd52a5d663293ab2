"""A YAML boolean where a spec or a gate rule wants a number is refused, naming the file, line and
key (exit 2). pydantic reads true as 1.0, so ``tolerance: on`` counted almost every valence within
tolerance and ``max_drop: yes`` let any drop pass the gate, exit 0, not a word (YAML reads
yes/no/on/off as booleans)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, load_rules
from linernotes.evals.spec import SpecError, parse_spec
from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec

REASON = "is not a number (YAML reads yes/no/on/off/true/false as true or false): write the number"


@pytest.mark.parametrize(("key", "value", "line"), [
    ("max_drop", "yes", 3), ("confidence", "on", 3), ("margin", "no", 4)])
def test_a_gate_threshold_that_is_a_boolean_is_refused(tmp_path: Path, key: str, value: str, line: int) -> None:
    path = tmp_path / "g.yaml"
    kind = "    kind: beats_baseline\n" if key == "margin" else ""
    path.write_text(f"rules:\n  - metric: valence.mae\n{kind}    {key}: {value}\n", encoding="utf-8")
    with pytest.raises(GateError) as err:
        load_rules(path)
    bool_text = "false" if value == "no" else "true"
    assert str(err.value) == f"{path}:{line}: not a valid gates file: rules.0.{key}: {bool_text} {REASON}"


@pytest.mark.parametrize("key", ["scale", "tolerance"])
def test_a_spec_number_that_is_a_boolean_is_refused(key: str) -> None:
    text = ("name: s\ndata: g.jsonl\ninputs: {description: text}\ntasks:\n  - name: valence\n    kind: valence\n"
            f"    gold_field: ratings\n    {key}: on\n")
    with pytest.raises(SpecError) as err:
        parse_spec(text, "s.yaml")
    assert str(err.value) == f"s.yaml:8: tasks[0].{key}: true {REASON}"
    # a number still is (0.5: a valence tolerance of 1, half its scale, is refused for its own reason)
    assert parse_spec(text.replace(": on", ": 0.5"), "s.yaml").tasks[0].model_dump()[key] == 0.5


def test_liner_eval_refuses_a_boolean_tolerance_before_tagging(tmp_path: Path, shared_data: Path) -> None:
    spec = vader_spec(tmp_path, shared_data, 6)
    spec.write_text(spec.read_text().replace("scale: 4}", "scale: 4, tolerance: on}"), encoding="utf-8")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--no-progress"])
    assert r.returncode == 2, r.stdout
    assert f"{spec}:5: tasks[0].tolerance: true {REASON}" in r.stderr, r.stderr
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "run.json.d").exists()
