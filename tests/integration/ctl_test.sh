#!/usr/bin/env bash
# smishctl's read commands against a real database that smishd fills from smsc-sim, while smishd
# runs: every reports filter and paging option, top of every kind, stats by day, category and
# region, each output format (table, --json, --csv), colour only on a terminal, --help per
# command, and the exit codes 0 (found), 1 (not found) and 2 (usage or configuration error).
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"
export LANG=C LC_ALL=C  # '#' bars; the UTF-8 bars are checked explicitly below
unset NO_COLOR

# Two reporters whom smishd asks for the sender, the demo corpus, then their answers (a number and a
# sender id, sent last so that the questions went out first): reported senders for `top senders`
# and `reports --indicator`.
CORPUS=$WORK/corpus.jsonl
{
  echo '{"src": "+447400900777", "dst": "12250", "text": "Your bank account is suspended. Verify now at bank-secure-check.top/login", "coding": "gsm7"}'
  echo '{"src": "+37120000777", "dst": "12250", "text": "Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: latvijas-pasts-lv.top/pay", "coding": "ucs2"}'
  cat "$SRC/configs/demo/corpus.jsonl"
  echo '{"src": "+447400900777", "dst": "12250", "text": "HSBC-ALERT", "coding": "gsm7"}'
  echo '{"src": "+37120000777", "dst": "12250", "text": "+371 29999955", "coding": "gsm7"}'
} >"$CORPUS"
write_config "$WORK/smishd.yaml" "$SRC"

"$SIM" --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --system-id smishd --password it-pass \
  --corpus "$CORPUS" --window 10 --max-seconds 120 >"$WORK/sim.log" 2>&1 &
PIDS+=("$!")
wait_for_file "$WORK/sim.port" 10 || fail "smsc-sim did not publish its port"
"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/sim.port")" 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")

ctl() { "$SMISHCTL" --config "$WORK/smishd.yaml" "$@"; }
# expect RC CMD...: runs smishctl with stdout in $WORK/out and stderr in $WORK/err; fails unless it exits RC.
expect() {
  local want=$1 rc=0
  shift
  ctl "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc -eq $want ]] || fail "smishctl $* exited $rc, expected $want: $(head -c 400 "$WORK/err")"
}

expected=$(($(grep -c '^{' "$CORPUS") - 2))  # the two answers attach to reports
deadline=$((SECONDS + 60))
stored=0
while ((SECONDS < deadline)); do
  kill -0 "$smishd" 2>/dev/null || fail "smishd exited early"
  stored=$(ctl --json reports --limit 100000 2>/dev/null | python3 -c 'import json,sys
r = [json.loads(l) for l in sys.stdin]
print(len(r) if sum(1 for x in r if x["reported_sender"]) == 2 else 0)' 2>/dev/null || true)
  stored=${stored:-0}
  ((stored >= expected)) && break
  sleep 0.2
done
((stored == expected)) || fail "$stored of $expected reports (with 2 reported senders) visible while smishd runs"

# The whole database as the reference every filter is checked against.
expect 0 --json reports --limit 100000
cp "$WORK/out" "$WORK/all.jsonl"

# ---- --help: the tool's and each command's, on stdout, exit 0 ----
expect 0 --help
grep -q '^commands' "$WORK/out" || fail "--help printed no command list"
for cmd in reports report lookup stats top export analyze train eval label allow block unblock revoke audit; do
  expect 0 "$cmd" --help
  grep -q "^usage: smishctl $cmd" "$WORK/out" || fail "smishctl $cmd --help printed: $(head -2 "$WORK/out")"
done
expect 0 reports --help
for opt in --since --until --indicator --campaign --offset --before --csv; do
  grep -q -- "$opt" "$WORK/out" || fail "reports --help does not mention $opt"
done
expect 2 nosuchcommand --help
expect 2
expect 2 reports --nosuchoption
expect 2 --json --csv reports
expect 2 --config "$WORK/missing.yaml" reports

# ---- reports: formats ----
expect 0 reports --limit 5
head -1 "$WORK/out" | grep -q '^ID  *RECEIVED  *CC  *LABEL  *CATEGORY  *SCORE  *CAMPAIGN  *TEXT$' || fail "reports table header: $(head -1 "$WORK/out")"
(($(wc -l <"$WORK/out") == 6)) || fail "reports --limit 5 printed $(wc -l <"$WORK/out") lines"
grep -q '^more: --before [0-9][0-9]*$' "$WORK/err" || fail "reports table gave no cursor for the next page"
! grep -q $'\033' "$WORK/out" || fail "colour in a table written to a pipe"
cursor=$(sed -n 's/^more: --before //p' "$WORK/err")
expect 0 --csv reports --limit 100000
cp "$WORK/out" "$WORK/all.csv"
expect 0 --json reports --limit 3 --offset 2
cp "$WORK/out" "$WORK/offset.jsonl"
expect 0 --json reports --limit 2 --before "$cursor"
cp "$WORK/out" "$WORK/before.jsonl"
python3 - "$WORK" "$CORPUS" "$cursor" <<'PY' || fail "reports formats or paging"
import csv, json, sys
w, corpus, cursor = sys.argv[1], sys.argv[2], int(sys.argv[3])
all_ = [json.loads(l) for l in open(f"{w}/all.jsonl", encoding="utf-8")]
ids = [r["id"] for r in all_]
assert ids == sorted(ids, reverse=True), "not newest first"
rows = list(csv.reader(open(f"{w}/all.csv", encoding="utf-8", newline="")))
assert rows[0] == ["id", "received", "cc", "label", "category", "score", "campaign", "text"], rows[0]
assert [int(r[0]) for r in rows[1:]] == ids, "CSV rows differ from the JSON ones"
# RFC 4180: the full texts (commas, quotes, line breaks) come back exactly.
assert [r[7] for r in rows[1:]] == [r["text"] for r in all_], "CSV texts do not round-trip"
assert any("," in r["text"] for r in all_), "the corpus has no text with a comma to quote"
assert [r["label"] if False else r[3] for r in rows[1:]] == [r["verdict"]["label"] for r in all_]
off = [json.loads(l)["id"] for l in open(f"{w}/offset.jsonl")]
assert off == ids[2:5], (off, ids[:6])
assert cursor == ids[4], (cursor, ids[:6])
before = [json.loads(l)["id"] for l in open(f"{w}/before.jsonl")]
assert before == ids[5:7], (before, ids[:8])
print("ok: formats and paging")
PY

# ---- reports: filters, each checked against the reference ----
check_filter() {  # NAME PYTHON_PREDICATE_ON_r ARGS...
  local name=$1 pred=$2
  shift 2
  expect 0 --json reports --limit 100000 "$@"
  python3 - "$WORK/all.jsonl" "$WORK/out" "$pred" <<'PY' || fail "reports filter $name ($*)"
import json, sys
all_ = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l)["id"] for l in open(sys.argv[2], encoding="utf-8")]
want = [r["id"] for r in all_ if eval(sys.argv[3], {"r": r})]
assert want and got == want, (got, want)
PY
}
check_filter label 'r["verdict"]["label"] == "scam"' --label scam
check_filter category 'r["verdict"]["category"] == "delivery"' --category delivery
check_filter contains '"Tele2" in r["text"]' --contains Tele2
check_filter indicator-domain 'any(u["domain"] == "tele2-lv-bonus.info" for u in r["extraction"]["urls"])' \
  --indicator tele2-lv-bonus.info
number=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
  for n in json.loads(l)["extraction"]["numbers"]:
    if n["e164"].startswith("+7"): print(n["e164"]); sys.exit()' "$WORK/all.jsonl")
[[ -n $number ]] || fail "no +7 number extracted from the corpus"
check_filter indicator-number "any(n['e164'] == '$number' for n in r['extraction']['numbers']) or r['reported_sender'] == '$number'" \
  --indicator "$number"
url=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
  for u in json.loads(l)["extraction"]["urls"]: print(u["url"]); sys.exit()' "$WORK/all.jsonl")
check_filter indicator-url "any(u['url'] == '$url' for u in r['extraction']['urls'])" --indicator "$url"
campaign=$(python3 -c 'import collections,json,sys
c = collections.Counter(json.loads(l)["campaign"] for l in open(sys.argv[1]))
c.pop("", None)
print(c.most_common(1)[0][0] if c else "")' "$WORK/all.jsonl")
# smishd gives near-duplicate reports one campaign id (the demo corpus has several variants).
[[ -n $campaign ]] || fail "no report carries a campaign id"
check_filter campaign "r['campaign'] == '$campaign'" --campaign "$campaign"
check_filter since-duration 'True' --since 1h
today=$(date -u +%Y-%m-%d)
check_filter since-iso-date 'True' --since "$today"
check_filter until-iso-time 'True' --until "$(date -u -d tomorrow +%Y-%m-%dT00:00Z)"
check_filter combined 'r["verdict"]["label"] == "scam" and "ele2" in r["text"]' --since 24h --label scam --contains ele2

# Not found: exit 1, nothing on stdout in the machine formats.
expect 1 --json reports --since 2999-01-01
[[ ! -s $WORK/out ]] || fail "reports --json printed something for no match"
expect 1 reports --until 2000-01-01T00:00Z
grep -q 'no report matches' "$WORK/err" || fail "no message for an empty table"
expect 1 --csv reports --contains 'no such text anywhere'
[[ $(cat "$WORK/out") == 'id,received,cc,label,category,score,campaign,text' ]] || fail "empty CSV is not a bare header"
check_filter indicator-sender-id 'r["reported_sender"] == "HSBC-ALERT"' --indicator HSBC-ALERT
check_filter indicator-reported-number 'r["reported_sender"] == "+37129999955"' --indicator '+371 2999 9955'
expect 1 reports --indicator never-reported-domain.example
expect 1 reports --campaign c-0000000000000000
# Usage errors: exit 2.
for bad in "--since yesterday" "--until 2026-13-40" "--since 1h --until 2h" "--limit 0" "--limit abc" \
  "--offset -1" "--before x" "--label maybe" "--indicator #12"; do
  # shellcheck disable=SC2086
  expect 2 reports $bad
done

# ---- top ----
kinds=(numbers domains urls hosts senders)
kinds+=(campaigns)
for kind in "${kinds[@]}"; do
  expect 0 top "$kind" --limit 3
  head -1 "$WORK/out" | grep -q '^VALUE  *REPORTERS  *REPORTS  *STATUS  *CATEGORY$' || fail "top $kind header: $(head -1 "$WORK/out")"
  expect 0 --csv top "$kind" --since 24h
  head -1 "$WORK/out" | grep -qx 'value,reporters,reports,status,category,before,rise' || fail "top $kind --csv header"
  expect 0 --json top "$kind" --since 24h --limit 100000
  cp "$WORK/out" "$WORK/top-$kind.jsonl"
  expect 1 --json top "$kind" --since 2999-01-01
  expect 1 top "$kind" --until 2000-01-01
done
expect 0 --json top domains --limit 100000
cp "$WORK/out" "$WORK/top-domains-all.jsonl"
expect 0 --json top senders
python3 -c 'import json,sys
got = sorted(json.loads(l)["value"] for l in open(sys.argv[1]))
assert got == ["+37129999955", "HSBC-ALERT"], got' "$WORK/out" || fail "all-time top senders: $(cat "$WORK/out")"
python3 - "$WORK" <<'PY' || fail "top counts differ from the reports"
import collections, json, re, sys
w = sys.argv[1]
all_ = [json.loads(l) for l in open(f"{w}/all.jsonl", encoding="utf-8")]
def load(name): return [json.loads(l) for l in open(f"{w}/{name}", encoding="utf-8")]
def reporters(values_of):
  rep, n = collections.defaultdict(set), collections.Counter()
  for r in all_:
    for v in set(values_of(r)):
      rep[v].add(r["reporter"]); n[v] += 1
  return {v: (len(s), n[v]) for v, s in rep.items()}
kinds = {
  "numbers": lambda r: [x["e164"] for x in r["extraction"]["numbers"]],
  "domains": lambda r: [u["domain"] for u in r["extraction"]["urls"]],
  "urls": lambda r: [u["url"] for u in r["extraction"]["urls"]],
  "hosts": lambda r: [u["host"] for u in r["extraction"]["urls"]],
  "senders": lambda r: r["extraction"]["sender_ids"] + ([r["reported_sender"]] if r["reported_sender"] else []),
  "campaigns": lambda r: [r["campaign"]] if r["campaign"] else [],
}
for kind, f in kinds.items():
  want = reporters(f)
  if not want and kind == "campaigns": continue
  got = load(f"top-{kind}.jsonl")
  assert len(got) == len(want), (kind, len(got), len(want))
  for o in got:
    assert (o["distinct_reporters"], o["total_reports"]) == want[o["value"]], (kind, o, want[o["value"]])
    assert o["previous_reporters"] == 0, o  # nothing was reported the day before
    assert "reporters" not in o
  keys = [(o["distinct_reporters"], o["total_reports"]) for o in got]
  assert keys == sorted(keys, reverse=True), (kind, keys)
# Indicator numbers in E.164 (short codes as digits).
for o in load("top-numbers.jsonl"):
  assert re.fullmatch(r"\+[1-9]\d{6,14}|\d{3,8}", o["value"]), o["value"]
# All time (indicator counters) agrees with the windowed count on a fresh database.
alltime = {o["value"]: (o["distinct_reporters"], o["total_reports"]) for o in load("top-domains-all.jsonl")}
assert alltime == reporters(kinds["domains"]), "all-time top domains differ"
print("ok: top")
PY
expect 2 top
expect 2 top planets
expect 2 top numbers --since soon
expect 2 top numbers --limit -3

# ---- stats ----
expect 0 stats
grep -q '^CATEGORY  *REPORTS$' "$WORK/out" || fail "stats header: $(head -1 "$WORK/out")"
grep -q '##########################' "$WORK/out" || fail "stats has no '#' bars without UTF-8"
grep -q "^$expected reports: " "$WORK/out" || fail "stats total line"
expect 0 stats --by day
grep -q "^$today  *$expected  *#" "$WORK/out" || fail "stats --by day has no row for today: $(cat "$WORK/out")"
LANG=C.UTF-8 LC_ALL=C.UTF-8 ctl stats --by region >"$WORK/out" || fail "stats --by region"
grep -q '^LV  *[0-9][0-9]*  *█' "$WORK/out" || fail "stats --by region has no LV row with a block bar: $(cat "$WORK/out")"
expect 0 --csv stats --by day --since 3d
[[ $(head -1 "$WORK/out") == 'day,reports' ]] || fail "stats --csv header: $(head -1 "$WORK/out")"
(($(wc -l <"$WORK/out") == 5)) || fail "stats --by day --since 3d: $(wc -l <"$WORK/out") lines, expected a header and 4 days"
grep -qx "$today,$expected" "$WORK/out" || fail "stats --csv today's row"
grep -qx "$(date -u -d '2 days ago' +%Y-%m-%d),0" "$WORK/out" || fail "stats --csv omits a day without reports"
expect 0 --json stats --since 7d
python3 - "$WORK/out" "$WORK/all.jsonl" <<'PY' || fail "stats --json"
import collections, json, sys
s = json.load(open(sys.argv[1]))
all_ = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert s["reports"] == len(all_)
assert s["by_category"] == dict(collections.Counter(r["verdict"]["category"] for r in all_))
assert s["by_label"] == dict(collections.Counter(r["verdict"]["label"] for r in all_))
assert sum(s["by_region"].values()) == len(all_) and sum(s["by_day"].values()) == len(all_)
assert "since_ms" in s
PY
expect 1 stats --since 2999-01-01
expect 1 --json stats --until 1999-12-31
expect 2 stats --by month
expect 2 stats --since 7x

# ---- colour: on a terminal only, never with NO_COLOR ----
pty_run() {  # runs smishctl with stdout (or with PTY_FD=2, stderr) on a pseudo-terminal; what it wrote there in $WORK/pty
  python3 - "$SMISHCTL" --config "$WORK/smishd.yaml" "$@" >"$WORK/pty" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
on_stderr = os.environ.get("PTY_FD") == "2"
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL if on_stderr else slave,
                     stderr=slave if on_stderr else subprocess.DEVNULL, stdin=subprocess.DEVNULL)
os.close(slave)
out = b""
while True:
  try:
    chunk = os.read(master, 65536)
  except OSError:
    break
  if not chunk: break
  out += chunk
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(p.wait(timeout=30))
PY
}
TERM=xterm pty_run reports --limit 3 || fail "reports on a terminal"
grep -q $'\033\\[1mID' "$WORK/pty" || fail "no bold header on a terminal"
grep -q $'\033\\[31mscam' "$WORK/pty" || fail "scam not red on a terminal"
TERM=xterm pty_run top domains --since 24h || fail "top on a terminal"
grep -q $'\033\\[' "$WORK/pty" || fail "no colour in top on a terminal"
NO_COLOR=1 TERM=xterm pty_run reports --limit 3 || fail "reports with NO_COLOR"
! grep -q $'\033' "$WORK/pty" || fail "colour despite NO_COLOR"
TERM=xterm pty_run --csv reports --limit 3 || fail "--csv on a terminal"
! grep -q $'\033' "$WORK/pty" || fail "colour in CSV on a terminal"

# ---- report, lookup, audit keep working; no reporter number in any output ----
first=$(head -1 "$WORK/all.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
expect 0 report "$first"
expect 1 report 999999999
expect 2 report abc
expect 0 lookup tele2-lv-bonus.info
expect 1 lookup never-reported-domain.example
expect 0 --csv lookup tele2-lv-bonus.info
python3 -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["kind", "value", "status", "reason", "by", "reports", "reporters", "first_seen", "last_seen", "category", "max_score"], rows[0]
assert sorted(r[0] for r in rows[1:]) == ["domain", "host"] and all(r[1] == "tele2-lv-bonus.info" and r[6] == "6" for r in rows[1:]), rows' "$WORK/out" || fail "lookup --csv: $(cat "$WORK/out")"
# --csv only where there is a listing.
expect 2 --csv report "$first"
expect 2 --csv export --out "$WORK/export"
expect 1 audit
expect 1 --csv audit
[[ $(head -1 "$WORK/out") == 'seq,when,actor,uid,via,action,target,change,note' ]] || fail "audit --csv header"
{
  for f in "$WORK"/all.jsonl "$WORK"/all.csv "$WORK"/top-*.jsonl; do cat "$f"; done
  for fmt in "" --json --csv; do
    for kind in numbers senders; do ctl $fmt top "$kind" --limit 1000; done
    ctl $fmt reports --limit 1000
  done
} >"$WORK/everything.txt" 2>/dev/null
python3 - "$CORPUS" "$WORK/everything.txt" <<'PY' || fail "a reporter number appears in smishctl's output"
import json, sys
corpus = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
texts = "".join(m["text"] for m in corpus)
numbers = {m["src"].lstrip("+") for m in corpus} - {n for n in (m["src"].lstrip("+") for m in corpus) if n in texts}
out = open(sys.argv[2], encoding="utf-8").read()
leaked = [n for n in numbers if n in out]
assert not leaked, leaked
print(f"ok: none of {len(numbers)} reporter numbers in the output")
PY

# The export's progress line is for terminals: none on a pipe.
expect 0 export --out "$WORK/export"
! grep -q $'\r' "$WORK/err" || fail "progress line on a piped stderr"
PTY_FD=2 pty_run export --out "$WORK/export" || fail "export with stderr on a terminal"
grep -q 'export: writing the blocklists' "$WORK/pty" || fail "no progress line on a terminal: $(cat -v "$WORK/pty")"

kill -0 "$smishd" 2>/dev/null || fail "smishd stopped during the test"
kill -TERM "$smishd"
wait_pid "$smishd" 10 || fail "smishd did not stop within 10 s of SIGTERM"
echo "PASS"
