#!/usr/bin/env bash
# Regenerates nietzsche-gru.onnx, the demo's model, with this project's own pipeline:
# train:fit on the embedded corpus, then export:onnx (which verifies the ONNX graph against tfjs).
# About 4 minutes of training on 2 busy cores. Run from anywhere; works from the workspace root.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rm -rf checkpoints/infer-web-demo
npx nx run train:fit --arch gru --embed 32 --hidden 128 --layers 1 --bs 64 --bptt 16 --epochs 4 --lr 3e-3 --seed 1 --out checkpoints/infer-web-demo
npx nx run export:onnx --checkpoint checkpoints/infer-web-demo --out packages/infer-web/demo/nietzsche-gru.onnx
