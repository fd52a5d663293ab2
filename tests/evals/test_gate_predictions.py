"""A candidate whose predictions hold values ``liner eval`` never writes is refused by ``liner gate``
with exit 2, naming the file, the item and the key; before, the scorer stopped half-way with a
traceback and exit 1, the code of a regression (``'str' object has no attribute 'get'``,
``int too large to convert to float``, ``'<' not supported between instances of 'int' and 'str'``).

The candidates are the committed CI-slice baseline with one kind of value replaced in every
prediction; a partial prediction (a field left out) and a candidate only slightly off still go
through to a verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from linernotes.evals.record import ItemResult, RunRecord

BASELINE = Path(__file__).resolve().parents[2] / "evals" / "baselines" / "ci-slice.json"


@pytest.fixture
def liner():
    from linernotes.cli.app import app

    def run(args):
        r = CliRunner().invoke(app, [str(a) for a in args])
        return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr, exception=r.exception)
    return run


def _candidate(tmp_path: Path, key: str, value) -> Path:
    """The baseline with prediction[key] = value in every item (keys with dots go one level down)."""
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    for it in data["items"]:
        if it["prediction"] is not None:
            target = it["prediction"]
            *parents, last = key.split(".")
            for p in parents:
                target = target[p]
            target[last] = value
    path = tmp_path / "cand.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "value", "where"), [
    ("policy_flags", "x", "prediction.policy_flags"),                   # AttributeError before
    ("policy_flags", ["x"], "prediction.policy_flags.0"),
    ("policy_flags", [{"clause_id": None, "severity": 4}], "prediction.policy_flags.0.clause_id"),
    ("genres", [1, 2], "prediction.genres.0"),                          # TypeError before
    ("genres", [["dance"]], "prediction.genres.0"),
    ("valence", [0.5], "prediction.valence"),
    ("valence", 10 ** 400, "prediction.valence"),                       # OverflowError before
    ("confidence", "x", "prediction.confidence"),
    ("confidence.genres", "high", "prediction.confidence.genres"),      # ValueError: exit 2 but no item
    ("provenance", "x", "prediction.provenance"),
    ("provenance.tokens_out", "many", "prediction.provenance.tokens_out"),
    ("review", "x", "prediction.review"),
    ("evidence.genres", [{"label": "dance"}], "prediction.evidence.genres.0.id"),
], ids=lambda v: repr(v)[:24])
def test_an_unscorable_prediction_is_exit_2_naming_file_item_and_key(liner, tmp_path, key, value, where):
    cand = _candidate(tmp_path, key, value)
    r = liner(["gate", BASELINE, cand, "--resamples", 100])
    assert r.returncode == 2, (r.stdout + r.stderr)[-2000:]
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    first = json.loads(BASELINE.read_text(encoding="utf-8"))["items"][0]["id"]
    assert f"{cand}: not a run record of `liner eval`: item {first!r}: {where}" in r.stderr, r.stderr


def _signal_record(path: Path, kind: str, gold, value) -> Path:
    tasks = [{"name": "s", "kind": kind, "gold_field": "s", "signal": "s"}]
    items = [ItemResult(id=f"i{n}", group=f"g{n % 5}", gold={"s": gold},
                        prediction={"signals": {"s": {"value": value, "confidence": 0.8}},
                                    "provenance": {"latency_s": 1.0}}) for n in range(20)]
    RunRecord(spec="sig", gold_fingerprint="f" * 16, tasks=tasks, items=items).save(path)
    return path


@pytest.mark.parametrize(("kind", "gold", "value"), [
    ("multilabel", ["a"], [1]), ("multilabel", ["a"], [None]), ("multilabel", ["a"], [["a"]]),  # TypeError before
    ("multilabel", ["a"], "a"),
    ("scalar", 0.5, 10 ** 400),                                                                 # TypeError before
    ("scalar", 0.5, [0.5]), ("single_label", "love", ["love"]), ("single_label", "love", {"a": 1}),
], ids=lambda v: repr(v)[:24])
def test_a_signal_value_of_another_kind_is_exit_2(liner, tmp_path, kind, gold, value):
    base = _signal_record(tmp_path / "b.json", kind, gold, gold)
    cand = _signal_record(tmp_path / "c.json", kind, gold, value)
    rules = tmp_path / "g.yaml"
    rules.write_text("rules:\n  - metric: run.failure_rate\n", encoding="utf-8")
    r = liner(["gate", base, cand, "--config", rules, "--resamples", 100])
    assert r.returncode == 2, (r.stdout + r.stderr)[-2000:]
    assert f"{cand}: not a run record of `liner eval`: item 'i0': prediction.signals.s.value: a {kind} signal's " \
           "value is " in r.stderr, r.stderr


def test_partial_and_slightly_off_predictions_still_get_a_verdict(liner, tmp_path):
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    for it in data["items"]:
        if it["prediction"] is not None:
            for key in ("moods", "explicit", "rationale", "evidence"):  # fields a test double leaves out
                it["prediction"].pop(key, None)
            it["prediction"]["valence"] = min(1.0, (it["prediction"].get("valence") or 0.0) + 0.01)
    cand = tmp_path / "partial.json"
    cand.write_text(json.dumps(data), encoding="utf-8")
    r = liner(["gate", BASELINE, cand, "--resamples", 100])
    assert r.returncode in (0, 1), (r.stdout + r.stderr)[-2000:]
    assert "not a run record" not in r.stderr


def test_a_boolean_gold_written_as_json_true_is_scored_like_true(liner, tmp_path):
    """Gold as a JSON boolean where ``liner eval`` writes "true"/"false" (a hand-made baseline):
    the scorer sorted True beside "false" (TypeError, so the gate said the record cannot be
    scored); it is now the class "true", and a candidate answering "false" is a regression."""
    base = _signal_record(tmp_path / "b.json", "boolean", True, "true")
    cand = _signal_record(tmp_path / "c.json", "boolean", True, "false")
    rules = tmp_path / "g.yaml"
    rules.write_text("rules:\n  - metric: s.accuracy\n", encoding="utf-8")
    r = liner(["gate", base, cand, "--config", rules, "--resamples", 100])
    assert r.returncode == 1, (r.stdout + r.stderr)[-2000:]
    assert "s.accuracy" in r.stdout and "cannot be scored" not in r.stderr


def test_a_record_the_checks_do_not_foresee_is_still_exit_2_not_a_traceback(liner, tmp_path, monkeypatch):
    """Whatever the scorer trips on that ``gate_predictions`` did not foresee is exit 2 naming the
    record (a test double raising inside the scorer stands for the next such shape)."""
    import linernotes.evals.gate as gate

    def scorer_that_trips(*_args, **_kwargs):
        raise TypeError("'<' not supported between instances of 'bool' and 'str'")

    monkeypatch.setattr(gate, "score_with_stats", scorer_that_trips)
    r = liner(["gate", BASELINE, BASELINE, "--resamples", 100])
    assert r.returncode == 2, (r.stdout + r.stderr)[-2000:]
    assert "the baseline record cannot be scored (TypeError: " in r.stderr, r.stderr


@pytest.mark.parametrize("content", [b"\xff\xfe\x00rules", b"rules:\n  - metric: genres.micro_f1\n    # caf\xe9\n"],
                         ids=["utf16-bom", "latin-1-comment"])
def test_a_gates_file_that_is_not_utf8_is_named(liner, tmp_path, content):
    rules = tmp_path / "gates.yaml"
    rules.write_bytes(content)
    r = liner(["gate", BASELINE, BASELINE, "--config", rules, "--resamples", 100])
    assert r.returncode == 2
    assert f"{rules}: not a valid gates file: not UTF-8 text" in r.stderr, r.stderr


@pytest.mark.parametrize("spoil", ["valence-nan", "ratings-inf"])
def test_a_baseline_whose_gold_holds_nan_is_exit_2_not_a_skipped_rule(liner, tmp_path, spoil):
    """Before: a NaN gold valence made valence.mae/pearson NaN, read as "baseline lacks this
    metric", so the valence rules were skipped and a candidate ruined on valence passed (exit 0)."""
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    item = next(it for it in data["items"] if "valence" in it["gold"])
    if spoil == "valence-nan":
        item["gold"]["valence"] = float("nan")
    else:
        item["gold"]["valence_ratings"][0] = float("inf")
    base = tmp_path / "base.json"
    base.write_text(json.dumps(data), encoding="utf-8")  # NaN / Infinity, as Python's json writes them
    for it in data["items"]:
        if it["prediction"] is not None:
            it["prediction"]["valence"] = -it["prediction"]["valence"] if it["prediction"]["valence"] else 1.0
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(data), encoding="utf-8")
    r = liner(["gate", base, cand, "--resamples", 100])
    assert r.returncode == 2, (r.stdout + r.stderr)[-2000:]
    key = "gold.valence" if spoil == "valence-nan" else "gold.valence_ratings.0"
    assert f"{base}: not a run record of `liner eval`: item {item['id']!r}: {key}: " in r.stderr, r.stderr


BOMB = "".join(f"{k}: &{k} [" + ",".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]\n"
               for k, p in zip("abcdefg", ["", *"abcdef"], strict=True)) + "rules: [{metric: genres.micro_f1, x: *g}]\n"


@pytest.mark.parametrize(("text", "line"), [
    (BOMB, 2),                                                                   # 9**7 strings: 37 s before
    ("rules:\n  - &r {metric: genres.micro_f1, max_drop: 0.02}\n  - *r\n", 3),
], ids=["billion-laughs", "plain-alias"])
def test_a_yaml_alias_in_a_gates_file_is_refused_at_its_line(liner, tmp_path, text, line):
    import time

    rules = tmp_path / "gates.yaml"
    rules.write_text(text, encoding="utf-8")
    t = time.monotonic()
    r = liner(["gate", BASELINE, BASELINE, "--config", rules, "--resamples", 100])
    assert time.monotonic() - t < 15
    assert r.returncode == 2
    assert f"{rules}:{line}: not a valid gates file: a YAML alias (*name) is not allowed here" in r.stderr, r.stderr


@pytest.mark.parametrize("resamples", [100_001, 10 ** 9])
def test_resamples_beyond_memory_are_refused_before_anything_is_drawn(tmp_path, resamples):
    """Under a 4 GB address-space limit, --resamples 100000 on the 12-item slice was a numpy
    MemoryError traceback ('Unable to allocate 4.48 GiB for an array with shape (100000, 6012)');
    without the limit, an OOM kill of a shared box. Now exit 2 naming the option and the bound
    (evals.bootstrap.MAX_RESAMPLES; memory itself is bounded in tests/evals/test_resamples_bound.py)."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * 1024 ** 3, 4 * 1024 ** 3))

    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "gate", str(BASELINE), str(BASELINE),
                        "--resamples", str(resamples)], capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert r.returncode == 2, r.stderr[-1500:]
    assert "Traceback" not in r.stderr
    assert "Invalid value for '--resamples'" in r.stderr and "100000" in r.stderr, r.stderr
