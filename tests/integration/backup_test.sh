#!/usr/bin/env bash
# Backups: `smishctl backup --out DIR` while smishd runs makes a consistent checkpoint through the
# admin socket (point in time: a decision taken after it is not in it); an existing DIR is refused;
# with smishd stopped, the database is checkpointed directly. Restoring (docs/operations.md: stop,
# put the backup in storage.path, start) gives smishd back every report, the audit chain intact, and
# its de-duplication state: the same messages delivered again are acknowledged and not stored twice.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

CORPUS=$SRC/configs/demo/corpus.jsonl
expected=$(grep -c '^{' "$CORPUS")
write_config "$WORK/smishd.yaml" "$SRC"
CTL=("$SMISHCTL" --config "$WORK/smishd.yaml")


start_pair first
wait_for_reports "$expected"
"${CTL[@]}" block evil-backup-probe.top --note "before the backup" >/dev/null || fail "block before the backup"

# While smishd runs: through the admin socket, with a relative path resolved by smishctl.
(cd "$WORK" && "${CTL[@]}" --json backup --out backup1 >"$WORK/backup1.json" 2>"$WORK/backup1.err") ||
  fail "backup while smishd runs: $(cat "$WORK/backup1.err")"
python3 - "$WORK/backup1.json" "$WORK/backup1" <<'PY' || fail "backup summary is wrong"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["via"] == "smishd" and j["out"] == sys.argv[2] and j["files"] > 0, j
PY
grep -q 'event=admin_backup ' "$WORK/smishd-first.log" || fail "smishd did not log the backup"
"${CTL[@]}" block evil-after-backup.top --note "after the backup" >/dev/null || fail "block after the backup"

rc=0
"${CTL[@]}" backup --out "$WORK/backup1" >/dev/null 2>"$WORK/again.err" || rc=$?
[[ $rc -eq 2 ]] || fail "a backup into an existing directory exited $rc, not 2"
grep -q 'exists already' "$WORK/again.err" || fail "no reason for the refusal: $(cat "$WORK/again.err")"
rc=0
"${CTL[@]}" backup >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "backup without --out exited $rc, not 2"

stop_pair

# smishd stopped: the database directly.
"${CTL[@]}" --json backup --out "$WORK/backup2" >"$WORK/backup2.json" || fail "backup with smishd stopped"
grep -q '"via":"direct"' "$WORK/backup2.json" || fail "expected a direct backup: $(cat "$WORK/backup2.json")"

# Restore the first backup as the database and check it.
mv "$WORK/db" "$WORK/db.before-restore"
cp -a "$WORK/backup1" "$WORK/db"
(($(reports) == expected)) || fail "the restored database has $(reports) reports, not $expected"
"${CTL[@]}" audit --verify >/dev/null || fail "the restored audit chain does not verify"
before=$("${CTL[@]}" --json audit --target evil-backup-probe.top || true)
[[ $before == *evil-backup-probe.top* ]] || fail "the decision before the backup is missing"
after=$("${CTL[@]}" --json audit --target evil-after-backup.top 2>/dev/null || true)
[[ $after != *evil-after-backup.top* ]] || fail "a decision taken after the backup is in it"

# smishd runs on the restored database: the same corpus again is recognised (de-duplication state
# restored), acknowledged, and stored nothing twice.
start_pair second --exit-when-done
wait_pid "$sim" 60 || fail "the corpus was not acknowledged again on the restored database"
[[ $WAIT_RC -eq 0 ]] || fail "smsc-sim exited $WAIT_RC on the restored database: not every message acknowledged"
kill -TERM "$smishd"
wait_pid "$smishd" 10 || fail "smishd did not stop"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
python3 - "$WORK/sim-second.json" "$expected" <<'PY' || fail "redelivery on the restored database went wrong"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["acknowledged"].get("ESME_ROK", 0) == int(sys.argv[2]), s["acknowledged"]
PY
(($(reports) == expected)) || fail "after redelivery: $(reports) reports, not $expected (de-duplication state lost?)"
grep -q 'event=smishd_stopped.* duplicates=[1-9]' "$WORK/smishd-second.log" ||
  fail "smishd recognised no duplicate on the restored database"
echo "PASS"
