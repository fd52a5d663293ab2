"""A hand-edited policy ``max_words`` (the fitted domain's end, format 6) is refused at load naming
the key, and ``liner tag --fusion`` exits 2. Before (QA qa-policy18): ``true`` loaded as 1 (below
MIN_WORDS, so the combiner silently never applied; so did 2), ``"77"`` and ``77.0`` loaded as 77,
and ``null`` or no key in a format-6 file loaded as "no end" (any length classified again)."""

from __future__ import annotations

import json

import pytest

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion
from tests.fusion.test_tfidf_params_at_load import _write  # a damaged copy of an artifact document


@pytest.fixture(scope="module")
def shipped_doc():
    src = default_fusion_dir() / "fusion.json"
    if not src.is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    doc = json.loads(src.read_bytes())
    assert doc["format"] == 6 and isinstance(doc["fields"]["policy"]["model"]["max_words"], int)
    return doc


def _set(value):
    return lambda d: d["fields"]["policy"]["model"].update(max_words=value)


@pytest.mark.parametrize(("damage", "reason"), [
    (_set(True), r"single_label\.max_words: Input should be a valid integer"),
    (_set("77"), r"single_label\.max_words: Input should be a valid integer"),
    (_set(77.0), r"single_label\.max_words: Input should be a valid integer"),
    (_set(77.5), r"single_label\.max_words: Input should be a valid integer"),
    (_set(0), r"single_label\.max_words: Input should be greater than or equal to 1"),
    (_set(-5), r"single_label\.max_words: Input should be greater than or equal to 1"),
    (_set(2), r"single_label: Value error, max_words 2 is below MIN_WORDS 3: the fitted domain is empty"),
    (_set(None), r"fields\.policy\.model\.max_words: none in a format-6 file .*restore the number or refit"),
    (lambda d: d["fields"]["policy"]["model"].pop("max_words"),
     r"fields\.policy\.model\.max_words: none in a format-6 file"),
], ids=["true", "string", "float-integral", "float", "zero", "negative", "below-min-words", "null", "no-key"])
def test_a_hand_edited_end_is_refused_naming_the_key(tmp_path, shipped_doc, damage, reason):
    folder = _write(tmp_path, shipped_doc, damage)
    with pytest.raises(FusionError, match=rf"^{json.dumps(str(folder / 'fusion.json'))[1:-1]}: not a valid fusion "
                                          rf"artifact: .*{reason}"):
        load_fusion(folder)


def test_an_older_format_without_the_key_still_loads_with_no_end(tmp_path, shipped_doc):
    """A format-5 file has no end, as it was fitted (its null is what a re-save writes)."""
    def older(d):
        d["format"] = 5
        d["fields"]["policy"]["model"]["max_words"] = None
    assert load_fusion(_write(tmp_path, shipped_doc, older)).fields["policy"].model.max_words is None


def test_a_newer_format_says_what_to_do(tmp_path, shipped_doc):
    folder = _write(tmp_path, shipped_doc, lambda d: d.update(format=7))
    with pytest.raises(FusionError, match=r"fusion format 7, this linernotes reads .*6 \(a newer linernotes wrote "
                                          r"it: upgrade linernotes, or refit with this one: liner fit\)"):
        load_fusion(folder)


def test_liner_tag_refuses_it_with_exit_2(tmp_path, shipped_doc, liner_in_process, repo_root):
    folder = _write(tmp_path / "fusion", shipped_doc, _set(True))
    r = liner_in_process(["tag", repo_root / "examples" / "catalog.jsonl", "-o", tmp_path / "out.jsonl", "--llm", "never",
                          "--fusion", folder])
    assert r.returncode == 2, r.stderr
    assert "fields.policy.model.single_label.max_words" in r.stderr and "fusion.json" in r.stderr
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_text().strip()
