#!/usr/bin/env bash
# Data-subject requests: `smishctl forget --reporter NUMBER` while smishd runs (through the admin
# socket) erases the reporter's reports and its place in the indicators, says what it erased, and
# proves it by a rescan of every record; the audit log records the erasure without naming the
# reporter; a second request finds nothing (exit 1), also on the stopped database (direct).
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

CORPUS=$SRC/configs/demo/corpus.jsonl
expected=$(grep -c '^{' "$CORPUS")
write_config "$WORK/smishd.yaml" "$SRC"
CTL=("$SMISHCTL" --config "$WORK/smishd.yaml")
REPORTER=+37120000001
# The reporter sent this domain's first message; others reported it too.
DOMAIN=tele2-lv-bonus.info

start_pair main

reporters_of() {
  "${CTL[@]}" --json lookup "$DOMAIN" 2>/dev/null | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["distinct_reporters"])'
}
wait_for_reports "$expected"
reports_before=$(reports)
domain_reporters_before=$(reporters_of)

# lookup and report are point reads that smishd answers itself while it runs (no secondary
# instance to open): with storage.path pointing nowhere, only smishd can answer them.
AWAY=(--set "storage.path=$WORK/nowhere" --set "daemon.admin_socket=$WORK/db.admin.sock")
out=$("${CTL[@]}" "${AWAY[@]}" --json lookup "$DOMAIN") || fail "lookup through smishd failed"
[[ $out == *'"kind":"domain"'* && $out == *'"distinct_reporters":'* ]] || fail "lookup through smishd: $out"
out=$("${CTL[@]}" "${AWAY[@]}" report 1) || fail "report through smishd failed"
[[ $out == *"text"* ]] || fail "report through smishd: $out"

# While smishd runs: through the admin socket.
"${CTL[@]}" --json forget --reporter "$REPORTER" >"$WORK/forget1.json" 2>"$WORK/forget1.err" ||
  fail "forget while smishd runs: $(cat "$WORK/forget1.err")"
python3 - "$WORK/forget1.json" <<'PY' || fail "forget summary is wrong: $(cat "$WORK/forget1.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["via"] == "smishd", j
assert j["reports"] >= 1 and j["indicators"] >= 1 and j["record"] is True, j
assert j["scanned"] > 0 and j["remaining"] == 0, j
assert j["audit_seq"] >= 1, j
assert j["reporter"] != "+37120000001", j  # shown redacted
PY
forgotten=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reports"])' "$WORK/forget1.json")
(($(reports) == reports_before - forgotten)) || fail "reports: $(reports), expected $reports_before - $forgotten"
after=$(reporters_of)
((after == domain_reporters_before - 1)) || fail "$DOMAIN has $after distinct reporters, expected $((domain_reporters_before - 1))"
log=$(cat "$WORK/smishd-main.log")
[[ $log == *"event=admin_forget "* ]] || fail "smishd did not log the erasure"
[[ $log != *"37120000001"* ]] || fail "smishd's log names the reporter"

# The audit log says a reporter was forgotten, never which.
audit=$("${CTL[@]}" --json audit)
[[ $audit == *'"action":"forget"'* ]] || fail "no audit entry for the erasure: $audit"
pseudonym=$(printf '%s' "$REPORTER" | openssl dgst -sha256 -hmac "$(cat "$WORK/pseudonym.key")" -r | cut -c1-32)
[[ $audit != *"$pseudonym"* ]] || fail "the audit entry names the reporter's pseudonym"
"${CTL[@]}" audit --verify >/dev/null || fail "the audit chain does not verify after the erasure"

# Again: nothing stored, exit 1, the rescan still clean.
rc=0
out=$("${CTL[@]}" forget --reporter "$REPORTER" 2>&1) || rc=$?
((rc == 1)) || fail "a second forget exited $rc, not 1: $out"
[[ $out == *"0 still hold"* ]] || fail "no rescan line: $out"
rc=0
"${CTL[@]}" forget >/dev/null 2>&1 || rc=$?
((rc == 2)) || fail "forget without --reporter exited $rc, not 2"

through=$("${CTL[@]}" --json lookup "$DOMAIN") || fail "lookup through smishd failed"
kill -TERM "$smishd"
wait_pid "$smishd" 10 || fail "smishd did not stop"
rc=0
"${CTL[@]}" "${AWAY[@]}" lookup "$DOMAIN" >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "lookup answered from nowhere with smishd stopped"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
# Stopped: the same answer from the database itself (a read-only instance), but for the moment
# of the evaluation.
direct=$("${CTL[@]}" --json lookup "$DOMAIN") || fail "lookup on the stopped database failed"
python3 - "$through" "$direct" <<'PY' || fail "lookup differs on the stopped database: $through / $direct"
import json, sys
def rows(text):
    out = [json.loads(line) for line in text.splitlines()]
    for r in out:
        r.pop("status_ms", None)
    return out
assert rows(sys.argv[1]) == rows(sys.argv[2]) and len(rows(sys.argv[1])) == 2
PY

# smishd stopped: on the database directly, another reporter.
"${CTL[@]}" --json forget --reporter +37120000002 >"$WORK/forget2.json" || fail "forget on the stopped database"
python3 - "$WORK/forget2.json" <<'PY' || fail "direct forget summary is wrong: $(cat "$WORK/forget2.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["via"] == "direct" and j["reports"] >= 1 and j["remaining"] == 0, j
PY
echo "PASS"
