#!/usr/bin/env bash
# A bad config file is refused before anything starts: exit code 2, the key path and the line.
SMISHD=$1 SMISHCTL=$2
source "$(dirname "$0")/lib.sh"

printf 'smsc:\n  host: 127.0.0.1\n  port: abc\nstorage:\n  colour: blue\n' >"$WORK/bad.yaml"
rc=0
"$SMISHD" --config "$WORK/bad.yaml" 2>"$WORK/smishd.err" || rc=$?
[[ $rc -eq 2 ]] || fail "smishd exited $rc, expected 2"
grep -qF 'smsc.port: expected an integer in 1..65535, got "abc" (line 3)' "$WORK/smishd.err" || fail "no key path and line: $(cat "$WORK/smishd.err")"
grep -qF 'storage.colour: unknown key (line 5)' "$WORK/smishd.err" || fail "second problem not reported"
[[ ! -e $WORK/db ]] || fail "something was started"

rc=0
"$SMISHCTL" --config "$WORK/bad.yaml" stats 2>"$WORK/ctl.err" || rc=$?
[[ $rc -eq 2 ]] || fail "smishctl exited $rc, expected 2"
grep -qF 'smsc.port:' "$WORK/ctl.err" || fail "smishctl did not name the key"

rc=0
"$SMISHD" --config "$WORK/bad.yaml" --set smsc.port=2775 --set storage.nope=1 2>"$WORK/smishd2.err" || rc=$?
[[ $rc -eq 2 ]] || fail "smishd with a bad --set exited $rc, expected 2"
grep -qF -- '--set storage.nope: unknown key' "$WORK/smishd2.err" || fail "bad --set not named"
echo "PASS"
