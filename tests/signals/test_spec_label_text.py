"""Labels as an annotator reads and types them (found by QA, session 13): a label written with a
decomposed accent ('Gru' + U+0308, as macOS file names and some editors store text) could never be
chosen in review, which matches typed text NFC-normalised ("colour must be one of Grün, Rot, not
'Grün'"); two spellings of one label (composed / decomposed, fullwidth) were two labels; a label
holding a newline or a zero-width character could not be typed at all (those refusals are
cases of tests/signals/test_spec_edges.py)."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

NFD_GRUEN = "Gru\u0308n"
NFC_GRUEN = "Gr\u00fcn"


def _spec(tmp_path: Path, labels: str) -> Path:
    path = tmp_path / "colour.yaml"
    path.write_text(f"name: colour\nkind: single_label\nlabels: {labels}\ninstructions: The colour.\n",
                    encoding="utf-8")
    return path


def test_a_decomposed_label_is_one_an_annotator_can_choose(tmp_path: Path) -> None:
    (spec,) = load_signals([_spec(tmp_path, f'["{NFD_GRUEN}", Rot]')])
    assert spec.ids == [NFC_GRUEN, "Rot"]
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "Leaves"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=[spec])
    store = ReviewStore(tmp_path / "s.sqlite")
    for typed in (NFC_GRUEN, NFD_GRUEN):  # what a keyboard gives and what the page's radio sends
        state = store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=store.get("a").version,
                                                   values={"colour": typed}))
        assert state.decision["colour"] == NFC_GRUEN


def test_the_spec_hash_does_not_depend_on_the_labels_unicode_form(tmp_path: Path) -> None:
    (tmp_path / "nfd").mkdir()
    (tmp_path / "nfc").mkdir()
    (nfd,) = load_signals([_spec(tmp_path / "nfd", f'["{NFD_GRUEN}", Rot]')])
    (nfc,) = load_signals([_spec(tmp_path / "nfc", f'["{NFC_GRUEN}", Rot]')])
    assert nfd.content_hash == nfc.content_hash
