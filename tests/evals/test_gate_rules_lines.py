"""A malformed gates file names its line (found by QA): a misspelt key or a bad value gave
``g.yaml: not a valid gates file: rules.0.max_dorp: ...`` and a YAML syntax error only
``while parsing a flow node``, neither saying where."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, load_rules


@pytest.mark.parametrize(("text", "expect"), [
    ("rules:\n  - metric: a.b\n    max_dorp: 0.05\n", ":3: not a valid gates file: rules.0.max_dorp: Extra inputs"),
    ("rules:\n  - metric: a.b\n    max_drop: 0.05\n  - metric: c.d\n    direction: lowr\n",
     ":5: not a valid gates file: rules.1.direction: Input should be 'higher' or 'lower'"),
    ("rules: [\n", ":2: not a valid gates file: expected the node content"),
    # empty, or comments only: it said "rules: Input should be a valid dictionary or instance of Rules"
    ("", ": not a valid gates file: it is empty"),
    ("# rules to come\n\n", ": not a valid gates file: it is empty"),
])
def test_a_bad_gates_file_names_its_line(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GateError) as err:
        load_rules(path)
    assert str(err.value).startswith(f"{path}{expect}"), str(err.value)


def test_a_failed_rule_names_its_one_sided_bound_for_either_direction() -> None:
    """The verdict quoted a "lower bound" that differed from the two-sided 95% interval printed
    beside it, and a lower-is-better rule gave no bound at all (found by QA)."""
    import numpy as np

    from linernotes.evals.gate import Rule, decide

    draws = np.random.default_rng(0).normal(-0.02, 0.08, 2000)
    up = decide(Rule(metric="x.accuracy", max_drop=0.05), 0.31, 0.29, draws)
    assert up.status == "fail" and "(one-sided 95% lower bound of the change -0.1" in up.reason, up.reason
    down = decide(Rule(metric="x.mae", direction="lower", max_drop=0.05), 0.10, 0.12, -draws)
    assert down.status == "fail" and "cannot rule out an increase beyond 0.05 at 95%" in down.reason, down.reason
    assert "(one-sided 95% upper bound of the change +0.1" in down.reason, down.reason


@pytest.mark.parametrize(("text", "expect"), [
    ('{"x":\n', "Invalid JSON: EOF while parsing"),
    ('{"schema": 1}', "spec: Field required; gold_fingerprint: Field required"),
    ('{"x": 1}\n{"x": 2}\n', "Invalid JSON: trailing characters"),
])
def test_a_bad_run_record_says_why(tmp_path: Path, text: str, expect: str) -> None:
    """A run record that is not one said only "not a run record (1 validation error for
    RunRecord)": pydantic's first line, never the reason (new-user test, a `liner tag` output
    given to `liner gate` among them)."""
    from linernotes.evals.gate import Rules, run_gate

    bad = tmp_path / "run.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(GateError) as err:
        run_gate(bad, bad, Rules(rules=[]))
    assert str(err.value).startswith(f"{bad}: not a run record of `liner eval` (") and expect in str(err.value), \
        str(err.value)


def test_a_tag_output_given_as_a_run_record_is_named_as_one(tmp_path: Path) -> None:
    """A `liner tag` output read 'not a run record of `liner eval` (Invalid JSON: trailing characters
    at line 2 column 1)' (a new user's probe): now it is named for what it is."""
    from linernotes.evals.gate import Rules, run_gate

    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "status": "ok"}\n{"id": "b", "status": "ok"}\n', encoding="utf-8")
    with pytest.raises(GateError) as err:
        run_gate(out, out, Rules(rules=[]))
    assert str(err.value) == (f"{out}: is a liner tag output (one record per line), not a run record of `liner "
                              "eval`: the gate compares two eval runs (liner eval SPEC -o RUN.json)")
