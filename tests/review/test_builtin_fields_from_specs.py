"""The built-in fields' review kinds come from their shipped specs (signals/builtin/*.yaml), the
way a declared signal's do; review keeps only its knowledge of the gold files' column layouts."""

from __future__ import annotations

from linernotes.review import fields
from linernotes.signals import builtin


def test_review_kinds_of_the_builtins_are_read_from_their_specs(monkeypatch) -> None:
    kinds = {f.name: f.kind for f in fields.known_fields()}
    assert kinds == {"valence": "interval", "genres": "set", "moods": "set", "language": "nominal",
                     "explicit": "nominal"}  # what review used before the specs decided it
    shipped = builtin.builtin_specs()
    changed = {**shipped, "moods": shipped["moods"].model_copy(update={"kind": "single_label"})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: changed)
    fields.known_fields.cache_clear()
    try:
        assert {f.name: f.kind for f in fields.known_fields()}["moods"] == "nominal"
        assert [f.name for f in fields.detect_fields({"id": "x", "moods": "calm", "mean": 1.0})] == ["valence", "moods"]
    finally:
        fields.known_fields.cache_clear()


def test_review_vocabularies_of_the_builtins_follow_their_specs(monkeypatch) -> None:
    from linernotes.review import vocab

    assert vocab.vocabulary("explicit") == (["false", "true"], "true/false")
    assert vocab.packs("genres") == ("music-genres", "podcast-categories")  # + the run's episode pack
    assert vocab.packs("moods") == ("moods",) and vocab.vocabulary("language") == (None, "")
    shipped = builtin.builtin_specs()
    changed = {**shipped, "moods": shipped["moods"].model_copy(update={"taxonomy": "podcast-categories"}),
               "explicit": shipped["explicit"].model_copy(update={"kind": "text"})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: changed)
    vocab.pack_ids.cache_clear()
    try:
        ids, source = vocab.vocabulary("moods")
        assert source.startswith("podcast-categories") and "true-crime" in ids
        assert vocab.vocabulary("explicit") == (None, "")  # no longer a boolean: no true/false list
    finally:
        vocab.pack_ids.cache_clear()
