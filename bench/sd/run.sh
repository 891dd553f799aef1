#!/usr/bin/env bash
# Stable Diffusion 1.5 at full size with random weights (bench/sd/README.md):
#   bench/sd/run.sh [THREADS [SIZE]]   (default 2 threads, graph at 256x256)
# 1. writes /tmp/sd15-random-f16.safetensors (2.1 GB, once) from the real SD 1.x key layout;
# 2. bench_sd: load, text encode, U-Net at batch 1 and 2 (256 and 512), VAE decode, peak RSS;
# 3. the same U-Net forwards in Python PyTorch on the same LibTorch (Debian python3-torch);
# 4. graphs/sd/txt2img.yaml, 20 steps at SIZE (default 256) with the CLI: wall time, per-node times, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
size=${2:-256}
ckpt=${NG_BENCH_CHECKPOINT:-/tmp/sd15-random-f16.safetensors}
export NOISEGRAPH_CLIP_VOCAB=$PWD/models/clip/bpe_simple_vocab_16e6.txt.gz
[ -f "$ckpt" ] || build/bin/bench_sd make tests/data/sd1-tiny/sd1_real_layout.txt "$ckpt"
echo "== bench_sd (C++), threads $threads"
build/bin/bench_sd time "$ckpt" --threads "$threads" --sizes 256,512
echo "== Python PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), threads $threads"
/usr/bin/python3 bench/sd/unet_torch.py "$ckpt" --threads "$threads" --sizes 256,512
echo "== txt2img graph, ${size}x${size}, 20 steps, CFG 7, DPM++ 2M"
out=$(mktemp -d)
/usr/bin/time -f "peak RSS %M KB, wall %e s" build/bin/noisegraph run graphs/sd/txt2img.yaml \
  --set checkpoint.path="$ckpt" --set latent.width="$size" --set latent.height="$size" --threads "$threads" --output-dir "$out" --report "$out/report.json" --quiet
/usr/bin/python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
nodes = {n["id"]: n["wall_ms"] / 1000 for n in r["nodes"]}
total = r["wall_ms"] / 1000
print("graph total %.1f s; per node: %s" % (total, ", ".join("%s %.2f s" % kv for kv in nodes.items())))
PY
rm -rf "$out"
