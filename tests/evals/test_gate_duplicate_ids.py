"""A run record holding one item id twice is refused naming the file, the id and both places
(QA newuser22: ``liner gate base.json dup.json`` said only 'candidate record holds duplicate item
ids; it is not a run record of one sample': no file, no id, so a record merged by hand or two runs
concatenated left the user to search 60 items for it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, load_rules, run_gate
from linernotes.evals.scoring import score_record
from linernotes.evals.synthetic import synthetic_record


@pytest.mark.parametrize("which", ["baseline", "candidate"])
def test_a_repeated_item_id_is_named_with_its_file_and_places(tmp_path: Path, which: str) -> None:
    base = score_record(synthetic_record(20, seed=1), resamples=50)
    base.save(tmp_path / "base.json")
    dup = base.model_copy(deep=True)
    dup.items[7] = dup.items[2].model_copy()
    dup.save(tmp_path / "dup.json")
    paths = {"baseline": tmp_path / "base.json", "candidate": tmp_path / "base.json", which: tmp_path / "dup.json"}
    with pytest.raises(GateError) as e:
        run_gate(paths["baseline"], paths["candidate"], load_rules())
    assert str(e.value) == (f"{tmp_path / 'dup.json'}: not a run record of one sample: duplicate item ids: "
                            f"{base.items[2].id!r} is items[2] and items[7]"), str(e.value)
