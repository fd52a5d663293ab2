"""A fusion folder fitted by several commands (a fit into an existing folder keeps the fields it
does not cover) has a card naming each field's command (found by QA, session 14): it said every
field was "Fitted ... with:" the last command, so a policy combiner fitted on policy-prompts with
negatives read as fitted by ``liner fit vader-valence``. The shipped artifact is such a folder."""

from __future__ import annotations

import pytest

from linernotes.fusion.artifact import default_fusion_dir, load_fusion, model_card


def test_each_field_names_the_command_that_fitted_it_when_they_differ() -> None:
    if not (default_fusion_dir() / "fusion.json").is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    art = load_fusion(default_fusion_dir())
    commands = {name: f.card["command"] for name, f in art.fields.items()}
    assert len(set(commands.values())) > 1  # genres, policy and valence were fitted apart
    card = model_card(art)
    assert card.splitlines()[2].startswith("Last fitted ") and "(fields fitted by other commands name theirs below)" \
        in card.splitlines()[2]
    for name, command in commands.items():
        section = card.split(f"## {name} (", 1)[1].split("\n## ", 1)[0]
        assert f"- fitted with: `{command}`" in section, name


def test_a_card_of_one_command_says_it_once() -> None:
    if not (default_fusion_dir() / "fusion.json").is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    art = load_fusion(default_fusion_dir())
    for f in art.fields.values():
        f.card["command"] = art.fit_command
    card = model_card(art)
    assert card.splitlines()[2].startswith(f"Fitted {art.created} with: `{art.fit_command}`")
    assert "- fitted with:" not in card
