"""A labeled JSON lines file (review's gold or run, eval's gold, an exemplar source) whose line
escapes a lone UTF-16 surrogate (``"\\ud800"``: valid JSON, never valid Unicode) is refused naming
the file, the line and where in the line. QA newuser23: ``liner review build --gold g.jsonl`` with
such a title ended in a traceback (UnicodeEncodeError from the gold fingerprint), and ``liner eval``
said ``datasets could not load it (DatasetGenerationError: An error occurred while generating the
dataset)`` after pyarrow's 'The surrogate pair in string is invalid. in row 0', naming no line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import GoldSpec, SpecError
from linernotes.review.build import build_store
from linernotes.tools.retrieval.exemplar_sources import records_from_file

GOOD = {"id": "a1", "type": "track", "title": "Rainy Day", "gold_genres": ["folk"], "mean": 0.5}
# line 2's title escapes a high surrogate alone; json.dumps writes it as the escape
BAD = {"id": "a2", "type": "track", "title": "bad \ud800 title", "gold_genres": ["rock"], "mean": -0.5}


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(BAD) + "\n")
    assert "\\ud800" in path.read_text()
    return path


def test_review_build_names_the_line(gold: Path, tmp_path: Path) -> None:
    # review build skips the line and names it (8b66c61: one bad line never refuses the build)
    result = build_store(tmp_path / "s.sqlite", gold=gold)
    assert result.skipped_lines == 1, result.notes
    assert any(n.startswith(f"{gold}:2: not valid Unicode: title holds a lone UTF-16 surrogate")
               for n in result.notes), result.notes


def test_eval_gold_names_the_line(gold: Path) -> None:
    spec = GoldSpec(name="g", data=str(gold), id_field="id", inputs={"title": "title"},
                    tasks=[{"name": "valence", "kind": "valence", "gold_field": "mean"}])
    with pytest.raises(SpecError, match=r"g\.jsonl:2: not valid Unicode: title holds a lone UTF-16 surrogate"):
        load_gold(spec, gold)


def test_an_exemplar_source_names_the_line(gold: Path) -> None:
    with pytest.raises(ValueError, match=r"g\.jsonl:2: not valid Unicode: title holds a lone UTF-16 surrogate"):
        list(records_from_file(gold))


def test_a_key_holding_one_is_named_escaped(tmp_path: Path) -> None:
    path = tmp_path / "k.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "a3", "x\udfff": 1}) + "\n")
    result = build_store(tmp_path / "s.sqlite", gold=path)
    assert result.skipped_lines == 1, result.notes
    assert any(n.startswith(f"{path}:2: not valid Unicode: key 'x\\udfff' holds") for n in result.notes), result.notes


def test_valid_unicode_escapes_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    # a surrogate pair is one character (U+1F600) and an accent an escape too: both fine
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "a4", "title": "caf\u00e9 \U0001F600"}) + "\n")
    assert [r.id for r in records_from_file(path)] == ["a1", "a4"]
