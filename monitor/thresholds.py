"""Monitor thresholds: the shipped ``thresholds.yaml``, overridden key by key by the user's YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from linernotes.monitor.load import MonitorInputError

DEFAULT = Path(__file__).with_name("thresholds.yaml")


class Thresholds(BaseModel):
    model_config = {"extra": "forbid"}

    alpha: float = Field(gt=0, lt=1)
    min_items: int = Field(ge=1)
    labels: dict[str, float]
    confidence: dict[str, float]
    routed_share_delta: float = Field(ge=0)
    error_rate_delta: float = Field(ge=0)
    new_error_kind_share: float = Field(ge=0)
    tokens_per_item_ratio: float = Field(gt=0)
    cost_per_item_ratio: float = Field(gt=0)
    latency_p95_ratio: float = Field(gt=0)
    latency_p95_min_delta_s: float = Field(ge=0)

    def label(self, field: str) -> float:
        return self.labels.get(field, self.labels.get("default", 0.05))

    def conf(self, field: str) -> float:
        return self.confidence.get(field, self.confidence.get("default", 0.2))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise MonitorInputError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise MonitorInputError(f"{path}{where}: not YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(data, dict):
        raise MonitorInputError(f"{path}: expected a mapping of thresholds, got {type(data).__name__}")
    return data


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Defaults, then ``path``'s keys on top (nested ``labels``/``confidence`` merge per field)."""
    data = _read(DEFAULT)
    if path is not None:
        user = _read(Path(path))
        for key, value in user.items():
            if key in ("labels", "confidence") and isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    try:
        return Thresholds.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        raise MonitorInputError(f"{path or DEFAULT}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
