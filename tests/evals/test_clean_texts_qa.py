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
