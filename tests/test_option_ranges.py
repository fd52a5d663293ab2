"""Numeric options past any use (inf, 1e308) are refused up front, exit 2, naming the option.
Before: --timeout inf failed every LLM call as 'llm.bad_response: OverflowError: cannot convert
float infinity to integer'; --max-audio-seconds inf or 1e308 failed every audio item as
internal.OverflowError; --progress-every inf or 1e308 ended a finished run in a traceback."""

from __future__ import annotations

import json

import pytest

from linernotes.config import MAX_AUDIO_SECONDS, TagConfig


@pytest.fixture
def catalog(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "a", "title": "Song", "description": "calm piano"}) + "\n")
    return p


@pytest.mark.parametrize("option", ["--timeout", "--max-audio-seconds", "--progress-every"])
@pytest.mark.parametrize("value", ["inf", "1e308", "90000"])
def test_an_option_past_its_bound_exits_2_naming_it(tmp_path, catalog, liner_in_process, option, value):
    r = liner_in_process(["tag", catalog, "-o", tmp_path / "o.jsonl", "--llm", "never", "--progress",
                          f"{option}={value}"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert option in r.stdout + r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_the_bounds_leave_every_real_value_in():
    assert TagConfig(audio_max_seconds=MAX_AUDIO_SECONDS).audio_max_seconds == 86_400
    with pytest.raises(ValueError, match="less than or equal to 86400"):
        TagConfig(audio_max_seconds=float("inf"))


def test_values_within_the_bounds_run(tmp_path, catalog, liner_in_process):
    r = liner_in_process(["tag", catalog, "-o", tmp_path / "o.jsonl", "--llm", "never", "--progress",
                          "--timeout=86400", "--max-audio-seconds=86400", "--progress-every=3600"])
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o.jsonl").read_text())["status"] == "ok"


@pytest.mark.parametrize("root", ["missing-folder", "c.jsonl"])
def test_an_audio_root_that_is_not_a_folder_exits_2(tmp_path, catalog, liner_in_process, root):
    # it was accepted: every audio path then lay 'outside the root' and the run tagged without audio, exit 0
    r = liner_in_process(["tag", catalog, "-o", tmp_path / "o.jsonl", "--llm", "never", "--no-progress",
                          "--audio-root", tmp_path / root])
    assert r.returncode == 2, r.stderr
    assert f"--audio-root {tmp_path / root}: " in r.stderr and "folder" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()
