"""Monitor thresholds: the shipped ``thresholds.yaml``, overridden key by key by the user's YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from linernotes.files import MAX_CONFIG_BYTES, read_regular_text, require_regular
from linernotes.monitor.load import MonitorInputError
from linernotes.numbers import TextNumbers
from linernotes.signals.yaml_lines import (
    KeyedError,
    Lines,
    YamlSyntaxError,
    first_reason,
    format_loc,
    line_of,
    load_with_lines,
)

DEFAULT = Path(__file__).with_name("thresholds.yaml")


class Thresholds(TextNumbers):
    model_config = {"extra": "forbid", "allow_inf_nan": False}

    alpha: float = Field(gt=0, lt=1)
    min_items: int = Field(ge=1)
    labels: dict[str, Annotated[float, Field(ge=0, le=1)]]  # a divergence / KS statistic: both in [0, 1]
    confidence: dict[str, Annotated[float, Field(ge=0, le=1)]]
    routed_share_delta: float = Field(ge=0)
    hand_set_share_delta: float = Field(ge=0)
    error_rate_delta: float = Field(ge=0)
    new_error_kind_share: float = Field(ge=0)
    tokens_per_item_ratio: float = Field(gt=0)
    cost_per_item_ratio: float = Field(gt=0)
    latency_p95_ratio: float = Field(gt=0)
    latency_p95_min_delta_s: float = Field(ge=0)

    @field_validator("labels", "confidence")
    @classmethod
    def _known_fields(cls, v: dict[str, float], info: Any) -> dict[str, float]:
        from linernotes.monitor.compare import CONFIDENCE_FIELDS, LABEL_FIELDS  # compare imports this module

        known = ["default", *(LABEL_FIELDS if info.field_name == "labels" else CONFIDENCE_FIELDS)]
        unknown = [k for k in v if k not in known and not k.startswith("signals.")]  # signals.<name>: declared
        if unknown:  # a misspelt field would silently keep its default
            raise KeyedError(unknown[0], f"no field {unknown[0]!r} (fields: {', '.join(known)})")
        return v

    def label(self, field: str) -> float:
        return self.labels.get(field, self.labels.get("default", 0.05))

    def conf(self, field: str) -> float:
        return self.confidence.get(field, self.confidence.get("default", 0.2))


def _read(path: Path) -> tuple[dict[str, Any], Lines]:
    require_regular(path, MonitorInputError, ": give a YAML file")
    try:
        data, lines = load_with_lines(read_regular_text(path, MonitorInputError, ": give a YAML file",
                                                        limit=MAX_CONFIG_BYTES, what="a thresholds file"))
    except OSError as e:
        raise MonitorInputError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:  # files.NotTextError names the file and line; it was a traceback
        raise MonitorInputError(str(e)) from None
    except YamlSyntaxError as e:
        raise MonitorInputError(f"{path}:{e.line}: not YAML ({e.reason})") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise MonitorInputError(f"{path}: expected a mapping of thresholds, got {type(data).__name__}")
    return data, lines


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Defaults, then ``path``'s keys on top (nested ``labels``/``confidence`` merge per field).
    Raises ``MonitorInputError`` as ``FILE:LINE: key: reason`` (the user's file when the key is its)."""
    data, lines = _read(DEFAULT)
    user: dict[str, Any] = {}
    if path is not None:
        user, lines = _read(Path(path))
        for key, value in user.items():
            if key in ("labels", "confidence") and isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    try:
        return Thresholds.model_validate(data)
    except ValidationError as e:
        loc, reason = first_reason(e.errors())
        source = Path(path) if path is not None and loc and loc[0] in user else DEFAULT
        line = line_of(lines, loc) if source != DEFAULT or path is None else 1
        raise MonitorInputError(f"{source}:{line}: {format_loc(loc)}: {reason}") from None
