"""A list extra column is text the tools read (``schema.extra_text``: its strings and numbers
joined), so it counts toward the extra columns' 100,000-character limit like a string column.
QA newuser22: a JSONL ``tags`` list of 700,000 words (a 13 MB line, under the 16 MiB line limit)
was not counted and took a 3-item ``liner tag --llm never`` run to 6.5 GB of memory and 79 s."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.store.catalog import MAX_FIELD_CHARS, read_catalog
from tests.conftest import run_liner_in_process


def _rows(path: Path) -> list[tuple[str, str | None, str | None]]:
    return [(r.key if r.error is None else str(r.raw_id), r.error.kind if r.error else None,
             r.error.message if r.error else None) for r in read_catalog(path)]


def test_a_list_column_over_the_limit_fails_its_row_and_one_within_it_is_read(tmp_path: Path) -> None:
    word = "instrumental piece"  # 18 characters; joined with ", ": 20 per word
    over = {"id": "over", "title": "t", "tags": [word] * (MAX_FIELD_CHARS // 20 + 1)}
    within = {"id": "within", "title": "t", "tags": [word] * (MAX_FIELD_CHARS // 20 - 2), "n": list(range(10))}
    mixed = {"id": "mixed", "title": "t", "notes": "v" * (MAX_FIELD_CHARS // 2), "tags": ["w" * 1000] * 50}
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in (over, within, mixed)))
    got = _rows(p)
    assert [(k, kind) for k, kind, _ in got] == [("over", "input.invalid"), ("within", None), ("mixed", "input.invalid")]
    assert got[0][2].startswith("the extra column holds 100,018 characters of text (limit 100,000 altogether"), got[0][2]
    assert got[2][2].startswith("the 2 extra columns hold 100,098 characters of text"), got[2][2]


def test_liner_tag_of_a_13mb_tags_list_is_an_error_record(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "big", "title": "t", "tags": ["instrumental piece"] * 700_000}) + "\n"
                 + json.dumps({"id": "ok", "title": "calm piano"}) + "\n")
    r = run_liner_in_process(["tag", p, "-o", tmp_path / "o.jsonl", "--llm", "never", "--no-progress"])
    assert r.returncode == 1, r.stderr
    records = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()}
    assert records["big"]["error"]["kind"] == "input.invalid" and records["ok"]["status"] == "ok"
