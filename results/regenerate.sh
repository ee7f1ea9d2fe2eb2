#!/usr/bin/env bash
# Regenerates everything in results/ from the current code. Each file is written to a temporary
# name and moved into place only when its command succeeded, so a failure never leaves half a file.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/faultline

stamp() {
    echo "# commit:    $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '')"
    echo "# toolchain: $(rustc --version)"
    echo "# machine:   $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "# command:   $*"
    echo
}

produce() {
    local file=$1
    shift
    local tmp
    tmp=$(mktemp "results/.${file}.XXXXXX")
    trap 'rm -f "$tmp"' EXIT
    { stamp "$@"; "$@"; } >"$tmp"
    mv "$tmp" "results/$file"
    trap - EXIT
    echo "wrote results/$file"
}

produce demo.txt "$bin"
produce outcome-table.txt "$bin" table
produce smr-worlds.txt bash -c "for p in wait-all commit-alone majority primary-backup; do $bin smr --protocol \$p; echo; done"
produce smr-stress.txt "$bin" smr --stress --runs 2000
produce smr-stress-majority-n5.txt "$bin" smr --stress --runs 2000 --protocol majority --servers 5 --faults 2
produce smr-stress-crash.txt "$bin" smr --stress --runs 2000 --model crash --servers 5 --faults 2
# The standard sweeps, their plots and results/README.md.
cargo bench --quiet --bench violation_curves
# results/PERFORMANCE.md: every bench that includes benches/common/perf.rs writes its own section
# (results/perf/NAME.md, atomically) and reassembles the file; the scale bench takes minutes.
for bench in $(grep -l 'common/perf.rs' benches/*.rs); do
    cargo bench --quiet --bench "$(basename "$bench" .rs)"
done
echo "wrote results/PERFORMANCE.md"
