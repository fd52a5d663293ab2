"""Fitted models for declared signals (placeholder loader until ``liner fit --signals`` lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linernotes.signals.spec import SignalSpec


def load_models(folder: Path, specs: list[SignalSpec]) -> dict[str, Any]:
    return {}
