"""The cross-fitted record (``liner fit``'s ``cv/<spec>.json``) puts each sample item's
out-of-fold decision into the record the sample's run wrote. That run may have had a fusion
artifact of its own: the shipped one, fitted on these very items (a ``liner eval`` made without
``--fusion none``). Nothing of that decision may survive beside the out-of-fold one: session 22's
refit read runs tagged with the shipped artifact, and its cross-fitted record said policy accuracy
0.81 and flag recall 1.0 where the out-of-fold answers were 0.59 and 0.88."""

from __future__ import annotations

from linernotes.config import TagConfig
from linernotes.evals.fit import _patch
from linernotes.fusion.decide import Decision
from linernotes.schema import Review
from linernotes.tools.policy.pack import load_policy_pack


def _run_record() -> dict:
    """A policy prediction as a run with the shipped artifact writes it: the in-sample fused flag
    (threat), a lexicon flag the fusion confirmed (insult), a lexicon flag alone (profanity), and
    the route's reasons for policy and genres."""
    return {
        "genres": ["techno"],
        "policy_flags": [
            {"policy_id": "violence", "clause_id": "violence.threat", "severity": 3, "spans": [], "source": "fusion",
             "confidence": 0.93},
            {"policy_id": "explicit-language", "clause_id": "profanity.insult", "severity": 2,
             "spans": [{"field": "description", "start": 0, "end": 5, "text": "idiot"}], "source": "lexicon+fusion",
             "confidence": 0.81},
            {"policy_id": "explicit-language", "clause_id": "profanity.general", "severity": 2,
             "spans": [{"field": "description", "start": 6, "end": 10, "text": "damn"}], "source": "lexicon",
             "confidence": None},
        ],
        "confidence": {"genres": 0.4, "policy": 0.93, "calibrated": ["policy"], "thresholds": {"policy": 0.9}},
        "review": {"routed": True, "reasons": ["low confidence: genres 0.40 < 0.50", "policy severity 3"]},
    }


def _pack():
    return load_policy_pack(TagConfig().policy_pack)


def test_an_out_of_fold_none_leaves_no_in_sample_fused_flag_and_no_routing_of_its_own() -> None:
    out = _patch(_run_record(), "policy", Decision(value=None, label="none", confidence=0.62, calibrated=True,
                                                    threshold=0.5), _pack())
    flags = {f["clause_id"]: f for f in out["policy_flags"]}
    assert set(flags) == {"profanity.insult", "profanity.general"}  # the lexicon's flags stay, the fused one goes
    assert flags["profanity.insult"]["source"] == "lexicon" and flags["profanity.insult"]["confidence"] is None
    assert flags["profanity.insult"]["spans"][0]["text"] == "idiot"
    # the record's policy answer is the lexicon's flag, so its confidence is the combiner's P(not
    # none), uncalibrated, and the disagreement is routed as the graph routes it (agents.decisions.
    # lexicon_dissent; before, 0.62 for 'none' stood as the flag's, calibrated, under threshold 0.5)
    assert out["confidence"]["policy"] == 0.38 and "policy" not in out["confidence"]["thresholds"]
    assert "policy" not in out["confidence"]["calibrated"]
    assert Review.fields_in(out["review"]) == {"genres", "policy"} and out["review"]["routed"] is True
    note = [r for r in out["review"]["reasons"] if r.startswith("to confirm: policy: the lexicon flags")]
    assert len(note) == 1 and "profanity.insult ('idiot')" in note[0] and "profanity.general ('damn')" in note[0]
    # no lexicon flag: the out-of-fold 'none' is the answer, with its calibrated confidence
    rec = _run_record()
    rec["policy_flags"] = rec["policy_flags"][:1]  # the in-sample fused flag alone
    out = _patch(rec, "policy", Decision(value=None, label="none", confidence=0.62, calibrated=True, threshold=0.5),
                 _pack())
    assert out["policy_flags"] == [] and out["confidence"]["policy"] == 0.62
    assert out["confidence"]["thresholds"]["policy"] == 0.5 and "policy" in out["confidence"]["calibrated"]
    assert Review.fields_in(out["review"]) == {"genres"}


def test_an_out_of_fold_flag_is_the_only_fused_one() -> None:
    rec = _run_record()
    rec["review"]["reasons"] = ["policy severity 3"]
    out = _patch(rec, "policy", Decision(value="profanity.general", label="profanity", confidence=0.7, calibrated=True,
                                         threshold=0.9), _pack())
    fused = [f for f in out["policy_flags"] if f["source"] in ("fusion", "lexicon+fusion")]
    assert [(f["clause_id"], f["source"], f["confidence"]) for f in fused] == [("profanity.general", "lexicon+fusion", 0.7)]
    assert out["policy_flags"][0]["clause_id"] == "profanity.general"  # the record's category comes first
    assert out["review"] == {"routed": False, "reasons": []}
    assert rec["policy_flags"][0]["source"] == "fusion"  # the run's record itself is not changed
