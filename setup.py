"""Map the top-level folders into the one ``linernotes`` namespace.

The user asked for top-level ``agents/``, ``tools/``, ``evals/``, ``cli/``; installing them as
top-level packages would shadow other distributions (``tools``, ``cli``), so every folder is
re-rooted under ``linernotes``. Subpackages are discovered, so adding one needs no edit here.
"""

from pathlib import Path

from setuptools import find_packages, setup

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
    for sub in find_packages(where=folder):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(
    package_dir=package_dir,
    packages=packages,
    package_data={p: DATA + ["**/*.yaml", "**/*.json", "**/*.html", "**/*.css", "**/*.js", "**/*.md"] for p in packages},
    include_package_data=True,
)
