"""The extract call's compact answer types each built-in field by its shipped spec's kind
(``signals.builtin``: multilabel -> a list of candidate handles, scalar -> a level -2..2, text ->
one code, boolean -> a bool), and the answer is read back into the draft by kind; the node used
to spell one type per field name."""

from __future__ import annotations

from linernotes.agents.nodes import extract
from linernotes.llm.client import schema_of
from linernotes.signals import builtin


def _props(fields: tuple[str, ...]) -> dict:
    extract.compact_model.cache_clear()
    try:
        return schema_of(extract.compact_model(fields, 3, 2, True, False))["properties"]
    finally:
        extract.compact_model.cache_clear()


def test_compact_answer_types_follow_the_builtin_kinds(monkeypatch) -> None:
    props = _props(builtin.fields())
    assert props["genres"]["type"] == "array" and props["genres"]["minItems"] == 1
    assert props["clauses"]["maxItems"] == 3  # policy: multilabel over the candidate clauses
    assert props["valence"]["enum"] == [-2, -1, 0, 1, 2] and props["explicit"]["type"] == "boolean"
    assert "en" in props["language"]["enum"]

    shipped = builtin.builtin_specs()
    changed = {**shipped, "valence": shipped["valence"].model_copy(update={"kind": "boolean", "range": None})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: changed)
    assert _props(("valence",))["valence"]["type"] == "boolean"  # the spec's kind, not the field's name


def test_verify_checks_each_answered_builtin_by_its_kind(monkeypatch) -> None:
    from types import SimpleNamespace

    from linernotes.agents.nodes.verify import problems_in
    from linernotes.agents.state import Draft
    from linernotes.schema import Item
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    rt = SimpleNamespace(moods=load_taxonomy("moods"))  # the only vocabulary a moods-only answer reads
    draft = Draft(moods=["calm", "zzz"], fields=["moods"])
    item = Item(id="x", title="t")
    assert problems_in(draft, item, rt) == ["mood id 'zzz' is not in the mood vocabulary"]  # multilabel: ids
    shipped = builtin.builtin_specs()
    changed = {**shipped, "moods": shipped["moods"].model_copy(update={"kind": "boolean", "taxonomy": None})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: changed)
    assert problems_in(draft, item, rt) == []  # the spec's kind decides: a boolean answer has no ids to check
