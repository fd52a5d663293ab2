"""A stop reaches the run at its event loop, and a KeyboardInterrupt that does land inside one of
the run's own tasks (a second Ctrl-C, Python's own SIGINT handler) ends the run without asyncio
also logging the task's copy as 'Task exception was never retrieved' with a traceback (CI,
session 13: test_stop_signals saw that traceback, then a pydantic 'Error serializing to JSON ...
KeyboardInterrupt', after 'liner: stopped by SIGTERM')."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal

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


@pytest.mark.parametrize("sigint", [signal.SIG_IGN, signal.default_int_handler])
def test_a_stop_signal_interrupts_the_loop_not_the_code_a_task_is_running(sigint):
    # with SIGINT ignored (nohup, a background job, an xdist worker's children) SIGTERM raised
    # KeyboardInterrupt into whatever ran: inside a pydantic serializer it became 'liner: error:
    # Error serializing to JSON: ... KeyboardInterrupt', exit 2 (CI, session 13)
    from linernotes.run import stopping

    caught: list[BaseException] = []
    finished: list[bool] = []

    async def task_code() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode boundary, here
            for _ in range(1000):
                pass
        except BaseException as e:  # noqa: BLE001 (what a serializer or library does with it)
            caught.append(e)
        finished.append(True)
        await asyncio.sleep(5)  # the stop ends the run while it waits, as Ctrl-C does

    before_int = signal.signal(signal.SIGINT, sigint)
    replaced = stopping.stop_like_ctrl_c()
    try:
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(task_code())
    finally:
        stopping.restore(replaced)
        signal.signal(signal.SIGINT, before_int)
    assert caught == [] and finished == [True]
    assert stopping.stopped_by() == signal.SIGTERM
