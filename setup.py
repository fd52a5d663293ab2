"""Map the top-level folders into the one ``linernotes`` namespace.

The user asked for top-level ``agents/``, ``tools/``, ``evals/``, ``cli/``; installing them as
top-level packages would shadow other distributions (``tools``, ``cli``), so every folder is
re-rooted under ``linernotes``. Subpackages are discovered, so adding one needs no edit here.

A folder that holds only data (``agents/prompts``, ``evals/specs``, ``fusion/default``,
``review/web/templates`` ...) is a package too, found as a namespace package: Python can import
it, and setuptools wants every importable folder whose files it ships in ``packages`` (for each
of the 9 it warned at every build "Package 'linernotes.evals.specs' is absent from the
`packages` configuration ... Package would be ignored", and names find_namespace_packages as the
way). Their files are the same as before: the patterns below pick them as they did.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOTS = {
    "linernotes": "core",
    "linernotes.agents": "agents",
    "linernotes.tools": "tools",
    "linernotes.evals": "evals",
    "linernotes.review": "review",
    "linernotes.cli": "cli",
    "linernotes.packs": "packs",
    "linernotes.fusion": "fusion",
    "linernotes.llm": "llm",
    "linernotes.testing": "testing",
    "linernotes.sinks": "sinks",
    "linernotes.beam": "beam",
    "linernotes.service": "service",
    "linernotes.monitor": "monitor",
    "linernotes.signals": "signals",
    "linernotes.run": "run",
    "linernotes.store": "store",
}
DATA = ["*.yaml", "*.yml", "*.json", "*.jsonl", "*.md", "*.txt", "*.csv", "*.html", "*.css", "*.js",
        "*.j2", "*.wav", "*.flac", "*.ogg", "*.mp3", "*.arrow"]

package_dir: dict[str, str] = {}
packages: list[str] = []
for name, folder in ROOTS.items():
    if not Path(folder).is_dir():
        continue
    package_dir[name] = folder
    packages.append(name)
    for sub in find_namespace_packages(where=folder, exclude=["__pycache__", "*.__pycache__"]):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(
    package_dir=package_dir,
    packages=packages,
    package_data={p: DATA + ["**/*.yaml", "**/*.json", "**/*.html", "**/*.css", "**/*.js", "**/*.md"] for p in packages},
    # the CI slice's rows were never shipped: the data patterns reached evals/slices/ only through
    # evals' recursive ones (**/*.md and the like, no **/*.jsonl); kept so while that is an open question.
    # policy-clean.jsonl ships: the shipped policy spec scores it (spec clean:, evals/clean.py)
    exclude_package_data={"linernotes.evals.slices": ["ci-slice.jsonl", "ci-exemplars.jsonl"]},
    include_package_data=True,
)
