"""Gold labels spelt otherwise than the spec (found by QA, session 13): a spec's labels are compared
ignoring case (its loader refuses 'Rock' next to 'rock'; review stores a typed 'SAD' as 'sad'), but
eval compared gold exactly, so a hand-made gold CSV with 'Sad' was warned 'can never be predicted',
scored wrong on every such item, and left out of the fit. Now eval and fit read it as the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import canonical_signal_gold, check_signal_gold
from linernotes.evals.spec import GoldSpec
from linernotes.signals.spec import parse_signals
from tests.conftest import run_liner_in_process

SIGNALS_YAML = """\
- name: mood_tag
  kind: single_label
  labels: [calm, tense, True Crime]
  instructions: The mood.
- name: themes
  kind: multilabel
  labels: [love, loss]
  instructions: The themes.
  evidence: [shortlist]
"""
SIGNALS = parse_signals(SIGNALS_YAML, "test.yaml")
SPEC = GoldSpec.model_validate({
    "name": "g", "data": "x.jsonl", "id_field": "id", "inputs": {"title": "title"},
    "tasks": [{"name": t, "kind": k, "gold_field": t, "signal": t}
              for t, k in (("mood_tag", "single_label"), ("themes", "multilabel"))]})


class _Item:
    def __init__(self, i: int, **gold: object) -> None:
        self.id, self.gold = f"i{i}", dict(gold)


def test_gold_in_another_case_or_width_is_the_spec_id() -> None:
    items = [_Item(0, mood_tag="Calm", themes=["LOVE", "love", "Loss "]), _Item(1, mood_tag="true crime"),
             _Item(2, mood_tag="\uff34\uff45\uff4e\uff53\uff45", themes=["war"]), _Item(3)]
    canonical_signal_gold(SPEC, items, SIGNALS)
    assert [it.gold for it in items] == [{"mood_tag": "calm", "themes": ["loss", "love"]},
                                         {"mood_tag": "True Crime"}, {"mood_tag": "tense", "themes": ["war"]}, {}]
    (warning,) = check_signal_gold(SPEC, items, SIGNALS)  # a label of no spelling of the spec is still named
    assert "signal themes (task themes) on 1 items is not in its labels" in warning and "'i2': ['war']" in warning


def test_liner_eval_scores_capitalised_gold_as_the_label(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "signals.yaml").write_text(SIGNALS_YAML, encoding="utf-8")
    rows = [{"id": "a", "type": "track", "title": "a slow calm piano piece", "mood_tag": "Calm"},
            {"id": "b", "type": "track", "title": "tense and nervous thriller score", "mood_tag": "TENSE"}]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "g.yaml").write_text(
        "name: g\ndata: gold.jsonl\nid_field: id\nitem_type: track\ninputs:\n  title: title\n"
        "tasks:\n  - name: mood_tag\n    kind: single_label\n    gold_field: mood_tag\n    signal: mood_tag\n",
        encoding="utf-8")
    out = tmp_path / "run.json"
    r = run_liner_in_process(["eval", tmp_path / "g.yaml", "-o", out, "--signals", tmp_path / "signals.yaml",
                              "--llm", "never", "--resamples", "50"])
    assert r.returncode == 0, r.stderr
    assert "can never be predicted" not in caplog.text + r.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert {i["id"]: i["gold"]["mood_tag"] for i in record["items"]} == {"a": "calm", "b": "tense"}


def test_a_taxonomy_signals_gold_may_name_an_entry_by_its_label(tmp_path: Path) -> None:
    (sig,) = parse_signals("name: show\nkind: multilabel\ntaxonomy: podcast-categories\ninstructions: x\n",
                           str(tmp_path / "s.yaml"))
    entry = next(e for e in sig.vocabulary if e[0] != e[1].lower())  # an id that differs from its label
    spec = GoldSpec.model_validate({"name": "g", "data": "x.jsonl", "id_field": "id", "inputs": {"title": "title"},
                                    "tasks": [{"name": "show", "kind": "multilabel", "gold_field": "show",
                                               "signal": "show"}]})
    items = [_Item(0, show=[entry[1].upper()])]
    canonical_signal_gold(spec, items, [sig])
    assert items[0].gold == {"show": [entry[0]]}

