"""The built-in fields have ONE list: the shipped specs (signals/builtin/*.yaml, read through
``linernotes.signals.builtin``). The literals that must stay — the record schema's pydantic fields
(the stable output format, core/schema.py), the extract call's answer order
(core.vocabulary.LLM_FIELDS) and the gold format's built-in task kinds — are held to it here, so
a built-in spec added or renamed without the schema, the answer order, the Parquet table and the
evals following fails this test."""

from __future__ import annotations

from importlib import resources
from typing import get_args

import pytest

from linernotes.signals import builtin

# what the record calls each built-in field (Enrichment attribute); every other name is its own
RECORD_FIELD = {"policy": "policy_flags"}


def _shipped_files() -> set[str]:
    folder = resources.files("linernotes.signals").joinpath("builtin")
    return {p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")}


def test_every_shipped_spec_file_is_a_builtin_in_answer_order() -> None:
    from linernotes.vocabulary import DRAFT_KEYS, LLM_FIELDS

    assert _shipped_files() == set(builtin.fields())  # a new YAML file must be listed (LLM_FIELDS)
    assert builtin.fields() == LLM_FIELDS == builtin.BUILTIN
    assert tuple(DRAFT_KEYS) == builtin.fields()
    assert all(builtin.builtin_specs()[n].name == n for n in builtin.fields())  # file name == spec name


def test_the_record_schema_has_a_field_and_a_confidence_for_every_builtin() -> None:
    from linernotes.schema import Confidence, Enrichment

    names = set(builtin.fields())
    assert set(Confidence.field_names()) == names
    record = {RECORD_FIELD.get(n, n) for n in names}
    assert record <= set(Enrichment.model_fields), sorted(record - set(Enrichment.model_fields))


def test_the_table_has_a_confidence_column_for_every_builtin() -> None:
    from linernotes.monitor import compare
    from linernotes.sinks.table import CONFIDENCE_FIELDS, SCHEMA

    assert builtin.fields() == CONFIDENCE_FIELDS
    assert {f"confidence_{n}" for n in builtin.fields()} <= set(SCHEMA.names)
    assert builtin.fields() == compare.CONFIDENCE_FIELDS
    for name in builtin.fields():  # every built-in the table carries as a column of its own
        assert RECORD_FIELD.get(name, name) in SCHEMA.names
    # drift: a label column for every non-scalar built-in, as before the specs decided it
    assert compare.LABEL_FIELDS == ("genres", "moods", "language", "explicit", "policy_ids")
    assert set(compare.LABEL_FIELDS) <= set(SCHEMA.names)


def test_the_gold_formats_builtin_task_kinds_score_builtins_of_a_matching_kind() -> None:
    from linernotes.config import TagConfig
    from linernotes.evals.spec import TaskKind

    assert set(builtin.TASK_FIELD) <= set(get_args(TaskKind))
    assert builtin.kind_of(builtin.field_for_task("multilabel")) == "multilabel"
    assert builtin.kind_of(builtin.field_for_task("valence")) == "scalar"
    assert builtin.kind_of(builtin.field_for_task("policy")) == "multilabel"  # clause ids; scored as a category
    for kind in ("single_label", "boolean", "scalar"):  # only declared signals' tasks have these
        with pytest.raises(KeyError):
            builtin.field_for_task(kind)
    # the default review fields are the built-ins whose spec routes (all but the advisory moods)
    assert TagConfig().review_fields == [f for f in builtin.fields() if f not in builtin.advisory()]


def test_a_spec_renamed_without_the_schema_following_is_caught(monkeypatch) -> None:
    from linernotes.schema import Confidence

    shipped = builtin.builtin_specs()
    renamed = {("mood" if n == "moods" else n): s.model_copy(update={"name": "mood" if n == "moods" else n})
               for n, s in shipped.items()}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: renamed)
    assert set(Confidence.field_names()) != set(builtin.fields())
    assert builtin.of_kind("multilabel") == ("genres", "mood", "policy")
