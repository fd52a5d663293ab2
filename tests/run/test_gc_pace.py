"""run.gc_pace: the first-generation threshold is raised only while runs are in progress."""

import gc

import pytest

from linernotes.run.gc_pace import YOUNG, run_pace


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_during_a_run_and_restored_after(thresholds):
    with run_pace():
        assert gc.get_threshold() == (YOUNG, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_runs_restore_only_when_the_last_ends(thresholds):
    outer = run_pace()
    outer.__enter__()
    with run_pace():
        assert gc.get_threshold()[0] == YOUNG
    assert gc.get_threshold()[0] == YOUNG  # the outer run is still in progress
    outer.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_run_raises(thresholds):
    with pytest.raises(RuntimeError), run_pace():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_disabled_collection_and_higher_thresholds_are_left_alone(thresholds):
    gc.set_threshold(0, 10, 10)
    with run_pace():
        assert gc.get_threshold() == (0, 10, 10)
    gc.set_threshold(50_000, 5, 5)
    with run_pace():
        assert gc.get_threshold() == (50_000, 5, 5)
    assert gc.get_threshold() == (50_000, 5, 5)
