#!/usr/bin/env bash
# Full runs of several seeds on a lent GPU machine, each checked against the claims register (#17), packed
# so that the reports can be read (and their PDFs rendered) on a machine with WeasyPrint.
#
# Usage (repository root):  bash benchmarks/gpu_seeds.sh OUT_DIR SEED [SEED ...]
# Environment: DEADLINE_S (default 480): no new seed starts after this many seconds, so the command ends
#   inside the device tool's 10-minute limit; run the script again with the seeds it did not reach.
#   WHEELS (a folder of wheels to install first, e.g. ziamath for the math: the GPU image lacks it),
#   MNIST_GZ (a folder of the four original .gz files, unpacked into data/MNIST/raw/ first).
# Output in OUT_DIR: seedN.tar.gz (results.json, hw1.html and figures/ of each run: render the PDF elsewhere
# with `weasyprint hw1.html hw1.pdf`), and log.txt (per-seed wall time, per-part seconds, claims check).
# Without WeasyPrint (the lent GPU machines have none) each run exits 2 after writing results and hw1.html;
# that is expected here.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="$1"; shift
DEADLINE_S="${DEADLINE_S:-480}"
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/log.txt"
say() { echo "$@" | tee -a "$LOG"; }
started=$(date +%s)

if [ -n "${WHEELS:-}" ] && [ -d "$WHEELS" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl \
    && export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ -n "${MNIST_GZ:-}" ] && [ -d "$MNIST_GZ" ]; then
  mkdir -p data/MNIST/raw
  for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "data/MNIST/raw/$name" ] || gunzip -c "$MNIST_GZ/$name.gz" > "data/MNIST/raw/$name"
  done
fi
python3 -c "import torch; print('torch', torch.__version__, '|', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')" | tee -a "$LOG"

for seed in "$@"; do
  elapsed=$(( $(date +%s) - started ))
  if [ "$elapsed" -gt "$DEADLINE_S" ]; then say "seed $seed: not started ($elapsed s elapsed, deadline $DEADLINE_S s)"; continue; fi
  run="/tmp/hw1-gpu-seed$seed"
  rm -rf "$run"
  t0=$(date +%s.%N)
  PYTHONUNBUFFERED=1 python3 run_all.py --device cuda --seed "$seed" --out "$run" > "$run.log" 2>&1
  rc=$?
  wall=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  say "seed $seed: run_all.py exit $rc (2 = no WeasyPrint, expected here) in $wall s wall"
  grep -E "done in|error" "$run.log" | grep -v WeasyPrint | tee -a "$LOG"
  python3 - "$run" <<'PY' 2>&1 | tee -a "$LOG"
import json, sys
sys.path.insert(0, "tests")
from pathlib import Path
from test_claims import check_claims
out = Path(sys.argv[1])
parts = json.loads((out / "results.json").read_text())["parts"]
r2, r3 = parts["part2"]["result"], parts["part3"]["result"]
print(f"  XOR reported seed {r2['reported_seed']} ({r2['seeds_tried']} tried), check {r2['course_check_pass']}; "
      f"CNN {100 * r3['test_accuracy']:.2f}%")
if "part5" in parts:
    r5 = parts["part5"]["result"]
    print("  part5:", {k: v for k, v in r5.items() if k in ("defended_test_accuracy", "seconds")})
failures = check_claims(out)
print("  claims:", "all true" if not failures else failures)
PY
  tar -czf "$OUT_DIR/seed$seed.tar.gz" -C "$run" results.json hw1.html figures
done
say "total $(( $(date +%s) - started )) s"
