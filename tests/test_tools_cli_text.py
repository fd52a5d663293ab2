"""``liner tools retrieve|policy TEXT`` with bytes that are not UTF-8 (found by QA): Python keeps
them as lone surrogates, the retrieval tokenizer raised 'TextEncodeInput must be Union[...]'
(a traceback, exit 1) and the policy tool echoed them back. Now exit 2 naming the byte; UTF-8
text (any script) is served as before."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import run_liner_in_process


def _flat(stderr: str) -> str:
    """stderr without the boxes and line breaks typer's error panel wraps a message in."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", stderr).split())


def test_retrieve_with_a_byte_that_is_not_utf8_is_exit_2_not_a_traceback() -> None:
    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "tools", "retrieve", b"ab\xffcd"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "TEXT is not UTF-8 text (character 3 is the byte 0xff)" in _flat(r.stderr), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("tool", ["retrieve", "policy"])
def test_a_lone_surrogate_is_refused_by_both_tools(tool: str) -> None:
    r = run_liner_in_process(["tools", tool, "x\udcfe"])
    assert r.returncode == 2 and "TEXT is not UTF-8 text (character 2 is the byte 0xfe)" in _flat(r.stderr), r.stderr


@pytest.mark.parametrize("tool", ["retrieve", "policy"])
def test_utf8_text_in_any_script_is_served(tool: str) -> None:
    r = run_liner_in_process(["tools", tool, "Ночной драйв — 夜のドライブ 🎵"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)
