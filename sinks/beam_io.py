"""``WriteRecords(output)``: a Beam sink for ``OutputRecord``s with the local runner's choice of
format — JSONL lines, one Parquet file (``.parquet``), or a folder of Parquet part files (an
existing folder) — and the same flat table (``linernotes.sinks.table``).

Beam writes the whole output afresh (it does not resume; the response cache makes a rerun
cheap), so give a dataset run a fresh or emptied folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apache_beam as beam

from linernotes.schema import OutputRecord
from linernotes.sinks.parquet import is_dataset, is_parquet_output
from linernotes.sinks.table import SCHEMA, flatten


def _row(rec: OutputRecord) -> dict[str, Any]:
    return flatten(json.loads(rec.model_dump_json()))


def _line(rec: OutputRecord) -> str:
    return rec.model_dump_json(exclude_none=False)


class WriteRecords(beam.PTransform):
    def __init__(self, output: str | Path, label: str | None = None):
        super().__init__(label)
        self.output = str(output)

    def expand(self, records: beam.PCollection) -> Any:
        if not is_parquet_output(self.output):
            return (records | "Lines" >> beam.Map(_line)
                    | "WriteText" >> beam.io.WriteToText(self.output, shard_name_template=""))
        rows = records | "Rows" >> beam.Map(_row)
        # compliant nested types (list elements named "element"): BigQuery's list inference expects them
        common = {"codec": "zstd", "use_compliant_nested_type": True}
        if is_dataset(self.output):
            return rows | "WriteParts" >> beam.io.WriteToParquet(str(Path(self.output) / "part"), SCHEMA,
                                                                 file_name_suffix=".parquet", **common)
        return rows | "WriteParquet" >> beam.io.WriteToParquet(self.output, SCHEMA, num_shards=1,
                                                                shard_name_template="", **common)
