# Helpers of the export tests: a database filled by the demo corpus through smsc-sim and smishd.
# Sourced after lib.sh.

# seed_database SIM SMISHD SMISHCTL SRC [smishd args...]: writes $WORK/smishd.yaml (with the
# operator's allowlist), delivers the demo corpus, waits until every message is a report. smishd
# keeps running (pid in SMISHD_PID, log in $WORK/smishd.log); smsc-sim too (SIM_PID).
seed_database() {
  local sim=$1 smishd=$2 smishctl=$3 src=$4
  shift 4
  write_config "$WORK/smishd.yaml" "$src"
  cat >>"$WORK/smishd.yaml" <<YAML
blocklist:
  allow_domains: ["tele2.lv", "swedbank.lv"]
YAML
  local corpus=$src/configs/demo/corpus.jsonl
  "$sim" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
    --corpus "$corpus" --window 10 --max-seconds 120 --summary-file "$WORK/sim-summary.json" \
    >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"
  "$smishd" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/sim.port")" "$@" 2>"$WORK/smishd.log" &
  SMISHD_PID=$!
  PIDS+=("$SMISHD_PID")
  local expected stored=0 deadline=$((SECONDS + 90))
  expected=$(grep -c '^{' "$corpus")
  while ((SECONDS < deadline)); do
    stored=$("$smishctl" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
    ((stored >= expected)) && return 0
    kill -0 "$SMISHD_PID" 2>/dev/null || fail "smishd exited while seeding"
    sleep 0.2
  done
  fail "only $stored of $expected reports stored"
}

# stop_smishd: SIGTERM, and smishd must exit 0 within 15 s.
stop_smishd() {
  kill -TERM "$SMISHD_PID"
  wait_pid "$SMISHD_PID" 15 || fail "smishd did not stop within 15 s of SIGTERM"
  [[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
}

# free_port udp|tcp: a loopback port that was free a moment ago.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}
