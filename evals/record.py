"""The run record: the JSON file ``liner eval -o RUN.json`` writes, and ``liner gate`` compares.

One record = one tagger configuration scored against one gold set. It keeps every item's
prediction and per-item scores, so a run can be re-scored with new metrics and two runs can be
compared item by item (paired) without re-running the model.

Stable per-item fields (the review UI builds queues from these; do not rename):

``items[i]``
    ``id``          gold item id (str)
    ``group``       cluster key for the bootstrap (album/label/source), str or null
    ``inputs``      exactly the visible fields the tagger saw (after the spec's mapping), dict
    ``gold``        the gold answer(s) for this item, dict keyed by task name, e.g.
                    ``{"genres": ["techno"]}``, ``{"valence": 0.29, "ratings": [...]}``,
                    ``{"policy": "insult"}``
    ``prediction``  the enrichment dict written by the tagger (``linernotes.schema.Enrichment``
                    dumped to JSON), or null for an error item
    ``status``      ``"ok"`` | ``"error"``
    ``error``       ``{"kind", "message", ...}`` for an error item, else null
    ``scores``      per-item scores, flat ``{metric_name: float}`` (e.g. ``genres.f1``,
                    ``valence.abs_err``, ``policy.correct``); an error item gets the scores of an
                    empty prediction, never NaN

Metric names are ``<task>.<metric>`` (``genres.micro_f1``, ``valence.pearson``,
``policy.flag_recall``, ``run.latency_p50_s`` ...); each carries a point value and a 95% bootstrap
interval (clustered by ``group``). ``ci_low``/``ci_high`` are null for figures without sampling
uncertainty (counts, costs) and when the interval is withheld (too few items; ``ci_method``).
Evidence-only baselines are ``baseline.<name>.<task>.<metric>``; ``extras.baselines`` holds the
paired record-minus-baseline comparison, ``extras.<task>.risk_coverage`` the risk-coverage table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from linernotes.files import read_regular_text, refuse_shipped, special_kind
from linernotes.numbers import TextNumbers

RECORD_VERSION = "1"


class MetricValue(TextNumbers):
    """A point estimate with its bootstrap interval; ``n`` = items (or pairs) it was computed on.

    ``ci_method`` says how the interval was resampled (``evals.bootstrap.plan_resampling``):
    ``clusters``, ``items`` (too few clusters) or ``withheld`` (too few items: no interval);
    ``clusters`` = how many clusters contribute to the metric."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    ci_method: str | None = None
    clusters: int | None = None


class ItemResult(TextNumbers):
    id: str
    group: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    gold: dict[str, Any] = Field(default_factory=dict)
    prediction: dict[str, Any] | None = None
    status: Literal["ok", "error"] = "ok"
    error: dict[str, Any] | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class ExemplarInfo(TextNumbers):
    """The exemplar index an eval gave the tagger (spec ``exemplars``): which rule, how many
    items, and a content digest (resume refuses a run folder built with another set)."""

    task: str
    exclude: str
    count: int
    digest: str


class RunRecord(TextNumbers):
    """Everything needed to reproduce, re-score and compare one evaluation run."""

    record_version: str = RECORD_VERSION
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    spec: str = Field(description="gold spec name, e.g. 'bandcamp-genres'")
    spec_digest: str = ""
    data_path: str = ""
    gold_fingerprint: str = Field(description="datasets _fingerprint of the gold rows scored")
    model: str = ""
    prompt: str = ""
    prompt_hash: str = ""
    schema_version: str = ""
    tool_versions: dict[str, str] = Field(default_factory=dict)
    packages: dict[str, str] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    limit: int | None = None
    judge: str | None = None
    exemplars: ExemplarInfo | None = Field(None, description="gold items given as exemplars; null = none")
    tasks: list[dict[str, Any]] = Field(default_factory=list, description="the spec's task specs, for re-scoring")
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict, description="error items by kind")
    repeat_spread: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="--repeat N without cache: {metric: {min, max, sd, n}}")
    extras: dict[str, Any] = Field(default_factory=dict, description="plot data: per-class F1, confusion, bins")
    items: list[ItemResult] = Field(default_factory=list)

    def save(self, path: str | Path) -> None:
        """Write atomically so a killed eval never leaves half a record for the gate to read."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(self.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        tmp.replace(p)

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        """Raises ValueError for a FIFO, device or folder without waiting on it (a FIFO blocked for
        good, /dev/zero died of MemoryError, exit 1; a folder given as ``liner fit --run`` ended in an
        IsADirectoryError traceback), OSError when it cannot be read."""
        return cls.model_validate_json(read_regular_text(path, ValueError, ": a run record is a JSON file"))


def is_run_record(path: Path) -> bool:
    """Whether ``path`` is a file holding a run record (a JSON object with its version and gold
    fingerprint; not validated further). A FIFO or device is not one, and is not read; nor is a
    file whose first bytes are not a JSON object's (``liner gate --report big.bin`` read a 3 GB
    file whole into memory to say it was not a record)."""
    if special_kind(path) is not None:
        return False
    try:
        with open(path, "rb") as fh:
            if fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
                return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and "record_version" in data and "gold_fingerprint" in data


def check_report_targets(targets: dict[str, Path | None], inputs: dict[str, Path | None],
                         overwrite_shipped: bool = False) -> None:
    """Raise ValueError, before anything is computed, for a report option (``{"--report": path}``)
    whose path is one of the command's own files (``inputs``: ``{"-o": path, "BASELINE": path}``),
    an existing run record, or a folder: ``liner gate base.json cand.json --report base.json``
    replaced the baseline with markdown, exit 0; ``liner eval -o run.json --report run.json`` the
    record the gate then could not read. A path inside data the package ships is refused unless
    ``overwrite_shipped`` (``files.refuse_shipped``)."""
    own = {p.resolve(): name for name, p in inputs.items() if p is not None}
    for option, target in targets.items():
        if target is None:
            continue
        refuse_shipped(target, ValueError, option, overwrite_shipped)
        if target.is_dir():
            raise ValueError(f"{option} {target}: is a folder; a report is a file")
        name = own.get(target.resolve())
        if name is not None:
            raise ValueError(f"{option} {target}: is this command's {name}; the report would replace it")
        if is_run_record(target):
            raise ValueError(f"{option} {target}: is a run record; the report would replace it")
