"""``liner review stats`` prints annotator names from the gold file's ``annotators`` keys; one holding
a terminal escape sequence (``ESC ]0;title BEL`` retitles the terminal, ``ESC [2J`` clears it) or a
bidi override was printed raw. Now every control character shows as a symbol (U+2400 block) and
a bidi control as [U+XXXX], in the tables, the source line and the notes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NAMES = {"\x1b]0;pwned\x07eve": "\u241b]0;pwned\u2407eve", "\x1b[2J\x1b[31mred": "\u241b[2J\u241b[31mred",
         "mal\u202elory.exe": "mal[U+202E]lory.exe", "nul\x00l": "nul\u2400l"}


@pytest.mark.parametrize(("name", "seen"), NAMES.items(), ids=["osc-title", "csi-clear", "bidi-override", "nul"])
def test_stats_never_prints_a_control_character_from_the_gold_file(tmp_path, name, seen):
    rows = [{"id": f"r{i}", "text": "x", "gold_genres": ["rock"],
             "annotators": {name: {"genres": ["pop" if i % 2 else "rock"]}, "bob": {"genres": ["rock"]}}}
            for i in range(6)]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "review", "stats", "--gold", str(gold)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shown = [c for c in r.stdout if (ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 or c == "\u202e"]
    assert not shown, repr(r.stdout)
    assert "bob" in r.stdout and seen in r.stdout, r.stdout
