"""A gold spec whose items the signal never applies to (found by QA, session 13): a signal with
``applies_to: [episode]`` scored by a spec of tracks (``item_type: track``, the default) was never
asked, so every item was scored without a value (coverage 0) and the baseline was skipped as 'the
signal has no shortlist evidence', though it had. Now eval and fit refuse it naming both (a
spec's items all take its item_type: inputs cannot map a type)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError, check_signal_tasks, load_spec
from linernotes.signals.spec import parse_signals

SIGNALS = parse_signals("name: topic\nkind: single_label\nlabels: [news, sport]\napplies_to: [episode]\n"
                        "instructions: What the episode is about.\nevidence: [shortlist]\n", "s.yaml")


def _spec(tmp_path: Path, head: str) -> object:
    path = tmp_path / "g.yaml"
    path.write_text(f"name: g\ndata: g.jsonl\nid_field: id\n{head}tasks:\n"
                    "  - name: topic\n    kind: single_label\n    gold_field: topic\n    signal: topic\n",
                    encoding="utf-8")
    return load_spec(path)


def test_a_spec_of_tracks_cannot_score_an_episode_signal(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "inputs:\n  title: title\n")
    with pytest.raises(SpecError, match=r"task topic scores signal topic, which applies to episode; this spec's "
                                        r"items are track \(item_type\), so none would get a value"):
        check_signal_tasks(spec, SIGNALS)


def test_a_spec_of_episodes_is_accepted(tmp_path: Path) -> None:
    check_signal_tasks(_spec(tmp_path, "item_type: episode\ninputs:\n  title: title\n"), SIGNALS)
