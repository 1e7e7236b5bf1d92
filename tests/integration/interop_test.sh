#!/usr/bin/env bash
# Interoperability: an SMSC built on node-smpp (npm "smpp", independent of smishd's codec) binds
# smishd and delivers every coding x split combination (gsm7/latin1/ucs2 x none/udh8/udh16/sar/
# payload, plus a GSM escape pair and a UTF-16 surrogate pair cut between parts). Every PDU must get
# ESME_ROK, and smishd must store each message once with exactly the text that was sent, built from
# the right number of parts, with nothing undecodable.
# usage: interop_test.sh SMSC_SIM SMISHD SMISHCTL SOURCE_DIR   (smsc-sim is not used)
SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

INTEROP=$SRC/tests/interop
command -v node >/dev/null || fail "node is not installed (scripts/install-deps installs it)"
[[ -f $INTEROP/node_modules/smpp/package.json ]] ||
  fail "npm package smpp missing in $INTEROP/node_modules: run scripts/install-deps (npm ci in tests/interop)"

write_config "$WORK/smishd.yaml" "$SRC"
# Ingest only: replies (submit_sm) to node-smpp are replies_interop_test.sh's subject.
sed -i 's/^replies:$/replies:\n  enabled: false/' "$WORK/smishd.yaml"

node "$INTEROP/smsc.js" --system-id smishd --password it-pass --port-file "$WORK/smsc.port" \
  --messages-file "$WORK/messages.jsonl" --summary-file "$WORK/smsc-summary.json" --max-seconds 60 \
  >"$WORK/smsc.log" 2>&1 &
smsc=$!
PIDS+=("$smsc")
wait_for_file "$WORK/smsc.port" 10 || fail "the node-smpp SMSC did not publish its port"

"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/smsc.port")" 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")

# The SMSC exits by itself once every deliver_sm is answered (it unbinds first).
wait_pid "$smsc" 70 || fail "the node-smpp SMSC did not finish within 70 s"
[[ $WAIT_RC -eq 0 ]] || fail "the node-smpp SMSC exited $WAIT_RC: $(tail -n 1 "$WORK/smsc.log")"

expected=$(grep -c '^{' "$WORK/messages.jsonl")
deadline=$((SECONDS + 30))
stored=0
while ((SECONDS < deadline)); do
  stored=$("$SMISHCTL" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
  ((stored >= expected)) && break
  sleep 0.2
done
((stored == expected)) || fail "$stored of $expected messages became reports"

kill -TERM "$smishd"
wait_pid "$smishd" 15 || fail "smishd did not stop within 15 s of SIGTERM"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"

"$SMISHCTL" --config "$WORK/smishd.yaml" --json reports --limit 100000 >"$WORK/reports.jsonl" 2>"$WORK/ctl.log" ||
  fail "smishctl reports failed"

python3 - "$WORK/messages.jsonl" "$WORK/reports.jsonl" "$WORK/smsc-summary.json" <<'PY' || fail "smishd's reports differ from what node-smpp sent"
import collections, json, sys
sent = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
reports = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
summary = json.load(open(sys.argv[3], encoding="utf-8"))
ok = True
pdus = sum(m["parts"] for m in sent)
if summary["acknowledged"] != {"ESME_ROK": pdus}:
    print("acknowledged:", summary["acknowledged"], "expected", pdus, "x ESME_ROK"); ok = False
if summary["generic_nack_received"] or summary["bind_refused"] or summary["binds"] != 1:
    print("session trouble:", summary); ok = False
want = collections.Counter(m["text"] for m in sent)
got = collections.Counter(r["text"] for r in reports)
for t in want - got: print("missing:", repr(t)); ok = False
for t in got - want: print("unexpected:", repr(t)); ok = False
coding = {"gsm7": 0, "latin1": 3, "ucs2": 8}
by_text = {r["text"]: r for r in reports}
for m in sent:
    r = by_text.get(m["text"])
    if r is None: continue
    tag = f'{m["coding"]}/{m["split"]}{"/blind" if m["blind"] else ""}'
    if r["parts"] != m["parts"]: print(tag, "parts", r["parts"], "expected", m["parts"]); ok = False
    if r["data_coding"] != coding[m["coding"]]: print(tag, "data_coding", r["data_coding"]); ok = False
    if r["text_flags"] != 0: print(tag, "text_flags", r["text_flags"]); ok = False
    if len(r.get("raw_pdus", [])) != m["parts"]: print(tag, "raw_pdus", len(r.get("raw_pdus", []))); ok = False
assert ok
print(f"ok: {len(reports)} reports from {pdus} PDUs: " + ", ".join(summary["combinations"]))
PY
echo "PASS"
