"""``linernotes.beam`` imports Apache Beam without its BigQuery 'apitools not found' notice (Beam's
``[gcp]`` extra is not needed by liner's runner: see beam/_quiet_import.py) and without leaving
logging configured. QA: every ``liner tag --runner beam`` printed 'WARNING:root:apitools not found,
and bigquery client libraries are not available ...', and the root handler that
``logging.warning`` installed printed every later warning of the run as 'WARNING:<logger>:...'."""

from __future__ import annotations

import subprocess
import sys


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
