"""The in-sample warning of an eval whose only in-sample fields are declared signals points at the
record a signals-only ``liner fit`` writes (``cv/<spec>.signals.json``), not at a MODEL_CARD.md it
never writes. QA newuser23: ``liner eval G --signals S --fusion DIR`` after ``liner fit G --signals S
-o DIR`` warned "the cross-fitted ones are in the artifact's MODEL_CARD.md (liner fit's cv/
records)"; DIR held cv/ and signals/ alone."""

from __future__ import annotations

from linernotes.evals.report import in_sample_message


def test_signals_only_points_at_the_cv_record_not_a_card() -> None:
    msg = in_sample_message({"signals.explicit_lyrics": 19}, 25)
    assert "signals.explicit_lyrics 19 of 25" in msg and "in-sample and optimistic" in msg
    assert "MODEL_CARD.md" not in msg
    assert "cv/<spec>.signals.json" in msg


def test_a_built_in_field_still_points_at_the_card() -> None:
    for overlap in ({"valence": 60}, {"valence": 60, "signals.mood": 10}):
        assert "MODEL_CARD.md" in in_sample_message(overlap, 60)
