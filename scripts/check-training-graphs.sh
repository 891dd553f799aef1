#!/bin/sh
# Checks that each training graph in graphs/train/ and the `ng-train` preset of the same
# name (the driver that produced the shipped weights) train the very same model: both run
# STEPS steps (default 20) from scratch and the resulting tensors must match byte for byte.
# Usage, from the repository root after a build:  scripts/check-training-graphs.sh [STEPS [PRESET...]]
# (no presets named: all of them)
set -eu
steps=${1:-20}
[ $# -gt 0 ] && shift
presets=${*:-vae vae-perceptual-ft vae-gan-ft vae8-perceptual vae8-perceptual-ft latent-unet latent-flow pixel-ddpm latent-classifier eval-classifier perceptual-classifier vae-perceptual latent-unet-v latent-flow-ln latent-classifier-perceptual latent8-unet-v latent8-flow-ln latent8-classifier}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for preset in $presets; do
  build/bin/ng-train "$preset" --steps "$steps" --out "$work/$preset-tool.safetensors" \
    --run "$work/$preset-tool" > "$work/$preset-tool.log" 2>&1
  build/bin/noisegraph run "graphs/train/$preset.yaml" --quiet --output-dir "$work" \
    --set "train.steps=$steps" --set "train.output=$preset-graph.safetensors" \
    --set "train.run_dir=$preset-graph" > "$work/$preset-graph.log" 2>&1
  if python3 scripts/compare-safetensors.py "$work/$preset-tool.safetensors" "$work/$preset-graph.safetensors" \
       > "$work/$preset-compare.txt"; then
    echo "$preset: identical ($(tail -n 1 "$work/$preset-compare.txt"))"
  else
    echo "$preset: DIFFERENT"; cat "$work/$preset-compare.txt"; status=1
  fi
done
exit $status
