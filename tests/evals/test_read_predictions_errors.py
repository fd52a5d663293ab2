"""An eval's predictions.jsonl line that is not an output record is refused naming its file, line
and reason, not a pydantic traceback (review session 25: OutputRecord refuses an id holding ESC
since 1715bea and a quoted '1_0' since 4ea9cad, and read_predictions, which liner eval's resume
and liner fit --run read through, let the ValidationError out)."""

from __future__ import annotations

import json
import re

import pytest

from linernotes.evals.run import read_predictions
from linernotes.evals.spec import SpecError
from linernotes.schema import OutputRecord
from linernotes.testing.stub_enricher import sample_enrichment


def _record(rid: str) -> dict:
    return json.loads(OutputRecord.model_construct(id=rid, status="ok", enrichment=sample_enrichment(),
                                                   error=None).model_dump_json())


def _quoted_valence(rec: dict) -> dict:
    rec["enrichment"]["valence"] = "0_5"
    return rec


BAD = {"esc id": (_record("esc\x1bred"), "id: id contains a control character U+001B"),
       "quoted 0_5": (_quoted_valence(_record("b")), "enrichment.valence: '0_5' is not a number"),
       "not JSON": ("{oops", "not JSON")}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_line_is_named_with_its_reason(tmp_path, case):
    bad, reason = BAD[case]
    path = tmp_path / "predictions.jsonl"
    lines = [json.dumps(_record("a")), "", bad if isinstance(bad, str) else json.dumps(bad)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(f"{path}:3: ") + ".*" + re.escape(reason)):
        read_predictions(path)


def test_good_lines_read_by_id_the_last_winning(tmp_path):
    path = tmp_path / "predictions.jsonl"
    first, again = _record("a"), _record("a")
    again["enrichment"]["valence"] = -0.5
    path.write_text("\n".join(json.dumps(r) for r in (first, _record("b"), again)) + "\n", encoding="utf-8")
    got = read_predictions(path)
    assert sorted(got) == ["a", "b"] and got["a"].enrichment.valence == -0.5
    assert read_predictions(tmp_path / "none.jsonl") == {}
