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
