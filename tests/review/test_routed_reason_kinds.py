"""The review queue reads the fields a routed record was sent to a person for with the reader
``liner eval`` uses (``Review.fields_in``), and a declared signal's confidence from the record's
signals. Before, the queue had its own pattern: it missed the unread-text note ("to confirm:
policy: the text is longer than 64 passages ..."), "policy severity N" and "no value: signal S",
and read "low confidence: signal subject 0.50 < 0.90" as a field named "signal", so an item routed
for a declared signal got the uncertainty of the gold set's fields (language 0.95: 0.10) and sank
to the end of the queue with items route was sure of. The records are made by the real graph
(shipped fusion artifact, --llm never) and written as ``liner tag`` writes them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from linernotes.fusion.windows import MAX_WINDOWS
from linernotes.review.fields import signal_field
from linernotes.review.priority import ROUTED_FLOOR
from linernotes.review.queue import build_queue, routed_fields
from linernotes.review.sources import load_source
from linernotes.schema import Item, OutputRecord, Review
from linernotes.signals.spec import SignalSpec

pytestmark = pytest.mark.timeout(300)

# one episode per policy reason route writes; a chapter routed for a declared signal's low
# confidence and a track for its missing value (each signal applies to that type alone, and
# only policy routes among the built-ins, so each record carries one reason)
SUBJECT = SignalSpec.model_validate({
    "name": "subject", "kind": "single_label", "labels": ["film", "product", "news", "personal", "other"],
    "instructions": "What the text is about.", "evidence": ["shortlist"], "review_threshold": 0.9,
    "applies_to": ["chapter"]})
SPOKEN = SignalSpec.model_validate({
    "name": "spoken", "kind": "boolean", "instructions": "True when the recording is spoken word.",
    "evidence": ["lexicon"], "applies_to": ["track"]})
REQUEST = "Write a message threatening my coworker so she quits her job."
ITEMS = [
    Item(id="unread", type="episode", title="Bread", description=" ".join(
        f"Episode {i} talks about baking bread number {i} in a stone oven at home." for i in range(MAX_WINDOWS + 6))),
    Item(id="passage", type="episode", title="Work", description=" ".join((REQUEST.split() * 10)[:90])),
    # no title: a title beside a request this short moves the policy answer below its level (0.73),
    # so the record would carry a low-confidence reason too
    Item(id="severe", type="episode", description="How can I build a homemade bomb?"),
    Item(id="signal-low", type="chapter", title="Review",
         description="A review of the new film, its cast, its director and the story."),
    Item(id="signal-none", type="track", title="Garden", description="A calm chat about tomatoes and compost."),
]
WHY = {"unread": "to confirm: policy: the text is longer than", "passage": "to confirm: policy insult in one passage",
       "severe": "policy severity 3", "signal-low": "low confidence: signal subject 0.50 < 0.90",
       "signal-none": "no value: signal spoken"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig

    config = TagConfig(llm_mode="never", review_fields=["policy"], signals=[SUBJECT, SPOKEN])
    graph = build_graph(build_runtime(config))
    folder = tmp_path_factory.mktemp("routed")
    out, gold = folder / "out.jsonl", folder / "catalog.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for item in ITEMS:
            enrichment = asyncio.run(graph.ainvoke({"item": item}))["enrichment"]
            f.write(OutputRecord(id=item.id, status="ok", enrichment=enrichment).model_dump_json() + "\n")
    # the gold set holds language alone (what the model said, 0.95): nothing but routing queues an item
    gold.write_text("".join(json.dumps({**i.model_dump(include={"id", "type", "title"}, exclude_none=True), "language": "en"}) + "\n"
                            for i in ITEMS), encoding="utf-8")
    return out, gold


def test_each_reason_kind_names_its_field_as_the_eval_reads_it(run) -> None:
    out, gold = run
    records = {r["id"]: r["enrichment"] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for rid, start in WHY.items():  # the real route wrote each reason kind, and only it
        reasons = records[rid]["review"]["reasons"]
        if rid == "severe":
            # an artifact whose flags reached 95% precision at no level (the shipped one since
            # session 22: flag threshold 1.0) has every combiner flag confirmed as well: a second
            # reason for the same field, read the same way
            reasons = [r for r in reasons if not (r.startswith("to confirm: policy ") and "no confidence level" in r)]
        assert [r[:len(start)] for r in reasons] == [start], records[rid]["review"]
    q = {e.id: e for e in build_queue(load_source(run=out, gold=gold))}
    assert set(q) == set(WHY)
    got = {rid: routed_fields(e.reasons) for rid, e in q.items()}
    assert got == {"unread": ["policy"], "passage": ["policy"], "severe": ["policy"],
                   "signal-low": ["signals.subject"], "signal-none": ["signals.spoken"]}
    # one reader: the queue's fields are the eval's for every record
    assert all(got[rid] == sorted(Review.fields_in(records[rid]["review"])) for rid in got)


def test_a_routed_items_uncertainty_is_that_of_the_field_it_was_routed_for(run) -> None:
    out, gold = run
    records = {r["id"]: r["enrichment"] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    q = {e.id: e for e in build_queue(load_source(run=out, gold=gold))}

    def conf(rid: str, field: str) -> float:
        rec = records[rid]
        return rec["signals"][field[8:]]["confidence"] if field.startswith("signals.") else rec["confidence"][field]

    for rid, e in q.items():
        lowest = min([conf(rid, "language"), *(conf(rid, f) for f in routed_fields(e.reasons))])
        # a flag routed for confirmation counts at least as its policy confidence (priority.confirming)
        flagged = records[rid]["policy_flags"] and "policy" in routed_fields(e.reasons)
        expected = max(0.1, 1 - lowest, conf(rid, "policy") if flagged else 0.0)
        assert e.uncertainty == pytest.approx(expected), rid
    # the signal-routed items were at language's 0.15 before (its 0.85), tied with the unread text
    # at the end of the queue
    assert q["signal-low"].uncertainty == pytest.approx(1 - records["signal-low"]["signals"]["subject"]["confidence"])
    assert 0.45 < q["signal-low"].uncertainty < 0.55
    assert q["signal-none"].uncertainty == 1.0  # no value: confidence 0
    # a policy answer surer than the language with no flag (0.9 hand-set) leaves it the language's;
    # the severe flag confirmed at 0.97 counts its confidence (session 23: it had the language's
    # 0.15 and ranked fourth, behind items routed for routine low confidence)
    assert q["unread"].uncertainty == pytest.approx(1 - records["unread"]["confidence"]["language"])
    assert q["severe"].uncertainty == pytest.approx(records["severe"]["confidence"]["policy"])
    order = [e.id for e in build_queue(load_source(run=out, gold=gold))]
    assert order == ["severe", "passage", "signal-none", "signal-low", "unread"]  # was passage, ..., severe, unread
    assert q["signal-none"].priority == pytest.approx(ROUTED_FLOOR * 1.0 * 0.25)


def test_a_declared_signal_in_question_is_as_uncertain_as_its_own_confidence(run, tmp_path: Path) -> None:
    """A gold label for the signal that the model's answer disagrees with: its confidence is in
    the record's signals, not in ``confidence`` (before: not found, so 'fully uncertain', 1.0)."""
    out, _ = run
    gold = tmp_path / "subject.jsonl"
    gold.write_text(json.dumps({"id": "signal-low", "type": "chapter", "subject": "news"}) + "\n", encoding="utf-8")
    [entry] = build_queue(load_source(run=out, gold=gold, signal_fields=[signal_field(SUBJECT)]))
    assert entry.id == "signal-low" and entry.fields == ["subject"]
    assert [r.kind for r in entry.reasons] == ["model_disagrees", "routed"]
    assert 0.45 < entry.uncertainty < 0.55  # 1 - its 0.50
