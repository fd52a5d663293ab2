"""A thresholds file naming a declared signal neither compared run holds (``labels:
{signals.explicit_lyric: 0.1}`` for ``explicit_lyrics``) is said, in the report and on stderr: it
cannot be checked when the file is read (the runs name the signals), and a misspelt name kept the
default threshold without a word. QA newuser23."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.monitor.run import monitor
from tests.conftest import run_liner_in_process

SPEC = "name: explicit_lyrics\nkind: boolean\ninstructions: Explicit lyrics.\nevidence: [lexicon]\n"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("unused-threshold")
    (tmp / "s.yaml").write_text(SPEC, encoding="utf-8")
    catalog = tmp / "c.jsonl"
    catalog.write_text("".join(json.dumps({"id": f"t{i}", "type": "track", "title": f"Song {i}",
                                           "lyrics": "damn it" if i % 2 else "la la"}) + "\n" for i in range(6)))
    out = tmp / "a.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--signals", tmp / "s.yaml", "--llm", "never"])
    assert r.returncode == 0, r.stderr
    return out


def test_a_threshold_for_a_signal_no_run_holds_is_named(tagged: Path, tmp_path: Path) -> None:
    th = tmp_path / "t.yaml"
    th.write_text("labels:\n  signals.explicit_lyric: 0.1\nconfidence:\n  signals.explicit_lyrics: 0.3\n")
    result = monitor(tagged, tagged, th)
    note = ("thresholds name signals.explicit_lyric (labels), which neither run holds (their declared signals: "
            "signals.explicit_lyrics): a misspelt name keeps the default threshold")
    assert result.comparison.notes == [note]
    assert f"- {note}" in result.markdown
    r = run_liner_in_process(["monitor", tagged, tagged, "--thresholds", th])
    assert r.returncode == 0 and f"liner monitor: warning: {note}" in r.stderr, r.stderr


def test_thresholds_for_held_signals_say_nothing(tagged: Path, tmp_path: Path) -> None:
    th = tmp_path / "t.yaml"
    th.write_text("labels:\n  signals.explicit_lyrics: 0.1\n")
    assert monitor(tagged, tagged, th).comparison.notes == []
