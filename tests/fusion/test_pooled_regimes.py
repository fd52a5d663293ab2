"""One genres combiner over two exemplar regimes (random split + album held out): an item's rows
from both regimes are one item to the cross-fitting audit, so they must share a fold, and a
training-only row of a scored item is a leak too; ``liner fit SPEC SPEC_ALBUM`` fits one combiner
on both specs' rows, writes one cross-fitted record per spec, and ``liner tag`` uses it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from linernotes.evals.fit import pooled_groups
from linernotes.evals.gold import GoldItem
from linernotes.fusion.artifact import load_fusion
from linernotes.fusion.crossfit import Audit
from linernotes.fusion.features import CANDIDATE_FEATURES, candidate_rows
from linernotes.fusion.fitting import fit_multilabel
from linernotes.fusion.observation import Observation
from linernotes.schema import Item


def _row(i: int, regime: str) -> tuple[Observation, list[str]]:
    """Item ``i`` as tagged in one regime: with a same-album neighbour (random) or without."""
    genre = "techno" if i % 3 else "house"
    album = f"album {i // 4}"
    near = [{"id": "s", "text": f"other track\nsomeone\n{album}", "genres": [genre], "score": 0.9}] \
        if regime == "random" else []
    ev = {"genres": [{"id": genre, "label": genre, "score": 0.8, "vote": 0.6 + 0.01 * (i % 7), "votes": 30},
                     {"id": "ambient", "label": "ambient", "score": 0.3, "vote": 0.3, "votes": 8}],
          "exemplars": [*near, {"id": "y", "text": "u", "genres": ["ambient"], "score": 0.4}]}
    item = Item(id=str(i), title=f"track {i}", album=album, label=f"label {i % 8}")
    return Observation(item, ev, None), [genre]


def _pooled(n: int = 48):
    rows = [_row(i, "random") for i in range(n)] + [_row(i, "album") for i in range(n)]
    keys = [str(i) for i in range(n)] * 2
    labels = [f"label {i % 8}" for i in range(n)] * 2
    return [r[0] for r in rows], [r[1] for r in rows], keys, labels


def test_album_features_tell_the_regimes_apart():
    col = {f: CANDIDATE_FEATURES.index(f) for f in ("album_share", "album_match")}
    _, X = candidate_rows(_row(5, "random")[0], {})
    assert X[0, col["album_match"]] == 1.0 and X[0, col["album_share"]] == 1.0
    _, X = candidate_rows(_row(5, "album")[0], {})
    assert X[:, col["album_match"]].max() == 0.0
    # an item without an album gets 0s
    obs = Observation(Item(id="x", title="t"), _row(5, "random")[0].evidence, None)
    _, X = candidate_rows(obs, {})
    assert X[:, [col["album_share"], col["album_match"]]].max() == 0.0


def test_pooled_rows_of_one_item_share_a_fold_and_pass_the_audit():
    obs, gold, keys, labels = _pooled()
    audit = Audit()
    _, oof = fit_multilabel(obs, gold, labels, {}, 3, 4, 0, audit, keys=keys)
    audit.check()
    assert len(oof.values) == len(obs)
    for handle, scored in audit.scores:  # by item: no model ever saw a row of an item it scored
        assert not scored & audit.fits[handle][1]


def test_an_items_two_rows_in_different_folds_fail_the_audit():
    obs, gold, keys, _ = _pooled()
    by_row = [f"row {j % 7}" for j in range(len(obs))]  # item i: rows i and 48 + i, groups i % 7 and (i + 6) % 7
    with pytest.raises(AssertionError, match="trained on"):
        fit_multilabel(obs, gold, by_row, {}, 3, 4, 0, Audit(), keys=keys)
    # the same folds audited by row would not have noticed
    fit_multilabel(obs, gold, by_row, {}, 3, 4, 0, Audit())


def test_a_training_only_row_of_a_scored_item_fails_the_audit():
    obs, gold, keys, labels = _pooled()
    n = len(obs) // 2  # the random rows are scored, item 0's album row trains every model
    with pytest.raises(AssertionError, match="trained on"):
        fit_multilabel(obs[:n] + [obs[n]], gold[:n] + [gold[n]], labels[:n] + [labels[n]], {}, 3, 4, 0,
                       Audit(), train_only=1, keys=keys[:n] + [keys[n]])


def test_pooled_groups_key_an_item_by_its_album_or_its_id():
    from linernotes.evals.spec import load_spec

    items = [GoldItem(id="a", group="L1", inputs={"album": "Mantra"}, gold={}),
             GoldItem(id="b", group="L1", inputs={}, gold={}), GoldItem(id="c", group=None, inputs={}, gold={})]
    specs = [load_spec("bandcamp-genres"), load_spec("bandcamp-genres-album")]
    assert pooled_groups(specs, items + items) == ["g:mantra", "i:b", "i:c"] * 2
    # no spec holds a field out: the group field
    assert pooled_groups(specs[:1], items) == ["g:L1", "g:L1", "i:c"]


# -- liner fit over both regimes -> liner tag ------------------------------------------------------

def _liner(args):
    from linernotes.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_fit_pools_two_regimes_into_one_combiner_and_tag_uses_it(tmp_path, shared_data):
    from linernotes.testing.openai_stub import StubServer

    tracks = [json.loads(x) for x in (shared_data / "gold" / "bandcamp-tracks.dev.jsonl").open()]
    labels = sorted({t["labelname"] for t in tracks})
    picked = [t for lab in labels for t in [x for x in tracks if x["labelname"] == lab][:14]]
    held, train = picked[::10], [t for i, t in enumerate(picked) if i % 10]
    (tmp_path / "tracks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in train), encoding="utf-8")
    body = f"data: {tmp_path / 'tracks.jsonl'}\n" + """id_field: id
group_field: labelname
inputs: {title: track, artist: artist, album: album, year: year, label: labelname}
tasks: [{name: genres, kind: multilabel, gold_field: gold_genres, taxonomy: music-genres}]
"""
    (tmp_path / "r.yaml").write_text("name: tiny-random\n" + body + "exemplars: {task: genres, exclude: sample}\n")
    (tmp_path / "a.yaml").write_text("name: tiny-album\n" + body
                                     + "exemplars: {task: genres, exclude: field, field: album}\n")
    catalog = [{"id": f"t{i}", "type": "track", "title": t["track"], "artist": t["artist"], "album": t["album"],
                "label": t["labelname"]} for i, t in enumerate(held)]
    (tmp_path / "catalog.jsonl").write_text("".join(json.dumps(r) + "\n" for r in catalog), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    try:
        with StubServer(latency_ms=0) as stub:
            llm = ["--model", "openai/stub", "--api-base", stub.base_url]
            out = tmp_path / "fus"
            r = _liner(["fit", tmp_path / "r.yaml", tmp_path / "a.yaml", "--limit", 60, "--folds", 3,
                        "--resamples", 50, "-o", out, *llm])
            assert r.exit_code == 0, r.output
            art = load_fusion(out)
            genres = art.fields["genres"]
            assert set(art.fields) == {"genres"} and {"album_share", "album_match"} <= set(genres.model.features)
            metrics = genres.card["metrics"]
            # one combiner, a cross-fitted record and figures per spec
            for name in ("tiny-random", "tiny-album"):
                cv = json.loads((out / "cv" / f"{name}.json").read_text())
                assert cv["config"]["fusion"] == "cross-fitted" and len(cv["items"]) == 60
                assert f"{name}.genres.micro_f1" in metrics
                assert cv["config"]["fusion_fit"]["genres"]["threshold"] == genres.threshold
            assert "pooled" in genres.card["folds"] and "2 exemplar regimes" in genres.card["data"]
            # each spec's exemplar pool joins: every item outside the sample, one row per index size
            # (1, 1/3, 1/9 of its fold's index), scored out of fold with figures per regime and size
            for name in ("tiny-random", "tiny-album"):
                assert metrics[f"pool_items.{name}"] > 20
                assert metrics[f"pool_rows.{name}"] == 3 * metrics[f"pool_items.{name}"]
                for size in ("1", "0.333", "0.111"):
                    assert metrics[f"pool.{name}@{size}.items"] == metrics[f"pool_items.{name}"]
                    assert 0 <= metrics[f"pool.{name}@{size}.ece"] <= 1
            assert "at 1, 0.333, 0.111 of its size" in genres.card["data"] and "in the folds" in genres.card["data"]
            assert len(genres.trained_on) == len(set(genres.trained_on))
            # the out-of-fold calibration rows next to the cv records: every cohort, with the size of
            # the index each row was tagged against (the sample's is the eval's index)
            rows = [json.loads(x) for x in (out / "cv" / "genres.calibration.jsonl").open()]
            assert {r["cohort"] for r in rows} == {"sample"} | {f"{n}@{z}" for n in ("tiny-random", "tiny-album")
                                                               for z in ("1", "0.333", "0.111")}
            assert all(isinstance(r["index_size"], int) and r["index_size"] > 0 and 0 <= r["confidence"] <= 1
                       for r in rows)
            for name in ("tiny-random", "tiny-album"):
                cv = json.loads((out / "cv" / f"{name}.json").read_text())
                sizes = {it["prediction"]["evidence"]["exemplar_index_size"] for it in cv["items"]}
                assert len(sizes) == 1 and sizes <= {r["index_size"] for r in rows if r["cohort"] == "sample"}
                assert max(r["index_size"] for r in rows if r["cohort"] == f"{name}@0.111") < min(sizes)
            r = _liner(["tag", tmp_path / "catalog.jsonl", "-o", tmp_path / "out.jsonl", "--fusion", out,
                        "--exemplars", out / "runs" / "tiny-random.json.d" / "exemplars", "--no-progress", *llm])
            assert r.exit_code == 0, r.output
    finally:
        mp.undo()
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").open()]
    assert len(rows) == len(catalog) and all(x["status"] == "ok" for x in rows)
    for x in rows:
        e = x["enrichment"]
        assert e["provenance"]["fusion"] == art.content_hash and "genres" in e["confidence"]["calibrated"]
    assert sum(bool(x["enrichment"]["genres"]) for x in rows) >= len(rows) - 1
    assert np.isfinite([x["enrichment"]["confidence"]["genres"] for x in rows]).all()


def test_items_without_a_same_album_neighbour_get_their_own_calibrator():
    obs, gold, keys, labels = _pooled(64)
    model, oof = fit_multilabel(obs, gold, labels, {}, 3, 4, 0, Audit(), keys=keys, by_release=True)
    assert model.calibrator_new_release is not None
    for o in (obs[0], obs[64]):  # item 0 with its album's neighbour, then without
        ids, p, same = model._probs(o)
        labels_, conf, _ = model.decide(o)
        assert same == (o is obs[0])
        score = float(np.prod(sorted(p, reverse=True)[: len(labels_)]))
        assert conf == pytest.approx(model.calibrate(score, same))
    # a model fitted before has no second calibrator: every item uses the one it has
    assert fit_multilabel(obs, gold, labels, {}, 3, 4, 0, Audit(), keys=keys)[0].calibrator_new_release is None
