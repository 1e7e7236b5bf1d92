#!/usr/bin/env bash
# Talking to reporters through smsc-sim: two-step conversations in Latvian, Russian and English
# (the answer names the sender and gets the final thank-you), the daily reply cap, no reply to an
# alphanumeric source, throttled submit_sm retried, receipts matched, and a restart in the middle
# of a conversation.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"
cd "$WORK"
write_config smishd.yaml "$SRC"
sed -i 's/^replies:$/replies:\n  max_per_day: 3/' smishd.yaml

cat >first.jsonl <<'JSONL'
{"src": "+37120000501", "dst": "12250", "text": "Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: latvijas-pasts-lv.top/pay", "coding": "ucs2"}
{"src": "+79000000501", "dst": "12250", "text": "Ваш аккаунт Госуслуг заблокирован. Подтвердите данные: gosuslugi-verify.top", "coding": "ucs2"}
{"src": "+447400900501", "dst": "12250", "text": "Your bank account is suspended. Verify now at bank-secure-check.top/login", "coding": "gsm7"}
{"src": "+37120000501", "dst": "12250", "text": "+371 29999955", "coding": "gsm7"}
{"src": "+79000000501", "dst": "12250", "text": "Звонок +7 900 000-99-55", "coding": "ucs2"}
{"src": "+37120000502", "dst": "12250", "text": "Laimējāt iPhone! Zvaniet +371 29999961", "coding": "ucs2"}
{"src": "+37120000502", "dst": "12250", "text": "Laimējāt iPhone! Zvaniet +371 29999962", "coding": "ucs2"}
{"src": "+37120000502", "dst": "12250", "text": "Laimējāt iPhone! Zvaniet +371 29999963", "coding": "ucs2"}
{"src": "+37120000502", "dst": "12250", "text": "Laimējāt iPhone! Zvaniet +371 29999964", "coding": "ucs2"}
{"src": "+37120000502", "dst": "12250", "text": "Laimējāt iPhone! Zvaniet +371 29999965", "coding": "ucs2"}
{"src": "SHOPINFO", "dst": "12250", "text": "Sale -50% today only, call +371 29999970", "coding": "gsm7"}
JSONL
# The English reporter answers only after smishd was restarted.
cat >second.jsonl <<'JSONL'
{"src": "+447400900501", "dst": "12250", "text": "HSBC-ALERT", "coding": "gsm7"}
JSONL

run_round() {  # run_round CORPUS TAG WANT_REPLIES [SIM_ARGS...]: smishd + smsc-sim until the replies went out
  local corpus=$1 tag=$2 want_replies=$3
  shift 3
  rm -f "sim-$tag.port"
  "$SIM" --listen 127.0.0.1:0 --port-file "sim-$tag.port" --system-id smishd --password it-pass --corpus "$corpus" \
    --window 1 --receipts --max-seconds 60 --submits-file "submits-$tag.jsonl" --summary-file "sim-$tag.json" "$@" \
    >"sim-$tag.log" 2>&1 &
  local sim=$!
  PIDS+=("$sim")
  wait_for_file "sim-$tag.port" 10 || fail "smsc-sim ($tag) did not start"
  "$SMISHD" --config smishd.yaml --set "smsc.port=$(cat "sim-$tag.port")" --set smsc.throttle_backoff_ms=100 \
    --set log.level=debug 2>"smishd-$tag.log" &
  local smishd=$!
  PIDS+=("$smishd")
  # Until every message is acknowledged and the expected replies were taken (bounded).
  local deadline=$((SECONDS + 40))
  while ((SECONDS < deadline)); do
    local n
    n=$(grep -c 'event=reply_sent' "smishd-$tag.log" || true)
    ((n >= want_replies)) && break
    sleep 0.2
  done
  sleep 0.5  # receipts for the last replies
  kill -TERM "$smishd"
  wait_pid "$smishd" 10 || fail "smishd ($tag) did not stop"
  [[ $WAIT_RC -eq 0 ]] || fail "smishd ($tag) exited $WAIT_RC"
  kill -TERM "$sim"
  wait_pid "$sim" 10 || fail "smsc-sim ($tag) did not stop"
}

# Round 1: 3 ask_sender + 2 sender_thanks + 3 capped thanks = 8 replies; the sim throttles the first 2 submits.
run_round first.jsonl one 8 --throttle-submit 2
# Round 2, after a restart: the English answer completes its conversation.
run_round second.jsonl two 1

python3 - <<'PY' || fail "replies are not what the reporters should get"
import collections, json
def replies(path):
    parts = collections.defaultdict(dict)
    for line in open(path, encoding="utf-8"):
        s = json.loads(line)
        c = s.get("concat") or {"ref": s["message_id"], "seq": 1}
        parts[(s["destination_addr"], c["ref"])][c["seq"]] = s
    out = collections.defaultdict(list)
    for (dest, ref), ps in sorted(parts.items(), key=lambda kv: min(p["message_id"] for p in kv[1].values())):
        out[dest].append("".join(ps[k]["text"] for k in sorted(ps)))
        first = ps[min(ps)]
        assert first["source_addr"] == "12250", first
        assert first["dest_addr_ton"] == 1 and first["registered_delivery"] == 1, first
    return out
one, two = replies("submits-one.jsonl"), replies("submits-two.jsonl")
lv, ru, en = one["37120000501"], one["79000000501"], one["447400900501"]
assert len(lv) == 2 and lv[0].startswith("Paldies! No kura numura") and lv[1].startswith("Paldies, sūtītājs"), lv
assert len(ru) == 2 and ru[0].startswith("Спасибо! С какого номера") and ru[1].startswith("Спасибо, отправитель"), ru
assert len(en) == 1 and en[0].startswith("Thank you. Which number"), en
assert two["447400900501"] == ["Thank you, the sender has been added to your report."], two
capped = one["37120000502"]
assert len(capped) == 3 and all(t.startswith("Paldies par ziņojumu") for t in capped), capped
assert "SHOPINFO" not in one and not any(d.isalpha() for d in one), one.keys()
s = json.load(open("sim-one.json"))
assert s["submit_sm_throttled"] == 2, s
print("ok: conversations in lv, ru and en; cap of 3; no reply to SHOPINFO; throttled submits retried")
PY

"$SMISHCTL" --config smishd.yaml --json reports --limit 100 >reports.jsonl || fail "smishctl reports failed"
python3 - <<'PY' || fail "reported senders are not attached"
import json
reports = [json.loads(l) for l in open("reports.jsonl", encoding="utf-8")]
by_text = {r["text"]: r for r in reports}
assert len(reports) == 9, len(reports)   # 11 + 1 messages, 3 of them answers
senders = sorted(r["reported_sender"] for r in reports if r["reported_sender"])
assert senders == ["+37129999955", "+79000009955", "HSBC-ALERT"], senders
for t in ["+371 29999955", "Звонок +7 900 000-99-55", "HSBC-ALERT"]:
    assert t not in by_text, f"an answer became a report: {t}"
print("ok:", senders)
PY
"$SMISHCTL" --config smishd.yaml lookup HSBC-ALERT >lookup.txt || fail "the sender ID is not an indicator"
grep -q "sender_id HSBC-ALERT" lookup.txt || fail "lookup does not show the sender ID: $(cat lookup.txt)"
grep -q 'event=reply_receipt' smishd-one.log || fail "no delivery receipt was matched to a reply"
echo "PASS"
