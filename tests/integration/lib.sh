# Shared helpers of the process-level tests: a temp dir, process cleanup, bounded waits.
set -euo pipefail

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smish-it-XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.log; do
    [[ -f $log ]] || continue
    echo "---- $log (last 30 lines)" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}

# wait_for_file FILE SECONDS: until FILE exists and is not empty.
wait_for_file() {
  local deadline=$((SECONDS + $2))
  while [[ ! -s $1 ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# wait_pid PID SECONDS: until the process ends; its exit code in WAIT_RC. Fails on timeout.
wait_pid() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.05
  done
  WAIT_RC=0
  wait "$1" || WAIT_RC=$?
}

# write_config FILE SOURCE_DIR: a smishd config with storage and export under $WORK.
write_config() {
  cat >"$1" <<YAML
smsc:
  name: it-smsc
  host: 127.0.0.1
  system_id: smishd
  password: it-pass
  enquire_link_interval_s: 5
  response_timeout_ms: 2000
  reconnect_min_ms: 50
  reconnect_max_ms: 500
storage:
  path: $WORK/db
  pseudonym_key_file: $WORK/pseudonym.key
classifier:
  rules_dir: $2/configs/rules
  brands_file: $2/configs/brands.yaml
export:
  out_dir: $WORK/export
  interval_s: 0
replies:
  templates_file: $2/configs/replies.yaml
daemon:
  metrics_listen: 127.0.0.1:0
YAML
  printf 'integration-test-pseudonym-key-0001\n' >"$WORK/pseudonym.key"
}

# start_pair TAG [SIM ARGS...]: smsc-sim delivering $CORPUS and smishd ($WORK/smishd.yaml) bound
# to it; their pids in $sim and $smishd, smishd's log in $WORK/smishd-TAG.log.
start_pair() {
  local tag=$1
  shift
  "$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim-$tag.port" --system-id smishd --password it-pass \
    --corpus "$CORPUS" --window 10 --max-seconds 120 --summary-file "$WORK/sim-$tag.json" "$@" >"$WORK/sim-$tag.log" 2>&1 &
  sim=$!
  PIDS+=("$sim")
  wait_for_file "$WORK/sim-$tag.port" 10 || fail "smsc-sim did not publish its port"
  "$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/sim-$tag.port")" 2>"$WORK/smishd-$tag.log" &
  smishd=$!
  PIDS+=("$smishd")
}
stop_pair() {
  kill -TERM "$smishd"
  wait_pid "$smishd" 10 || fail "smishd did not stop"
  [[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
  kill -TERM "$sim"
  wait_pid "$sim" 10 || fail "smsc-sim did not stop"
}
# reports: how many reports smishctl sees ($CTL), 0 when it cannot tell yet.
reports() { "${CTL[@]}" --json stats 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0; }
# wait_for_reports N: until smishctl sees N reports (60 s at most) while smishd runs.
wait_for_reports() {
  local deadline=$((SECONDS + 60))
  until (($(reports) >= $1)); do
    ((SECONDS < deadline)) || fail "only $(reports) of $1 reports"
    kill -0 "$smishd" 2>/dev/null || fail "smishd exited early"
    sleep 0.2
  done
}
