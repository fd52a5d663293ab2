"""A hand-written config file that is not UTF-8 (a Latin-1 gold spec, taxonomy or thresholds file,
a spec saved as UTF-16 by Notepad) is named with its line: ``PATH:LINE: not UTF-8 text (byte N:
reason)``. QA (newuser22): ``liner eval spec.yaml`` and ``liner tag --taxonomy t.yaml`` said only
"'utf-8' codec can't decode byte 0xe9 in position 9: invalid continuation byte" (no file, no line),
and ``liner monitor --thresholds t.yaml`` ended in a UnicodeDecodeError traceback, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.spec import load_spec
from linernotes.files import read_regular_text
from linernotes.monitor.load import MonitorInputError
from linernotes.monitor.thresholds import load_thresholds
from linernotes.tools.retrieval.taxonomy import load_taxonomy

LATIN1 = "# rules\nname: x\ndescription: caf\xe9\n".encode("latin-1")  # the bad byte is on line 3


def test_the_decode_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_bytes(LATIN1)
    with pytest.raises(UnicodeDecodeError) as e:  # still a UnicodeDecodeError (a ValueError) for its callers
        read_regular_text(p, ValueError)
    assert str(e.value) == f"{p}:3: not UTF-8 text (byte 32: invalid continuation byte); save it as UTF-8"
    assert e.value.start == 32  # callers that word their own message keep the byte offset


def test_a_utf16_file_is_said_to_be_one(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes("name: x\n".encode("utf-16"))
    with pytest.raises(ValueError, match=r"s\.yaml:1: not UTF-8 text \(byte 0: .*UTF-16/32 byte-order mark"):
        read_regular_text(p, ValueError)


@pytest.mark.parametrize("load", [load_spec, load_taxonomy], ids=["gold spec", "taxonomy"])
def test_a_latin1_spec_or_taxonomy_is_named_at_its_line(tmp_path: Path, load) -> None:
    p = tmp_path / "c.yaml"
    p.write_bytes(LATIN1)
    with pytest.raises(ValueError) as e:
        load(str(p))
    assert str(e.value).startswith(f"{p}:3: not UTF-8 text"), str(e.value)


def test_a_latin1_thresholds_file_is_a_monitor_input_error(tmp_path: Path, liner_in_process) -> None:
    p = tmp_path / "t.yaml"
    p.write_bytes("# caf\xe9\nalpha: 0.01\n".encode("latin-1"))
    with pytest.raises(MonitorInputError, match=rf"^{p}:1: not UTF-8 text \(byte 5: invalid continuation byte\)"):
        load_thresholds(p)
    run = tmp_path / "run.jsonl"
    run.write_text(json.dumps({"id": "a", "status": "error", "enrichment": None,
                               "error": {"kind": "x", "message": "y"}}) + "\n")
    r = liner_in_process(["monitor", str(run), str(run), "--thresholds", str(p)])
    assert r.returncode == 2 and f"{p}:1: not UTF-8 text" in r.stderr and "Traceback" not in r.stderr, r.stderr
