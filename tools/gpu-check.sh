#!/usr/bin/env bash
# On a CUDA machine: trains one short epoch on CUDA, exports, generates on CUDA, and prints one
# JSON line of figures (engine, kernel runs per execution provider, chars/s, validation loss).
# Exits 1, naming what ran where, if CUDA is unavailable or any training or generation kernel ran
# on the CPU. Prerequisite: `npm ci && npm run setup:cuda`.
#   bash tools/gpu-check.sh [--max-batches 300] [--chars 2000]
#   bash tools/gpu-check.sh --cpu      # the same pipeline on the CPU provider, to try the script without a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
npx nx run-many -t build -p data,contract,graph,train,export,infer-web --output-style=static >/dev/null
exec node tools/gpu-check.mjs "$@"
