"""What ``liner fit`` (and ``evals.fit.fit`` called as a library) refuses before anything is
tagged: a file or folder in the way of what it writes inside ``-o``, an artifact already there
that it cannot read (fitting into it dropped the fields it held), and the spec combinations the
CLI refused but the library accepted (found by QA qa-fit16)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.evals.fit import FitOptions, fit
from linernotes.evals.spec import SpecError
from tests.conftest import REPO, run_liner_in_process

SUBJECT = REPO / "examples" / "signals" / "subject.gold.yaml"


def _fit(tmp_path: Path, out: Path, *extra: str):
    # the checks under test come before the sample is tagged: a check that came too late would
    # start the embedded model on 20 items and then fail
    return run_liner_in_process(["fit", "vader-valence", "--limit", "20", "-o", out, *extra], cwd=tmp_path)


@pytest.mark.parametrize(("name", "make", "what"), [
    ("cv", "file", "a folder"), ("runs", "file", "a folder"), ("signals", "file", "a folder"),
    ("fusion.json", "folder", "a file"), ("MODEL_CARD.md", "folder", "a file")])
def test_a_path_in_the_way_inside_the_output_is_refused_before_the_fit(tmp_path: Path, name: str, make: str,
                                                                      what: str) -> None:
    out = tmp_path / "D"
    out.mkdir()
    (out / name).mkdir() if make == "folder" else (out / name).write_text("x")
    r = _fit(tmp_path, out)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{out / name} is in the way: the fit writes {what} there" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and sorted(p.name for p in out.iterdir()) == [name]


@pytest.mark.parametrize("content", ['{"format": 99, "fields": {}}', "{not json", ""])
def test_an_artifact_the_fit_cannot_read_is_refused_and_kept(tmp_path: Path, content: str) -> None:
    out = tmp_path / "D"
    out.mkdir()
    (out / "fusion.json").write_text(content)
    r = _fit(tmp_path, out)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{out}: its fusion artifact cannot be read, so fitting into it would drop the fields it holds" in r.stderr
    assert (out / "fusion.json").read_text() == content and sorted(p.name for p in out.iterdir()) == ["fusion.json"]


def test_the_library_refuses_what_the_cli_refuses(tmp_path: Path) -> None:
    config = TagConfig(fusion=None, llm_mode="never")
    two_tasks = tmp_path / "s.yaml"
    two_tasks.write_text(f"name: s\ndata: {tmp_path / 'g.jsonl'}\ninputs: {{description: text}}\ntasks:\n"
                         "  - {name: genres, kind: multilabel, gold_field: a}\n"
                         "  - {name: styles, kind: multilabel, gold_field: b}\n", encoding="utf-8")
    (tmp_path / "g.jsonl").write_text(json.dumps({"id": "x", "text": "t", "a": ["techno"], "b": ["dub"]}) + "\n")
    cases = [
        (FitOptions(specs=[str(two_tasks)], output=tmp_path / "o1"), r"tasks\[1\] \(styles\) is a second multilabel"),
        (FitOptions(specs=["vader-valence"], output=tmp_path / "o2", limit=4, folds=5), r"--limit 4: each combiner"),
        (FitOptions(specs=[str(SUBJECT)], output=tmp_path / "o3"), r"scores the declared signal 'subject'"),
    ]
    for opts, message in cases:
        with pytest.raises(SpecError, match=message):
            asyncio.run(fit(opts, config))
        assert not opts.output.exists()
