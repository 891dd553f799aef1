#!/bin/sh
# The learned- versus fixed-variance table of models/fmnist-pixel-ddpm-lv.md: ancestral DDPM
# with K of the 1000 training steps (respaced), 20 images per class (200), CFG 1 (no guidance:
# the model's own distribution), clip_x0 1, seed 1, the same noise for the three variances.
# Usage: models/measure-learned-variance.sh "25 50 100 1000" [OUT_DIR]   (one thread)
set -e
out=${2:-.}
for k in ${1:-25 50 100 1000}; do
  for v in learned fixed_small fixed_large; do
    build/bin/ng-eval --model models/fmnist-pixel-ddpm-lv.safetensors --pixel --sampler ddpm --scheduler linspace \
      --steps $k --cfg 1 --clip-x0 1 --variance $v --per-class 20 --seed 1 --threads 1 \
      --json $out/lv-$k-$v.json 2>/dev/null | tr -d '\n '; echo
  done
done
