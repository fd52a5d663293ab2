"""Every ``--run`` record a fit reads is checked, not only the first of its spec: the items of all
of them are merged by id, so a second record scored on other gold gave the fit items whose
predictions came from other text (QA qa-fit16). And a record whose evidence came from other
taxonomy / policy / retrieval versions than the fit's tag time is warned about."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from linernotes.agents.runtime import tool_versions_of
from linernotes.config import TagConfig
from linernotes.evals.fit import _read_runs, check_run_gold, warn_tool_versions
from linernotes.evals.record import RunRecord
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Path, Path, Path, Path]:
    d = tmp_path_factory.mktemp("runs")
    spec = vader_spec(d, shared_data, 24)
    other = d / "other.jsonl"  # the same ids, other text: another version of the gold file
    other.write_text((d / "vader.jsonl").read_text(encoding="utf-8").replace('"text": "', '"text": "edited: '),
                     encoding="utf-8")
    made = []
    for name, extra in (("a.json", []), ("b.json", ["--data", other])):
        out = d / name
        r = run_liner_in_process(["eval", spec, "-o", out, "--llm", "never", "--resamples", "0", "--no-progress",
                                  *extra])
        assert r.returncode == 0, r.stderr
        made.append(out)
    return spec, d / "vader.jsonl", made[0], made[1]


def test_a_second_run_record_of_other_gold_is_refused_naming_it(runs) -> None:
    spec_path, data, a, b = runs
    spec = load_spec(str(spec_path))

    def check(rec: RunRecord, p: Path) -> None:
        check_run_gold(rec, p, spec, data)

    first, _, items = _read_runs([a], spec, None, check)
    assert first is not None and len(items) == 24
    with pytest.raises(SpecError, match=rf"--run {b}: its sample was scored on other gold than this fit reads"):
        _read_runs([a, b], spec, None, check)


def test_a_run_tagged_with_other_tool_versions_is_warned_about(runs, caplog: pytest.LogCaptureFixture) -> None:
    _, _, a, _ = runs
    current = tool_versions_of(TagConfig())
    rec = RunRecord.load(a)
    assert {k: rec.tool_versions[k] for k in ("policy", "taxonomy.genres")} == {
        k: current[k] for k in ("policy", "taxonomy.genres")}, "a run made now carries today's versions"
    with caplog.at_level(logging.WARNING, logger="linernotes.eval"):
        warn_tool_versions(rec, a, current)
        assert not caplog.records
        rec.tool_versions["policy"] = "content-policy@0.9.0#0000"
        warn_tool_versions(rec, a, current)
    (msg,) = [r.getMessage() for r in caplog.records]
    assert f"--run {a} was tagged with other tools than this fit's tag time: policy content-policy@0.9.0#0000 " \
           f"(now {current['policy']})" in msg
