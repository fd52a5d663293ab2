"""``liner fit GOLD --signals S.yaml`` reads the gold the user names and refuses, before anything
is tagged, gold a signal can learn nothing from (QA session 25).

- A scalar signal's gold no wider than twice the task's tolerance (tempo_feel 5.0 on all 15 items
  of a 0-10 signal) fitted with exit 0, within_tol 1.0, ECE 0.001: every track was then tagged 5.0
  at calibrated confidence 0.999, auto-accepted (the built-in valence has been refused so since
  session 24, ``evals.fit._refuse_narrow``). A single_label gold of one class was refused only
  after the whole sample had been tagged with the LLM.
- ``--data`` and ``--limit`` were ignored without a word with ``--signals``: the fit read the
  spec's own ``data:`` and tagged every item of it with the LLM; ``--pool``, ``--pool-size`` and
  ``--negatives`` (the built-in fusion's options) were ignored too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.schema import Item
from linernotes.signals.fit import fit_fused, fit_signal
from linernotes.signals.spec import parse_signals

SIGNALS = """\
- name: tempo_feel
  kind: scalar
  range: [0, 10]
  instructions: How fast the track feels, 0 very slow to 10 very fast.
- name: mood
  kind: single_label
  labels: [happy, sad, calm]
  instructions: The overall mood.
  evidence: [shortlist]
"""
TEXTS = ("slow sad piano for grey days", "fast happy dance pop with handclaps", "calm quiet ambient pads",
         "furious loud thrash riffs", "gentle acoustic lullaby", "driving synthwave beat")


def _catalog(path: Path, tempo: list[float], moods: list[str]) -> Path:
    rows = [{"id": f"i{n}", "type": "track", "title": f"song {n}", "description": f"{TEXTS[n % len(TEXTS)]} {n}",
             "tempo_feel": t, "mood": m} for n, (t, m) in enumerate(zip(tempo, moods, strict=True))]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _specs(tmp_path: Path, data: Path, tasks: str = "both") -> tuple[Path, Path]:
    sig = tmp_path / "signals.yaml"
    sig.write_text(SIGNALS, encoding="utf-8")
    lines = {"tempo": "  - {name: tempo_feel, kind: scalar, gold_field: tempo_feel, signal: tempo_feel}\n",
             "mood": "  - {name: mood, kind: single_label, gold_field: mood, signal: mood}\n"}
    body = "".join(lines.values()) if tasks == "both" else lines[tasks]
    gold = tmp_path / "gold.yaml"
    gold.write_text(f"name: qa-gold\ndata: {data}\ninputs: {{title: title, description: description}}\n"
                    f"tasks:\n{body}", encoding="utf-8")
    return sig, gold


WIDE = [float(n % 10) for n in range(14)]
MOODS = ["happy", "sad", "calm"] * 4 + ["happy", "sad"]


def _scalar_rows(values: list[float]) -> list[tuple]:
    return [(Item(id=f"i{n}", type="track", description=f"{TEXTS[n % len(TEXTS)]} {n}"), {}, None, v, f"g{n}")
            for n, v in enumerate(values)]


def test_the_scalar_combiner_refuses_gold_no_wider_than_twice_the_tolerance() -> None:
    tempo = parse_signals(SIGNALS, "s.yaml")[0]
    with pytest.raises(ValueError, match=r"tempo_feel: the 14 items' gold spans 5 to 5, no wider than twice the "
                                         r"tolerance 1\.25"):
        fit_fused(tempo, _scalar_rows([5.0] * 14), 1.25, uses_draft=False)
    with pytest.raises(ValueError, match=r"spans 4 to 6\.5, no wider"):  # 2.5 = twice 1.25: still nothing to tell
        fit_fused(tempo, _scalar_rows([4.0, 6.5] * 7), 1.25, uses_draft=False)
    model, oof = fit_fused(tempo, _scalar_rows([4.0, 6.6] * 7), 1.25, uses_draft=False)  # just wider: fits
    assert model.name == "tempo_feel" and len(oof) == 14


def test_a_single_label_gold_of_one_class_says_so() -> None:
    mood = parse_signals(SIGNALS, "s.yaml")[1]
    rows = [({"shortlist": []}, None, "sad" if n % 2 else "grief", f"g{n}") for n in range(12)]
    with pytest.raises(ValueError, match=r"one class of its labels only \(\['sad'\]; 6 gold value\(s\) outside"):
        fit_signal(mood, rows)


def test_narrow_scalar_gold_is_refused_before_anything_is_tagged(liner_in_process, tmp_path: Path) -> None:
    data = _catalog(tmp_path / "gold.jsonl", [5.0] * 14, MOODS)
    sig, gold = _specs(tmp_path, data)
    out = tmp_path / "fusion"
    r = liner_in_process(["fit", gold, "--signals", sig, "-o", out])
    assert r.returncode == 2, r.stdout + r.stderr[-2000:]
    assert f"spec qa-gold: {data}: task tempo_feel (signal tempo_feel): the 14 items' gold spans 5 to 5" in r.stderr
    assert not (out / "cv").exists() and not (out / "signals").exists()  # nothing tagged, nothing fitted


def test_one_class_gold_is_refused_before_anything_is_tagged(liner_in_process, tmp_path: Path) -> None:
    data = _catalog(tmp_path / "gold.jsonl", WIDE, ["calm"] * 14)
    sig, gold = _specs(tmp_path, data, "mood")
    out = tmp_path / "fusion"
    r = liner_in_process(["fit", gold, "--signals", sig, "-o", out])
    assert r.returncode == 2, r.stdout + r.stderr[-2000:]
    assert "task mood (signal mood): gold has one class of its labels only (['calm'])" in r.stderr
    assert not (out / "cv").exists()


def test_data_and_limit_choose_the_gold_the_fit_reads(liner_in_process, tmp_path: Path) -> None:
    from linernotes.evals.gold import load_gold
    from linernotes.evals.spec import load_spec

    wide = _catalog(tmp_path / "wide.jsonl", WIDE, MOODS)
    sig, gold = _specs(tmp_path, wide, "tempo")
    # --data: another file, its gold narrow; it is the one read (refused, naming it)
    narrow = _catalog(tmp_path / "narrow.jsonl", [7.0] * 14, MOODS)
    r = liner_in_process(["fit", gold, "--signals", sig, "--data", narrow, "-o", tmp_path / "f1"])
    assert r.returncode == 2 and f"{narrow}: task tempo_feel" in r.stderr, r.stdout + r.stderr[-2000:]
    # --limit: the seeded sample of 8 holds narrow gold while the whole file is wide
    drawn = {g.id for g in load_gold(load_spec(str(gold)), wide, 8, 3).items}
    values = [6.0 if f"i{n}" in drawn else float(n % 10) for n in range(14)]
    mixed = _catalog(tmp_path / "mixed.jsonl", values, MOODS)
    assert max(values) - min(values) > 2.5  # the whole file could be fitted
    r = liner_in_process(["fit", gold, "--signals", sig, "--data", mixed, "--limit", "8", "--seed", "3",
                          "-o", tmp_path / "f2"])
    assert r.returncode == 2 and "the 8 items' gold spans 6 to 6" in r.stderr, r.stdout + r.stderr[-2000:]


@pytest.mark.parametrize("extra", [["--pool", "5"], ["--pool-size", "0.5"], ["--negatives", "bandcamp-genres"]])
def test_the_built_in_fusion_options_are_refused_with_signals(liner_in_process, tmp_path: Path,
                                                              extra: list[str]) -> None:
    data = _catalog(tmp_path / "gold.jsonl", WIDE, MOODS)
    sig, gold = _specs(tmp_path, data)
    r = liner_in_process(["fit", gold, "--signals", sig, *extra, "-o", tmp_path / "fusion"])
    assert r.returncode == 2, r.stdout + r.stderr[-2000:]
    assert f"{extra[0]} do not apply to --signals" in r.stderr


@pytest.mark.slow
def test_narrow_scalar_gold_in_a_run_record_is_refused(liner_in_process, tmp_path: Path) -> None:
    data = _catalog(tmp_path / "gold.jsonl", [5.0] * 14, MOODS)
    sig, gold = _specs(tmp_path, data)
    run = tmp_path / "run.json"
    r = liner_in_process(["eval", gold, "-o", run, "--signals", sig, "--llm", "never", "--no-progress",
                          "--resamples", "0"])
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "fusion"
    r = liner_in_process(["fit", gold, "--signals", sig, "--run", run, "-o", out])
    assert r.returncode == 2, r.stdout + r.stderr[-2000:]
    assert f"{run}: task tempo_feel (signal tempo_feel): the 14 items' gold spans 5 to 5" in r.stderr
    assert not (out / "signals").exists()


@pytest.mark.slow
def test_a_run_scored_on_other_gold_than_data_is_refused(liner_in_process, tmp_path: Path) -> None:
    wide = _catalog(tmp_path / "wide.jsonl", WIDE, MOODS)
    sig, gold = _specs(tmp_path, wide, "tempo")
    run = tmp_path / "run.json"
    r = liner_in_process(["eval", gold, "-o", run, "--signals", sig, "--llm", "never", "--no-progress",
                          "--resamples", "0"])
    assert r.returncode == 0, r.stderr[-3000:]
    other = _catalog(tmp_path / "other.jsonl", [float(9 - n % 10) for n in range(14)], MOODS)
    r = liner_in_process(["fit", gold, "--signals", sig, "--run", run, "--data", other, "-o", tmp_path / "f"])
    assert r.returncode == 2, r.stdout + r.stderr[-2000:]
    assert f"--run {run}: its sample was scored on other gold than this fit reads ({other}" in r.stderr
    r = liner_in_process(["fit", gold, "--signals", sig, "--run", run, "--data", wide, "-o", tmp_path / "g"])
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]  # the run's own gold: fitted
