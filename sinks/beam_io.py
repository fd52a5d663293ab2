"""``WriteRecords(output)``: a Beam sink for ``OutputRecord``s with the local runner's choice of
format — JSONL lines, one Parquet file (``.parquet``), or a folder of Parquet part files (an
existing folder) — and the same flat table (``linernotes.sinks.table``).

Beam writes the whole output afresh (it does not resume; the response cache makes a rerun
cheap); a rerun into its own dataset folder removes the earlier run's part files it did not
rewrite, and a killed run's temporary folder, once it has finished (``remove_earlier_output``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import apache_beam as beam

from linernotes.schema import OutputRecord
from linernotes.sinks.parquet import is_dataset, is_parquet_output, journal_path, refuse_foreign
from linernotes.sinks.table import SCHEMA, flatten
from linernotes.store.records import OutputError, is_record

# the part files WriteRecords writes into a dataset folder (Beam's default shard names)
BEAM_PART_RE = re.compile(r"^part-\d{5}-of-\d{5}\.parquet$")


def refuse_other_output(output: Path) -> None:
    """Raise ``OutputError``, before the pipeline runs, when Beam's rewrite of ``output`` would
    destroy or join what is not an earlier Beam output of liner: a file that is not a liner output
    (another catalog: the local runner refuses it too; Beam replaced it, exit 1), the Parquet output
    of a local run (its journal beside it), or a folder with Parquet files Beam did not write (a
    local run's parts: Beam's part joined them, 86 rows for 65 ids). A local path only: a remote
    one (``gs://``) is the runner's to check."""
    if "://" in str(output):
        return
    if not is_parquet_output(output):
        if output.is_file() and not _starts_with_a_record(output):
            raise OutputError(f"{output}: exists and is not a liner output (its first line is not an output "
                              "record): the run would replace it; write to another -o")
        return
    if journal_path(output).exists():
        raise OutputError(f"{output}: is the output of a local liner tag run (its records are in "
                          f"{journal_path(output)}); Beam would replace or join it: write to another -o")
    if is_dataset(output):
        other = sorted(p.name for p in output.glob("*.parquet") if not BEAM_PART_RE.match(p.name))
        if other:
            raise OutputError(f"{output}: holds Parquet files Beam did not write ({', '.join(other[:3])}); its "
                              "part files would join them: use a fresh or emptied folder")
        return
    refuse_foreign(output, dataset=False)


def earlier_output(output: str | Path) -> dict[Path, tuple[int, int]]:
    """What earlier Beam runs into a local ``output`` left that a rerun replaces, by path: (inode,
    mtime in ns). Their part files (a dataset folder), and the temporary folders of a run killed
    before Beam finalised its write (``beam-temp-<name>-<uuid>``: inside a dataset folder, beside
    a file), which hold that run's rows as parquet files: pyarrow, pandas and ``datasets`` read a
    folder recursively, so a killed run's folder read as complete, and after a rerun as every row
    twice. Empty for a remote path."""
    if "://" in str(output):
        return {}
    out = Path(output)
    found: list[Path] = []
    # beside OUT: a file output's temporary folder and, for every output, its dead-letter file's
    # (beam.pipeline.dead_letter_path: OUT.dead-letter.jsonl, written by its own sink)
    temps = [(out.parent, re.compile(rf"^beam-temp-{re.escape(out.name)}(\.dead-letter\.jsonl)?-[0-9a-f]{{32}}$"))]
    if is_dataset(out) and out.is_dir():  # inside a dataset folder: the parts and their temporary folder
        found += [p for p in out.glob("part-*.parquet") if BEAM_PART_RE.match(p.name)]
        temps.append((out, re.compile(r"^beam-temp-part-[0-9a-f]{32}$")))
    for home, temp in temps:
        if home.is_dir():
            found += [p for p in home.glob("beam-temp-*") if temp.match(p.name) and p.is_dir()]
    return {p: (st.st_ino, st.st_mtime_ns) for p in found if (st := p.stat())}


def remove_earlier_output(output: str | Path, before: dict[Path, tuple[int, int]]) -> list[Path]:
    """After a run into ``output``, remove what ``earlier_output`` found before it and the run did
    not rewrite (unchanged inode and mtime): Beam names its parts by the shard count
    (part-00000-of-00002), so a rerun with another count left the earlier run's parts beside its
    own; and a killed run's temporary folder stayed for good. Returns the paths removed."""
    stale = [p for p, ident in earlier_output(output).items() if before.get(p) == ident]
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return stale


def _starts_with_a_record(path: Path) -> bool:
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                try:
                    return is_record(json.loads(raw))
                except ValueError:
                    return False
    return True  # empty


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
