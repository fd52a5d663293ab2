"""`liner review export` writes its own one-line summary on stderr, not datasets' progress bar."""

from __future__ import annotations

import datasets

from linernotes.review.export import export_gold


def test_export_prints_no_datasets_progress_bar(store, tmp_path, capfd):
    """New-user QA (newuser16): `liner review export` on a fresh process printed
    'Saving the dataset (0/1 shards): 0%| ... examples/s]' three times before its summary: the
    bar of datasets' save_to_disk, which the readers (store.tables) already turn off."""
    datasets.enable_progress_bars()  # a fresh process: nothing has turned them off yet
    try:
        res = export_gold(store, tmp_path / "gold")
        err = capfd.readouterr().err
    finally:
        datasets.disable_progress_bars()
    assert res.rows > 0 and (tmp_path / "gold/v1").is_dir()
    assert "Saving the dataset" not in err and "examples/s" not in err
