"""`liner`'s process exit: after the last record, the interpreter's teardown must not spend ~1 s of
CPU collecting what the run built (``cli.app.main`` freezes the collector's objects on the way out),
and every record and the manifest are on disk when it is gone."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "catalog.jsonl"

# runs main() as the console script does, then reports this process's CPU at the moment main
# returned; the parent's child-CPU total minus that is what the exit itself cost
_WRAPPER = """
import resource, sys
from linernotes.cli.app import main
sys.argv = ["liner", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
u = resource.getrusage(resource.RUSAGE_SELF)
print(u.ru_utime + u.ru_stime, file=sys.stderr)
sys.exit(code)
"""


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.slow
def test_exit_after_the_last_record_is_cheap_and_keeps_every_record(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    before = _child_cpu()
    r = subprocess.run([sys.executable, "-c", _WRAPPER, "tag", str(EXAMPLE), "-o", str(out), "--llm", "never"],
                       capture_output=True, text=True, timeout=600)
    total = _child_cpu() - before
    assert r.returncode == 0, r.stderr[-2000:]
    at_return = float(r.stderr.strip().splitlines()[-1])
    assert total - at_return < 0.4, f"the exit took {total - at_return:.2f} s of CPU after main returned"
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == sum(1 for _ in EXAMPLE.open()) and all(r["status"] == "ok" for r in records)
    assert json.loads(Path(f"{out}.manifest.json").read_text(encoding="utf-8"))
