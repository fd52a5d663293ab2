"""Merge the fields of several ``liner fit`` folders into one artifact (how ``fusion/default`` is
made: one fit per dev gold set, run side by side). Each field keeps its own card, including the
fit command that produced it; the merged artifact's ``fit_command`` lists them.

    python scripts/assemble_fusion.py /tmp/fit-genres /tmp/fit-valence /tmp/fit-policy -o fusion/default

``--replace``: a later folder's field replaces an earlier one's (refit one field of the shipped
artifact: ``assemble_fusion.py fusion/default /tmp/fit-genres --replace -o fusion/default``).
``--variant FIELD=FOLDER``: FOLDER is another fit of FIELD on a variant spec (e.g. the
album-held-out split); its cross-fitted record's figures (record, each baseline, the paired CI
of record minus baseline) and its fit command go into FIELD's card under the variant spec's name.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linernotes.evals.record import RunRecord
from linernotes.fusion.artifact import FusionArtifact, load_fusion, save_fusion


def variant_figures(folder: str, field: str) -> dict[str, Any]:
    """``{<spec>.<metric>: value, <spec>.<metric> - <baseline>: "+d [lo, hi]", <spec>.command: ...}``
    for the task named ``field`` of FOLDER's cross-fitted record(s); ``<spec>@seed<N>`` for a sample
    drawn with another seed than 0."""
    art = load_fusion(folder)
    if field not in art.fields:
        raise ValueError(f"{folder}: no field {field}")
    out: dict[str, Any] = {}
    for path in sorted(Path(folder, "cv").glob("*.json")):
        rec = RunRecord.load(path)
        name = rec.spec if not rec.seed else f"{rec.spec}@seed{rec.seed}"  # a replication on another sample
        for key, mv in sorted(rec.metrics.items()):
            if key.startswith(f"{field}.") and mv.value is not None:
                out[f"{name}.{key}"] = round(float(mv.value), 4)
        for c in rec.extras.get("baselines", {}).get("comparison", []):
            if c["metric"].startswith(f"{field}.") and c.get("ci_low") is not None:
                out[f"{name}.{c['metric']} - {c['baseline']}"] = (
                    f"{c['diff']:+.4f} [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}]")
        out[f"{name}.command"] = art.fields[field].card.get("command") or art.fit_command
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--replace", action="store_true", help="a later folder's field replaces an earlier one's")
    ap.add_argument("--variant", action="append", default=[], metavar="FIELD=FOLDER",
                    help="figures of a variant-spec fit of FIELD, added to its card")
    args = ap.parse_args(argv)
    merged = FusionArtifact(created=datetime.now(UTC).isoformat(timespec="seconds"))
    for folder in args.folders:
        art = load_fusion(folder)
        for name, field in art.fields.items():
            if name in merged.fields and not args.replace:
                print(f"{folder}: field {name} is already given by an earlier folder", file=sys.stderr)
                return 2
            merged.fields[name] = field
    for spec in args.variant:
        name, _, folder = spec.partition("=")
        if name not in merged.fields or not folder:
            print(f"--variant {spec}: expected FIELD=FOLDER with a merged field", file=sys.stderr)
            return 2
        merged.fields[name].card.setdefault("metrics", {}).update(variant_figures(folder, name))
    commands = [f.card.get("command") for f in merged.fields.values()]
    merged.fit_command = " && ".join(dict.fromkeys(c for c in commands if c))
    print(save_fusion(merged, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
