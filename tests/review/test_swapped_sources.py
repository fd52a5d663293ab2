"""liner review build with its inputs swapped (QA, session 16): a catalog given as --run was read as a
tag output with no predictions (every item queued 'to label', exit 0), and a tag output given as
--gold became the items and the gold set (the annotator saw status/enrichment/error instead of
the item, and export would have written the records back as gold). Both are refused, exit 2,
naming the file and the right option."""

from __future__ import annotations

import json
from pathlib import Path

RECORD = {"status": "ok", "error": None, "enrichment": {"genres": [], "moods": [], "valence": 0.0, "language": "en",
                                                        "explicit": {"value": False, "evidence": []}, "policy_flags": [],
                                                        "confidence": {}, "review": {"routed": False, "reasons": []}}}


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n" for i in "ab"),
                       encoding="utf-8")
    tagged = tmp_path / "tagged.jsonl"
    tagged.write_text("".join(json.dumps({"id": i, **RECORD}) + "\n" for i in "ab"), encoding="utf-8")
    return tmp_path / "rude.yaml", catalog, tagged


def test_a_catalog_given_as_run_is_refused(liner_in_process, tmp_path: Path) -> None:
    spec, catalog, _ = _files(tmp_path)
    r = liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", catalog, "--run", catalog,
                          "--signals", spec])
    assert r.returncode == 2
    assert f"{catalog}: not a liner tag output" in r.stderr and "as --run" in r.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_a_tag_output_given_as_gold_is_refused(liner_in_process, tmp_path: Path) -> None:
    spec, _, tagged = _files(tmp_path)
    r = liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", tagged, "--signals", spec])
    assert r.returncode == 2
    assert f"{tagged}: a liner tag output" in r.stderr and "as --gold" in r.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_the_right_way_round_builds(liner_in_process, tmp_path: Path) -> None:
    spec, catalog, tagged = _files(tmp_path)
    r = liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", catalog, "--run", tagged,
                          "--signals", spec])
    assert r.returncode == 0, r.stderr
    assert "queued 2 of 2 items" in r.stdout
