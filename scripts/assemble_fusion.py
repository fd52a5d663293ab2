"""Merge the fields of several ``liner fit`` folders into one artifact (how ``fusion/default`` is
made: one fit per dev gold set, run side by side). Each field keeps its own card, including the
fit command that produced it; the merged artifact's ``fit_command`` lists them.

    python scripts/assemble_fusion.py /tmp/fit-genres /tmp/fit-valence /tmp/fit-policy -o fusion/default
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from linernotes.fusion.artifact import FusionArtifact, load_fusion, save_fusion


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    merged = FusionArtifact(created=datetime.now(UTC).isoformat(timespec="seconds"))
    commands = []
    for folder in args.folders:
        art = load_fusion(folder)
        for name, field in art.fields.items():
            if name in merged.fields:
                print(f"{folder}: field {name} is already given by an earlier folder", file=sys.stderr)
                return 2
            merged.fields[name] = field
            commands.append(field.card.get("command") or art.fit_command)
    merged.fit_command = " && ".join(dict.fromkeys(commands))
    print(save_fusion(merged, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
