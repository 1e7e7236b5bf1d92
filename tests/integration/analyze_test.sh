#!/usr/bin/env bash
# smishctl analyze, the batch contract: JSONL in (file or stdin; "id", "text", optional "src" and
# "region"), one JSON line out per input with id, numbers (E.164), urls, domains, label, category,
# score and reasons; a bad line is named and makes the exit code 2.
SMISHCTL=$1 SRC=$2
source "$(dirname "$0")/lib.sh"
write_config "$WORK/smishd.yaml" "$SRC"
cat >"$WORK/in.jsonl" <<'JSONL'
{"id": "a1", "text": "Tele2: Jūsu līgums beidzas. Apstipriniet datus: http://tele2-lv-bonus.info/ligums vai zvaniet 29 999 901", "src": "+37120000001"}
{"id": 7, "text": "Ваша посылка задержана. Оплатите пошлину: pochta-rf-oplata.top/pay", "region": "RU"}
{"id": "c3", "text": "Sveiki, tiekamies rīt 18:00 pie kafejnīcas?"}
JSONL
"$SMISHCTL" --config "$WORK/smishd.yaml" analyze --input "$WORK/in.jsonl" >"$WORK/out.jsonl" || fail "analyze --input exited $?"
"$SMISHCTL" --config "$WORK/smishd.yaml" analyze <"$WORK/in.jsonl" >"$WORK/out-stdin.jsonl" || fail "analyze from stdin exited $?"
cmp -s "$WORK/out.jsonl" "$WORK/out-stdin.jsonl" || fail "stdin and --input give different results"
python3 - "$WORK/out.jsonl" <<'PY' || fail "analyze output breaks the contract"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [o["id"] for o in out] == ["a1", 7, "c3"], out
for o in out:
    for key in ("numbers", "urls", "domains", "label", "category", "score", "reasons", "flags"):
        assert key in o, (key, o)
    assert o["label"] in ("scam", "spam", "legit", "unclear") and 0.0 <= o["score"] <= 1.0, o
a, b, c = out
assert a["numbers"] == ["+37129999901"], a          # national format, region from the src number
assert a["urls"] == ["http://tele2-lv-bonus.info/ligums"] and a["domains"] == ["tele2-lv-bonus.info"], a
assert a["label"] == "scam" and a["reasons"], a
assert b["domains"] == ["pochta-rf-oplata.top"] and "no_scheme" in b["flags"][b["urls"][0]], b
assert c["numbers"] == [] and c["urls"] == [] and c["label"] != "scam", c
print("ok")
PY
printf '{"id": 1, "text": "hello"}\nnot json\n{"id": 3}\n' >"$WORK/bad.jsonl"
rc=0
"$SMISHCTL" --config "$WORK/smishd.yaml" analyze --input "$WORK/bad.jsonl" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
[[ $rc -eq 2 ]] || fail "bad input lines gave exit $rc, expected 2"
grep -q "line 2" "$WORK/bad.err" && grep -q "line 3" "$WORK/bad.err" || fail "bad lines not named: $(cat "$WORK/bad.err")"
[[ $(wc -l <"$WORK/bad.out") -eq 1 ]] || fail "the good line was not analysed"
echo "PASS"
