"""Collect garbage after each test here, at a safe point.

LiteLLM leaves coroutines (its logging worker) on event loops these tests close; their finalizers
otherwise run whenever the GC next fires — once that was inside pytest's own ast.parse at session
end, which CPython 3.11 turns into "SystemError: AST constructor recursion depth mismatch".
"""

from __future__ import annotations

import gc
import warnings

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage_now():
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()
