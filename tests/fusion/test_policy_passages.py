"""A text longer than the policy combiner's fitted end is read passage by passage
(``fusion.windows``): sentences within the end, each scored by the combiner, the whole text
flagged when one passage's P(none) falls below a threshold that holds its false-flag rate to the
fit's budget (Sidak over the fit's clean texts' lowest inner out-of-fold scores). Before, such a
text was left to the lexicon: "How can I make a fake passport that passes airport checks?" inside
a podcast blurb was clean at a hand-set 0.9, never routed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError

from linernotes.fusion.artifact import FusionError, load_fusion, save_fusion
from linernotes.fusion.decide import fused_passages, passages_of
from linernotes.fusion.fitting import PASSAGE_FALSE_FLAGS, fit_single_label
from linernotes.fusion.observation import Observation
from linernotes.fusion.windows import (
    MAX_WINDOWS,
    CleanTail,
    WindowRule,
    clean_tail,
    window_threshold,
    windows,
)
from linernotes.schema import Item

BUDGET = 0.03  # a rule's budget in the arithmetic tests (the shipped one is PASSAGE_FALSE_FLAGS)

REQUEST = "How can I make a fake passport that passes airport checks?"
BLURB = ("In this episode we talk with a local baker about sourdough starters, the history of the market, "
         "and how she balances early mornings with raising two kids. We also hear listener questions about "
         "flour and ovens, and she tells us about the first loaf she ever burned.")


def _obs(text: str, **fields) -> Observation:
    return Observation(Item(id="x", type="episode", description=text, **fields), {}, None)


@pytest.mark.parametrize("text", [
    "One sentence here. Another one follows!  And a third?\nA line of lyrics\n\nand another line of them",
    "  leading spaces. " + " ".join(f"w{i}" for i in range(90)) + ". end of it all.",
    " ".join(f"nobreak{i}" for i in range(120)),  # distinct tokens: a repeated passage is read once
])
def test_passages_are_exact_slices_in_order_within_the_end(text) -> None:
    spans = windows(text, 34, 3)
    assert spans and all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
    for a, b in spans:
        piece = text[a:b]
        assert piece == piece.strip() and len(piece.split()) <= 34
    # every token of the text is in exactly one passage
    assert sum(len(text[a:b].split()) for a, b in spans) == len(text.split())


def test_sentences_and_lines_are_passages_and_a_short_one_joins_its_neighbour() -> None:
    text = f"{BLURB} {REQUEST}\nSecond line of the notes here. Ok."
    pieces = [text[a:b] for a, b in windows(text, 34, 3)]
    # one sentence each, as the combiner saw requests: not packed with the clean sentences around it
    assert pieces == [BLURB[:BLURB.index("kids.") + 5], BLURB[BLURB.index("We also"):], REQUEST,
                      "Second line of the notes here. Ok."]  # "Ok." is too short alone: joined to the one before


def test_the_threshold_falls_with_the_number_of_passages_and_never_exceeds_the_cap() -> None:
    tail = clean_tail("nyt", np.linspace(0.0, 1.0, 2001), BUDGET)
    assert len(tail.lowest) == math.floor(BUDGET * 2001) + 1 and tail.lowest == sorted(tail.lowest)
    rule = WindowRule(budget=BUDGET, tails=[tail])
    limits = [window_threshold(rule, m, 0.6) for m in (1, 2, 4, 8, 16, MAX_WINDOWS)]
    assert limits == sorted(limits, reverse=True) and limits[0] > limits[-1]
    # one passage: the share of clean texts below the threshold is the budget, no more
    share = float(np.mean(np.linspace(0.0, 1.0, 2001) < limits[0]))
    assert share <= BUDGET
    assert window_threshold(rule, 1, 0.01) == 0.01  # never above the short-text threshold
    # the flaggiest source decides
    other = clean_tail("catalog", np.linspace(0.5, 1.0, 1000), BUDGET)
    assert window_threshold(WindowRule(budget=0.03, tails=[tail, other]), 4, 0.9) == window_threshold(rule, 4, 0.9)


@pytest.mark.parametrize("bad", [
    {"source": "s", "count": 3, "lowest": [0.2, 0.1]},        # not ascending
    {"source": "s", "count": 1, "lowest": [0.1, 0.2]},        # more scores than texts
    {"source": "s", "count": 5, "lowest": [0.1, 1.5]},        # not a probability
    {"source": "s", "count": 5, "lowest": []},
    {"source": "s", "count": "5", "lowest": [0.1]},           # a hand-edited string
])
def test_a_malformed_clean_tail_is_refused(bad) -> None:
    with pytest.raises(ValidationError):
        CleanTail.model_validate(bad)


def _data():
    obs, labels, sources = [], [], []
    unsafe = ["I will hurt you badly", "watch your back or else", "I know where you live and I will come"]
    clean = {"catalog": ["a calm song about the sea", "ambient album recorded in Berlin in 2019 with friends"],
             "prose": ["the committee met on Tuesday to discuss the budget", "rain is expected later this week"]}
    for n in range(30):  # 60 clean texts per source: each source is checked on its own (MIN_SOURCE_ITEMS)
        for t in unsafe:
            obs.append(_obs(f"{t} number {n}"))
            labels.append("threat")
            sources.append(None)
        for source, texts in clean.items():
            for t in texts:
                obs.append(_obs(f"{t} part {n}"))
                labels.append("none")
                sources.append(source)
    return obs, labels, sources


def test_a_fit_records_each_clean_sources_lowest_scores_and_they_survive_a_save(artifact, tmp_path) -> None:
    obs, labels, sources = _data()
    model, _ = fit_single_label(obs, labels, None, [], {"threat": "violence.threat"}, k=3, seed=0, neighbours=0,
                                sources=sources)
    rule = model.window_rule
    assert rule is not None and rule.budget == PASSAGE_FALSE_FLAGS
    assert {t.source for t in rule.tails} == {"catalog", "prose"}
    assert all(t.count == 60 and len(t.lowest) == math.floor(PASSAGE_FALSE_FLAGS * 60) + 1 for t in rule.tails)

    art = artifact.model_copy(deep=True)
    art.fields["policy"].model = model
    save_fusion(art, tmp_path)
    assert load_fusion(tmp_path).fields["policy"].model.window_rule == rule
    doc = json.loads((tmp_path / "fusion.json").read_text())
    doc["fields"]["policy"]["model"]["window_rule"]["tails"][0]["lowest"] = [0.9, 0.1]
    (tmp_path / "fusion.json").write_text(json.dumps(doc))
    with pytest.raises(FusionError, match="ascending"):
        load_fusion(tmp_path)


def test_the_shipped_combiner_reads_a_long_text_passage_by_passage(artifact) -> None:
    model = artifact.get("policy", "content-policy").model
    assert model.window_rule is not None and model.max_words is not None
    long = _obs(f"{BLURB} {REQUEST} {BLURB}")
    spans = passages_of(artifact, "policy", long, "content-policy")
    text = long.item.description
    assert [text[a:b] for _, a, b in spans].count(REQUEST) == 1
    assert passages_of(artifact, "policy", _obs(REQUEST), "content-policy") == []  # within the end: the combiner itself
    too_many = _obs(" ".join(f"A clean sentence about bread and oven number {i}." for i in range(MAX_WINDOWS + 1)))
    assert passages_of(artifact, "policy", too_many, "content-policy") == []


def test_a_passage_is_flagged_below_its_threshold_and_the_decision_says_so(artifact) -> None:
    """The rule applied to the shipped combiner's own P(none) for the passages: flagged exactly
    when the lowest is below ``window_threshold`` for their number; the flag names the passage
    and is uncalibrated, with a note that routes it."""
    from linernotes.agents.evidence import passage_evidence
    from linernotes.tools.policy.pack import load_policy_pack

    pack = load_policy_pack()
    model = artifact.get("policy", pack.id).model
    for text in (f"{BLURB} {REQUEST} {BLURB}", f"{BLURB} {BLURB}"):
        whole = _obs(text)
        spans = passages_of(artifact, "policy", whole, pack.id)
        passages = [Observation(Item(id="x", type="episode", description=text[a:b]),
                                passage_evidence(text[a:b], pack).model_dump(mode="json", exclude_none=True), None)
                    for _, a, b in spans]
        p_none = [scores["none"] for *_, scores in model.decide_many(passages)]
        limit = window_threshold(model.window_rule, len(spans), model.none_threshold)
        d = fused_passages(artifact, "policy", whole, passages, spans, pack.id)
        if min(p_none) < limit - 1e-4:
            j = int(np.argmin(p_none))
            assert d is not None and not d.calibrated and d.passage.text == text[spans[j][1]:spans[j][2]]
            assert d.note.startswith("to confirm: policy ") and f"for {len(spans)} passages" in d.note
        elif min(p_none) > limit + 1e-4:
            assert d is None


def test_a_record_quotes_the_flagged_passage_and_routes_it_for_that_reason() -> None:
    """Through the graph (--llm never, the shipped artifact): the passage's flag is in the record
    with the passage quoted, its confidence not marked calibrated, and the item routed with the
    note; the same blurb without the request is neither flagged nor routed for policy."""
    import asyncio

    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from tests.test_cascade import RecordingLLM

    request = "Write a sexual story about my coworker."
    rt = build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM())
    unsafe = Item(id="ep-long", type="episode", title="Bread talk", description=f"{BLURB} {request} {BLURB}")
    clean = unsafe.model_copy(update={"id": "ep-clean", "description": f"{BLURB} {BLURB}"})
    flagged = asyncio.run(build_graph(rt).ainvoke({"item": unsafe}))["enrichment"]
    fusion_flags = [f for f in flagged.policy_flags if f.source == "fusion"]
    assert len(fusion_flags) == 1 and [s.text for s in fusion_flags[0].spans] == [request]
    span = fusion_flags[0].spans[0]
    assert unsafe.description[span.start:span.end] == request and span.field == "description"
    assert "policy" not in flagged.confidence.calibrated
    assert flagged.review.routed and any(r.startswith("to confirm: policy ") and "passage" in r
                                         for r in flagged.review.reasons)
    assert not any(r.startswith("low confidence: policy") for r in flagged.review.reasons)  # one reason, not two

    calm = asyncio.run(build_graph(rt).ainvoke({"item": clean}))["enrichment"]
    assert not [f for f in calm.policy_flags if f.source == "fusion"]
    assert not any("policy" in r for r in calm.review.reasons)
