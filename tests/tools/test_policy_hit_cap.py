"""The lexicon quotes at most ``MAX_HITS_PER_CLAUSE`` spans per clause: a long profane text no
longer makes a megabyte record, and what every consumer reads of the hits (a clause's strongest
severity, whether any hit) is the same as from all of them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from linernotes.fusion.features import policy_dense
from linernotes.fusion.observation import Observation
from linernotes.schema import Item
from linernotes.tools.policy import lookup as lookup_module
from linernotes.tools.policy.lookup import MAX_HITS_PER_CLAUSE, keep_strongest, lookup
from linernotes.tools.policy.pack import load_policy_pack


@pytest.fixture(scope="module")
def pack():
    return load_policy_pack()


def _lyrics() -> str:
    # 300 mild hits, then the clause's most severe word twice near the end, then 20 more mild ones
    return "\n".join(["damn it all"] * 300 + ["you fuck", "what the fuck"] + ["damn"] * 20)


def test_a_clause_keeps_its_most_severe_hits_in_text_order_and_says_how_many_there_were(pack) -> None:
    text = _lyrics()
    report = lookup({"lyrics": text}, pack)
    general = [h for h in report.hits if h.clause_id == "profanity.general"]
    assert len(general) == MAX_HITS_PER_CLAUSE
    assert report.total is not None and report.total >= 322
    assert max(h.severity for h in general) == 4, "the late severe hits survive the cap"
    assert [h.span.start for h in report.hits] == sorted(h.span.start for h in report.hits)
    assert all(text[h.span.start:h.span.end] == h.span.text for h in report.hits)
    few = lookup({"lyrics": "damn, what the fuck"}, pack)
    assert few.total is None and len(few.hits) == 2


def test_keep_strongest_leaves_a_short_list_alone_and_bounds_every_clause(pack) -> None:
    hits = lookup({"lyrics": _lyrics() + "\nkill you kill you kill you"}, pack).hits
    assert keep_strongest(hits, 10_000) == hits
    for k in (1, 3, 7):
        kept = keep_strongest(hits, k)
        clauses = {h.clause_id for h in hits}
        assert {h.clause_id for h in kept} == clauses
        for c in clauses:
            mine = [h for h in kept if h.clause_id == c]
            assert len(mine) <= k
            assert max(h.severity for h in mine) == max(h.severity for h in hits if h.clause_id == c)


def test_the_policy_combiners_features_are_those_of_every_hit(pack, monkeypatch) -> None:
    item = Item(id="x", type="track", title="t", lyrics=_lyrics())
    capped = lookup(item.text_fields(), pack)
    monkeypatch.setattr(lookup_module, "MAX_HITS_PER_CLAUSE", 10**9)
    full = lookup(item.text_fields(), pack)
    assert len(full.hits) == capped.total and full.total is None
    clauses = sorted({c.id for p in pack.policies for c in p.clauses})

    def features(report) -> np.ndarray:
        ev = {"policy_hits": [json.loads(h.model_dump_json()) for h in report.hits]}
        return policy_dense(Observation(item=item, evidence=ev, draft=None), clauses)

    assert np.array_equal(features(capped), features(full))


@pytest.mark.slow  # the real CLI builds the tool runtime
def test_a_long_profane_item_makes_a_small_record_that_says_what_was_left_out(tmp_path, liner_in_process, pack,
                                                                              monkeypatch) -> None:
    lyrics = "\n".join(["fuck this shit, damn"] * 3000)
    with monkeypatch.context() as m:
        m.setattr(lookup_module, "MAX_HITS_PER_CLAUSE", 10**9)
        every = len(lookup({"lyrics": lyrics}, pack).hits)
    assert every >= 6000
    cat = tmp_path / "c.jsonl"
    cat.write_text(json.dumps({"id": "loud", "title": "Loud", "lyrics": lyrics}) + "\n")
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", cat, "-o", out, "--llm", "never"])
    assert r.returncode == 0, r.stderr
    line = out.read_text()
    rec = json.loads(line)["enrichment"]
    assert len(line) < 150_000, f"{len(line):,} bytes"  # was ~1.3 MB
    assert rec["evidence"]["policy_hits_total"] == every
    assert rec["explicit"]["value"] is True
    assert all(len(f["spans"]) <= MAX_HITS_PER_CLAUSE for f in rec["policy_flags"])
