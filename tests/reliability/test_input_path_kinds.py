"""User-given paths that are not regular files, in the readers the first sweep (test_special_files)
did not reach. ``liner index build --gold FIFO`` blocked in open() for good (the JSONL reader, the
datasets table loader and the run-output reader alike), ``--gold zero.jsonl`` (a symlink to
/dev/zero) read one endless line, a FIFO named ``meta.json`` in the index folder hung the build,
``liner tools policy --pack FIFO`` hung and ``--pack /dev/zero`` was killed for memory, and
``liner gate/eval/monitor --report FIFO`` waited for a reader for good after all the work was done.
Each now exits 2 with one line naming the path and what it is. Every test has a timeout, so a
regression fails instead of hanging the suite."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, address_space_capped, run_liner_in_process

pytestmark = pytest.mark.timeout(60)

GOLD = '{"id": "a", "title": "Song", "description": "calm piano", "gold_genres": ["ambient"]}\n'


@pytest.fixture
def memory_cap():
    """1 GB of address space over this process's size for the test (before the fix, one test of
    this file was OOM-killed reading /dev/zero)."""
    with address_space_capped(1 << 30):
        yield


@pytest.fixture(params=["fifo", "dev-zero"])
def special(request, tmp_path, memory_cap) -> tuple[Path, str]:
    """A maker ``(name) -> path`` of a FIFO or a symlink to /dev/zero under ``tmp_path``, and its
    kind (with this process's memory capped)."""
    def make(name: str) -> Path:
        p = tmp_path / name
        if request.param == "fifo":
            os.mkfifo(p)
        else:
            p.symlink_to("/dev/zero")
        return p

    return make, "a FIFO (named pipe)" if request.param == "fifo" else "a character device"


def _refused(r, path: Path, kind: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert re.search(rf"{re.escape(str(path.name))}: is {re.escape(kind)}, not a regular file", r.stderr), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_index_build_refuses_a_special_gold_file(special, suffix, tmp_path):
    make, kind = special
    gold = make(f"gold.{suffix}")
    r = run_liner_in_process(["index", "build", "-o", tmp_path / "idx", "--gold", gold], cwd=tmp_path)
    _refused(r, gold, kind)
    assert not (tmp_path / "idx").exists()


def test_index_build_refuses_a_special_run_output(special, tmp_path):
    make, kind = special
    run = make("run.jsonl")
    (tmp_path / "cat.csv").write_text("id,title\na,Song\n")
    r = run_liner_in_process(["index", "build", "-o", tmp_path / "idx", run, "--catalog", tmp_path / "cat.csv"],
                             cwd=tmp_path)
    _refused(r, run, kind)


def test_an_index_whose_meta_is_a_fifo_is_named_not_waited_on(tmp_path):
    (tmp_path / "idx").mkdir()
    os.mkfifo(tmp_path / "idx" / "meta.json")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD)
    r = run_liner_in_process(["index", "build", "-o", tmp_path / "idx", "--gold", gold], cwd=tmp_path)
    _refused(r, tmp_path / "idx" / "meta.json", "a FIFO (named pipe)")
    r = run_liner_in_process(["tools", "retrieve", "calm piano", "--exemplars", tmp_path / "idx"], cwd=tmp_path)
    _refused(r, tmp_path / "idx" / "meta.json", "a FIFO (named pipe)")


def test_tools_policy_refuses_a_special_pack(special, tmp_path):
    make, kind = special
    pack = make("pack.yaml")
    r = run_liner_in_process(["tools", "policy", "some text", "--pack", pack], cwd=tmp_path)
    _refused(r, pack, kind)


def test_the_shared_readers_refuse_a_folder_too(tmp_path, memory_cap):
    from linernotes.json_lines import json_objects
    from linernotes.store.tables import load_table
    from linernotes.tools.retrieval.exemplar_sources import records_from_run

    folder = tmp_path / "gold.jsonl"
    folder.mkdir()
    with pytest.raises(ValueError, match=re.escape(f"{folder}: is a folder, not a regular file")):
        list(json_objects(folder))
    with pytest.raises(ValueError, match=re.escape(f"{folder}: is a folder, not a regular file")):
        list(records_from_run(folder, tmp_path / "cat.csv"))
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'zero.csv'}: is a character device")):
        (tmp_path / "zero.csv").symlink_to("/dev/zero")
        load_table(tmp_path / "zero.csv")


def test_regular_files_still_read(tmp_path):
    from linernotes.files import read_regular, write_output_text
    from linernotes.json_lines import json_objects

    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD)
    (tmp_path / "link.jsonl").symlink_to(gold)
    assert [row["id"] for _, row in json_objects(tmp_path / "link.jsonl")] == ["a"]
    assert read_regular(gold, ValueError) == GOLD.encode()
    write_output_text(tmp_path / "r.md", "# report\n", OSError)
    assert (tmp_path / "r.md").read_text() == "# report\n"


def test_a_report_into_a_fifo_no_process_reads_is_refused_and_one_with_a_reader_is_written(tmp_path):
    """``liner gate A B --report FIFO`` hung after the gate was computed; ``--report >(cat)`` (a
    pipe with a reader) must still work."""
    import threading

    base = tmp_path / "base.json"
    shutil.copy(REPO / "evals" / "baselines" / "ci-slice.json", base)
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    for option in ("--report", "--html"):
        r = run_liner_in_process(["gate", base, base, option, fifo], cwd=tmp_path)
        assert r.returncode == 2, r.stderr[-2000:]
        assert f"{fifo}: is a FIFO (named pipe) that no process reads" in r.stderr
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(Path(fifo).read_bytes()))
    reader.start()
    r = run_liner_in_process(["gate", base, base, "--report", fifo], cwd=tmp_path)
    reader.join(30)
    assert r.returncode == 0, r.stderr[-2000:]
    assert got and b"|" in got[0]


def test_monitor_report_into_a_fifo_no_process_reads_is_refused(tmp_path):
    from linernotes.monitor.load import MonitorInputError
    from linernotes.monitor.run import _write

    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    with pytest.raises(MonitorInputError) as e:
        _write(fifo, "# report\n")
    assert str(e.value) == f"{fifo}: is a FIFO (named pipe) that no process reads: write the report to a file"


def test_a_unix_socket_is_named_as_one(tmp_path):
    import socket

    from linernotes.json_lines import json_objects

    path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(ValueError, match=re.escape(f"{path}: is a socket, not a regular file")):
            list(json_objects(path))
