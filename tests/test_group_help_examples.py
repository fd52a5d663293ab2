"""`liner tools|review|index --help` end with examples, as every command's help does (README:
"every `--help` ends with examples")."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("group", ["tools", "review", "index"])
def test_a_group_help_ends_with_its_commands_examples(liner_in_process, group: str) -> None:
    """New-user QA (newuser16): `liner review --help` listed build/stats/serve/export with no
    example; a first-time user had to open each command's help to see one."""
    from linernotes.cli.app import _command_paths
    from linernotes.cli.examples import EXAMPLES

    r = liner_in_process([group, "--help"], env={"COLUMNS": "200"})
    assert r.returncode == 0
    assert "Examples:" in r.stdout
    commands = [path for path, _ in _command_paths() if path.startswith(f"{group} ")]
    assert commands
    for path in commands:
        assert EXAMPLES[path][0] in r.stdout, path


@pytest.mark.parametrize("command", ["tag", "serve"])
def test_the_prompt_option_says_a_file_is_accepted(liner_in_process, command: str) -> None:
    """A new user's find: `liner tag --help` said '--prompt: Prompt template name' while the
    README (and `liner eval --help`) take a .md file's path too."""
    r = liner_in_process([command, "--help"], env={"COLUMNS": "200"})
    assert r.returncode == 0
    assert "a shipped name (extract.v1, extract.v2) or a .md file's path" in " ".join(r.stdout.split()), r.stdout
