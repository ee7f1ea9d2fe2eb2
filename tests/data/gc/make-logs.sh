#!/usr/bin/env bash
# Regenerates the garbage-collection logs in this directory from the programs beside it.
# Not run by the tests (they read the committed logs); it needs a JDK 17 (openjdk-17-jdk-headless),
# Go (golang) and Node (nodejs) on PATH. Every run is short so that every log stays under 50 KB;
# the pauses themselves are this machine's, so a rerun gives other figures (and the tests in
# tests/lock/pauses.rs would need the new counts, which the awk lines they cite recompute).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

javac -d "$work" Alloc.java
# The JVM rotates a log file it finds (x.log becomes x.log.0): start from none. (The jvm-*
# fixtures without the 17 are written by hand: see tests/lock/pauses.rs.)
rm -f jvm17-*.log jvm17-*.log.[0-9]
# jvm ROUNDS FLAGS...: Alloc for ROUNDS rounds in a 64 MB heap.
jvm() { local rounds=$1; shift; java -Xms64m -Xmx64m "$@" -cp "$work" Alloc "$rounds"; }

# G1 with -Xlog:gc (one line per pause), in the same run as -Xlog:safepoint (every stop of the
# application threads), and the JVM's own count and time per collector (Alloc prints them).
jvm 1000 -XX:+UseG1GC -Xlog:gc:file=jvm17-g1-gc.log -Xlog:safepoint:file=jvm17-g1-safepoint.log \
    > jvm17-g1-gc.summary.txt
# G1 with -Xlog:gc* (gc,start lines announce each pause before the gc line reports it).
jvm 800 -XX:+UseG1GC -Xlog:gc*:file=jvm17-g1-gcstar.log > /dev/null
# Decorated: wall time, uptime, level and tags.
jvm 400 -XX:+UseG1GC -Xlog:gc*:file=jvm17-g1-decorated.log:time,uptime,level,tags > /dev/null
# ZGC logs its pauses under gc+phases: -Xlog:gc alone has none.
jvm 300 -XX:+UseZGC -Xlog:gc,gc+phases:file=jvm17-zgc.log > /dev/null
jvm 300 -XX:+UseShenandoahGC -Xlog:gc:file=jvm17-shenandoah.log > /dev/null
jvm 1000 -XX:+UseSerialGC -Xlog:gc:file=jvm17-serial.log > /dev/null

# Go: the gctrace lines go to stderr.
go build -o "$work/alloc" alloc.go
GODEBUG=gctrace=1 GOGC=25 "$work/alloc" 600 2> go-gctrace.log > /dev/null

# Node: --trace-gc writes to stdout, beside the program's own output (kept: a real log has it).
node --trace-gc --max-semi-space-size=1 alloc.js 120 > node-trace-gc.log

wc -c ./*.log
