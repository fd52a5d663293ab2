"""Signal specs: the issue's minimal spec works as written; malformed specs are rejected with the
file, the line and the key; the content hash follows the content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals

DECADE = """\
name: decade
kind: single_label
labels: [1970s, 1980s, 1990s]
applies_to: [track]
instructions: The decade the recording sounds like.
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_spec_from_the_issue_works_as_written(tmp_path: Path) -> None:
    (spec,) = load_signals([write(tmp_path, DECADE)])
    assert (spec.name, spec.kind, spec.ids, spec.applies_to) == ("decade", "single_label",
                                                                 ["1970s", "1980s", "1990s"], ["track"])
    assert len(spec.content_hash) == 16
    same = load_signals([write(tmp_path, "# a comment\n" + DECADE, "other.yaml")])[0]
    assert same.content_hash == spec.content_hash  # the content, not the file, decides the hash
    changed = load_signals([write(tmp_path, DECADE.replace("1990s]", "1990s, 2000s]"), "c.yaml")])[0]
    assert changed.content_hash != spec.content_hash


@pytest.mark.parametrize(("text", "line", "key"), [
    (DECADE + "colour: red\n", 6, "colour: unknown key"),
    ("name: x\nkind: scalar\n", 2, "kind: a scalar signal needs range"),
    ("- name: a\n  kind: boolean\n- name: b\n  kind: multilabel\n  taxonomy: moods\n  evidence: [shortlist, lexikon]\n",
     6, "evidence.1:"),
    ("name: x\nkind: single_label\nlabels: [a, b]\nreview_threshold: 2\n", 4, "review_threshold:"),
    ("name: x\nkind: boolean\nlabels: [a]\n", 3, "labels: a boolean signal has no vocabulary"),
    ("name: Bad Name\nkind: text\n", 1, "name:"),
    ("kind: text\n", 1, "name: required key is missing"),
    ("name: x\nkind: multilabel\ntaxonomy: no-such-pack\n", 3, "taxonomy: no shipped taxonomy"),
    ("name: x\nkind: text\n  bad: [\n", 3, "not valid YAML"),
    # an instructions key given empty (null, "", blanks) is an unfinished spec, not "no guideline"
    ("name: x\nkind: text\ninstructions:\n", 3, "instructions: is empty"),
    ("name: x\nkind: text\ninstructions: '   '\n", 3, "instructions: is empty"),
    # a built-in field's name would collide with its record field, eval task and metrics
    ("# energy\nname: valence\nkind: scalar\nrange: [0, 1]\n", 2, "name: 'valence' is a built-in signal"),
    ("name: policy_flags\nkind: boolean\n", 1, "name: 'policy_flags' is a record field"),
    ("- name: ok\n  kind: text\n- name: run\n  kind: boolean\n", 3, "name: 'run' is a metric namespace"),
])
def test_malformed_spec_names_file_line_and_key(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SignalSpecError) as err:
        load_signals([path])
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert key in msg, msg


def test_a_name_declared_in_two_files_names_both_lines(tmp_path: Path) -> None:
    first = write(tmp_path, "- name: mood_x\n  kind: text\n- name: decade\n  kind: text\n", "a.yaml")
    second = write(tmp_path, "# again\n" + DECADE, "b.yaml")
    with pytest.raises(SignalSpecError) as err:
        load_signals([first, second])
    assert str(err.value).startswith(f"{second}:2: name: signal 'decade' is also declared at {first}:3"), str(err.value)


def test_cli_rejects_a_malformed_spec_with_exit_2(liner, tmp_path: Path) -> None:
    spec = write(tmp_path, DECADE + "evidence: [audio, vibes]\n")
    catalog = write(tmp_path, '{"id": "a", "title": "x"}\n', "catalog.jsonl")
    r = liner(["tag", str(catalog), "-o", str(tmp_path / "out.jsonl"), "--signals", str(spec), "--llm", "never"])
    assert r.returncode == 2
    assert f"{spec}:6: evidence.1: Input should be" in r.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_builtin_fields_are_shipped_as_specs_through_the_same_loader() -> None:
    from linernotes.signals.builtin import BUILTIN, applicable, builtin_specs

    specs = builtin_specs()
    assert tuple(specs) == BUILTIN
    kinds = {n: s.kind for n, s in specs.items()}
    assert kinds == {"genres": "multilabel", "moods": "multilabel", "valence": "scalar", "language": "text",
                     "explicit": "boolean", "policy": "multilabel"}
    assert specs["valence"].range == (-1.0, 1.0) and "explicit.sexual" in specs["policy"].ids
    assert applicable(list(BUILTIN), "chapter") == list(BUILTIN)  # every built-in applies to every type today


def test_triage_asks_only_the_builtins_whose_spec_applies(monkeypatch) -> None:
    from types import SimpleNamespace

    from linernotes.agents.nodes import triage as tri
    from linernotes.schema import Item
    from linernotes.signals import builtin

    shipped = builtin.builtin_specs()
    rt = SimpleNamespace(config=SimpleNamespace(llm_mode="always"))
    episode = {"item": Item(id="e", type="episode")}
    assert tri.triage(episode, rt)["ask"] == list(builtin.BUILTIN)
    narrowed = {**shipped, "policy": shipped["policy"].model_copy(update={"applies_to": ["track"]})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: narrowed)
    assert "policy" not in tri.triage(episode, rt)["ask"]
    assert "policy" in tri.triage({"item": Item(id="t", type="track")}, rt)["ask"]


def test_a_signal_left_without_a_value_is_routed_as_such_not_as_low_confidence(liner, tmp_path: Path) -> None:
    """--llm never and no rule for the signal: nothing is decided, so the reviewer is asked for a
    value (it read 'low confidence: signal decade 0.00 < 0.50')."""
    spec = write(tmp_path, DECADE)
    catalog = write(tmp_path, '{"id": "a", "type": "track", "title": "Night Drive", "artist": "Neon Coast"}\n',
                    "catalog.jsonl")
    r = liner(["tag", str(catalog), "-o", str(tmp_path / "out.jsonl"), "--signals", str(spec), "--llm", "never"])
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert rec["enrichment"]["signals"]["decade"]["value"] is None
    reasons = rec["enrichment"]["review"]["reasons"]
    assert "no value: signal decade" in reasons and not any("signal decade 0.00" in x for x in reasons)
