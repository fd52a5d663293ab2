"""``liner fit`` on what a user hands it: the model card names the sample the combiner was really
fitted on (a ``--run`` record's own --limit/--seed, not the fit's defaults), a ``--run`` record
scored on other gold is refused naming it, a policy fit with no 'none' item is refused before
anything is tagged, and a refused fit leaves no empty output folder. Real tools, ``--llm never``
records (no LLM)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.evals.vader_slice import vader_spec


def _liner(args: list) -> object:
    from linernotes.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def world(tmp_path_factory, shared_data) -> Path:
    d = tmp_path_factory.mktemp("fitin")
    vader_spec(d, shared_data, 120, name="tiny-valence")
    rows = (shared_data / "gold" / "vader-multirater.dev.jsonl").read_text(encoding="utf-8").splitlines()
    (d / "other.jsonl").write_text("\n".join(rows[200:320]) + "\n", encoding="utf-8")
    pol = (shared_data / "gold" / "policy-prompts.dev.jsonl").read_text(encoding="utf-8").splitlines()
    (d / "policy.jsonl").write_text("\n".join(pol[:40]) + "\n", encoding="utf-8")
    (d / "p.yaml").write_text(f"name: tiny-policy\ndata: {d / 'policy.jsonl'}\ngroup_field: source\n"
                              "inputs: {description: text}\n"
                              "tasks: [{name: policy, kind: policy, gold_field: label, "
                              "clause_map: {profanity.general: profanity}}]\n", encoding="utf-8")
    return d


def _eval(d: Path, out: str, *extra: object) -> Path:
    r = _liner(["eval", d / "v.yaml", "-o", d / out, "--llm", "never", "--fusion", "none", "--resamples", 0,
                "--no-progress", *extra])
    assert r.exit_code == 0, r.output
    return d / out


def test_the_card_names_the_run_records_sample_not_the_fits_defaults(world: Path) -> None:
    run = _eval(world, "s7.json", "--limit", 24, "--seed", 7)
    r = _liner(["fit", world / "v.yaml", "--run", run, "--folds", 3, "--pool", 20, "--resamples", 0,
                "-o", world / "fus"])
    assert r.exit_code == 0, r.output
    card = json.loads((world / "fus" / "fusion.json").read_text())["fields"]["valence"]["card"]
    # it said "sample 300 seed 0", and nothing of the 20 other items beside "items: 44"
    assert card["data"] == ("tiny-valence (vader.jsonl), sample 24 seed 7; plus 20 other items of the gold set, "
                            "tagged without the LLM (the tools' evidence only)")
    assert card["items"] == 44
    assert "sample 24 seed 7" in (world / "fus" / "MODEL_CARD.md").read_text()
    # the regressor's text and alpha, and Pearson out of fold over all 44 items, per source and their mean
    from linernotes.fusion.fitting import SCALAR_OPTIONS

    m = card["metrics"]
    assert m["ridge_alpha"] in [a for a, _ in SCALAR_OPTIONS] and "negation scopes marked" in m["text_columns"]
    per = {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("pearson_all_items.")}
    assert len(per) >= 1 and all(-1 <= v <= 1 for v in per.values()) and -1 <= m["pearson_all_items"] <= 1
    assert m["pearson_sources_mean_all_items"] == pytest.approx(sum(per.values()) / len(per), abs=1e-3)


def test_the_cross_fitted_record_names_the_fitted_artifact(world: Path) -> None:
    """QA session 24: the fit's cv/ record kept its sample run's fusion (the shipped
    '95e700f5cd7d16a4' of a --run eval), so liner gate of that eval against the cv/ record said
    both were decided by the same fusion."""
    run = _eval(world, "s5.json", "--limit", 24, "--seed", 5)
    r = _liner(["fit", world / "v.yaml", "--run", run, "--folds", 3, "--pool", 0, "--resamples", 0,
                "-o", world / "named"])
    assert r.exit_code == 0, r.output
    from linernotes.fusion.artifact import load_fusion

    digest = load_fusion(world / "named").content_hash
    cv = json.loads((world / "named" / "cv" / "tiny-valence.json").read_text())
    assert cv["tool_versions"]["fusion"] == f"{digest} cross-fitted (valence)"  # the run had --fusion none
    g = _liner(["gate", run, world / "named" / "cv" / "tiny-valence.json"])
    assert f"fusion {digest} cross-fitted (valence)" in " ".join(g.output.split()), g.output


def test_a_run_record_of_other_gold_is_refused_naming_it(world: Path) -> None:
    run = _eval(world, "other.json", "--limit", 24, "--data", world / "other.jsonl")
    r = _liner(["fit", world / "v.yaml", "--run", run, "--folds", 3, "--pool", 20, "-o", world / "fus2"])
    assert r.exit_code == 2, r.output
    # it said "spec tiny-valence: only 0 answered items carry valence gold; fitting needs at least 6"
    assert f"--run {run}: its sample was scored on other gold than this fit reads" in r.output
    assert "other.jsonl; pass that file with --data" in r.output
    assert not (world / "fus2").exists()  # nothing left behind
    r = _liner(["fit", world / "v.yaml", "--run", run, "--data", world / "other.jsonl", "--folds", 3, "--pool", 20,
                "--resamples", 0, "-o", world / "fus2"])
    assert r.exit_code == 0, r.output


def test_a_policy_fit_without_any_none_item_is_refused_before_tagging(world: Path) -> None:
    # an unreachable endpoint: had the sample been tagged first, the error would be the endpoint's
    r = _liner(["fit", world / "p.yaml", "--limit", 20, "--folds", 3, "--model", "openai/x", "--api-base",
                "http://127.0.0.1:9/v1", "-o", world / "pfus"])
    assert r.exit_code == 2, r.output
    assert "spec tiny-policy: no item of" in r.output and "has policy 'none'" in r.output
    assert "--negatives" in r.output
    assert not (world / "pfus").exists()


def test_a_policy_gold_category_the_clause_map_lacks_is_refused_before_tagging(world: Path) -> None:
    """QA session 24: gold 'banana_class' on 10 of 20 prompts fitted with exit 0 (the classifier
    learned it as a class no clause stands for); 'how do I steal a bike from the shop' was then
    tagged with no flag at all, policy confidence 1.0, not routed."""
    rows = [json.loads(x) for x in (world / "policy.jsonl").read_text(encoding="utf-8").splitlines()]
    (world / "typo.jsonl").write_text("".join(json.dumps({**r, "label": "insullt" if n % 4 == 1 else "insult"}) + "\n"
                                              for n, r in enumerate(rows)), encoding="utf-8")
    spec = (world / "p.yaml").read_text(encoding="utf-8").replace("policy.jsonl", "typo.jsonl")
    spec = spec.replace("profanity.general: profanity}", "profanity.general: profanity, profanity.insult: insult}")
    (world / "typo.yaml").write_text(spec.replace("tiny-policy", "tiny-typo"), encoding="utf-8")
    # an unreachable endpoint: had the sample been tagged first, the error would be the endpoint's
    r = _liner(["fit", world / "typo.yaml", "--negatives", world / "v.yaml", "--limit", 20, "--folds", 3,
                "--model", "openai/x", "--api-base", "http://127.0.0.1:9/v1", "-o", world / "typo-fus"])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert (f"spec tiny-typo: {world / 'typo.jsonl'}: gold policy categories that no clause of the spec's "
            "clause_map stands for: 'insullt' on 10 items (e.g. ") in said, said
    assert "the categories it has: insult, none, profanity" in said
    assert not (world / "typo-fus").exists()


def test_a_valence_gold_no_wider_than_twice_the_tolerance_is_refused_before_tagging(world: Path) -> None:
    """QA session 24: 30 items all rated 2 of 4 fitted with exit 0 (oof accuracy 1.0, every
    answer 0.5 within tolerance); 'I hate the rain, it makes me sad and lonely, awful' was then
    tagged valence 0.5 with calibrated confidence 0.999 and auto-accepted."""
    rows = [json.loads(x) for x in (world / "vader.jsonl").read_text(encoding="utf-8").splitlines()]
    (world / "narrow.jsonl").write_text("".join(json.dumps({**r, "ratings": [2, 2] if n % 3 else [3, 3]}) + "\n"
                                                for n, r in enumerate(rows)), encoding="utf-8")
    spec = (world / "v.yaml").read_text(encoding="utf-8").replace("vader.jsonl", "narrow.jsonl")
    (world / "narrow.yaml").write_text(spec.replace("tiny-valence", "tiny-narrow"), encoding="utf-8")
    r = _liner(["fit", world / "narrow.yaml", "--limit", 20, "--folds", 3, "--model", "openai/x", "--api-base",
                "http://127.0.0.1:9/v1", "-o", world / "narrow-fus"])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert (f"spec tiny-narrow: the {len(rows)} items' valence gold spans 0.5 to 0.75, no wider than twice the "
            "tolerance 0.25: answering 0.625 for every item would be within tolerance of all of them") in said, said
    assert not (world / "narrow-fus").exists()


def test_a_policy_gold_of_one_category_fits_with_negatives(world: Path, shared_data: Path) -> None:
    rows = [json.loads(x) for x in (world / "policy.jsonl").read_text(encoding="utf-8").splitlines()]
    (world / "one.jsonl").write_text("".join(json.dumps({**r, "label": "insult"}) + "\n" for r in rows),
                                     encoding="utf-8")
    spec = (world / "p.yaml").read_text(encoding="utf-8").replace("policy.jsonl", "one.jsonl")
    spec = spec.replace("profanity.general: profanity}", "profanity.general: profanity, profanity.insult: insult}")
    (world / "p1.yaml").write_text(spec.replace("tiny-policy", "tiny-one"), encoding="utf-8")
    r = _liner(["eval", world / "p1.yaml", "-o", world / "one.json", "--llm", "never", "--fusion", "none",
                "--resamples", 0, "--no-progress"])
    assert r.exit_code == 0, r.output
    negatives = _eval(world, "neg.json", "--limit", 24)
    r = _liner(["fit", world / "p1.yaml", "--run", world / "one.json", "--run", negatives, "--negatives",
                f"{world / 'v.yaml'}@60", "--folds", 3, "--pool", 0, "--resamples", 0, "-o", world / "one-fus"])
    # it failed after tagging: "clause_for names classes the classifier lacks: ['profanity']"
    assert r.exit_code == 0, r.output
    model = json.loads((world / "one-fus" / "fusion.json").read_text())["fields"]["policy"]["model"]
    assert sorted(model["classifier"]["classes"]) == ["insult", "none"] and model["clause_for"] == {
        "insult": "profanity.insult"}
    # negatives naming groups: the false-flag budget and the card's rate are per group (the VADER
    # sources are different prose), not pooled under the spec's name
    by: dict[str, list] = {}
    for line in (shared_data / "gold" / "vader-multirater.dev.jsonl").read_text(encoding="utf-8").splitlines():
        x = json.loads(line)
        by.setdefault(x["source"], []).append(x)
    mixed = [x for g in ("amazon_review", "movie_review") for x in by.get(g, [])[:30]]
    assert {x["source"] for x in mixed} == {"amazon_review", "movie_review"}, sorted(by)
    (world / "mixed.jsonl").write_text("".join(json.dumps(x) + "\n" for x in mixed), encoding="utf-8")
    (world / "mixed.yaml").write_text(f"name: mixed-prose\ndata: {world / 'mixed.jsonl'}\ngroup_field: source\n"
                                      "inputs: {description: text}\n"
                                      "tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 4}]\n",
                                      encoding="utf-8")
    r = _liner(["eval", world / "mixed.yaml", "-o", world / "mixed.json", "--llm", "never", "--fusion", "none",
                "--resamples", 0, "--no-progress"])
    assert r.exit_code == 0, r.output
    r = _liner(["fit", world / "p1.yaml", "--run", world / "one.json", "--run", world / "mixed.json",
                "--negatives", f"{world / 'mixed.yaml'}:amazon_review@25", "--negatives",
                f"{world / 'mixed.yaml'}:movie_review@25", "--folds", 3, "--pool", 0, "--resamples", 0,
                "-o", world / "mixed-fus"])
    assert r.exit_code == 0, r.output
    card = json.loads((world / "mixed-fus" / "fusion.json").read_text())["fields"]["policy"]["card"]["metrics"]
    assert {k for k in card if k.startswith("false_flag_rate_negatives.")} == {
        "false_flag_rate_negatives.mixed-prose:amazon_review", "false_flag_rate_negatives.mixed-prose:movie_review"}
    assert card["negatives"] == 50
    (world / "none.jsonl").write_text("".join(json.dumps({**r, "label": "none"}) + "\n" for r in rows),
                                      encoding="utf-8")
    r = _liner(["fit", world / "p1.yaml", "--data", world / "none.jsonl", "--limit", 20, "--folds", 3,
                "--model", "openai/x", "--api-base", "http://127.0.0.1:9/v1", "-o", world / "none-fus"])
    assert r.exit_code == 2 and "has a policy category other than 'none'" in r.output, r.output


def test_a_refused_resume_of_the_fits_sample_names_the_fits_remedy(world: Path) -> None:
    # the sample folder a fit tags into, made under another configuration (here: without the LLM)
    _eval(world, "rfus/runs/tiny-valence.json", "--limit", 12)
    r = _liner(["fit", world / "v.yaml", "--limit", 12, "--folds", 3, "--model", "openai/x", "--api-base",
                "http://127.0.0.1:9/v1", "-o", world / "rfus"])
    assert r.exit_code == 2, r.output
    assert "holds predictions started with a different configuration" in r.output
    # it said "or --fresh to start over": liner fit has no --fresh ("No such option")
    assert "--fresh" not in r.output
    assert f"or delete {world / 'rfus' / 'runs' / 'tiny-valence.json.d'} to tag the sample again, or fit into " \
           "another -o" in r.output


@pytest.mark.parametrize(("negatives", "said"), [
    ("{v}:tweet@30", "no item of vader.jsonl is in group 'tweet' (its source values: "),
    ("{v}@0", "@N is how many items to draw, at least 1"),  # it said "--limit: Input should be ... >= 1"
])
def test_a_negatives_typo_is_refused_before_tagging(world: Path, negatives: str, said: str) -> None:
    text = negatives.format(v=world / "v.yaml")
    r = _liner(["fit", world / "p.yaml", "--negatives", text, "--limit", 20, "--folds", 3, "--model", "openai/x",
                "--api-base", "http://127.0.0.1:9/v1", "-o", world / "nfus"])
    assert r.exit_code == 2, r.output
    assert f"--negatives {text!r}: {said}" in r.output
    assert not (world / "nfus").exists()


def test_a_run_of_a_spec_the_fit_does_not_read_is_refused_before_tagging(world: Path) -> None:
    r = _liner(["eval", world / "p.yaml", "-o", world / "pol.json", "--llm", "never", "--fusion", "none",
                "--resamples", 0, "--no-progress"])
    assert r.exit_code == 0, r.output
    # it was skipped: the fit tagged the valence sample with the LLM (here an unreachable one) and said
    # "only 0 answered items carry valence gold"
    r = _liner(["fit", world / "v.yaml", "--run", world / "pol.json", "--limit", 20, "--folds", 3, "--model",
                "openai/x", "--api-base", "http://127.0.0.1:9/v1", "-o", world / "wfus"])
    assert r.exit_code == 2, r.output
    assert (f"--run {world / 'pol.json'}: a run of spec 'tiny-policy', which this fit does not read (its specs: "
            "tiny-valence)") in r.output
    assert not (world / "wfus").exists()


def test_data_with_several_specs_and_a_spec_twice_are_refused(world: Path) -> None:
    # --data was read as every spec's gold ("v.jsonl:1: none of the gold columns ['label'] of spec
    # tiny-policy"); a spec given twice was fitted twice and its record listed twice
    r = _liner(["fit", world / "v.yaml", world / "p.yaml", "--data", world / "vader.jsonl", "-o", world / "dfus"])
    assert r.exit_code == 2, r.output
    assert f"--data: {world / 'vader.jsonl'} replaces one spec's gold file; this fit has 2 specs" in r.output
    r = _liner(["fit", world / "v.yaml", world / "v.yaml", "-o", world / "dfus"])
    assert r.exit_code == 2 and f"SPEC: spec {world / 'v.yaml'} is given more than once" in r.output, r.output
    assert not (world / "dfus").exists()
