#!/usr/bin/env bash
# The whole test suite of two checkouts, one after the other on a quiet machine (issue 27/29's "at most 25% slower
# than 9900614, same sitting"): prints each suite's pytest total and the ratio. The order alternates with --swap,
# since this class of machine drifts by several percent within an hour.
#
#   HW1_DATA_DIR=/path/to/mnist benchmarks/bench_suite.sh <new checkout> <baseline checkout> [--swap]
#
# Each run uses this checkout's virtual environment (.venv) and its own checkout on PYTHONPATH; per-test
# durations are left in <checkout>/suite-durations.log.
set -euo pipefail
new=$(realpath "$1"); old=$(realpath "$2")
python="$(realpath "$(dirname "$0")/..")/.venv/bin/python"  # the venv's own link: resolving it leaves the venv
order=("$new" "$old"); [[ "${3:-}" == "--swap" ]] && order=("$old" "$new")
declare -A seconds
for dir in "${order[@]}"; do
    echo "=== $dir $(git -C "$dir" log --oneline -1 | cut -c1-8) $(date +%T)"
    (cd "$dir" && PYTHONPATH="$dir" "$python" -m pytest -q -p no:cacheprovider --durations=0 > suite-durations.log 2>&1) || true
    tail -1 "$dir/suite-durations.log"
    seconds[$dir]=$(tail -1 "$dir/suite-durations.log" | grep -o -E 'in [0-9.]+s' | grep -o -E '[0-9.]+' || echo 'float("nan")')
done
echo "new/old: $(python3 -c "print(f'{${seconds[$new]} / ${seconds[$old]} - 1:+.1%}')")"
