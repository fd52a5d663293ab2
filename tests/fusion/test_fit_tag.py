"""``liner fit`` -> ``liner tag --fusion`` -> ``liner eval``/``liner gate`` end to end, with the real
tools on real gold (a slice of the shared Bandcamp and VADER files) and the STUB OpenAI-compatible
endpoint as the LLM (a test double). Proves: the fitted artifact is used by tag (its hash in every
record's provenance, confidences marked calibrated), and a degraded artifact fails the gate."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from linernotes.fusion.artifact import load_fusion, save_fusion

pytestmark = pytest.mark.slow


def _write_spec(path, name, data, body):
    path.write_text(f"name: {name}\ndata: {data}\nid_field: id\n{body}", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory, shared_data):
    from linernotes.testing.openai_stub import StubServer

    d = tmp_path_factory.mktemp("fit")
    tracks = [json.loads(x) for x in (shared_data / "gold" / "bandcamp-tracks.dev.jsonl").open()]
    labels = sorted({t["labelname"] for t in tracks})
    picked = [t for lab in labels for t in [x for x in tracks if x["labelname"] == lab][:14]]
    held, train = picked[::10], [t for i, t in enumerate(picked) if i % 10]
    (d / "tracks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in train), encoding="utf-8")
    vader = [json.loads(x) for x in (shared_data / "gold" / "vader-multirater.dev.jsonl").open()][:400]
    (d / "vader.jsonl").write_text("".join(json.dumps(v) + "\n" for v in vader[:380]), encoding="utf-8")
    genres = _write_spec(d / "g.yaml", "tiny-genres", d / "tracks.jsonl", """group_field: labelname
inputs: {title: track, artist: artist, album: album, year: year, label: labelname}
tasks: [{name: genres, kind: multilabel, gold_field: gold_genres, taxonomy: music-genres}]
exemplars: {task: genres, exclude: sample}
""")
    valence = _write_spec(d / "v.yaml", "tiny-valence", d / "vader.jsonl", """group_field: source
inputs: {description: text}
tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 4, tolerance: 0.25}]
""")
    catalog = [{"id": f"t{i}", "type": "track", "title": t["track"], "artist": t["artist"], "album": t["album"],
                "label": t["labelname"]} for i, t in enumerate(held)]
    catalog += [{"id": f"v{i}", "type": "track", "description": v["text"]} for i, v in enumerate(vader[380:390])]
    (d / "catalog.jsonl").write_text("".join(json.dumps(r) + "\n" for r in catalog), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    stub = StubServer(latency_ms=0).__enter__()
    yield d, genres, valence, ["--model", "openai/stub", "--api-base", stub.base_url]
    stub.__exit__(None, None, None)
    mp.undo()


def _liner(args):
    from linernotes.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def fitted(world):
    d, genres, valence, llm = world
    r = _liner(["fit", genres, valence, "--limit", 60, "--folds", 3, "--resamples", 50, "-o", d / "fus", *llm])
    assert r.exit_code == 0, r.output
    return d / "fus"


def test_fit_writes_a_hashed_artifact_with_a_card_and_cross_fitted_records(fitted):
    art = load_fusion(fitted)
    assert set(art.fields) == {"genres", "valence"}
    assert art.fields["genres"].kind == "multilabel" and art.fields["valence"].kind == "scalar"
    card = (fitted / "MODEL_CARD.md").read_text()
    assert art.content_hash in card and "liner fit" in card and "cross-fitted" in card.lower()
    for name in ("tiny-genres", "tiny-valence"):
        cv = json.loads((fitted / "cv" / f"{name}.json").read_text())
        assert cv["config"]["fusion"] == "cross-fitted" and cv["metrics"]
    threshold = art.fields["genres"].threshold
    assert threshold is None or 0.0 <= threshold <= 1.0
    # the multilabel combiner also trained on the exemplar items (tagged against indexes without
    # them); its figures and the cv record cover the 60 sampled items only
    genres = art.fields["genres"]
    assert genres.card["metrics"]["pool_items"] > 20 and genres.card["items"] == 60 + genres.card["metrics"]["pool_items"]
    assert len(json.loads((fitted / "cv" / "tiny-genres.json").read_text())["items"]) == 60
    assert "exemplar items" in genres.card["data"] and len(genres.trained_on) == genres.card["items"]


def test_tag_uses_the_fusion_and_names_it_in_provenance(world, fitted):
    d, _, _, llm = world
    exemplars = fitted / "runs" / "tiny-genres.json.d" / "exemplars"
    r = _liner(["tag", d / "catalog.jsonl", "-o", d / "out.jsonl", "--fusion", fitted, "--exemplars", exemplars,
                "--no-progress", *llm])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (d / "out.jsonl").open()]
    digest = load_fusion(fitted).content_hash
    catalog = (d / "catalog.jsonl").read_text().splitlines()
    assert len(rows) == len(catalog) == 24 and all(x["status"] == "ok" for x in rows)
    for x in rows:
        e = x["enrichment"]
        assert e["provenance"]["fusion"] == digest
        assert {"genres", "valence"} <= set(e["confidence"]["calibrated"])
    tracks = [x["enrichment"] for x in rows if x["id"].startswith("t")]
    assert sum(bool(e["genres"]) for e in tracks) >= len(tracks) - 1
    r = _liner(["tag", d / "catalog.jsonl", "-o", d / "plain.jsonl", "--fusion", "none", "--no-progress", *llm])
    assert r.exit_code == 0, r.output
    plain = [json.loads(x)["enrichment"] for x in (d / "plain.jsonl").open()]
    assert all(e["provenance"]["fusion"] is None and e["confidence"]["calibrated"] == [] for e in plain)


def test_a_degraded_fusion_artifact_fails_the_gate(world, fitted):
    d, genres, _, llm = world
    art = load_fusion(fitted)
    clf = art.fields["genres"].model.classifier
    # the combiner now prefers the wrong labels: every log-odds negated (linear or boosted trees)
    if hasattr(clf, "coef"):
        clf.coef = [[-w for w in row] for row in clf.coef]
        clf.intercept = [-b for b in clf.intercept]
    else:
        clf.value = [[-v for v in tree] for tree in clf.value]
        clf.baseline = -clf.baseline
    save_fusion(art, d / "bad")
    runs = {}
    for name, fus in (("good", fitted), ("bad", d / "bad")):
        r = _liner(["eval", genres, "--limit", 60, "--fusion", fus, "--resamples", 200, "--no-progress",
                    "-o", d / f"{name}.json", *llm])
        assert r.exit_code == 0, r.output
        runs[name] = d / f"{name}.json"
    ok = _liner(["gate", runs["good"], runs["good"]])
    assert ok.exit_code == 0, ok.output
    bad = _liner(["gate", runs["good"], runs["bad"]])
    assert bad.exit_code == 1, bad.output
    assert "genres.micro_f1" in bad.output
    # the header names both artifacts: the prompt is unchanged, the fusion is not
    assert f"fusion {load_fusion(fitted).content_hash}" in bad.output
    assert f"fusion {load_fusion(d / 'bad').content_hash}" in bad.output


def test_a_tampered_artifact_is_refused_with_one_line(world, fitted, tmp_path):
    d, _, _, llm = world
    (tmp_path / "fusion.json").write_text('{"format": 1, "fields": {"genres": {"kind": "multilabel"}}}')
    r = _liner(["tag", d / "catalog.jsonl", "-o", tmp_path / "o.jsonl", "--fusion", tmp_path, *llm])
    assert r.exit_code == 2
    assert "not a valid fusion artifact" in r.output
    # a fitted artifact cut short (a copy interrupted): the position, one line, no ": :"
    blob = (fitted / "fusion.json").read_bytes()
    (tmp_path / "fusion.json").write_bytes(blob[: len(blob) // 2])
    r = _liner(["tag", d / "catalog.jsonl", "-o", tmp_path / "o2.jsonl", "--fusion", tmp_path, *llm])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "fusion.json: not a valid fusion artifact: line 1 column " in out, out
    assert ": :" not in out
