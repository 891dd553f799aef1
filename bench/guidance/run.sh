#!/bin/sh
# Runs the guidance benchmarks (issue 5) and prints every accuracy they report.
# Usage (from the repository root): bench/guidance/run.sh [noisegraph binary] [output folder] [extra run options...]
# e.g. bench/guidance/run.sh build/bin/noisegraph /tmp/bench-guidance
set -e
CLI=${1:-build/bin/noisegraph}
OUT=${2:-bench-guidance-out}
shift 2 2>/dev/null || shift $#
for g in cfg-accuracy classifier-accuracy not-accuracy; do
  start=$(date +%s)
  "$CLI" run "bench/guidance/$g.yaml" --output-dir "$OUT/$g" --quiet "$@" >/dev/null
  echo "$g: $(( $(date +%s) - start )) s" >&2
done
python3 - "$OUT" <<'PY'
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("*/*.json")):
    r = json.loads(f.read_text())
    per = r.get("accuracy_per_class", [])
    extra = "  per class " + " ".join(f"{a:.2f}" for a in per) if f.stem.startswith("cfg") else ""
    print(f"{f.parent.name}/{f.stem:24s} n {r['images']:4d}  accuracy {r.get('accuracy', float('nan')):.3f}{extra}")
PY
