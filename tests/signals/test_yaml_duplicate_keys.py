"""A key given twice in one YAML mapping is refused at its second line (QA: YAML loaders keep the
last silently, so a spec with ``name: decade`` then ``name: other`` declared a signal named other;
a gold spec or gates file lost its first value the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals
from linernotes.signals.yaml_lines import YamlSyntaxError, load_with_lines


def test_a_signal_spec_with_a_key_twice_is_refused_at_the_second(tmp_path: Path) -> None:
    spec = tmp_path / "decade.yaml"
    spec.write_text("name: decade\nkind: single_label\nlabels: [a, b]\nname: other\ninstructions: x\n")
    with pytest.raises(SignalSpecError) as e:
        load_signals([spec])
    assert f"{spec.name}:4:" in str(e.value) and "'name' is given twice (lines 1 and 4)" in str(e.value)


def test_nested_mappings_and_list_items_are_checked_and_other_mappings_may_reuse_a_key() -> None:
    with pytest.raises(YamlSyntaxError) as e:
        load_with_lines("tasks:\n  - name: a\n    kind: x\n    kind: y\n")
    assert e.value.line == 4
    data, _ = load_with_lines("a: {k: 1}\nb: {k: 2}\ntasks:\n  - name: a\n  - name: b\n")
    assert data["tasks"] == [{"name": "a"}, {"name": "b"}]
