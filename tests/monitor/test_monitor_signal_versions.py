"""``liner monitor`` names what decided a declared signal when it changed between the runs or a run
mixes several: the spec's content hash and the fitted model's (``signals.<name> spec_hash`` /
``model_hash`` under **Versions**), as it names the model, prompt and fusion artifact of the
built-in fields. QA newuser23: a run tagged with a signal model (``liner fit GOLD --signals S``,
``liner tag --fusion DIR``) against one without it alerted on the signal's labels (JS divergence
1.0, every value moved) with no Versions line: the built-in ``fusion`` hash is the same in both,
so the likeliest cause was not named; an edited spec (a new ``spec_hash``) was not named either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.monitor.run import monitor
from tests.conftest import run_liner_in_process

SPEC = """\
name: mood_tags
kind: single_label
labels: [happy, sad]
instructions: The mood.
evidence: [shortlist]
"""
N = 24


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("signal-versions")
    (tmp / "s.yaml").write_text(SPEC, encoding="utf-8")
    rows = [{"id": f"t{i}", "type": "track", "title": f"Song {i}",
             "description": "a happy joyful song" if i % 2 else "a sad gloomy song"} for i in range(N)]
    catalog = tmp / "c.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp / "a.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--signals", tmp / "s.yaml", "--llm", "never"])
    assert r.returncode == 0, r.stderr
    return out


def _rewritten(src: Path, dst: Path, every: int, **provenance: str) -> Path:
    """``src``'s records with the signal's provenance updated on every ``every``-th record (as a
    refit model or an edited spec writes it: only these hashes differ)."""
    out = []
    for n, line in enumerate(src.read_text().splitlines()):
        rec = json.loads(line)
        if n % every == 0:
            rec["enrichment"]["signals"]["mood_tags"]["provenance"].update(provenance)
        out.append(json.dumps(rec))
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_a_signal_model_added_between_the_runs_is_named(tagged: Path, tmp_path: Path) -> None:
    report = monitor(tagged, _rewritten(tagged, tmp_path / "b.jsonl", 1, model_hash="2fc9c473c45f2392")).markdown
    assert "## Versions" in report
    assert "signals.mood_tags model_hash changed: none -> 2fc9c473c45f2392" in report


def test_an_edited_spec_is_named(tagged: Path, tmp_path: Path) -> None:
    spec_hash = json.loads(tagged.read_text().splitlines()[0])["enrichment"]["signals"]["mood_tags"]["provenance"][
        "spec_hash"]
    report = monitor(tagged, _rewritten(tagged, tmp_path / "b.jsonl", 1, spec_hash="a14058d8916b17fd")).markdown
    assert f"signals.mood_tags spec_hash changed: {spec_hash} -> a14058d8916b17fd" in report


def test_a_run_mixing_two_specs_is_named(tagged: Path, tmp_path: Path) -> None:
    report = monitor(tagged, _rewritten(tagged, tmp_path / "b.jsonl", 2, spec_hash="a14058d8916b17fd")).markdown
    assert "the current run mixes 2 values of signals.mood_tags spec_hash: " in report
    assert f"a14058d8916b17fd ({N // 2})" in report


def test_the_same_signal_versions_name_nothing(tagged: Path) -> None:
    assert "## Versions" not in monitor(tagged, tagged).markdown
