"""QA of the clean catalog texts a policy eval scores (spec ``clean:``, ``evals.clean``): inputs
that made the false-flag rate say something it did not measure."""

from __future__ import annotations

import json

import pytest

from linernotes.evals.clean import load_clean
from linernotes.evals.spec import SpecError, parse_spec

SPEC = ("name: mini-policy\ndata: gold.jsonl\nid_field: id\ninputs:\n  description: text\n"
        "tasks:\n  - name: policy\n    kind: policy\n    gold_field: label\n    clause_map:\n"
        "      violence.threat: threat\n      profanity.general: profanity\nclean: {data: clean.jsonl}\n")


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _spec(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text(SPEC, encoding="utf-8")
    spec = parse_spec(p.read_text(), str(p))
    spec.origin = str(p)  # as load_spec sets it: clean.data resolves against the spec's folder
    return spec


def test_a_clean_row_without_catalog_text_is_refused_naming_the_field_to_write(tmp_path):
    """Clean rows written with the gold set's column ('text', which the spec's inputs map to
    description) were read as a catalog with an unknown column: the tagger saw no text, and
    'Fuck this shit' was counted as a clean text left unflagged (0 of 3 flagged, exit 0)."""
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "source": "review", "text": "The lens is sharp."},
                                      {"id": "c2", "source": "review", "text": "Fuck this shit, it broke."}])
    with pytest.raises(SpecError, match=r"clean\.jsonl:1: clean text 'c1': no text to tag .*its columns: source, "
                       r"text\).*not through the spec's inputs: write description for text"):
        load_clean(_spec(tmp_path))
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "description": "The lens is sharp."}, {"id": "c2", "year": 1999}])
    with pytest.raises(SpecError, match=r"clean\.jsonl:2: clean text 'c2': no text to tag .*its columns: year\)"):
        load_clean(_spec(tmp_path))
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "description": "The lens is sharp."}, {"id": "c2", "title": "Slow"}])
    assert [g.id for g in load_clean(_spec(tmp_path))] == ["c1", "c2"]


def test_a_clean_id_that_is_a_gold_id_is_refused_whatever_the_limit_draws(tmp_path):
    """Whether a clean row taking a gold row's id was refused depended on --limit/--seed: with
    --limit 1 --seed 0 the draw left gold 'p2' out and the clean row 'p2' was scored as clean
    text under the gold item's id (with --limit 2 --seed 1 the same files were refused)."""
    from linernotes.config import TagConfig
    from linernotes.evals.gold import load_gold
    from linernotes.evals.run import EvalOptions, with_clean

    _write(tmp_path / "gold.jsonl", [{"id": f"p{i}", "text": f"prompt {i}", "label": "threat"} for i in (1, 2, 3)])
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "description": "fine"}, {"id": "p2", "description": "other"}])
    spec = _spec(tmp_path)
    opts = EvalOptions(spec=spec.origin, output=tmp_path / "run.json", limit=1, seed=0)
    gold = load_gold(spec, tmp_path / "gold.jsonl", opts.limit, opts.seed)
    assert [g.id for g in gold.items] != ["p2"]  # the draw leaves the colliding gold row out
    with pytest.raises(SpecError, match=r"clean\.jsonl:2: clean text id 'p2' is also a gold item's id"):
        with_clean(spec, gold, TagConfig(llm_mode="never"), opts)
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "description": "fine"}, {"id": "c2", "description": "other"}])
    both = with_clean(spec, gold, TagConfig(llm_mode="never"), opts)  # no clash: one clean text drawn
    assert len(both.items) == 2 and both.items[1].id in {"c1", "c2"}


def test_gate_names_the_clean_texts_when_only_they_differ(repo_root, tmp_path):
    """A candidate whose fusion artifact was fitted on some of the spec's clean texts leaves them
    out (and its --limit / clean.limit draw moves): the gate said 'the sample differs ...;
    evaluate with the baseline's --limit and --seed', advice that cannot help (both were the
    same). It names the clean texts and why they differ; a gold item missing still gets the old
    message."""
    from typer.testing import CliRunner

    from linernotes.cli.app import app
    from linernotes.evals.clean import clean_key
    from linernotes.evals.record import RunRecord

    base_path = repo_root / "evals" / "baselines" / "ci-slice.json"
    base = RunRecord.load(base_path)
    clean = [it.id for it in base.items if clean_key("policy") in it.gold]
    gold = [it.id for it in base.items if clean_key("policy") not in it.gold]
    for drop, want in ((clean[0], "the clean texts (spec clean:) differ (1 ids"), (gold[0], "the sample differs")):
        cand = base.model_copy(update={"items": [it for it in base.items if it.id != drop]})
        cand.save(tmp_path / "cand.json")
        out = CliRunner().invoke(app, ["gate", str(base_path), str(tmp_path / "cand.json")])
        assert out.exit_code == 2, out.output
        text = " ".join(out.output.split())
        assert want in text, text
        assert ("fitted on" in text) == (drop == clean[0])


def test_texts_a_fit_took_outside_the_draw_do_not_move_it(tmp_path):
    """The --limit / clean.limit draw was made over the texts left after those the fusion artifact
    was fitted on: one of them, not drawn, moved the whole draw (here 3 of 4 texts changed), so
    two artifacts' runs scored other clean texts. A drawn one the fit took is replaced by one
    other text; without exclusions the draw is what it was (the committed baselines hold)."""
    from linernotes.fusion.artifact import id_digest

    _write(tmp_path / "clean.jsonl", [{"id": f"c{i}", "description": f"a quiet sentence {i}"} for i in range(40)])
    spec = _spec(tmp_path)
    drawn = [g.id for g in load_clean(spec, seed=3, limit=4)]
    assert drawn == ["c3", "c6", "c9", "c30"]  # as before this change (numpy's seeded choice)
    outside = next(f"c{i}" for i in range(40) if f"c{i}" not in drawn)
    assert [g.id for g in load_clean(spec, seed=3, limit=4, trained_on=frozenset({id_digest(outside)}))] == drawn
    inside = [g.id for g in load_clean(spec, seed=3, limit=4, trained_on=frozenset({id_digest(drawn[1])}))]
    assert len(inside) == 4 and drawn[1] not in inside and len(set(inside) & set(drawn)) == 3
    every = load_clean(spec, limit=50, trained_on=frozenset({id_digest("c0")}))
    assert [g.id for g in every] == [f"c{i}" for i in range(1, 40)]


def test_source_field_reads_a_catalog_field_and_a_column_no_row_has_is_refused(tmp_path):
    """clean.source_field: label (a catalog's record label, a field the catalog reader knows) was
    looked up among the extra columns only, and a misspelt column likewise found nothing: every
    text counted under 'clean' (QA: 'clean 0/3' for texts of two labels), without a word."""
    _write(tmp_path / "clean.jsonl", [{"id": "c1", "label": "Warp", "title": "Windowlicker"},
                                      {"id": "c2", "label": "Sub Pop", "title": "Smells"},
                                      {"id": "c3", "title": "Xtal", "source": "web"}])
    def spec(column):
        (tmp_path / "spec.yaml").write_text(SPEC.replace("clean: {data: clean.jsonl}", "clean: {data: clean.jsonl, "
                                                         f"source_field: {column}}}"), encoding="utf-8")
        out = parse_spec((tmp_path / "spec.yaml").read_text(), str(tmp_path / "spec.yaml"))
        out.origin = str(tmp_path / "spec.yaml")
        return out

    assert [g.gold["policy_clean"] for g in load_clean(spec("label"))] == ["Warp", "Sub Pop", "clean"]
    with pytest.raises(SpecError, match=r"clean\.jsonl: no clean text has a value in column 'sorce' "
                       r"\(clean\.source_field of spec mini-policy\); its columns: id, label, source, title"):
        load_clean(spec("sorce"))
    assert [g.gold["policy_clean"] for g in load_clean(_spec(tmp_path))] == ["clean", "clean", "web"]  # the default
