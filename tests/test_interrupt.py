"""Ctrl-C (SIGINT to the whole foreground group): ``liner tag`` says how to resume and exits 130,
and a ``--workers`` process exits quietly instead of printing a traceback each (QA: Typer turned
the interrupt into a silent exit 130, and every worker printed a KeyboardInterrupt traceback).
The interrupt is injected by raising KeyboardInterrupt where the signal would land (fault injection)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import linernotes.run.parallel as parallel
from linernotes.config import TagConfig

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "catalog.jsonl"


def test_tag_interrupted_says_how_to_resume_and_exits_130(tmp_path: Path, monkeypatch, capsys) -> None:
    from linernotes.cli import app as cli

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(parallel, "run_parallel", interrupted)
    monkeypatch.setattr(sys, "argv", ["liner", "tag", str(EXAMPLE), "-o", str(tmp_path / "o.jsonl"), "--llm", "never"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 130
    assert "interrupted; rerun the same command to resume" in capsys.readouterr().err


def test_a_worker_interrupted_exits_quietly(monkeypatch) -> None:
    class Interrupted:
        def __init__(self, config):
            raise KeyboardInterrupt

    monkeypatch.setattr(parallel, "Enricher", Interrupted)
    import os

    env = dict(os.environ)
    assert parallel._worker(TagConfig(), env, None, None) is None  # returns, does not raise
