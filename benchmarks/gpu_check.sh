#!/usr/bin/env bash
# One command that proves `--device cuda` on a machine with one GPU, in under 8 minutes:
#   1. the CUDA-only tests (tests/test_gpu.py) plus the device tests that run anywhere;
#   2. a full `run_all.py --device cuda` from an empty output folder, timed, with time per part;
#   3. the training and attack benchmarks on CUDA;
#   4. a short summary (GPU name, per-part seconds, accuracy, time to 99%).
#
# Usage (repository root):  bash benchmarks/gpu_check.sh [output-folder]   (default: /tmp/hw1_gpu_check)
# Environment: DEVICE (default cuda; DEVICE=cpu QUICK=1 rehearses the script on a CPU), QUICK=1 for --quick,
# MNIST_GZ (a folder of the four original .gz files, for machines that cannot fetch MNIST: they are
# unpacked into data/MNIST/raw/ first; `make_mnist_gz` below shows how to make that folder).
#
# Machines without WeasyPrint (the lent GPU machines have none and cannot install it) cannot render
# the PDF: the run then stops after saving every result and writing hw1.html, and the script says
# so and reports the rest.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-/tmp/hw1_gpu_check}"
DEVICE="${DEVICE:-cuda}"
QUICK_FLAG=""; [ "${QUICK:-0}" = "1" ] && QUICK_FLAG="--quick"
PY="${PYTHON:-python}"
LOG="$OUT.log"
mkdir -p "$(dirname "$OUT")"; : > "$LOG"
say() { echo "$@" | tee -a "$LOG"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
since() { local ms=$(( $(now_ms) - $1 )); printf "%d.%03d" $(( ms / 1000 )) $(( ms % 1000 )); }

if [ -n "${MNIST_GZ:-}" ] && [ -d "$MNIST_GZ" ]; then
  mkdir -p data/MNIST/raw
  for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "data/MNIST/raw/$name" ] || gunzip -c "$MNIST_GZ/$name.gz" > "data/MNIST/raw/$name"
  done
fi

say "== machine"
"$PY" - <<'PY' 2>&1 | tee -a "$LOG"
import os, platform, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| built for CUDA", torch.version.cuda)
if torch.cuda.is_available():
    print("GPU:", torch.cuda.get_device_name(0), "| CPU cores:", os.cpu_count())
else:
    print("no CUDA GPU visible; CPU cores:", os.cpu_count())
PY

say "== 1. tests (CUDA-only and device handling)"
start=$(now_ms)
"$PY" -m pytest -q -p no:cacheprovider tests/test_gpu.py tests/test_device.py 2>&1 | tail -n 15 | tee -a "$LOG"
tests_rc=${PIPESTATUS[0]}
say "tests: exit $tests_rc in $(since "$start") s"

say "== 2. full run_all.py --device $DEVICE $QUICK_FLAG into an empty $OUT"
rm -rf "$OUT"
start=$(now_ms)
"$PY" run_all.py --device "$DEVICE" $QUICK_FLAG --out "$OUT" 2>&1 | tee -a "$LOG" | grep -E "done in|ready|rendered|error|warning"
run_rc=${PIPESTATUS[0]}
run_seconds=$(since "$start")
say "run_all.py: exit $run_rc in $run_seconds s (wall, including Python start-up)"
[ -f "$OUT/hw1.pdf" ] || say "NOTE: no PDF rendered here (see the line above; WeasyPrint missing?): timings below exclude it"

say "== 3. benchmarks on $DEVICE"
if [ "${QUICK:-0}" = "1" ]; then
  say "(skipped with QUICK=1)"
else
  "$PY" benchmarks/bench_training.py --device "$DEVICE" --seeds 2 2>&1 | tail -n 25 | tee -a "$LOG"
  "$PY" benchmarks/bench_attack.py --device "$DEVICE" --weights "$OUT/artifacts/cnn.pt" 2>&1 | tail -n 12 | tee -a "$LOG"
fi

say "== 4. summary"
"$PY" - "$OUT" "$run_seconds" <<'PY' 2>&1 | tee -a "$LOG"
import json, sys
out, wall = sys.argv[1], float(sys.argv[2])
try:
    results = json.load(open(f"{out}/results.json"))
except OSError:
    sys.exit("no results.json: the run failed, see the log above")
env, parts = results["environment"], results["parts"]
print(f"device {env.get('device')} {env.get('gpu', '')} | torch {env.get('torch')} | full run {wall:.1f} s wall")
for name, entry in parts.items():
    print(f"  {name}: {entry['seconds']:.2f} s on {entry['device']}")
if "part3" in parts:
    r = parts["part3"]["result"]
    h = r["history"]
    to_99 = f"{h['seconds_to_99']:.2f} s of training" if h["seconds_to_99"] is not None else "not reached"
    print(f"  CNN test accuracy {100 * r['test_accuracy']:.2f}%, time to 99%: {to_99}")
if "part4" in parts:
    r = parts["part4"]["result"]
    print(f"  attacks: untargeted {100 * r['untargeted']['success_rate']:.1f}% in {r['seconds_untargeted']:.2f} s, "
          f"targeted {100 * r['targeted']['success_rate']:.1f}% in {r['seconds_targeted']:.2f} s")
PY
say "log: $LOG"
[ "$tests_rc" = "0" ] && { [ "$run_rc" = "0" ] || [ ! -f "$OUT/hw1.pdf" ]; }
