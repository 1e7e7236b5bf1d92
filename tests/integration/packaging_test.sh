#!/usr/bin/env bash
# Packaging: `cmake --install` into a temporary prefix puts binaries, configuration, the systemd
# unit, the sysusers entry and the docs in their places; the installed binaries are hardened
# (PIE, full RELRO, stack protector, fortified libc calls, no executable stack); the installed
# configuration, rules, brands and templates load (smishd --check-config); the unit is sandboxed.
BUILD=$1 SRC=$2
source "$(dirname "$0")/lib.sh"

ROOT=$WORK/root
cmake --install "$BUILD" --prefix "$ROOT" >"$WORK/install.log" 2>&1 || fail "cmake --install failed: $(tail -5 "$WORK/install.log")"

for f in bin/smishd bin/smishctl bin/smsc-sim etc/smishd/smishd.yaml etc/smishd/brands.yaml etc/smishd/replies.yaml \
         etc/smishd/rules/en.yaml etc/smishd/rules/lv.yaml etc/smishd/rules/ru.yaml lib/systemd/system/smishd.service \
         lib/sysusers.d/smishd.conf share/doc/smishd/operations.md share/doc/smishd/smishd.example.yaml \
         share/doc/smishd/README.md share/doc/smishd/LICENSE; do
  [[ -s $ROOT/$f ]] || fail "not installed: $f"
done

# Hardening, read off the ELF files (binutils' readelf).
# (Each readelf output is read whole first: grep -q stopping early would fail the pipe under pipefail.)
for bin in smishd smishctl smsc-sim; do
  elf=$ROOT/bin/$bin
  header=$(readelf -hW "$elf") segments=$(readelf -lW "$elf") dynamic=$(readelf -dW "$elf") syms=$(readelf --dyn-syms -W "$elf")
  grep -q 'Type:.*DYN' <<<"$header" || fail "$bin is not position-independent (PIE)"
  grep -q 'GNU_RELRO' <<<"$segments" || fail "$bin has no RELRO segment"
  grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$dynamic" || fail "$bin is not linked with -z now (full RELRO)"
  grep 'GNU_STACK' <<<"$segments" | grep -q 'RWE' && fail "$bin has an executable stack"
  grep -q '__stack_chk_fail' <<<"$syms" || fail "$bin has no stack protector"
  grep -Eq '__[a-z_]+_chk@' <<<"$syms" || fail "$bin has no fortified libc calls (_FORTIFY_SOURCE)"
done

[[ $("$ROOT/bin/smishd" --version) == smishd\ * ]] || fail "the installed smishd does not run"

# The installed configuration loads, with its rules, brands and templates (paths moved under the prefix;
# the secrets systemd would hand over are stand-ins here).
printf 'packaging-test-pseudonym-key-0001\n' >"$WORK/pseudonym.key"
printf 'pw\n' >"$WORK/smpp.password"
"$ROOT/bin/smishd" --config "$ROOT/etc/smishd/smishd.yaml" \
  --set "smsc.password_file=$WORK/smpp.password" --set "storage.pseudonym_key_file=$WORK/pseudonym.key" \
  --set "classifier.rules_dir=$ROOT/etc/smishd/rules" --set "classifier.brands_file=$ROOT/etc/smishd/brands.yaml" \
  --set "replies.templates_file=$ROOT/etc/smishd/replies.yaml" --check-config >"$WORK/check.out" 2>"$WORK/check.log" ||
  fail "the installed configuration does not load: $(cat "$WORK/check.log")"
grep -q 'config ok' "$WORK/check.out" || fail "no 'config ok' from --check-config"

# A broken rule is caught by --check-config, naming the file (what an operator runs before SIGHUP).
cp -r "$ROOT/etc/smishd/rules" "$WORK/rules"
printf 'rules:\n  - id: [unclosed\n' >>"$WORK/rules/lv.yaml"
rc=0
"$ROOT/bin/smishd" --config "$ROOT/etc/smishd/smishd.yaml" \
  --set "smsc.password_file=$WORK/smpp.password" --set "storage.pseudonym_key_file=$WORK/pseudonym.key" \
  --set "classifier.rules_dir=$WORK/rules" --set "classifier.brands_file=$ROOT/etc/smishd/brands.yaml" \
  --set "replies.templates_file=$ROOT/etc/smishd/replies.yaml" --check-config >/dev/null 2>"$WORK/check2.log" || rc=$?
[[ $rc -eq 2 ]] || fail "--check-config with a broken rules file exited $rc, not 2"
grep -q 'lv.yaml' "$WORK/check2.log" || fail "the error does not name the broken file: $(cat "$WORK/check2.log")"

# The unit: the installed binary and config, reload by SIGHUP, sandboxing.
unit=$ROOT/lib/systemd/system/smishd.service
for line in 'ExecStart=/usr/bin/smishd --config /etc/smishd/smishd.yaml' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'User=smishd' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
            'StateDirectory=smishd' 'CapabilityBoundingSet=' 'SystemCallFilter=@system-service'; do
  grep -qxF "$line" "$unit" || fail "the unit lacks: $line"
done
if command -v systemd-analyze >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemd-analyze verify "$unit" 2>&1 | grep -v 'smishd\.service: Command /usr/bin/smishd' | grep -i 'error' &&
    fail "systemd-analyze verify found errors"
fi
echo "PASS"
