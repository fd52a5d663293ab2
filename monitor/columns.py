"""Which columns of the output table (``linernotes.sinks.table.SCHEMA``) the monitor reads.

``LABEL_FIELDS``: the table's label column of each built-in field that is not a number (policy's
flags are listed by clause id in ``policy_ids``); a scalar's drift is a confidence/value shift, not
a label shift. ``COLUMNS``: everything ``monitor.compare`` reads; a loaded run keeps these alone
(``monitor.load``). The rest (evidence_json, policy_flags, rationale, tool versions: ~90% of a
record's bytes) was held for nothing: a 1.3 GB log of 300,000 records took 4.1 GB of memory.
"""

from __future__ import annotations

from linernotes.signals import builtin
from linernotes.sinks.table import CONFIDENCE_FIELDS

LABEL_COLUMN = {"policy": "policy_ids"}
# what made a run's answers: a run that mixes several (a service restarted with another model) is
# named in the report, as is a change between the runs: often the cause of an alert. ``fusion`` (the
# artifact's content hash) decides most fields without the model: a refit moves labels as a new model does
VERSION_COLUMNS = ("model", "prompt_hash", "fusion", "schema_version")
LABEL_FIELDS = tuple(LABEL_COLUMN.get(f, f) for f in builtin.fields() if builtin.kind_of(f) != "scalar")
COLUMNS = ("id", "status", *LABEL_FIELDS, *(f"confidence_{f}" for f in CONFIDENCE_FIELDS), "confidence_calibrated",
           "review_routed",
           "cache_hit", "tokens_in", "tokens_out", "cost_usd", "latency_s", "llm_calls", "signals_json", "error_kind",
           *VERSION_COLUMNS)
