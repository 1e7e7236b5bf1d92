#!/usr/bin/env bash
# The at-least-once proof: smsc-sim delivers 3000 unique messages (the demo corpus cycled with
# --vary: UCS2/GSM/Latin-1, single, UDH 8/16-bit, SAR and message_payload) through a window of 10
# at RATE new messages per second,
# while smishd is killed with SIGKILL at random moments and restarted, KILLS times. After the
# last restart smishd runs until the simulator has ESME_ROK for every message, then gets SIGTERM.
# Then every message the SMSC saw acknowledged is stored exactly once (texts compared as a
# multiset with what the simulator sent; --vary makes each text unique, so a duplicate report
# from a redelivered PDU shows), and none is missing.
# usage: kill9_test.sh SMSC_SIM SMISHD SMISHCTL SOURCE_DIR   env: KILLS (10), COUNT (3000), SEED
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-10}
COUNT=${COUNT:-3000}
# New messages per second: the run cannot end before KILLS kills of up to 0.7 s of serving each
# (3000 / 350 = 8.6 s > 10 x 0.7 s), whatever the machine's speed.
RATE=${RATE:-350}
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
echo "kill9: $KILLS kills over $COUNT messages, SEED=$SEED (rerun with SEED=$SEED to repeat the kill times)"

CORPUS=$SRC/configs/demo/corpus.jsonl
write_config "$WORK/smishd.yaml" "$SRC"
# Default behaviour, replies included (their outbox survives the kills too).

"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
  --corpus "$CORPUS" --count "$COUNT" --vary --window 10 --rate "$RATE" --resp-timeout-ms 3000 --retry-delay-ms 50 \
  --max-retries 100 --exit-when-done --max-seconds 170 --summary-file "$WORK/sim-summary.json" \
  >"$WORK/sim.out" 2>"$WORK/sim.log" &
sim=$!
PIDS+=("$sim")
wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"
PORT=$(cat "$WORK/sim.port")

# One log per incarnation: smishd.<n>.log.
incarnation=0
start_smishd() {
  incarnation=$((incarnation + 1))
  "$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$PORT" 2>"$WORK/smishd.$incarnation.log" &
  smishd=$!
  PIDS+=("$smishd")
}

# wait_bound SECONDS: until the current smishd has bound (it then receives deliver_sm at once).
wait_bound() {
  local deadline=$((SECONDS + $1))
  until grep -q 'event=smpp_bound' "$WORK/smishd.$incarnation.log" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    kill -0 "$smishd" 2>/dev/null || return 1
    sleep 0.02
  done
}

start_smishd
kills=0
bound_kills=0
deadline=$((SECONDS + 150))
while ((kills < KILLS)); do
  ((SECONDS < deadline)) || fail "only $kills of $KILLS kills in 150 s"
  kill -0 "$sim" 2>/dev/null || break  # the simulator finished early: fewer kills than asked
  # Every fifth kill lands at a random moment of start-up (recovery of the previous crash, bind);
  # the others 0..699 ms after the bind, with deliver_sm flowing: mid-window, mid-fsync, between
  # the store and the deliver_sm_resp.
  if ((kills % 5 == 4)); then
    sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  else
    wait_bound 30 || fail "smishd incarnation $incarnation did not bind within 30 s"
    bound_kills=$((bound_kills + 1))
    sleep "0.$(printf '%03d' $((RANDOM % 700)))"
  fi
  kill -0 "$smishd" 2>/dev/null || fail "smishd died by itself (incarnation $incarnation)"
  kill -KILL "$smishd"
  wait "$smishd" 2>/dev/null || true
  kills=$((kills + 1))
  start_smishd
done
echo "kill9: $kills kills done at ${SECONDS}s"
((kills >= KILLS * 8 / 10)) || fail "the simulator finished after $kills kills: too few (raise COUNT)"

# The last smishd serves until the simulator has every message acknowledged.
wait_pid "$sim" 150 || fail "smsc-sim did not finish (every message ROK) within 150 s of the last restart"
[[ $WAIT_RC -eq 0 ]] || fail "smsc-sim exited $WAIT_RC: $(tail -n 1 "$WORK/sim.out")"
kill -0 "$smishd" 2>/dev/null || fail "smishd is not running at the end"

deadline=$((SECONDS + 60))
stored=0
while ((SECONDS < deadline)); do
  stored=$("$SMISHCTL" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
  ((stored >= COUNT)) && break
  sleep 0.5
done
# SIGTERM only once the last incarnation has its signal handler: it is armed just before the
# session starts, whose first event is a bind or, with the simulator gone, a refused connection.
deadline=$((SECONDS + 30))
until grep -qE 'event=(smpp_bound|smpp_connect_failed)' "$WORK/smishd.$incarnation.log"; do
  ((SECONDS < deadline)) || fail "the last smishd did not start its session within 30 s"
  sleep 0.05
done
kill -TERM "$smishd"
wait_pid "$smishd" 30 || fail "smishd did not stop within 30 s of SIGTERM"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC after SIGTERM"

"$SMISHCTL" --config "$WORK/smishd.yaml" --json reports --limit 1000000 >"$WORK/reports.jsonl" 2>"$WORK/ctl.log" ||
  fail "smishctl reports failed"

python3 - "$CORPUS" "$COUNT" "$WORK/reports.jsonl" "$WORK/sim-summary.json" "$kills" "$bound_kills" <<'PY' || fail "stored reports differ from what the SMSC saw acknowledged"
import collections, json, sys
corpus = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
count = int(sys.argv[2])
reports = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8") if l.strip()]
summary = json.load(open(sys.argv[4], encoding="utf-8"))
# smsc-sim --vary: message i (0-based) is corpus[i % len] with " #<i+1>" appended.
want = collections.Counter(corpus[i % len(corpus)]["text"] + f" #{i + 1}" for i in range(count))
got = collections.Counter(r["text"] for r in reports)
acked = summary["acknowledged"].get("ESME_ROK", 0)
missing, extra = want - got, got - want
dups = {t: n for t, n in got.items() if n > 1}
for t in list(missing)[:10]: print("missing:", repr(t))
for t in list(extra)[:10]: print("unexpected or duplicate:", repr(t), got[t])
print(f"sim: {acked} ESME_ROK of {count}, {summary['retried']} redeliveries, {summary['binds']} binds; "
      f"reports: {len(reports)}, missing {sum(missing.values())}, duplicates {sum(n - 1 for n in dups.values())}")
assert acked == count, summary["acknowledged"]
assert not missing and not extra and not dups
# Each kill after a bind cut a live session; the last incarnation binds too.
assert summary["binds"] >= int(sys.argv[6]) + 1, (summary["binds"], "binds for", sys.argv[6], "kills of bound sessions")
print(f"ok: {count} messages acknowledged and stored exactly once across {sys.argv[5]} SIGKILLs")
PY
echo "PASS"
