"""A rerun with the options a failed run asks for goes on (QA, session 13): a CSV without an
``id`` column made one ``input.missing_id`` record per row naming the fix (``--map
id=track_id``), and the rerun with that --map was refused as 'a different configuration' until
the output was deleted. An output holding error records alone binds nothing (a rerun retries
every one); one ok record binds it to its options, as before."""

from __future__ import annotations

import json

import pytest

from linernotes.run.prepare import manifest_path

NEVER = ["--llm", "never", "--no-progress"]


def _catalog(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("track_id,track,desc\n" + "".join(f"t{i},Song {i},calm ambient piano\n" for i in range(3)))
    return path


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_the_map_a_missing_id_record_names_is_accepted_on_rerun(tmp_path, liner_in_process, helpers, name):
    catalog, out = _catalog(tmp_path), tmp_path / name
    first = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert first.returncode == 1, first.stderr
    assert {r["status"] for r in helpers.read_output(out)} == {"error"}
    assert "--map id=track_id" in " ".join(first.stderr.split())

    second = liner_in_process(["tag", catalog, "-o", out, *NEVER, "--map", "id=track_id,title=track"])
    assert second.returncode == 0, second.stderr
    recs = helpers.read_output(out)
    assert sorted(r["id"] for r in recs) == ["t0", "t1", "t2"] and {r["status"] for r in recs} == {"ok"}
    # the output is now bound to the --map its ok records were made with
    again = liner_in_process(["tag", catalog, "-o", out, *NEVER, "--map", "id=track_id,title=track"])
    assert again.returncode == 0 and json.loads(manifest_path(out).read_text())["summary"]["skipped"] == 3
    without = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert without.returncode == 2 and "different configuration" in without.stderr, without.stderr


def test_one_ok_record_still_binds_the_output_to_its_options(tmp_path, liner_in_process, helpers):
    catalog = tmp_path / "c.jsonl"
    helpers.write_jsonl(catalog, [{"id": "a", "title": "Song", "description": "calm piano"}, {"title": "no id"}])
    out = tmp_path / "out.jsonl"
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER]).returncode == 1
    before = out.read_bytes()
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER, "--map", "description=title"])
    assert r.returncode == 2 and "different configuration" in r.stderr, r.stderr
    assert out.read_bytes() == before
