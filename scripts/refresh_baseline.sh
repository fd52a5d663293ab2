#!/usr/bin/env bash
# Regenerate the committed CI-gate baseline (evals/baselines/ci-slice.json) with the embedded
# model. Run it after an intended change to prompts, tools or packs, review the diff, commit.
# Uses a fresh response cache so the baseline reflects real model calls of the current code.
# One request at a time: llama.cpp's batched decoding over several slots is not bit-for-bit
# reproducible (outputs drift with batch composition), sequential decoding is.
set -euo pipefail
cd "$(dirname "$0")/.."
LINER="${LINER:-}"
if [ -z "$LINER" ]; then
  if [ -x .venv/bin/liner ]; then LINER=.venv/bin/liner; else LINER=liner; fi
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
LINER_CACHE_DIR="$tmp/cache" "$LINER" eval ci-slice --seed 0 --concurrency "${CONCURRENCY:-1}" --no-progress \
  -o "$tmp/ci-slice.json"
mkdir -p evals/baselines
cp "$tmp/ci-slice.json" evals/baselines/ci-slice.json
echo "baseline written: evals/baselines/ci-slice.json" >&2
