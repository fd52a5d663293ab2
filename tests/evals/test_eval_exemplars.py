"""Gold specs' ``exemplars``: labeled gold items that are NOT evaluated become the tagger's exemplar
index. Checks the spec rules, both selection rules, that no evaluated item (or group) reaches the
index, the zero-exemplar error, and a stubbed ``evaluate`` run that resumes (no model)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from linernotes.config import TagConfig
from linernotes.evals.gold import exemplar_items, exemplar_records, load_gold, tagger_id, to_tagger_item
from linernotes.evals.record import RunRecord
from linernotes.evals.run import EvalOptions, evaluate, exemplar_folder, prepare_exemplars
from linernotes.evals.spec import GoldSpec, SpecError, load_spec
from linernotes.schema import OutputRecord
from linernotes.store.catalog import Row
from linernotes.testing.stub_enricher import StubEnricher
from linernotes.tools.retrieval.exemplars import open_exemplar_index

LABELS = {"Blueprint": ["techno"], "Parvati": ["psytrance", "goa trance"], "Defected": ["house"],
          "Samurai": ["drum and bass"]}


def spec_dict(**exemplars: str) -> dict:
    return {
        "name": "tiny", "data": "gold.jsonl", "group_field": "labelname",
        "inputs": {"title": "track", "artist": "artist", "label": "labelname", "year": "year"},
        "tasks": [{"name": "genres", "kind": "multilabel", "gold_field": "gold_genres", "taxonomy": "music-genres"},
                  {"name": "valence", "kind": "valence", "gold_field": "ratings"}],
        "exemplars": exemplars or {"task": "genres", "exclude": "sample"},
    }


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    rows = []
    for g, (label, genres) in enumerate(LABELS.items()):
        for k in range(4):
            rows.append({"id": f"{label.lower()}-{genres[0].replace(' ', '_')}-{k}", "track": f"Track {g}{k}",
                         "artist": f"Artist {label} {k % 2}", "labelname": f"{label} Records", "year": 2020 + k,
                         "tags": "LEAK " + " ".join(genres), "gold_genres": genres, "ratings": None})
    rows.append({"id": "unlabeled-0", "track": "No Genre", "artist": "Nobody", "labelname": "Blueprint Records",
                 "gold_genres": [], "ratings": [1.0]})
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_spec(tmp_path: Path, **exemplars: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec_dict(**exemplars)), encoding="utf-8")
    return path


# --- spec ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exemplars", "message"), [
    ({"task": "valence"}, "not a multilabel task"),
    ({"task": "moods"}, "not a multilabel task"),
    ({"task": "genres", "exclude": "labels"}, "exclude"),
    ({"task": "genres", "limit": 3}, "limit"),
])
def test_spec_rejects_bad_exemplar_settings(tmp_path, exemplars, message):
    with pytest.raises(ValidationError, match=message):
        GoldSpec.model_validate(spec_dict(**exemplars))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec_dict(**exemplars)), encoding="utf-8")
    with pytest.raises(SpecError, match=message):  # the CLI's message names the reason, not just "1 error"
        load_spec(path)


def test_groups_needs_a_group_field():
    data = spec_dict(task="genres", exclude="groups")
    data["group_field"] = None
    with pytest.raises(ValidationError, match="needs a group_field"):
        GoldSpec.model_validate(data)


def test_shipped_specs():
    ex = load_spec("bandcamp-genres").exemplars
    assert ex is not None and (ex.task, ex.exclude) == ("genres", "sample")
    album = load_spec("bandcamp-genres-album").exemplars
    assert album is not None and (album.exclude, album.field) == ("field", "album")
    ci = load_spec("ci-slice")
    assert ci.exemplars is not None and ci.exemplars.data == "../slices/ci-exemplars.jsonl"
    old = RunRecord.load(Path(__file__).parents[2] / "evals" / "baselines" / "ci-slice.json")
    assert old.exemplars is not None and old.spec_digest == ci.digest()  # the committed baseline is current


def test_field_rule_drops_every_item_sharing_the_value(tmp_path, gold_file):
    spec = GoldSpec.model_validate(spec_dict(task="genres", exclude="field", field="artist"))
    full = load_gold(spec, gold_file)
    sample = load_gold(spec, gold_file, limit=3, seed=1)
    artists = {" ".join(str(i.inputs.get("artist")).casefold().split()) for i in sample.items}
    left = exemplar_items(spec, full, sample)
    assert left and not {" ".join(str(i.inputs.get("artist")).casefold().split()) for i in left} & artists
    assert len(left) < len(full.items) - len(sample.items)
    with pytest.raises(ValidationError, match="needs exemplars.field"):
        GoldSpec.model_validate(spec_dict(task="genres", exclude="field", field="tags"))


def test_exemplars_from_another_file_never_hold_an_evaluated_item(tmp_path, gold_file):
    other = tmp_path / "more.jsonl"
    extra = {"id": "extra-0", "track": "Warehouse Tool", "artist": "X", "labelname": "Blueprint Records",
             "gold_genres": ["techno"], "ratings": None}
    rows = [json.loads(x) for x in gold_file.read_text().splitlines()]
    other.write_text("".join(json.dumps(r) + "\n" for r in [*rows[:2], extra]), encoding="utf-8")
    spec = GoldSpec.model_validate({**spec_dict(task="genres", data="more.jsonl"), "origin": ""})
    spec.origin = str(tmp_path / "tiny.yaml")
    sample = load_gold(spec, gold_file, limit=16, seed=0)  # every gold row is evaluated
    info = prepare_exemplars(spec, gold_file, sample, tmp_path / "run.d")
    ids = {r.id for r in open_exemplar_index(exemplar_folder(tmp_path / "run.d")).records}
    assert info.count == 1 and ids == {tagger_id("extra-0")}


# --- selection and index ------------------------------------------------------------------------

def test_selection_rules(tmp_path, gold_file):
    spec = GoldSpec.model_validate(spec_dict())
    full = load_gold(spec, gold_file)
    sample = load_gold(spec, gold_file, limit=3, seed=1)
    held = {i.id for i in sample.items}
    chosen = exemplar_items(spec, full, sample)
    assert {i.id for i in chosen} == {i.id for i in full.items} - held

    groups = GoldSpec.model_validate(spec_dict(task="genres", exclude="groups"))
    sampled_groups = {i.group for i in sample.items}
    left = exemplar_items(groups, full, sample)
    assert left and not {i.group for i in left} & sampled_groups
    assert {i.id for i in left} == {i.id for i in full.items if i.group not in sampled_groups}


@pytest.mark.parametrize("exclude", ["sample", "groups"])
def test_index_holds_no_evaluated_item_or_group(tmp_path, gold_file, exclude):
    spec = GoldSpec.model_validate(spec_dict(task="genres", exclude=exclude))
    full = load_gold(spec, gold_file)
    sample = load_gold(spec, gold_file, limit=3, seed=1)
    info = prepare_exemplars(spec, gold_file, sample, tmp_path / "run.d")
    index = open_exemplar_index(exemplar_folder(tmp_path / "run.d"))
    ids = {r.id for r in index.records}
    assert len(index) == info.count > 0
    assert not ids & {i.id for i in sample.items}
    assert not ids & {tagger_id(i.id) for i in sample.items}
    assert not ids & {i.id for i in full.items}  # opaque ids: gold ids can spell the answer
    by_tagger_id = {tagger_id(i.id): i for i in full.items}
    if exclude == "groups":
        assert not {by_tagger_id[i].group for i in ids} & {i.group for i in sample.items}
    assert tagger_id("unlabeled-0") not in ids  # no genres: cannot vote
    blob = (exemplar_folder(tmp_path / "run.d") / "records.jsonl").read_text()
    assert "LEAK" not in blob and "2021" not in blob  # only text the tagger reads; year is not text


def test_exemplar_text_is_the_query_text(gold_file):
    """The graph queries with ``item_text(item)``; an exemplar must read the same for the same item."""
    from linernotes.agents.content import item_text

    spec = GoldSpec.model_validate(spec_dict())
    full = load_gold(spec, gold_file)
    records = {r.id: r for r in exemplar_records(spec, full.items)}
    item = full.items[0]
    assert records[tagger_id(item.id)].text == item_text(to_tagger_item(spec, item))
    assert records[tagger_id(item.id)].genres == ["techno"]


def test_rebuild_is_deterministic(tmp_path, gold_file):
    spec = GoldSpec.model_validate(spec_dict())
    sample = load_gold(spec, gold_file, limit=5, seed=2)
    a = prepare_exemplars(spec, gold_file, sample, tmp_path / "a.d")
    b = prepare_exemplars(spec, gold_file, sample, tmp_path / "b.d")
    assert a == b
    assert ((exemplar_folder(tmp_path / "a.d") / "records.jsonl").read_bytes()
            == (exemplar_folder(tmp_path / "b.d") / "records.jsonl").read_bytes())


def test_no_exemplar_left_is_a_spec_error(tmp_path, gold_file):
    spec = GoldSpec.model_validate(spec_dict())
    everything = load_gold(spec, gold_file)  # no --limit: every item is evaluated
    with pytest.raises(SpecError, match="leave no labeled gold item"):
        prepare_exemplars(spec, gold_file, everything, tmp_path / "run.d")
    groups = GoldSpec.model_validate(spec_dict(task="genres", exclude="groups"))
    one_per_label = load_gold(groups, gold_file, limit=12, seed=0)
    assert len({i.group for i in one_per_label.items}) == len(LABELS)  # the sample touches every label
    with pytest.raises(SpecError, match="exclude: groups"):
        prepare_exemplars(groups, gold_file, one_per_label, tmp_path / "run2.d")


# --- evaluate -----------------------------------------------------------------------------------

class CapturingEnricher(StubEnricher):
    """The stub enricher, remembering the config the tagger was built with. It reports the real
    prompt (the manifest's prompt hash is half of the resume check)."""

    configs: list[TagConfig] = []
    calls = 0

    def __init__(self, config: TagConfig) -> None:
        from linernotes.agents.runtime import load_prompt

        super().__init__()
        self.runtime.prompt = load_prompt(config.prompt)
        CapturingEnricher.configs.append(config)

    async def enrich(self, row: Row) -> OutputRecord:
        CapturingEnricher.calls += 1
        return await super().enrich(row)


def test_evaluate_gives_the_tagger_exemplars_and_resumes(tmp_path, gold_file, monkeypatch):
    monkeypatch.setattr("linernotes.run.runner.Enricher", CapturingEnricher)
    CapturingEnricher.configs, CapturingEnricher.calls = [], 0
    out = tmp_path / "run.json"
    opts = EvalOptions(spec=str(write_spec(tmp_path)), output=out, data=gold_file, limit=4, seed=3, resamples=20)
    rec = asyncio.run(evaluate(opts, TagConfig()))
    folder = exemplar_folder(tmp_path / "run.json.d")
    cfg = CapturingEnricher.configs[-1]
    assert cfg.exemplars == str(folder)
    labeled = sum(1 for it in rec.items if it.gold.get("genres"))  # 16 of the 17 rows carry genres
    assert len(open_exemplar_index(cfg.exemplars)) == rec.exemplars.count == 16 - labeled
    assert (rec.exemplars.task, rec.exemplars.exclude) == ("genres", "sample")
    # the record names the index relative to the run folder: the folder may move (and records compare)
    assert rec.config["exemplars"] == "<run folder>/exemplars" and len(rec.items) == 4
    rec.save(out)
    assert RunRecord.load(out).exemplars == rec.exemplars

    built, calls = (folder / "records.jsonl").stat().st_mtime_ns, CapturingEnricher.calls
    again = asyncio.run(evaluate(opts, TagConfig()))  # the same command: resumes, reuses the index
    assert again.exemplars == rec.exemplars and CapturingEnricher.configs[-1] == cfg
    assert CapturingEnricher.calls == calls == 4  # every prediction came from the run folder
    assert (folder / "records.jsonl").stat().st_mtime_ns == built

    other = opts.model_copy(update={"limit": 6})  # another sample means another exemplar set
    with pytest.raises(SpecError, match="another exemplar set"):
        asyncio.run(evaluate(other, TagConfig()))
    fresh = asyncio.run(evaluate(other.model_copy(update={"fresh": True}), TagConfig()))
    assert fresh.exemplars.count == 16 - sum(1 for it in fresh.items if it.gold.get("genres"))
    assert len(fresh.items) == 6
