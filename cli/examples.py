"""Examples shown at the end of every command's and command group's ``--help`` (text only;
``app.py`` attaches them; a group shows the first example of each of its commands).

Keys are command paths as typed after ``liner``; a test checks that every registered command has
an entry, so a new command cannot ship without examples.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "tag": [
        "liner tag examples/catalog.jsonl -o out.jsonl",
        "liner tag catalog.csv -o out.jsonl --map id=track_id,title=track --drop gold_genres --dry-run",
        "liner tag catalog.parquet -o out.jsonl --model openai/gpt-4o-mini --concurrency 8 --limit 100",
    ],
    "eval": [
        "liner eval ci-slice -o run.json",
        "liner eval bandcamp-genres -o run.json --limit 300 --seed 0",
        "liner eval my-spec.yaml --data gold.jsonl -o run.json --model openai/gpt-4o-mini",
    ],
    "gate": [
        "liner gate evals/baselines/ci-slice.json run.json --report report.md",
        "liner gate base.json cand.json --config evals/gates.yaml --html report.html",
    ],
    "fit": [
        "liner fit bandcamp-genres vader-valence policy-prompts --negatives bandcamp-genres -o fusion/",
        "liner fit vader-valence --run run.json -o fusion/",
    ],
    "export": [
        "liner export out.jsonl -o out.parquet",
    ],
    "serve": [
        "liner serve --port 8780",
        "liner serve --host 0.0.0.0 --token \"$LINER_SERVICE_TOKEN\" --model openai/gpt-4o-mini",
    ],
    "monitor": [
        "liner monitor last-week.jsonl this-week.jsonl --report drift.md",
    ],
    "tools retrieve": [
        "liner tools retrieve \"dark hypnotic techno from Berlin\" -k 10",
        "liner tools retrieve \"true crime interviews\" --taxonomy podcast-categories",
    ],
    "tools audio": [
        "liner tools audio examples/audio/night-drive-124bpm.flac",
        "liner tools audio song.flac --max-seconds 60 --root /srv/music",
    ],
    "tools policy": [
        "liner tools policy \"some lyrics\" -k 3",
    ],
    "index build": [
        "liner index build --gold labeled.jsonl -o exemplars/",
        "liner index build --gold labeled.csv --map id=track_id,title=track --genres-field tags -o exemplars/",
        "liner index build out.jsonl --catalog catalog.jsonl -o exemplars/",
    ],
    "review build": [
        "liner review build -o review.sqlite --run run.json",
        "liner review build -o review.sqlite --run out.jsonl --gold gold.jsonl",
    ],
    "review stats": [
        "liner review stats --gold vader-valence",
        "liner review stats --store review.sqlite --json",
    ],
    "review serve": [
        "liner review serve --store review.sqlite",
        "liner review serve --store review.sqlite --host 0.0.0.0 --generate-token",
    ],
    "review export": [
        "liner review export --store review.sqlite -o gold/",
    ],
}


def epilog(path: str) -> str | None:
    """The help epilog for a command path, or None when there are no examples for it."""
    return epilog_of(EXAMPLES.get(path) or [])


def group_epilog(group: str, commands: list[str]) -> str | None:
    """The help epilog of a command group (``liner review --help``): the first example of each of
    its ``commands`` (their names after the group), or None when none has one."""
    return epilog_of([EXAMPLES[f"{group} {c}"][0] for c in commands if EXAMPLES.get(f"{group} {c}")])


def epilog_of(lines: list[str]) -> str | None:
    """``lines`` (whole ``liner ...`` commands) as a help epilog, or None when there are none."""
    if not lines:
        return None
    # Typer's help keeps a paragraph per blank-line-separated block
    return "Examples:\n\n" + "\n\n".join(f"  $ {line}" for line in lines)
