"""Signal spec edge cases found by QA: a name with a trailing newline (a YAML block scalar) and a
scalar range with an infinite end (or an infinite or vanishing width) are refused with the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals


@pytest.mark.parametrize(("text", "line", "key"), [
    # "$" in the name pattern matched before a trailing newline: 'abc\n' became a record key
    ('name: "abc\\n"\nkind: boolean\ninstructions: x\n', 1, "name:"),
    ("name: |\n  abc\nkind: boolean\ninstructions: x\n", 1, "name:"),
    # an infinite end cannot be mapped onto [-1, 1] for the fit or the annotator's slider
    ("name: x\nkind: scalar\nrange: [0, .inf]\ninstructions: x\n", 3, "range.1: Input should be a finite number"),
    ("name: x\nkind: scalar\nrange: [-.inf, 1]\ninstructions: x\n", 3, "range.0: Input should be a finite number"),
    # finite ends whose width is not a usable number: eval's default tolerance (an eighth of it)
    # became inf and eval stopped after tagging with 'validation error for TaskSpec' (session 16)
    ("name: x\nkind: scalar\nrange: [-1e308, 1e308]\ninstructions: x\n", 3, "range: hi - lo of [-1e+308, 1e+308] "
     "is beyond the largest number"),
    ("name: x\nkind: scalar\nrange: [0, 5e-324]\ninstructions: x\n", 3, "range: hi - lo of [0.0, 5e-324] is 4.94066e-324, "
     "too narrow"),
    # labels that differ only by case were two labels (a new user's probe)
    ("name: x\nkind: multilabel\nlabels: [Rock, pop, rock]\ninstructions: x\n", 3,
     "duplicate labels ['Rock', 'rock'] (labels are compared ignoring case)"),
    ("name: x\nkind: single_label\nlabels: [a, b, a]\ninstructions: x\n", 3, "duplicate labels ['a']"),
    # one label in two Unicode forms (composed / decomposed accent, fullwidth), or one an annotator
    # cannot see or type (session 13)
    ('name: x\nkind: single_label\nlabels: ["Gr\u00fcn", "Gru\u0308n"]\ninstructions: x\n', 3, "duplicate labels"),
    ('name: x\nkind: single_label\nlabels: [rock, "\uff32\uff4f\uff43\uff4b"]\ninstructions: x\n', 3,
     "duplicate labels"),
    ('name: x\nkind: single_label\nlabels: ["a\\nb", c]\ninstructions: x\n', 3, "control or invisible character"),
    ('name: x\nkind: single_label\nlabels: ["ro\u200bck", pop]\ninstructions: x\n', 3,
     "control or invisible character"),
    # a multilabel label holding a cell separator: review export wrote ['jazz', 'rock, pop'] into a
    # CSV gold set's text column as 'jazz, rock, pop', read back as three labels (session 16)
    ('name: x\nkind: multilabel\nlabels: [jazz, "rock, pop"]\ninstructions: x\n', 3,
     "labels: label 'rock, pop' holds ',', which separates the labels of a multilabel cell"),
    ('name: x\nkind: multilabel\nlabels: [jazz, "a;b", "c | d"]\ninstructions: x\n', 3, "label 'a;b' holds ';'"),
    # a label a CSV/TSV gold set reads as no value: review queued 'NA' (North America) as unlabelled
    # and export wrote null over it (session 16)
    # two YAML documents in one file read 'not valid YAML: but found another document' (session 16)
    ("name: a\nkind: boolean\ninstructions: x\n---\nname: b\nkind: boolean\ninstructions: y\n", 4,
     "not valid YAML: a second YAML document ('---') starts here; a file holds one document (several signals: "
     "a list, each item starting '- name:')"),
    # an empty or blank label is named at its own line ('needs at least one non-empty label' beside
    # [a, " "] read as wrong: there is one; session 16)
    ('name: x\nkind: single_label\nlabels:\n  - a\n  - "  "\n  - c\ninstructions: x\n', 5,
     "labels.1: label 2 of 3 is blank; remove it or give it a name"),
    ('name: x\nkind: multilabel\nlabels: [a, ""]\ninstructions: x\n', 3, "labels.1: label 2 of 2 is empty"),
    ("name: x\nkind: multilabel\nlabels: []\ninstructions: x\n", 3, "labels: needs at least one label"),
    ("name: x\nkind: single_label\nlabels: [EU, NA, APAC]\ninstructions: x\n", 3,
     "labels: label 'NA' is what a CSV/TSV gold set writes for no value"),
    ("name: x\nkind: multilabel\nlabels: [calm, None]\ninstructions: x\n", 3, "label 'None' is what a CSV/TSV"),
    ('name: x\nkind: single_label\nlabels: [a, "null"]\ninstructions: x\n', 3, "label 'null' is what"),
    # a value outside a fixed set is named beside the allowed ones (pydantic lists only the allowed)
    ("name: s\nkind: single_labels\nlabels: [a, b]\ninstructions: x\n", 2,
     "kind: Input should be 'multilabel', 'single_label', 'scalar', 'boolean' or 'text', not 'single_labels'"),
    ("name: s\nkind: boolean\ninstructions: x\nevidence: [shortlst]\n", 4, ", not 'shortlst'"),
    ("name: s\nkind: boolean\ninstructions: x\napplies_to: [tracks]\n", 4, ", not 'tracks'"),
])
def test_edge_spec_is_refused_with_file_line_and_key(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SignalSpecError) as err:
        load_signals([path])
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert key in msg, msg


def test_a_yaml_boolean_or_number_label_says_what_yaml_read(tmp_path: Path) -> None:
    path = tmp_path / "yn.yaml"
    path.write_text("name: yn\nkind: single_label\nlabels: [yes, no]\ninstructions: x\n", encoding="utf-8")
    with pytest.raises(SignalSpecError, match=r"labels.0: .*YAML read True, a bool; quote it"):
        load_signals([path])


def test_the_same_file_given_twice_says_so(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: a\nkind: boolean\ninstructions: x\n", encoding="utf-8")
    with pytest.raises(SignalSpecError, match="a.yaml: given twice"):
        load_signals([path, tmp_path / "." / "a.yaml"])


def test_a_folder_or_a_device_is_not_called_a_missing_file(tmp_path: Path) -> None:
    """``--signals specs/`` named an existing folder 'no such signal spec file' (found by QA)."""
    with pytest.raises(SignalSpecError, match=r"is a folder; --signals takes spec files"):
        load_signals([tmp_path])
    with pytest.raises(SignalSpecError, match=r"/dev/null: is a character device, not a regular file"):
        load_signals(["/dev/null"])
    with pytest.raises(SignalSpecError, match=r"no such signal spec file"):
        load_signals([tmp_path / "missing.yaml"])


def _taxonomy_spec(tmp_path: Path, first_id: str, kind: str) -> Path:
    (tmp_path / "tax.yaml").write_text(
        f"id: t\nversion: '1'\nentries:\n  - {{id: '{first_id}', label: First}}\n  - {{id: rock, label: Rock}}\n",
        encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(f"name: x\nkind: {kind}\ntaxonomy: tax.yaml\ninstructions: x\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("first_id", "kind", "reason"), [
    ("folk, world", "multilabel", "label 'folk, world' holds ','"),  # a multilabel cell would split it
    ("N/A", "single_label", "label 'N/A' is what a CSV"),  # a CSV cell reads it as no value
])
def test_a_taxonomy_id_a_gold_cell_cannot_hold_is_refused(tmp_path: Path, first_id: str, kind: str,
                                                          reason: str) -> None:
    path = _taxonomy_spec(tmp_path, first_id, kind)
    with pytest.raises(SignalSpecError, match=rf"^{path}:3: taxonomy: an entry's id: {reason}"):
        load_signals([path])


def test_a_single_label_taxonomy_keeps_an_id_holding_a_separator(tmp_path: Path) -> None:
    """One label a cell never splits: a single-label signal may keep 'folk, world'."""
    assert load_signals([_taxonomy_spec(tmp_path, "folk, world", "single_label")])[0].ids == ["folk, world", "rock"]


def test_a_taxonomy_without_entries_is_refused(tmp_path: Path) -> None:
    """It loaded, and liner tag failed every item with 'internal.ValueError: max() arg is an empty
    sequence' while review queued items with nothing to choose (session 16)."""
    (tmp_path / "tax.yaml").write_text("id: t\nversion: '1'\nentries: []\n", encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text("name: x\nkind: multilabel\ntaxonomy: tax.yaml\ninstructions: x\n", encoding="utf-8")
    with pytest.raises(SignalSpecError, match=rf"^{path}:3: taxonomy: tax.yaml has no entries; a multilabel signal"):
        load_signals([path])
