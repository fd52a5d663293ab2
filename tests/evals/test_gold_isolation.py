"""The fields that hold the answers never reach the tagger: not the Item, not the tagger's input
file, not the rendered prompt (with the real tools' evidence).

Real dev rows are used with their answer columns (and ids, which can spell the answer, e.g.
``dna-human_chatbox-070``) replaced by canary values, so a leak is unambiguous even where a
label is also an ordinary vocabulary word in the prompt (``profanity``).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from linernotes.config import TagConfig
from linernotes.evals.gold import load_gold, to_tagger_item, write_tagger_input
from linernotes.evals.spec import load_spec, resolve_data

# every column that carries (or was the source of) an answer, per shipped spec
SECRETS = {"bandcamp-genres": ["tags", "gold_genres"], "vader-valence": ["ratings", "mean", "sd"],
           "policy-prompts": ["label", "label_source"], "ci-slice": ["gold_genres", "ratings", "category"]}
CANARY_NUMBER = 3.98765


@pytest.fixture(scope="module")
def runtime():
    from linernotes.agents.runtime import build_runtime
    from linernotes.llm.client import LLMConfig

    return build_runtime(TagConfig(llm=LLMConfig(use_cache=False)))


def _canaried(path, columns, n=25):
    rows = []
    with open(path, encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            if k % 7:  # spread over the file: gold files are sorted by label
                continue
            r = json.loads(line)
            r["id"] = f"CANARYID{k}-{r['id']}"
            for c in columns:
                if c not in r:
                    continue
                if c in ("ratings",):
                    r[c] = [CANARY_NUMBER, -CANARY_NUMBER, CANARY_NUMBER]
                elif c in ("mean", "sd"):
                    r[c] = CANARY_NUMBER
                elif c == "gold_genres":
                    r[c] = [f"canarygenre{k}"]
                else:
                    r[c] = f"CANARY{c}{k}"
            rows.append(r)
            if len(rows) == n:
                break
    return rows


def _prompt(item, runtime):
    from linernotes.agents.nodes.extract import render_messages
    from linernotes.agents.nodes.gather import gather
    from linernotes.agents.nodes.run_tools import run_tools

    state = {"item": item}
    state.update(gather(state, runtime))
    state.update(asyncio.run(run_tools(state, runtime)))
    return "\n".join(m["content"] for m in render_messages(state, runtime))


@pytest.mark.slow  # runs the real tools for 100 items
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_gold_columns_never_reach_item_input_file_or_prompt(name, shared_data, runtime, tmp_path):
    spec = load_spec(name)
    src = tmp_path / "gold.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _canaried(resolve_data(spec), SECRETS[name])))
    gold = load_gold(spec, src)
    assert any(g.gold for g in gold.items)  # the canaries were read as gold
    write_tagger_input(spec, gold.items, tmp_path / "in.jsonl")
    allowed = {"id", "type", *spec.inputs}
    tagger_text = (tmp_path / "in.jsonl").read_text()
    for line in tagger_text.splitlines():
        assert set(json.loads(line)) <= allowed
    for g in gold.items:
        item = to_tagger_item(spec, g)
        assert item.extra == {}
        for text in (item.model_dump_json(), _prompt(item, runtime), tagger_text):
            lowered = text.lower()
            assert "canary" not in lowered, (g.id, text[:300])
            assert str(CANARY_NUMBER) not in text
            assert str(CANARY_NUMBER / 4) not in text


def test_a_column_outside_the_allowlist_is_dropped(tmp_path):
    spec = load_spec("vader-valence")
    f = tmp_path / "g.jsonl"
    f.write_text(json.dumps({"id": "x1", "source": "s", "text": "what a lovely day", "ratings": [3, 4],
                             "answer_hint": "LEAK-ME"}) + "\n")
    gold = load_gold(spec, f)
    item = to_tagger_item(spec, gold.items[0])
    assert "LEAK-ME" not in item.model_dump_json()
    assert item.id != "x1"  # the tagger gets an opaque id
    assert gold.items[0].gold["valence"] == pytest.approx(3.5 / 4)
