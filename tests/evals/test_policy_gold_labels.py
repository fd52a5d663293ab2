"""Policy gold no prediction can match (found by QA, session 14): a category outside the spec's
clause_map values and 'none' (a typo such as 'profanty') was scored wrong on every run without a
word, and a list cell (``"label": ["insult"]``) became the category "['insult']". Now eval warns
about the first, naming the file, the count and examples, and refuses the second naming the id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import check_gold_values, load_gold
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, labels: list) -> Path:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"p{n}", "text": f"some prompt {n}", "label": lab, "src": f"s{n % 2}"})
                            + "\n" for n, lab in enumerate(labels)), encoding="utf-8")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: p\ndata: {data}\ngroup_field: src\ninputs: {{description: text}}\n"
                    "tasks: [{name: policy, kind: policy, gold_field: label, "
                    "clause_map: {profanity.general: profanity, profanity.insult: insult}}]\n", encoding="utf-8")
    return spec


def test_a_category_no_prediction_can_have_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = _world(tmp_path, ["insult", "profanty", "none", "profanity", "threat", "insult"])
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    (message,) = check_gold_values(load_spec(spec), gold.items)
    assert message.startswith("gold of task policy on 2 items is a category no prediction can have (not 'none' nor "
                              "a value of the spec's clause_map: insult, none, profanity), e.g. 'p1': 'profanty', "
                              "'p4': 'threat'")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0",
                              "--fusion", "none"])
    assert r.returncode == 0, r.stderr
    assert f"{tmp_path / 'g.jsonl'}: gold of task policy on 2 items is a category" in caplog.text, caplog.text
    assert check_gold_values(load_spec(_world(tmp_path, ["insult", "none"])), load_gold(
        load_spec(tmp_path / "p.yaml"), tmp_path / "g.jsonl").items) == []


def test_a_list_as_single_label_gold_is_refused_naming_the_item(tmp_path: Path) -> None:
    spec = _world(tmp_path, ["insult", ["insult"], "none"])
    with pytest.raises(SpecError, match=r"g.jsonl: id 'p1': label: policy gold is one category, got an array "
                                        r'\["insult"\]'):
        load_gold(load_spec(spec), tmp_path / "g.jsonl")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0"])
    assert r.returncode == 2 and "id 'p1': label: policy gold is one category" in r.stderr, r.stderr


def test_a_category_spelt_with_other_case_space_or_unicode_form_is_that_category(tmp_path: Path) -> None:
    """'Profanity', ' insult ', 'NONE' and fullwidth 'ｉｎｓｕｌｔ' are the categories a prediction has
    (as a declared signal's gold is read); before, each was scored wrong on every run."""
    spec = _world(tmp_path, ["Profanity", " insult ", "NONE", "ｉｎｓｕｌｔ", "threat"])
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert [g.gold["policy"] for g in gold.items] == ["profanity", "insult", "none", "insult", "threat"]
    (message,) = check_gold_values(load_spec(spec), gold.items)
    assert "on 1 items" in message and "'p4': 'threat'" in message
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0",
                              "--fusion", "none"])
    assert r.returncode == 0, r.stderr
    record = json.loads((tmp_path / "run.json").read_text())
    assert [it["gold"]["policy"] for it in record["items"]] == ["profanity", "insult", "none", "insult", "threat"]
