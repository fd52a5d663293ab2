"""A `liner review export` folder (``gold/decade`` holding ``v1``, ``v2``, ...) given where one
labeled table is read (an eval gold spec's ``data:``, ``liner index build --gold``) is refused naming
its versions and the latest to point at. QA newuser23: the signals loop of the README exports with
``-o gold/decade``; a gold spec with ``data: gold/decade`` said "datasets could not load it
(FileNotFoundError: Directory ... is neither a `Dataset` directory nor a `DatasetDict` directory.)",
not that the folder holds versions or which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import GoldSpec, SpecError
from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import ReviewStore
from linernotes.store.tables import load_table
from linernotes.tools.retrieval.exemplar_sources import records_from_file

ROWS = [{"id": f"t{i}", "type": "track", "title": f"Song {i}", "gold_genres": ["rock"], "mean": 0.5} for i in range(3)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("export-root")
    gold = tmp / "g.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    build_store(tmp / "s.sqlite", gold=gold)
    store = ReviewStore(tmp / "s.sqlite")
    root = tmp / "gold" / "decade"
    export_gold(store, root)
    export_gold(store, root)
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["v1", "v2"]
    return root


def test_eval_names_the_versions_and_the_latest(exported: Path) -> None:
    spec = GoldSpec(name="g", data=str(exported), id_field="id", inputs={"title": "title"},
                    tasks=[{"name": "valence", "kind": "valence", "gold_field": "mean"}])
    with pytest.raises(SpecError, match=r"decade: a `liner review export` folder of 2 versions \(v1, v2\); "
                                         r"point at one of them, the latest: .*decade/v2"):
        load_gold(spec, exported)


def test_an_exemplar_source_names_them_too(exported: Path) -> None:
    with pytest.raises(ValueError, match=r"export` folder of 2 versions \(v1, v2\)"):
        list(records_from_file(exported))


def test_one_version_is_read(exported: Path) -> None:
    assert sorted(load_table(exported / "v2")["id"]) == ["t0", "t1", "t2"]
