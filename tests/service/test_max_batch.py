"""--max-batch and the service's capacity agree: a batch is admitted whole, so with the old
defaults (--max-batch 256, capacity 8 + 64) every batch of 73-256 items was a 413 no retry could
pass (QA qa-serve16). The default is now the capacity (at most 256), and a --max-batch above it
is refused at startup naming both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from linernotes.service.app import MAX_BATCH, ServiceOptions
from tests.conftest import run_liner_in_process


@pytest.mark.parametrize(("concurrency", "queue", "want"), [(8, 64, 72), (4, 0, 4), (64, 1000, MAX_BATCH)])
def test_the_default_batch_is_what_the_service_can_admit(concurrency: int, queue: int, want: int) -> None:
    assert ServiceOptions(concurrency=concurrency, max_queue=queue).max_batch == want


def test_a_batch_limit_above_the_capacity_is_refused_naming_both() -> None:
    assert ServiceOptions(concurrency=8, max_queue=64, max_batch=72).max_batch == 72
    with pytest.raises(ValidationError, match=r"--max-batch 73 is more than the service admits at once "
                                              r"\(--concurrency 8 \+ --max-queue 64 = 72\)"):
        ServiceOptions(concurrency=8, max_queue=64, max_batch=73)


def test_liner_serve_refuses_it_before_binding() -> None:
    r = run_liner_in_process(["serve", "--llm", "never", "--max-batch", "500", "--port", "1"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--max-batch 500 is more than the service admits at once" in r.stderr and "Traceback" not in r.stderr
