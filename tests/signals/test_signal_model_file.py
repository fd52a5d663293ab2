"""A damaged fitted signal model in ``FUSION_DIR/signals/`` (found by QA, session 13) is refused
before any item is tagged, naming the file, what is wrong and how to refit. Before: a truncated
file read 'liner: error: Expecting value: line 26 column 4 (char 300)' (no file); a file whose
``kind`` was edited read '--model: Field required' (an option the user never gave); coefficients
of the wrong shape passed the load and failed every item with a numpy 'matmul ... mismatch'
(exit 1, six error records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.fusion.artifact import FusionError
from linernotes.schema import Item
from linernotes.signals.fit import fit_fused, fit_signal, open_models, save_model
from linernotes.signals.spec import load_signals
from tests.conftest import run_liner_in_process

SPEC = """\
- name: rude
  kind: boolean
  instructions: Profanity in the lyrics.
  evidence: [lexicon]
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic, 0 calm to 10 intense.
"""
TEXT = ("happy bright joyful pop", "sad grey melancholic piano", "calm quiet soft ambient")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Any]]:
    """(the spec file, a fusion folder with both signals' models, the specs)."""
    tmp = tmp_path_factory.mktemp("fitted")
    spec_path = tmp / "signals.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    specs = load_signals([spec_path])
    rude, energy = specs
    rows = [({"lexicon": [{"term": "x"}] * (i % 2)}, None, "true" if i % 2 else "false", f"g{i}") for i in range(8)]
    save_model(fit_signal(rude, rows)[0], tmp / "fusion")
    items = [(Item(id=f"i{i}", type="track", title=f"song {i}", description=f"{TEXT[i % 3]} {i}"), {}, None,
              float(3 * (i % 3) + 1), f"g{i}") for i in range(8)]
    save_model(fit_fused(energy, items, tolerance=1.0, uses_draft=False)[0], tmp / "fusion")
    return spec_path, tmp / "fusion", specs


def _damaged(fitted: tuple[Path, Path, list[Any]], tmp_path: Path, name: str, edit: Any) -> Path:
    """A copy of the fusion folder with ``signals/<name>.json`` rewritten by ``edit(text) -> text``."""
    folder = tmp_path / "fusion"
    (folder / "signals").mkdir(parents=True)
    for f in (fitted[1] / "signals").iterdir():
        (folder / "signals" / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "signals" / f"{name}.json"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def _json_edit(change: Any) -> Any:
    def edit(text: str) -> str:
        raw = json.loads(text)
        change(raw)
        return json.dumps(raw)
    return edit


DAMAGE = {
    "truncated": ("rude", lambda t: t[:300], r"not a fitted signal model \(not JSON at line \d+ column \d+"),
    "a list": ("rude", lambda t: "[1, 2]", r"not a fitted signal model \(a JSON list\)"),
    "coef shape": ("rude", _json_edit(lambda r: r.update(coef=[[1.0]])), r"coef/intercept are not 1 x 3 / 1"),
    "features": ("rude", _json_edit(lambda r: r.update(feature_names=["audio.tempo", "llm.true", "llm.false"])),
                 r"features \['audio.tempo', 'llm.true', 'llm.false'\] are not the spec's \['lexicon.hits'"),
    "scale": ("rude", _json_edit(lambda r: r.update(scale=[1.0])), r"mean/scale hold 3/1 values for 3 features"),
    "classes": ("rude", _json_edit(lambda r: r.update(classes=["no", "yes"])), r"classes \['no', 'yes'\]"),
    "kind edited": ("rude", _json_edit(lambda r: r.update(kind="multilabel")), r"model: Field required"),
    "combiner": ("energy", _json_edit(lambda r: r.update(model={"kind": "scalar"})), r"usable model of signal energy"),
}


def test_intact_models_load(fitted: tuple[Path, Path, list[Any]]) -> None:
    models, stale = open_models(fitted[1], fitted[2])
    assert set(models) == {"rude", "energy"} and not stale


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_model_file_is_named_with_the_reason(fitted: tuple[Path, Path, list[Any]], tmp_path: Path,
                                                      damage: str) -> None:
    name, edit, reason = DAMAGE[damage]
    folder = _damaged(fitted, tmp_path, name, edit)
    with pytest.raises(FusionError, match=reason) as err:
        open_models(folder, fitted[2])
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'signals' / name}.json: "), msg
    assert f"refit it: liner fit GOLD.yaml --signals ... -o {folder}" in msg, msg


def tag_refused(fitted: tuple[Path, Path, list[Any]], tmp_path: Path, folder: Path) -> str:
    """``liner tag`` of one item with ``--fusion folder``: asserts exit 2 with no record written;
    its stderr."""
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "x", "lyrics": "damn"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--signals", fitted[0], "--fusion", folder, "--llm", "never"])
    assert r.returncode == 2, r.stderr
    assert not out.exists() or out.read_text(encoding="utf-8") == ""
    return r.stderr


def test_liner_tag_refuses_it_before_any_item(fitted: tuple[Path, Path, list[Any]], tmp_path: Path) -> None:
    folder = _damaged(fitted, tmp_path, "rude", DAMAGE["coef shape"][1])
    assert "rude.json: not a usable model of signal rude (coef/intercept" in tag_refused(fitted, tmp_path, folder)
