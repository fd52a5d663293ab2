"""YAML aliases that expand exponentially ("billion laughs") are refused at the first alias's line
by every YAML loader a user's file reaches: declared signals, gold specs, monitor thresholds (the
shared line mapper) and taxonomy/policy packs. Before, a 7-level file of a few hundred bytes took
~9 s in the line mapper and 8 levels minutes and gigabytes; a pack's JSON cache expanded it too.
Ordinary aliases (``<<: *defaults``) and ``&`` inside words ("R&B") still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError, parse_spec
from linernotes.signals.spec import SignalSpecError, load_signals
from linernotes.signals.yaml_lines import YamlSyntaxError, load_with_lines
from linernotes.tools.retrieval.taxonomy import load_taxonomy
from linernotes.tools.yaml_text import MAX_ALIAS_NODES, alias_expansion, load_pack_yaml


def bomb(levels: int, indent: str = "", prefix: str = "v") -> str:
    """``levels`` anchored lists, each holding 9 aliases of the one before: 9**levels leaves."""
    lines = [f"{indent}{prefix}0: &{prefix}0 [{', '.join(['lol'] * 9)}]"]
    lines += [f"{indent}{prefix}{i}: &{prefix}{i} [{', '.join([f'*{prefix}{i - 1}'] * 9)}]"
              for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_the_count_is_exact_without_expanding_and_names_the_first_alias_line() -> None:
    found = alias_expansion(bomb(7), limit=0)
    # every level's list and leaves, expanded, minus the distinct nodes: the root mapping, 7 keys,
    # 7 lists and the first list's 9 leaves
    expanded = 1 + sum(1 + sum(9 ** j for j in range(1, i + 2)) for i in range(7)) + 7
    assert found is not None and found.line == 2 and found.added == expanded - (1 + 7 + 7 + 9)
    assert alias_expansion(bomb(7)) is not None and alias_expansion(bomb(3)) is None  # 819 nodes: allowed
    assert alias_expansion("a: 1\n") is None and alias_expansion("a: [unclosed\n") is None


@pytest.mark.parametrize("text", [
    "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  z: 3\nthird: *b\n",
    "entries:\n- {id: rnb, label: R&B}\n- {id: dnb, label: drum & bass}\n",
    "rec: &r [1, *r]\n",  # a recursive alias: PyYAML builds it; the count sees each node once
])
def test_ordinary_aliases_and_ampersands_load(text: str) -> None:
    assert alias_expansion(text) is None
    assert load_pack_yaml(text, "p.yaml") is not None


def test_the_line_mapper_refuses_a_bomb_at_its_line() -> None:
    with pytest.raises(YamlSyntaxError) as e:
        load_with_lines(bomb(6))  # 672,588 more nodes: loaded (slowly) before
    assert e.value.line == 2 and f"at most {MAX_ALIAS_NODES:,}" in e.value.reason


def test_a_signal_spec_and_a_gold_spec_name_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "subject.yaml"
    spec.write_text("name: subject\nkind: single_label\nlabels: [a, b]\ninstructions: x\nnotes:\n"
                    + bomb(6, indent="  "))
    with pytest.raises(SignalSpecError) as e:
        load_signals([spec])
    assert "subject.yaml:7: not valid YAML: YAML aliases" in str(e.value)
    with pytest.raises(SpecError) as e2:
        parse_spec("name: g\n" + bomb(6), "gold.yaml")
    assert str(e2.value).startswith("gold.yaml:3: not valid YAML: YAML aliases")


def test_a_taxonomy_pack_is_refused_before_its_data_is_walked_or_cached(tmp_path: Path) -> None:
    pack = tmp_path / "bomb-tax.yaml"
    pack.write_text("id: bombtax\nversion: 1.0.0\nkind: genre\napplies_to: [track]\nattribution: t\n"
                    + bomb(8) + "entries: *v7\n")
    with pytest.raises(ValueError) as e:
        load_taxonomy(str(pack))
    assert "bomb-tax.yaml:7: not valid YAML (YAML aliases" in str(e.value)
