#!/usr/bin/env bash
# The exported rpz.zone passes BIND's named-checkzone, and Unbound loaded with it as an RPZ on
# loopback answers NXDOMAIN for a listed domain and its subdomains, passes an allowlisted one
# through, and leaves other names alone. Names resolve from local auth-zones (no network).
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/export_lib.sh"

for tool in named-checkzone unbound unbound-checkconf dig; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/install-deps installs bind9-utils, unbound, dnsutils"
done

seed_database "$SIM" "$SMISHD" "$SMISHCTL" "$SRC"
stop_smishd
"$SMISHCTL" --config "$WORK/smishd.yaml" export --out "$WORK/export" >"$WORK/export.log" 2>&1 \
  || fail "smishctl export failed: $(cat "$WORK/export.log")"
ZONE=$WORK/export/rpz.zone
grep -qx 'tele2-lv-bonus.info CNAME \.' "$ZONE" || fail "the corpus's listed domain is not in rpz.zone"
grep -qx '\*\.tele2-lv-bonus.info CNAME \.' "$ZONE" || fail "no wildcard for the listed domain"
grep -qx 'tele2.lv CNAME rpz-passthru\.' "$ZONE" || fail "the allowlisted domain is not passed through"
grep -Eq '^([^;]*\.)?tele2\.lv CNAME \.$' "$ZONE" && fail "an allowlisted name is blocked in rpz.zone"

serial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$WORK/export/manifest.json")
named-checkzone -k fail -n fail rpz.smishd.local "$ZONE" >"$WORK/checkzone.log" 2>&1 \
  || fail "named-checkzone refused rpz.zone: $(cat "$WORK/checkzone.log")"
grep -q "loaded serial $serial" "$WORK/checkzone.log" || fail "SOA serial is not the export serial $serial"

# The "real" DNS the resolver would see: every name below answers, so NXDOMAIN can only be the RPZ.
cat >"$WORK/info.zone" <<ZONE
\$ORIGIN info.
\$TTL 60
@ IN SOA localhost. hostmaster.localhost. ( 1 300 60 604800 60 )
@ IN NS localhost.
tele2-lv-bonus IN A 192.0.2.66
www.tele2-lv-bonus IN A 192.0.2.66
harmless IN A 192.0.2.80
ZONE
cat >"$WORK/lv.zone" <<ZONE
\$ORIGIN lv.
\$TTL 60
@ IN SOA localhost. hostmaster.localhost. ( 1 300 60 604800 60 )
@ IN NS localhost.
tele2 IN A 192.0.2.10
mans.tele2 IN A 192.0.2.11
ZONE
port=$(free_port udp)
cat >"$WORK/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $port
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  use-syslog: no
  logfile: "$WORK/unbound.log"
  verbosity: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  module-config: "respip iterator"
auth-zone:
  name: "info."
  zonefile: "$WORK/info.zone"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
auth-zone:
  name: "lv."
  zonefile: "$WORK/lv.zone"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
rpz:
  name: "rpz.smishd.local."
  zonefile: "$ZONE"
  rpz-log: yes
CONF
unbound-checkconf "$WORK/unbound.conf" >/dev/null || fail "unbound-checkconf refused the test configuration"
unbound -d -c "$WORK/unbound.conf" 2>"$WORK/unbound-stderr.log" &
PIDS+=("$!")

# query NAME: prints "STATUS ADDRESSES..." from dig.
query() {
  dig @127.0.0.1 -p "$port" +time=1 +tries=1 "$1" A >"$WORK/dig.out" 2>&1 || true
  local status
  status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$WORK/dig.out")
  echo "$status $(awk '$4 == "A" {print $5}' "$WORK/dig.out" | tr '\n' ' ')"
}
deadline=$((SECONDS + 20))
until [[ $(query harmless.info) == "NOERROR 192.0.2.80 " ]]; do
  ((SECONDS < deadline)) || fail "unbound did not answer on 127.0.0.1:$port: $(cat "$WORK/dig.out")"
  sleep 0.2
done
[[ $(query tele2-lv-bonus.info) == "NXDOMAIN "* ]] || fail "listed domain: $(query tele2-lv-bonus.info)"
[[ $(query www.tele2-lv-bonus.info) == "NXDOMAIN "* ]] || fail "subdomain of the listed domain: $(query www.tele2-lv-bonus.info)"
[[ $(query tele2.lv) == "NOERROR 192.0.2.10 " ]] || fail "allowlisted domain: $(query tele2.lv)"
[[ $(query mans.tele2.lv) == "NOERROR 192.0.2.11 " ]] || fail "allowlisted subdomain: $(query mans.tele2.lv)"
grep -q "rpz: applied tele2-lv-bonus.info. rpz-nxdomain" "$WORK/unbound.log" || fail "unbound did not log the RPZ hit"
grep -q "rpz: applied tele2.lv. rpz-passthru" "$WORK/unbound.log" || fail "unbound did not log the passthru"
echo "ok: rpz.zone serial $serial passes named-checkzone; Unbound blocks the listed domain and passes tele2.lv"
