#!/usr/bin/env bash
# smsc-sim delivers the demo corpus to smishd over SMPP on loopback; every message must be in the
# database exactly once with its exact text, and no reporter number may be stored in the clear.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

CORPUS=$SRC/configs/demo/corpus.jsonl
write_config "$WORK/smishd.yaml" "$SRC"

"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
  --corpus "$CORPUS" --window 10 --max-seconds 120 --summary-file "$WORK/sim-summary.json" \
  >"$WORK/sim.log" 2>&1 &
sim=$!
PIDS+=("$sim")
wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"

"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/sim.port")" 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")

# Wait (bounded) until every corpus message is a report, reading through smishctl while smishd runs.
expected=$(grep -c '^{' "$CORPUS")
deadline=$((SECONDS + 60))
stored=0
while ((SECONDS < deadline)); do
  kill -0 "$smishd" 2>/dev/null || fail "smishd exited early"
  stored=$("$SMISHCTL" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
  ((stored >= expected)) && break
  sleep 0.2
done
((stored == expected)) || fail "only $stored of $expected reports visible while smishd runs"

# SIGTERM: smishd unbinds (the simulator answers unbind_resp) and exits cleanly in time.
kill -TERM "$smishd"
wait_pid "$smishd" 10 || fail "smishd did not stop within 10 s of SIGTERM"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
grep -q 'event=smpp_unbound' "$WORK/smishd.log" || fail "smishd did not unbind on SIGTERM"

! grep -q 'it-pass' "$WORK/smishd.log" || fail "the bind password appears in smishd's log"

kill -TERM "$sim"
wait_pid "$sim" 10 || fail "smsc-sim did not stop"
[[ $WAIT_RC -eq 0 ]] || fail "smsc-sim exited $WAIT_RC: not every message was acknowledged"

"$SMISHCTL" --config "$WORK/smishd.yaml" --json reports --limit 100000 >"$WORK/reports.jsonl" 2>"$WORK/ctl.log" \
  || fail "smishctl reports failed"

python3 - "$CORPUS" "$WORK/reports.jsonl" "$WORK/sim-summary.json" <<'PY' || fail "stored reports differ from the corpus"
import collections, json, sys
corpus = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
reports = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
summary = json.load(open(sys.argv[3]))
want = collections.Counter(m["text"] for m in corpus)
got = collections.Counter(r["text"] for r in reports)
missing, extra = want - got, got - want
for t in missing: print("missing:", repr(t))
for t in extra: print("unexpected:", repr(t))
assert not missing and not extra, "texts differ"
assert len(reports) == len(corpus), (len(reports), len(corpus))
assert summary["acknowledged"].get("ESME_ROK") == len(corpus), summary
assert all(r["reporter"].startswith("p:") for r in reports)
by_split = collections.Counter(m.get("split", "none") for m in corpus)
print(f"ok: {len(reports)} reports, splits {dict(by_split)}")
PY

# Privacy: no reporter number (as digits) anywhere in the database files, the exports made from
# them, or the logs of smishd and smishctl.
"$SMISHCTL" --config "$WORK/smishd.yaml" export --out "$WORK/export" >"$WORK/export.log" 2>&1 || fail "export failed: $(cat "$WORK/export.log")"
python3 - "$CORPUS" "$WORK/db" "$WORK/export" "$WORK/smishd.log" "$WORK/ctl.log" "$WORK/export.log" <<'PY' || fail "a reporter number is stored in the clear"
import json, os, sys
numbers = {json.loads(l)["src"].lstrip("+") for l in open(sys.argv[1], encoding="utf-8") if l.strip()}
texts = "".join(json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8") if l.strip())
numbers = {n for n in numbers if n not in texts}  # a number quoted in a message text is content
paths = []
for top in sys.argv[2:]:
    if os.path.isfile(top):
        paths.append(top)
    for root, _, files in os.walk(top):
        paths += [os.path.join(root, f) for f in files]
assert len(paths) > 10, paths
for path in paths:
    data = open(path, "rb").read()
    for n in numbers:
        assert n.encode() not in data, f"{n} found in {path}"
print(f"ok: none of {len(numbers)} reporter numbers in {len(paths)} database, export and log files")
PY
echo "PASS"
