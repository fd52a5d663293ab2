"""``linernotes.beam`` imports Apache Beam without its BigQuery 'apitools not found' notice (Beam's
``[gcp]`` extra is not needed by liner's runner: see beam/_quiet_import.py) and without leaving
logging configured. QA: every ``liner tag --runner beam`` printed 'WARNING:root:apitools not found,
and bigquery client libraries are not available ...', and the root handler that
``logging.warning`` installed printed every later warning of the run as 'WARNING:<logger>:...'."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_importing_linernotes_beam_shows_no_apitools_notice_and_leaves_logging_unconfigured() -> None:
    code = ("import logging, linernotes.beam\n"
            "print(len(logging.getLogger().handlers))\n"
            "logging.getLogger('later').warning('a later warning')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "apitools" not in r.stderr, r.stderr
    assert r.stdout.strip() == "0"
    # shown as Python shows a warning with no logging configured: the message alone
    assert r.stderr.strip().splitlines()[-1] == "a later warning", r.stderr


@pytest.mark.slow
def test_local_worker_processes_log_errors_only(tmp_path, liner) -> None:
    """QA: with --direct_running_mode=multi_processing (beam/README's local example) each worker
    process logged ~25 INFO/WARNING lines of harness chatter around liner's summary; the records
    were complete. Now the local DirectRunner's workers log errors only, unless the user sets
    --default_sdk_harness_log_level; each still prints Beam's import-time apitools notice and
    'Logging handler created' before that level applies (outside liner's reach)."""
    catalog = tmp_path / "c.jsonl"
    rows = [{"id": f"w{i}", "title": f"Track {i}", "description": "calm ambient piano"} for i in range(6)]
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"title": "no id"}\n')
    out = tmp_path / "out.jsonl"
    r = liner(["tag", str(catalog), "-o", str(out), "--runner", "beam", "--llm", "never",
               "--pipeline-option=--direct_num_workers=2", "--pipeline-option=--direct_running_mode=multi_processing"],
              timeout=300)
    assert r.returncode == 1, r.stderr[-2000:]  # one row without an id
    assert len(out.read_text().splitlines()) == 7
    chatter = [line for line in r.stderr.splitlines()
               if line.startswith(("INFO:", "WARNING:")) and "apitools" not in line and "Logging handler created" not in line]
    assert not chatter, chatter
