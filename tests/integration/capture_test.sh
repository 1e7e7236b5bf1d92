#!/usr/bin/env bash
# Wire conformance as a third party sees it: tshark captures the loopback traffic of a whole
# smsc-sim <-> smishd session (bind, the demo corpus in every coding and split, smishd's replies
# as submit_sm with their delivery receipts, unbind) and
# Wireshark's own SMPP dissector must decode every frame of it: no malformed packet, no expert
# info of severity error, and exactly the PDUs expected (one bind_transceiver and its response,
# every deliver_sm the simulator sent with one deliver_sm_resp each, one unbind and its response,
# every other request answered).
# Needs permission to capture on lo (root or CAP_NET_RAW + CAP_NET_ADMIN for dumpcap). Without
# it the test is skipped (exit 77, ctest SKIP_RETURN_CODE) and says so; any other problem fails.
# usage: capture_test.sh SMSC_SIM SMISHD SMISHCTL SOURCE_DIR
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

command -v tshark >/dev/null || fail "tshark is not installed (scripts/install-deps installs it)"

CORPUS=$SRC/configs/demo/corpus.jsonl
write_config "$WORK/smishd.yaml" "$SRC"
# Replies are on (write_config): their submit_sm / submit_sm_resp are in the capture too.

"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
  --corpus "$CORPUS" --window 10 --enquire-link-s 0 --receipts --exit-when-done --linger-ms 1000 --max-seconds 60 \
  --summary-file "$WORK/sim-summary.json" >"$WORK/sim.out" 2>"$WORK/sim.log" &
sim=$!
PIDS+=("$sim")
wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"
PORT=$(cat "$WORK/sim.port")

# Capture before smishd connects, so the bind is in the file.
tshark -i lo -f "tcp port $PORT" -w "$WORK/session.pcapng" >"$WORK/tshark.log" 2>&1 &
tshark_pid=$!
PIDS+=("$tshark_pid")
deadline=$((SECONDS + 20))
until grep -q "Capturing on" "$WORK/tshark.log"; do
  if ! kill -0 "$tshark_pid" 2>/dev/null; then
    if grep -qiE "permission|Operation not permitted|don't have permission" "$WORK/tshark.log"; then
      echo "SKIPPED: cannot capture on lo here: $(grep -iE 'permission|not permitted' "$WORK/tshark.log" | head -n 1)"
      exit 77
    fi
    fail "tshark could not start capturing: $(tail -n 3 "$WORK/tshark.log")"
  fi
  ((SECONDS < deadline)) || fail "tshark did not start capturing within 20 s"
  sleep 0.05
done
sleep 1  # "Capturing on" comes just before dumpcap's first read

"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$PORT" 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")

wait_pid "$sim" 60 || fail "smsc-sim did not finish within 60 s"
[[ $WAIT_RC -eq 0 ]] || fail "smsc-sim exited $WAIT_RC: not every message was acknowledged"
kill -TERM "$smishd"
wait_pid "$smishd" 15 || fail "smishd did not stop within 15 s of SIGTERM"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
sleep 0.5  # let dumpcap write the last segments
kill -INT "$tshark_pid"
wait_pid "$tshark_pid" 15 || fail "tshark did not stop"
[[ -s $WORK/session.pcapng ]] || fail "no capture file"

# 1. Nothing malformed, no expert info of severity error.
tshark -r "$WORK/session.pcapng" -d "tcp.port==$PORT,smpp" -Y "_ws.malformed || _ws.expert.severity >= error" \
  >"$WORK/bad-frames.txt" 2>"$WORK/tshark-read.log" || fail "tshark could not read the capture: $(tail -n 3 "$WORK/tshark-read.log")"
if [[ -s $WORK/bad-frames.txt ]]; then
  head -n 20 "$WORK/bad-frames.txt" >&2
  fail "$(wc -l <"$WORK/bad-frames.txt") frames are malformed or carry an error in Wireshark's SMPP dissector"
fi

# 2. The PDUs Wireshark sees, by command_id, against what the simulator reports it sent.
tshark -r "$WORK/session.pcapng" -d "tcp.port==$PORT,smpp" -Y smpp -T fields -E occurrence=a -E aggregator=, \
  -e smpp.command_id >"$WORK/command-ids.txt" 2>>"$WORK/tshark-read.log" || fail "tshark field export failed"
python3 - "$WORK/command-ids.txt" "$WORK/sim-summary.json" <<'PY' || fail "the capture does not hold the expected PDUs"
import collections, json, sys
ids = collections.Counter(int(v, 16) for line in open(sys.argv[1]) for v in line.strip().split(",") if v)
summary = json.load(open(sys.argv[2]))
names = {0x09: "bind_transceiver", 0x80000009: "bind_transceiver_resp", 0x05: "deliver_sm",
         0x80000005: "deliver_sm_resp", 0x06: "unbind", 0x80000006: "unbind_resp", 0x15: "enquire_link",
         0x80000015: "enquire_link_resp", 0x04: "submit_sm", 0x80000004: "submit_sm_resp",
         0x80000000: "generic_nack"}
seen = {names.get(k, hex(k)): v for k, v in sorted(ids.items())}
print("PDUs in the capture:", seen)
ok = True
def expect(cid, n):
    global ok
    if ids[cid] != n:
        print(f"{names[cid]}: {ids[cid]} in the capture, expected {n}"); ok = False
expect(0x09, 1); expect(0x80000009, 1)
deliver = summary["pdus_sent"] + summary["receipts_sent"]  # receipts for smishd's replies are deliver_sm too
expect(0x05, deliver); expect(0x80000005, deliver)
expect(0x06, 1); expect(0x80000006, 1)
expect(0x80000000, 0)
expect(0x04, summary["submit_sm_received"]); expect(0x80000004, summary["submit_sm_received"])
expect(0x80000015, ids[0x15])  # any enquire_link was answered
unknown = [hex(k) for k in ids if k not in names]
if unknown: print("unexpected command_ids:", unknown); ok = False
assert ok
print(f"ok: {sum(ids.values())} PDUs ({summary['pdus_sent']} deliver_sm for {summary['final']} messages, "
      f"{summary['submit_sm_received']} replies, {summary['receipts_sent']} receipts), all decoded by Wireshark's SMPP dissector")
PY
echo "PASS"
