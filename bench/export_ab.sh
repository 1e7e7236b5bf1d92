#!/usr/bin/env bash
# Alternating rounds of bench_export from two builds (before/after a change), so that both see the
# same load of a shared machine: export_ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [COUNT] [ROUNDS]
set -euo pipefail
before=${1:?usage: export_ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [COUNT] [ROUNDS]}
after=${2:?usage: export_ab.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [COUNT] [ROUNDS]}
count=${3:-1000000}
rounds=${4:-3}
for dir in "$before" "$after"; do
  [[ -x "$dir/bench/bench_export" ]] || { echo "export_ab.sh: no $dir/bench/bench_export" >&2; exit 2; }
done
for ((r = 1; r <= rounds; r++)); do
  for dir in "$before" "$after"; do
    echo "== $dir, round $r, load $(cut -d' ' -f1 /proc/loadavg)"
    "$dir/bench/bench_export" --count "$count" 2>/dev/null | grep -E '^(dry|full|unchanged|incremental)' | cut -c1-80
  done
done
