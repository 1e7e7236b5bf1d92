#!/usr/bin/env bash
# Two-step conversations with node-smpp as the SMSC (tests/interop/conversation.js drives it).
SMISHD=$1 SRC=$2
source "$(dirname "$0")/lib.sh"
[[ -d $SRC/tests/interop/node_modules/smpp ]] || fail "npm package smpp missing: run scripts/install-deps"
write_config "$WORK/smishd.yaml" "$SRC"
sed -i 's/password: it-pass/password: secret/' "$WORK/smishd.yaml"
sed -i 's/^replies:$/replies:\n  max_per_day: 3/' "$WORK/smishd.yaml"
node "$SRC/tests/interop/conversation.js" --smishd "$SMISHD" --config "$WORK/smishd.yaml" --max-seconds 90 \
  >"$WORK/conversation.out" 2>"$WORK/smishd.log" || fail "$(cat "$WORK/conversation.out")"
cat "$WORK/conversation.out"
echo "PASS"
