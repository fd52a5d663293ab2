"""A stop raised inside one of the run's own tasks (Python's SIGINT handler raises KeyboardInterrupt
wherever the loop is; run.stopping routes SIGTERM/SIGHUP to it) ends the run, and asyncio does not
also log the task's copy as 'Task exception was never retrieved' with a traceback (CI, session 13:
test_stop_signals saw that traceback after 'liner: stopped by SIGTERM' when the signal landed in a
batch)."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from linernotes.run.batching import Batcher


class _StoppedMidBatch:
    """Test double: an enricher whose batch is interrupted the way a signal interrupts it."""

    async def enrich_many(self, rows, on_record):
        await asyncio.sleep(0)
        raise KeyboardInterrupt


def test_a_stop_inside_a_batch_ends_the_run_without_an_unretrieved_task_traceback(caplog):
    async def run() -> None:
        batcher = Batcher(_StoppedMidBatch(), max_batch=2)
        waiting = [asyncio.ensure_future(batcher.enrich(object())) for _ in range(2)]
        await asyncio.gather(*waiting, return_exceptions=True)

    caplog.set_level(logging.ERROR, logger="asyncio")
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(run())
    gc.collect()  # an unretrieved task exception is logged when the task is collected
    assert "never retrieved" not in caplog.text, caplog.text
