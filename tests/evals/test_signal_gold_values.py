"""Declared-signal gold cells of the wrong shape are refused naming the file, id and column, as
built-in tasks' are (found by QA qa-fit16): a scalar 'inf' made the run's MAE inf and Pearson NaN,
the text 'nan' made both NaN (a NaN number was already a missing cell), JSON true was read as 1.0,
and a single-label list cell became the label "['sad']", which nothing predicts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, kind: str, values: list) -> Path:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"s{n}", "text": f"a day {n}", "src": f"g{n % 3}", "gold": v}) + "\n"
                            for n, v in enumerate(values)), encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\ndata: {data}\ngroup_field: src\ninputs: {{description: text}}\n"
                    f"tasks: [{{name: sig, kind: {kind}, gold_field: gold, signal: sig}}]\n", encoding="utf-8")
    return spec


@pytest.mark.parametrize(("kind", "bad", "reason"), [
    ("scalar", "inf", "scalar gold is a finite number, got 'inf'"),
    ("scalar", True, "scalar gold is a number, got true/false true"),
    ("scalar", [1, 2], "scalar gold is a number, got an array [1, 2]"),
    ("scalar", "high", "scalar gold is a number, got 'high'"),
    ("single_label", ["sad"], 'single_label gold is one label, got an array ["sad"]'),
    ("single_label", {"a": 1}, 'single_label gold is one label, got an object {"a": 1}'),
])
def test_a_signal_gold_cell_of_the_wrong_shape_is_refused_naming_it(tmp_path: Path, kind: str, bad, reason: str) -> None:
    good = 0.5 if kind == "scalar" else "calm"
    spec = _world(tmp_path, kind, [good, bad, good])
    with pytest.raises(SpecError) as err:
        load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert str(err.value) == f"{tmp_path / 'g.jsonl'}: id 's1': gold: {reason}"


def test_a_nan_text_cell_is_missing_gold_like_a_nan_number(tmp_path: Path) -> None:
    spec = _world(tmp_path, "scalar", [0.5, "nan", " 2 ", 3, None])
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert [g.gold.get("sig") for g in gold.items] == [0.5, None, 2.0, 3.0, None]
    assert all(math.isfinite(g.gold["sig"]) for g in gold.items if "sig" in g.gold)


def test_liner_eval_refuses_an_infinite_scalar_gold_before_tagging(tmp_path: Path) -> None:
    spec = _world(tmp_path, "scalar", [1, "inf", 2])
    signals = tmp_path / "sig.yaml"
    signals.write_text("name: sig\nkind: scalar\nrange: [0, 10]\ninstructions: How energetic, 0 .. 10.\n",
                       encoding="utf-8")
    r = run_liner_in_process(["eval", spec, "--signals", signals, "-o", tmp_path / "run.json", "--llm", "never",
                              "--no-progress"])
    assert r.returncode == 2, r.stdout
    assert f"liner: error: {tmp_path / 'g.jsonl'}: id 's1': gold: scalar gold is a finite number, got 'inf'" in r.stderr
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "run.json.d").exists()


def test_an_empty_list_as_multilabel_signal_gold_means_no_label_applies_and_is_scored(tmp_path: Path) -> None:
    """Review export writes a decision of "none of these" as []; it was read as no gold, so labels
    predicted on such items never counted against precision (64 subject items, 12 of them []:
    micro precision 0.404 over 52 items, 0.328 over all 64)."""
    from linernotes.evals.scoring import signal_quality

    spec = _world(tmp_path, "multilabel", [["film"], [], None, ["news", "film"]])
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert [g.gold.get("sig") for g in gold.items] == [["film"], [], None, ["film", "news"]]
    golds = [g.gold.get("sig") for g in gold.items]
    preds = [{"signals": {"sig": {"value": v}}} for v in (["film"], ["news"], ["film"], ["news", "film"])]
    q = signal_quality(load_spec(spec).tasks[0], golds, preds)
    assert q.stats["sig.micro_precision"].point() == pytest.approx(3 / 4)  # the [] item's 'news' is wrong
    assert q.n["sig.micro_precision"] == 3  # the item without gold is not scored


@pytest.mark.parametrize("kind", ["single_label", "multilabel"])
def test_a_csv_rating_column_with_a_blank_cell_keeps_its_labels(tmp_path: Path, kind: str) -> None:
    # pandas reads a CSV column of numbers with a blank cell as floats: gold 3 was the label '3.0',
    # warned 'can never be predicted' and scored wrong on every run (QA qa-signals16)
    data = tmp_path / "g.csv"
    data.write_text("id,text,stars\ns0,a,3\ns1,b,\ns2,c,2\n", encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\ndata: {data}\ninputs: {{description: text}}\n"
                    f"tasks: [{{name: stars, kind: {kind}, gold_field: stars, signal: stars}}]\n", encoding="utf-8")
    gold = load_gold(load_spec(spec), data)
    want = {"single_label": ["3", None, "2"], "multilabel": [["3"], None, ["2"]]}[kind]
    assert [g.gold.get("stars") for g in gold.items] == want
