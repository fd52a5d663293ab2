"""``liner fit --pool-size``: a value outside (0, 1] is exit 2 naming the option and the reason
before anything is tagged (found by T8: the error read only ``1 validation error for FitOptions``)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["0", "2", "-0.5", "nan"])
def test_a_pool_size_outside_0_1_is_exit_2_naming_the_option(tmp_path, liner_in_process, value):
    r = liner_in_process(["fit", "bandcamp-genres", "--limit", "60", "--folds", "3", "--model", "openai/stub",
                          "--api-base", "http://127.0.0.1:9/v1", "-o", str(tmp_path / "fus"), "--pool-size", value])
    assert r.returncode == 2, r.stderr
    assert "--pool-size: " in r.stderr and "fractions of an index in (0, 1]" in r.stderr, r.stderr
    assert not (tmp_path / "fus").exists()


def test_a_pool_size_that_is_not_a_number_is_exit_2_naming_the_option(tmp_path, liner_in_process):
    r = liner_in_process(["fit", "bandcamp-genres", "-o", str(tmp_path / "fus"), "--pool-size", "abc"])
    assert r.returncode == 2 and "--pool-size" in r.stderr, r.stderr
