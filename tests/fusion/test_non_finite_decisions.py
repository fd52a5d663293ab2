"""A fusion artifact whose numbers are finite but far beyond any a fit writes: the items its
combiner gives NaN for fail naming the artifact and the field, and the run goes on. QA session 24:
the shipped fusion.json with the valence regressor's coefficients edited to 1e308 loaded (every
number is finite) and an episode without lyrics failed as 'internal.ValidationError: 1 validation
error for Decision / confidence / Input should be less than or equal to 1 [... input_value=nan]'."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.fusion.artifact import default_fusion_dir, load_fusion
from linernotes.run.runner import RunOptions, run_batch

ROWS = [
    {"id": "s1", "type": "track", "title": "Night Drive", "description": "A driving synthwave track with warm pads.",
     "lyrics": "I love this road, happy and free"},
    {"id": "s3", "type": "episode", "title": "Markets Weekly", "description": "A podcast about interest rates."},
]


def test_a_combiner_that_gives_nan_fails_its_item_naming_the_artifact(tmp_path: Path) -> None:
    src = default_fusion_dir() / "fusion.json"
    if not src.is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    doc = json.loads(src.read_text(encoding="utf-8"))
    coef = doc["fields"]["valence"]["model"]["regressor"]["coef"]
    coef[0] = [1e308] * len(coef[0])
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "fusion.json").write_text(json.dumps(doc), encoding="utf-8")
    digest = load_fusion(folder).content_hash
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = asyncio.run(run_batch(TagConfig(llm_mode="never", fusion=str(folder)),
                                    RunOptions(input=catalog, output=out)))
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert (summary.ok, summary.failed) == (1, 1)
    assert records["s1"]["status"] == "ok"
    err = records["s3"]["error"]
    assert err["kind"] == "internal.FusionError", err
    assert err["message"].startswith(f"fusion artifact {digest}: the valence combiner gave nan as "), err
