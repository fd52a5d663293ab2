"""``liner fit`` without ``--signals`` refuses, before anything is tagged, the specs it cannot fit
together (exit 2, naming the spec file and task): a task scoring a declared signal ended the fit in
``KeyError: 'single_label'`` (a multilabel one was fitted as the genres combiner), and a second
valence or policy task replaced the first one's combiner without a word, exit 0 (found by QA
qa-fit16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.fit_specs import check_fit_specs
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import REPO, run_liner_in_process
from tests.evals.vader_slice import vader_spec

SUBJECT = REPO / "examples" / "signals" / "subject.gold.yaml"


def test_a_signal_task_is_refused_with_the_way_to_fit_it(tmp_path: Path) -> None:
    run = tmp_path / "subject.json"  # the signal's eval: the fit reads it instead of tagging the sample
    r = run_liner_in_process(["eval", SUBJECT, "--signals", SUBJECT.parent / "subject.yaml", "-o", run, "--llm",
                              "never", "--resamples", "0", "--no-progress"])
    assert r.returncode == 0, r.stderr
    r = run_liner_in_process(["fit", SUBJECT, "--run", run, "-o", tmp_path / "fit"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith(f"liner: error: {SUBJECT}: tasks[0] (subject) scores the declared signal 'subject'; "
                               "liner fit without --signals fits the built-in fields"), r.stderr
    assert "Traceback" not in r.stderr and "fit its spec alone with --signals" in r.stderr
    assert not (tmp_path / "fit").exists()


def test_two_valence_specs_are_refused_before_anything_is_tagged(tmp_path: Path, shared_data: Path) -> None:
    one = vader_spec(tmp_path, shared_data, 20, name="one", file="one.yaml")
    two = vader_spec(tmp_path, shared_data, 20, name="two", file="two.yaml")
    runs = []
    for spec in (one, two):  # read by the fit instead of tagging the samples with the LLM
        runs += ["--run", tmp_path / f"{spec.stem}.json"]
        r = run_liner_in_process(["eval", spec, "-o", runs[-1], "--llm", "never", "--resamples", "0", "--no-progress"])
        assert r.returncode == 0, r.stderr
    r = run_liner_in_process(["fit", one, two, *runs, "-o", tmp_path / "fit", "--resamples", "0"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert (f"liner: error: {two}: tasks[0] (valence) is a second valence task of this fit (spec one task valence "
            "is the first): an artifact holds one valence combiner") in r.stderr, r.stderr
    assert not (tmp_path / "fit").exists()


def test_one_spec_with_two_tasks_of_a_kind_is_refused_and_shipped_combinations_pass(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndata: g.jsonl\ninputs: {description: text}\ntasks:\n"
                    "  - {name: genres, kind: multilabel, gold_field: a}\n"
                    "  - {name: styles, kind: multilabel, gold_field: b}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"tasks\[1\] \(styles\) is a second multilabel task of this fit"):
        check_fit_specs([load_spec(spec)])
    # the genres tasks of two specs are pooled into one combiner; one task per field is the rule otherwise
    check_fit_specs([load_spec(n) for n in ("bandcamp-genres", "bandcamp-genres-album", "vader-valence",
                                            "policy-prompts")])
    check_fit_specs([load_spec("ci-slice")])


def test_negatives_from_a_spec_with_a_policy_task_are_refused(tmp_path: Path, shared_data: Path) -> None:
    """--negatives naming a labelled policy spec (the fitted one, here) added each unsafe prompt as a
    clean 'none' item too: out-of-fold accuracy 0.25 instead of 0.44, exit 0."""
    lines = (shared_data / "gold" / "policy-prompts.dev.jsonl").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "p.jsonl"
    data.write_text("\n".join(lines[::25]) + "\n", encoding="utf-8")  # 40 prompts across the categories
    spec = tmp_path / "p.yaml"
    shipped = Path(load_spec("policy-prompts").origin).read_text(encoding="utf-8")
    spec.write_text(shipped.replace("name: policy-prompts", "name: p")
                    .replace("../shared/data/gold/policy-prompts.dev.jsonl", str(data)), encoding="utf-8")
    run = tmp_path / "p.json"
    r = run_liner_in_process(["eval", spec, "-o", run, "--llm", "never", "--resamples", "0", "--no-progress"])
    assert r.returncode == 0, r.stderr
    r = run_liner_in_process(["fit", spec, "--run", run, "--negatives", f"{spec}@30", "-o", tmp_path / "fit",
                              "--resamples", "0"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert (f"liner: error: --negatives {spec}@30: spec p has a policy task (policy, gold column 'label'): its items "
            "are labelled prompts, not clean text") in r.stderr, r.stderr
    assert not (tmp_path / "fit").exists()


def test_a_limit_below_two_items_per_fold_is_refused_before_tagging(tmp_path: Path, shared_data: Path) -> None:
    """`liner fit SPEC --limit 4` tagged the 4 items with the LLM, then said 'only 4 answered items carry
    valence gold; fitting needs at least 10'. The model here is unreachable: nothing may be asked."""
    spec = vader_spec(tmp_path, shared_data, 30)
    r = run_liner_in_process(["fit", spec, "--limit", "4", "-o", tmp_path / "fit", "--model", "openai/none",
                              "--api-base", "http://127.0.0.1:9/v1"], env={"OPENAI_API_KEY": "none"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert ("liner: error: --limit 4: each combiner is fitted on at least 10 LLM-tagged items of the sample (two per "
            "fold, --folds 5)") in r.stderr, r.stderr
    assert not (tmp_path / "fit").exists()
