#!/bin/sh
# Runs the editing benchmarks and prints their numbers as one table.
# Usage (from the repository root): bench/edit/run.sh [noisegraph binary] [output folder] [extra run options...]
# e.g. bench/edit/run.sh build/bin/noisegraph /tmp/bench-edit
set -e
CLI=${1:-build/bin/noisegraph}
OUT=${2:-bench-edit-out}
shift 2 2>/dev/null || shift $#
for g in img2img-strength regions inpaint-repaint; do
  start=$(date +%s)
  "$CLI" run "bench/edit/$g.yaml" --output-dir "$OUT/$g" --quiet "$@" >/dev/null
  echo "$g: $(( $(date +%s) - start )) s" >&2
done
python3 - "$OUT" <<'PY'
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("*/*.json")):
    r = json.loads(f.read_text())
    fd = r.get("frechet_distance")
    print(f"{f.stem:28s} accuracy {r.get('accuracy', float('nan')):.3f}" + (f"  frechet {fd:.2f}" if fd is not None else ""))
PY
