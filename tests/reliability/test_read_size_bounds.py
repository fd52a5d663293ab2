"""Files read whole from user-given paths have a size bound, named from the file's size before
any of it is read. A ``fusion.json`` in a ``--fusion DIR`` of any size was read whole (then
parsed, at several times its size); so were the hand-written YAML files (gold and signal specs,
policy packs, taxonomies, gate rules, monitor thresholds), a fitted signal model and an exemplar
index's meta.json. The files here are sparse (``truncate``): no disk or memory is spent making them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from linernotes.files import MAX_CONFIG_BYTES, read_regular

pytestmark = pytest.mark.timeout(120)


def _sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def _too_big(path: Path, limit: int, what: str) -> str:
    return re.escape(f"{path}: {os.path.getsize(path):,} bytes, more than the {limit:,} ({limit >> 20} MB) {what}")


def test_a_fusion_json_past_the_bound_is_refused_with_its_size(tmp_path):
    from linernotes.fusion.artifact import MAX_FUSION_BYTES, FusionError, load_fusion

    big = _sparse(tmp_path / "fus" / "fusion.json", MAX_FUSION_BYTES + 1)
    with pytest.raises(FusionError, match=_too_big(big, MAX_FUSION_BYTES, "a fusion artifact may hold")):
        load_fusion(tmp_path / "fus")


def test_the_shipped_fusion_is_well_inside_the_bound():
    from linernotes.fusion.artifact import MAX_FUSION_BYTES, default_fusion_dir, load_fusion

    assert (default_fusion_dir() / "fusion.json").stat().st_size * 8 < MAX_FUSION_BYTES
    assert load_fusion(default_fusion_dir()).fields


def test_a_fitted_signal_model_past_the_bound_is_refused(tmp_path):
    from linernotes.fusion.artifact import MAX_FUSION_BYTES, FusionError
    from linernotes.signals.builtin import builtin_specs
    from linernotes.signals.fit import open_models

    spec = next(iter(builtin_specs().values()))
    big = _sparse(tmp_path / "signals" / f"{spec.name}.json", MAX_FUSION_BYTES + 1)
    with pytest.raises(FusionError, match=_too_big(big, MAX_FUSION_BYTES, "a fitted signal model may hold")):
        open_models(tmp_path, [spec])


def _loaders():
    from linernotes.evals.gate import GateError, load_rules
    from linernotes.evals.spec import SpecError, load_spec
    from linernotes.monitor.load import MonitorInputError
    from linernotes.monitor.thresholds import load_thresholds
    from linernotes.signals.spec import SignalSpecError, load_signals
    from linernotes.tools.policy.pack import load_policy_pack
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    return [("a gold spec", load_spec, SpecError), ("a gates file", load_rules, GateError),
            ("a thresholds file", lambda p: load_thresholds(Path(p)), MonitorInputError),
            ("a signal spec", lambda p: load_signals([p]), SignalSpecError),
            ("a policy pack", load_policy_pack, ValueError), ("a taxonomy file", load_taxonomy, ValueError)]


@pytest.mark.parametrize("what,load,error", _loaders(), ids=[w for w, _, _ in _loaders()])
def test_a_yaml_config_past_the_bound_is_refused_with_its_size(what, load, error, tmp_path):
    big = _sparse(tmp_path / "big.yaml", MAX_CONFIG_BYTES + 1)
    with pytest.raises(error, match=_too_big(big, MAX_CONFIG_BYTES, f"{what} may hold")):
        load(str(big))


def test_an_exemplar_meta_past_the_bound_is_refused(tmp_path):
    from linernotes.tools.retrieval.exemplars import open_exemplar_meta

    big = _sparse(tmp_path / "idx" / "meta.json", MAX_CONFIG_BYTES + 1)
    with pytest.raises(ValueError, match=_too_big(big, MAX_CONFIG_BYTES, "an index's meta.json may hold")):
        open_exemplar_meta(tmp_path / "idx")


def test_liner_tools_policy_names_a_huge_pack_and_exits_2(tmp_path):
    from tests.conftest import run_liner_in_process

    big = _sparse(tmp_path / "pack.yaml", MAX_CONFIG_BYTES + 1)
    r = run_liner_in_process(["tools", "policy", "some text", "--pack", big], cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"{MAX_CONFIG_BYTES + 1:,} bytes, more than the" in r.stderr and "Traceback" not in r.stderr


def test_read_regular_reads_up_to_the_bound_and_no_further(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"x" * 10)
    assert read_regular(p, ValueError, limit=10) == b"x" * 10
    with pytest.raises(ValueError, match="11 bytes, more than the 10"):
        p.write_bytes(b"x" * 11)
        read_regular(p, ValueError, limit=10)
