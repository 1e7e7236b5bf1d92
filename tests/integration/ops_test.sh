#!/usr/bin/env bash
# Operating smishd under load (smsc-sim delivering ~25 messages/s):
#  - /health and /ready answer 200 once bound; /metrics is scraped and parsed as the Prometheus
#    text format, and its figures agree with each other (every acknowledgement is in the latency
#    histogram, the buckets are cumulative, the bind is up);
#  - SIGHUP with a new rule applies it to the reports that follow, without dropping the bind;
#  - SIGHUP with a broken rules file keeps the rules in force (the new rule still fires), logs why,
#    counts the failure, and keeps the bind;
#  - SIGTERM in the middle of the traffic: smishd exits 0 within 5 s, and every message the
#    simulator saw acknowledged is a report, exactly once.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

write_config "$WORK/smishd.yaml" "$SRC"
cp -r "$SRC/configs/rules" "$WORK/rules"
cat >"$WORK/corpus.jsonl" <<'JSON'
{"src":"+37120000101","dst":"12250","text":"Congratulations! Your zebraquokka prize is waiting: zebra-prize.top/claim","coding":"gsm7"}
{"src":"+37120000102","dst":"12250","text":"Hello, the zebraquokka parcel could not be delivered today, call +37129998877","coding":"gsm7"}
{"src":"+37120000103","dst":"12250","text":"zebraquokka: see you at the station at six","coding":"gsm7"}
JSON

"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
  --corpus "$WORK/corpus.jsonl" --count 1500 --vary --rate 25 --window 10 --max-seconds 120 \
  --summary-file "$WORK/sim-summary.json" >"$WORK/sim.log" 2>&1 &
sim=$!
PIDS+=("$sim")
wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"

"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/sim.port")" \
  --set "classifier.rules_dir=$WORK/rules" --set export.interval_s=1 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")

deadline=$((SECONDS + 20))
port=""
while [[ -z $port ]] && ((SECONDS < deadline)); do
  # (smishd.log may not exist yet: the shell creates it when it starts smishd in the background)
  port=$(sed -n 's/.*event=ops_listening .*port=\([0-9]*\).*/\1/p' "$WORK/smishd.log" 2>/dev/null | head -1 || true)
  [[ -n $port ]] || sleep 0.1
done
[[ -n $port ]] || fail "smishd did not log ops_listening"

# http PATH: prints "STATUS BODY" (python3 only: no curl on a fresh machine).
http() {
  python3 - "http://127.0.0.1:$port$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        sys.stdout.write(f"{r.status} {r.read().decode()}")
except urllib.error.HTTPError as e:
    sys.stdout.write(f"{e.code} {e.read().decode()}")
PY
}

reports() {
  "$SMISHCTL" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0
}

# Bound, ready, healthy, and some reports made with the rules as shipped.
deadline=$((SECONDS + 30))
until [[ $(http /health) == 200* && $(http /ready) == 200* && $(reports) -ge 20 ]]; do
  ((SECONDS < deadline)) || fail "not healthy/ready with 20 reports in 30 s: $(http /health) $(http /ready)"
  kill -0 "$smishd" 2>/dev/null || fail "smishd exited early"
  sleep 0.2
done
[[ $(http /health) == *'"status":"ok"'* ]] || fail "/health body: $(http /health)"

# wait_log PATTERN COUNT: until PATTERN appears COUNT times in smishd's log (bounded).
wait_log() {
  local deadline=$((SECONDS + 15))
  until (($(grep -c -- "$1" "$WORK/smishd.log" || true) >= $2)); do
    ((SECONDS < deadline)) || fail "no $1 in smishd's log"
    sleep 0.1
  done
}

# 1. A new rule, reloaded.
cat >>"$WORK/rules/en.yaml" <<'YAML'
  - id: en.it_reload_probe
    category: prize_lottery
    weight: 0.9
    description: "Integration-test probe: the word zebraquokka"
    pattern: 'zebraquokka'
YAML
kill -HUP "$smishd"
wait_log 'event=config_reloaded' 1
reloaded_ms=$(date +%s%3N)
sleep 2

# 2. A broken rules file: the reload fails and the rules (with the probe) stay.
printf 'rules:\n  - id: [unclosed\n' >>"$WORK/rules/lv.yaml"
kill -HUP "$smishd"
wait_log 'event=config_reload_failed' 1
grep 'event=config_reload_failed' "$WORK/smishd.log" | grep -q 'lv.yaml' ||
  fail "the failed reload does not name the broken file: $(grep config_reload_failed "$WORK/smishd.log")"
broken_ms=$(date +%s%3N)
sleep 2.5  # the metrics snapshots are refreshed every second

# 3. /metrics: the text format, and figures that agree.
http /metrics >"$WORK/metrics.txt"
python3 - "$WORK/metrics.txt" <<'PY' || fail "/metrics is wrong (above)"
import math, re, sys
raw = open(sys.argv[1], encoding="utf-8").read()
status, _, text = raw.partition(" ")
assert status == "200", status
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample_re = re.compile(rf'^({name_re})(\{{(.*)\}})? (\S+)$')
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
types, samples = {}, []
for line in text.splitlines():
    if not line:
        continue
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        parts = line.split(" ", 3)
        assert re.fullmatch(name_re, parts[2]), line
        if parts[1] == "TYPE":
            assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert parts[2] not in types, f"TYPE twice: {line}"
            types[parts[2]] = parts[3]
        continue
    m = sample_re.match(line)
    assert m, f"not a sample line: {line!r}"
    labels = dict(label_re.findall(m.group(3) or ""))
    value = float(m.group(4))  # also parses +Inf and NaN
    samples.append((m.group(1), labels, value))

def get(name, **want):
    return [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in want.items())]

def one(name, **want):
    vals = get(name, **want)
    assert len(vals) == 1, (name, want, vals)
    return vals[0]

for family in ("smishd_smpp_bound", "smishd_smpp_pdus_total", "smishd_ack_latency_seconds", "smishd_reports_total",
               "smishd_dedup_hits_total", "smishd_pending_concatenation_parts", "smishd_outbox_depth",
               "smishd_rocksdb_estimated_keys", "smishd_rocksdb_write_stops_total", "smishd_export_serial",
               "smishd_indicators", "smishd_blocklist_entries",
               "smishd_config_reloads_total", "smishd_storage_writable"):
    assert family in types, f"no family {family}"
assert types["smishd_ack_latency_seconds"] == "histogram"
assert one("smishd_smpp_bound", smsc="it-smsc", bind="0") == 1
assert one("smishd_smpp_binds_total", smsc="it-smsc", bind="0") == 1, "the bind was dropped by a reload"
assert one("smishd_config_reloads_total", result="ok") == 1
assert one("smishd_config_reloads_total", result="failed") == 1
assert one("smishd_storage_writable") == 1
deliver_in = one("smishd_smpp_pdus_total", direction="in", command="deliver_sm")
resp_out = sum(get("smishd_smpp_pdus_total", direction="out", command="deliver_sm_resp"))
assert deliver_in >= 20 and resp_out >= 20, (deliver_in, resp_out)
# Histogram: cumulative buckets ending in +Inf == _count == every deliver_sm_resp sent.
buckets = sorted(((float(l["le"]), v) for n, l, v in samples if n == "smishd_ack_latency_seconds_bucket"))
counts = [v for _, v in buckets]
assert counts == sorted(counts), f"buckets not cumulative: {buckets}"
assert math.isinf(buckets[-1][0]) and buckets[-1][1] == one("smishd_ack_latency_seconds_count")
assert one("smishd_ack_latency_seconds_count") == resp_out, (one("smishd_ack_latency_seconds_count"), resp_out)
assert 0 < one("smishd_ack_latency_seconds_sum") < resp_out * 2.5
made = sum(get("smishd_reports_made_total"))
assert made >= 20 and sum(get("smishd_reports_total")) == made, (made, get("smishd_reports_total"))
assert get("smishd_rocksdb_estimated_keys", column_family="reports"), "no per-column-family RocksDB figures"
statuses = {l["status"]: v for n, l, v in samples if n == "smishd_indicators"}
assert set(statuses) == {"observed", "suspected", "listed", "confirmed", "allowlisted", "revoked", "expired"}, statuses
assert sum(statuses.values()) > 0, statuses
assert one("smishd_export_serial") >= 1 and get("smishd_export_age_seconds"), "no export serial or age"
print(f"ok: {len(samples)} samples in {len(types)} families; {int(resp_out)} acks, {int(made)} reports")
PY

# 4. SIGTERM in the middle of the traffic (the simulator still has messages to send).
kill -0 "$sim" 2>/dev/null || fail "the simulator finished before the stop: the test needs traffic"
stop_start=$SECONDS
kill -TERM "$smishd"
wait_pid "$smishd" 6 || fail "smishd did not exit within 5 s of SIGTERM under load"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
((SECONDS - stop_start <= 5)) || fail "smishd took $((SECONDS - stop_start)) s to stop"
grep -q 'event=smpp_unbound' "$WORK/smishd.log" || fail "smishd did not unbind on SIGTERM"

kill -TERM "$sim"
wait_pid "$sim" 10 || fail "smsc-sim did not stop"
wait_for_file "$WORK/sim-summary.json" 5 || fail "no simulator summary"

# Every acknowledged message is a report, exactly once; the probe rule applied after the first
# reload and still after the broken one; not before it.
"$SMISHCTL" --config "$WORK/smishd.yaml" --json reports --limit 100000 >"$WORK/reports.jsonl" 2>"$WORK/ctl.log" ||
  fail "smishctl reports failed"
python3 - "$WORK/reports.jsonl" "$WORK/sim-summary.json" "$reloaded_ms" "$broken_ms" <<'PY' || fail "reports are wrong (above)"
import collections, json, sys
reports = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
summary = json.load(open(sys.argv[2]))
reloaded_ms, broken_ms = int(sys.argv[3]), int(sys.argv[4])
acked = summary["acknowledged"].get("ESME_ROK", 0)
texts = collections.Counter(r["text"] for r in reports)
dups = [t for t, n in texts.items() if n > 1]
assert not dups, f"stored twice: {dups[:3]}"
assert len(reports) == acked, f"{acked} acknowledged, {len(reports)} reports"
probe = lambda r: any("it_reload_probe" in x for x in r["verdict"]["reasons"])
after_ok = [r for r in reports if reloaded_ms + 200 <= r["received_ms"] < broken_ms]
after_broken = [r for r in reports if r["received_ms"] >= broken_ms + 200]
assert after_ok and after_broken, (len(after_ok), len(after_broken))
assert all(probe(r) for r in after_ok), "a report after the reload lacks the new rule"
assert all(probe(r) for r in after_broken), "the broken reload replaced the rules in force"
assert any(not probe(r) for r in reports), "no report was made with the rules as shipped"
print(f"ok: {acked} acknowledged = {len(reports)} reports; probe in {len(after_ok)} + {len(after_broken)} after the reloads")
PY

# Logs at info: one key=value line per event; no message text, no reporter number in full.
python3 - "$WORK/smishd.log" <<'PY' || fail "smishd's log is wrong (above)"
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
line_re = re.compile(r'^ts=\S+ level=(info|warn|error) event=[a-z0-9_]+( |$)')
bad = [l for l in lines if not line_re.match(l)]
assert not bad, f"unstructured lines: {bad[:3]}"
text = "\n".join(lines)
assert "zebraquokka" not in text, "message text in the log at info"
for n in ("37120000101", "37120000102", "37120000103"):
    assert n not in text, f"reporter number {n} in the log at info"
print(f"ok: {len(lines)} structured log lines, no content")
PY
echo "PASS"
