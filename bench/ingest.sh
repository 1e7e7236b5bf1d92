#!/usr/bin/env bash
# Durable-ack ingest benchmark: smsc-sim -> smishd -> RocksDB (synced WAL before each
# deliver_sm_resp) over loopback. For deliver_sm windows 1, 10 and 100 it reports messages/s and
# the ack latency (deliver_sm sent -> deliver_sm_resp received, p50/p99, from smsc-sim's summary);
# then the ack latency at a fixed offered rate (10 000 messages/s, window 100).
# Every message is one single-part deliver_sm (GSM 7-bit or UCS2), made unique with --vary so that
# de-duplication does not short-cut anything; smishd runs with its default settings (log level
# info to a file, classification on) on a fresh database per run.
#
# usage: bench/ingest.sh [BUILD_DIR]          (default: build; needs smishd and smsc-sim built)
# env:   WINDOWS="1 10 100"  COUNT_1=3000  COUNT=30000  RATE=10000  RATE_COUNT=50000  RATE_WINDOW=100
#        PERF=1: also record a perf profile of smishd in the window-100 run (perf report -i ...)
#        KEEP=1: keep the work directory (logs, summaries, perf.data)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${1:-build}
SIM=$BUILD/tools/smsc-sim
SMISHD=$BUILD/tools/smishd
[[ -x $SIM && -x $SMISHD ]] || { echo "build smishd and smsc-sim in $BUILD first" >&2; exit 2; }
WINDOWS=${WINDOWS:-"1 10 100"}
COUNT_1=${COUNT_1:-3000}
COUNT=${COUNT:-30000}
RATE=${RATE:-10000}
RATE_COUNT=${RATE_COUNT:-50000}
RATE_WINDOW=${RATE_WINDOW:-100}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smish-bench-XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Single-part messages (UCS2 ones <= 63 characters, so that " #NNNNN" still fits 70).
cat >"$WORK/corpus.jsonl" <<'EOF'
{"src": "+37120000001", "dst": "12250", "text": "Your parcel is held at the depot: pay 1,99 EUR at dpd-lv.top/pay within 24h", "split": "none"}
{"src": "+37120000002", "dst": "12250", "text": "Tele2: Jūsu konts ir bloķēts, skatiet tele2-lv-bonus.info/sim", "split": "none"}
{"src": "+37120000003", "dst": "12250", "text": "SEB: your card is blocked, call +37129999901 or visit seb-lv.help/unlock", "split": "none"}
{"src": "+37120000004", "dst": "12250", "text": "Ваш аккаунт заблокирован, оплата: swedbank-lv.top/pay", "split": "none"}
EOF

printf 'integration-bench-pseudonym-key-01\n' >"$WORK/pseudonym.key"
write_config() {  # $1 = run directory
  cat >"$1/smishd.yaml" <<YAML
smsc:
  name: bench
  host: 127.0.0.1
  system_id: smishd
  password: bench
  reconnect_min_ms: 50
  reconnect_max_ms: 500
storage:
  path: $1/db
  pseudonym_key_file: $WORK/pseudonym.key
classifier:
  rules_dir: $SRC/configs/rules
  brands_file: $SRC/configs/brands.yaml
export:
  out_dir: $1/export
  interval_s: 0
daemon:
  metrics_listen: 127.0.0.1:0
YAML
}

# run NAME COUNT WINDOW RATE: one simulator + smishd run; prints one table row.
run() {
  local name=$1 count=$2 window=$3 rate=$4 dir=$WORK/$1
  mkdir -p "$dir"
  write_config "$dir"
  "$SIM" --listen 127.0.0.1:0 --port-file "$dir/sim.port" --system-id smishd --password bench \
    --corpus "$WORK/corpus.jsonl" --count "$count" --vary --window "$window" --rate "$rate" \
    --enquire-link-s 0 --exit-when-done --max-seconds 600 --summary-file "$dir/summary.json" \
    >"$dir/sim.out" 2>"$dir/sim.log" &
  local sim=$!
  PIDS+=("$sim")
  local i
  for ((i = 0; i < 200; ++i)); do [[ -s $dir/sim.port ]] && break; sleep 0.05; done
  "$SMISHD" --config "$dir/smishd.yaml" --set "smsc.port=$(cat "$dir/sim.port")" 2>"$dir/smishd.log" &
  local smishd=$!
  PIDS+=("$smishd")
  local perf=""
  if [[ ${PERF:-0} == 1 && $window == 100 && $rate == 0 ]]; then
    for ((i = 0; i < 200; ++i)); do grep -qs event=smpp_bound "$dir/smishd.log" && break; sleep 0.05; done
    perf record -F 499 --call-graph dwarf,16384 -p "$smishd" -o "$dir/perf.data" >/dev/null 2>&1 &
    perf=$!
  fi
  local rc=0
  wait "$sim" || rc=$?
  [[ -n $perf ]] && { kill -INT "$perf"; wait "$perf" || true; }
  kill -TERM "$smishd"
  for ((i = 0; i < 600; ++i)); do kill -0 "$smishd" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$smishd" 2>/dev/null; then
    echo "$name: smishd did not stop within 30 s of SIGTERM (killed; see $dir/smishd.log)" >&2
    kill -9 "$smishd"
  fi
  wait "$smishd" || true
  [[ $rc -eq 0 ]] || { echo "$name: smsc-sim exited $rc" >&2; tail -n 5 "$dir/sim.log" >&2; exit 1; }
  python3 - "$name" "$window" "$rate" "$dir/summary.json" <<'PY'
import json, sys
name, window, rate, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = json.load(open(path))
ok = s["acknowledged"].get("ESME_ROK", 0)
lat = s["latency_us"]
offered = f"{rate:,.0f}/s" if rate else "unlimited"
print(f"| {name} | {window} | {offered} | {ok} | {s['pdus_sent']} | {s['throughput_msgs_per_s']:,.0f} | "
      f"{lat['p50'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | {lat['max'] / 1000:.2f} |")
PY
  [[ -n $perf ]] && echo "perf profile: $dir/perf.data (KEEP=1 keeps it)" >&2
  return 0
}

echo "ingest benchmark: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg), database on $(df -P "$WORK" | awk 'NR==2 {print $1}')"
echo "| run | window | offered rate | ESME_ROK | deliver_sm | messages/s | ack p50 ms | ack p99 ms | ack max ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in $WINDOWS; do
  if [[ $w == 1 ]]; then run "window-$w" "$COUNT_1" "$w" 0; else run "window-$w" "$COUNT" "$w" 0; fi
done
run "rate-$RATE" "$RATE_COUNT" "$RATE_WINDOW" "$RATE"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
