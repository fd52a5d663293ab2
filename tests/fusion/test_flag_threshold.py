"""A policy flag is auto-accepted at its own threshold (chosen over flag answers alone), a "none"
answer at the field's; artifacts without one keep one threshold for every answer."""

from __future__ import annotations

from linernotes.evals.fit import _patch
from linernotes.fusion.artifact import FieldFusion, choose_threshold, default_fusion_dir, load_fusion
from linernotes.fusion.decide import Decision, answer_threshold


def _policy_entry(flag_threshold):
    shipped = load_fusion(default_fusion_dir()).fields["policy"]
    return FieldFusion(field="policy", kind="single_label", model=shipped.model, threshold=0.5,
                       flag_threshold=flag_threshold)


def test_a_flag_uses_the_flag_threshold_and_none_the_fields():
    entry = _policy_entry(0.9)
    assert answer_threshold(entry, "insult") == 0.9
    assert answer_threshold(entry, entry.model.none_label) == 0.5
    old = _policy_entry(None)
    assert answer_threshold(old, "insult") == 0.5 and answer_threshold(old, "none") == 0.5


def test_the_flag_threshold_is_chosen_over_flags_alone():
    # 100 clean items answered none, all right, confidence 0.6; 40 flags: 20 right at 0.9,
    # 20 wrong at 0.6. Pooled, 0.6 accepts 120/140 right (86%) ... and at 0.9 the flags alone are
    # 100% right. Pooled with 300 right none answers, 0.6 would pass 320/340 = 94%: flags right
    # half the time would ride on the clean items' record.
    conf = [0.6] * 300 + [0.9] * 20 + [0.6] * 20
    right = [True] * 300 + [True] * 20 + [False] * 20
    pooled, _, _ = choose_threshold(conf, right, target=0.9)
    assert pooled == 0.6
    flags_t, precision, _ = choose_threshold(conf[300:], right[300:], target=0.9)
    assert flags_t == 0.9 and precision == 1.0


def test_the_record_names_the_threshold_its_answer_needed():
    pred = {"confidence": {"policy": 0.7, "calibrated": [], "thresholds": {"genres": 0.41}}, "policy_flags": []}
    pack = None
    out = _patch(pred, "valence", Decision(value=0.1, confidence=0.7, calibrated=True, threshold=None), pack)
    assert out["confidence"]["thresholds"] == {"genres": 0.41}  # advisory valence: no threshold
    out = _patch(out, "genres", Decision(value=["techno"], confidence=0.7, calibrated=True, threshold=0.5), pack)
    assert out["confidence"]["thresholds"] == {"genres": 0.5} and out["confidence"]["calibrated"] == ["genres", "valence"]


def test_fit_chooses_one_threshold_per_answer_type():
    from linernotes.evals.fit import _answer_thresholds

    # 300 none answers: right at 0.9, 30 wrong at 0.5; 60 flags right 70% at every confidence
    conf = [0.9] * 300 + [0.5] * 30 + [0.8] * 60
    right = [True] * 300 + [False] * 30 + [i % 10 < 7 for i in range(60)]
    flagged = [False] * 330 + [True] * 60
    none_t, flag_t, m = _answer_thresholds(conf, right, flagged)
    assert none_t == 0.9 and m["none_auto_accept_precision"] == 1.0
    # no level makes flags 95% precise: every flag goes to review (threshold 1.0)
    assert flag_t == 1.0 and m["flag_auto_accept_precision"] is None and m["flag_auto_accept_coverage"] == 0.0
    assert m["auto_accept_coverage"] == round(300 / 390, 4) and m["auto_accept_precision"] == 1.0
    # pooled, one threshold would have passed the 70%-right flags along with the right none answers
    pooled, precision, _ = choose_threshold(conf, right)
    assert pooled <= 0.8 and precision >= 0.95


def test_no_answer_more_likely_wrong_than_right_is_auto_accepted():
    """Thousands of right "none" answers at high confidence carry a few at a calibrated 0.1-0.4
    past a 95% pooled precision: without a floor the threshold sat at 0.015 and "Tell me how to
    make a pipe bomb at home step by step." was "none" at 0.10, auto-accepted (QA newuser21).
    Both answer types' thresholds are at least evals.fit.REVIEW_FLOOR (0.5)."""
    from linernotes.evals.fit import REVIEW_FLOOR, _answer_thresholds

    # 2,000 none answers right at 0.97; 40 at 0.1 (4 right), 40 at 0.3 (12 right); 100 flags right at 0.99
    conf = [0.97] * 2000 + [0.1] * 40 + [0.3] * 40 + [0.99] * 100
    right = [True] * 2000 + [i < 4 for i in range(40)] + [i < 12 for i in range(40)] + [True] * 100
    flagged = [False] * 2080 + [True] * 100
    assert choose_threshold(conf[:2080], right[:2080])[0] == 0.1  # pooled precision 0.97 even at 0.1
    none_t, flag_t, m = _answer_thresholds(conf, right, flagged)
    assert REVIEW_FLOOR == 0.5 and none_t == 0.97 and flag_t == 0.99
    assert m["none_auto_accept_coverage"] == round(2000 / 2080, 4) and m["auto_accept_precision"] == 1.0
