"""``--pipeline-option`` flags Beam cannot parse are refused before anything runs. Beam logs
'Discarding unparseable args' and runs without them, so ``--runer=DataflowRunner`` ran locally and
a misspelt setting was simply absent, exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.beam.pipeline import pipeline_options


@pytest.mark.parametrize(("flags", "named"), [
    (["--runer=DataflowRunner"], "--runer (did you mean --runner?)"),
    (["--direct_num_worker=2"], "--direct_num_worker (did you mean --direct_num_workers?)"),
    (["--project=p", "--no-such-flag"], "--no-such-flag"),
])
def test_an_option_beam_would_drop_is_refused_naming_it(flags: list[str], named: str) -> None:
    with pytest.raises(ValueError, match="not a Beam pipeline option") as e:
        pipeline_options(flags)
    assert named in str(e.value)


def test_known_options_pass_and_keep_their_values() -> None:
    opts = pipeline_options(["--direct_num_workers=2", "--project=p", "--temp_location=/tmp/x"])
    got = opts.get_all_options(drop_default=True)
    assert got["direct_num_workers"] == 2 and got["project"] == "p" and got["runner"] == "DirectRunner"


def test_liner_tag_with_a_misspelt_pipeline_option_exits_2_and_writes_nothing(tmp_path: Path,
                                                                           liner_in_process) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "a", "title": "x"}) + "\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", str(catalog), "-o", str(out), "--llm", "never", "--runner", "beam",
                          "--pipeline-option=--runer=DataflowRunner"])
    assert r.returncode == 2, r.stderr
    assert "--runer (did you mean --runner?)" in r.stderr and not out.exists()
