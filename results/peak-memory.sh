#!/usr/bin/env bash
# Peak memory (maximum resident set size) of runs that grow by orders of magnitude: a run's memory
# must not grow with its length. Prints one row per run: the command, its wall time and its peak.
# Usage: results/peak-memory.sh [BINARY]   (default target/release/faultline, built by the caller)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/faultline}
[ -x /usr/bin/time ] || { echo "peak-memory.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

measure() {
    local wall peak
    read -r wall peak < <( { /usr/bin/time -f '%e %M' "$bin" "$@" >/dev/null; } 2>&1 | tail -n 1)
    printf '%-66s %8s s %10s KB\n' "faultline $*" "$wall" "$peak"
}

printf '%-66s %10s %13s\n' "run" "wall" "peak RSS"
for n in 100000 1000000 10000000 100000000; do
    measure lock --clients 16 --acquisitions "$n" --json
done
for n in 1000 10000 100000 1000000; do
    measure lock --clients 2 --workload consensus --instances "$n" --json
done
