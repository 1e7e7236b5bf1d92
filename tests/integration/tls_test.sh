#!/usr/bin/env bash
# SMPP over TLS: stunnel (an independent TLS server) fronts smsc-sim; smishd verifies the SMSC's
# certificate against a private CA and the expected name, binds and stores every message. With the
# wrong CA or the wrong name the handshake fails and nothing is bound.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"
command -v stunnel >/dev/null || fail "stunnel is not installed (scripts/install-deps installs stunnel4)"

head -n 12 "$SRC/configs/demo/corpus.jsonl" >"$WORK/corpus.jsonl"
cd "$WORK"
# A private CA and a server certificate for "smsc.test" (subjectAltName), and an unrelated CA.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=smishd test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=smsc.test" 2>/dev/null
printf 'subjectAltName=DNS:smsc.test\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj "/CN=another CA" 2>/dev/null
[[ -s server.pem && -s ca.pem ]] || fail "could not make test certificates"

"$SIM" --listen 127.0.0.1:0 --port-file sim.port --system-id smishd --password it-pass --corpus corpus.jsonl \
  --window 10 --max-seconds 60 --summary-file sim-summary.json >sim.log 2>&1 &
sim=$!
PIDS+=("$sim")
wait_for_file sim.port 10 || fail "smsc-sim did not start"

# A free loopback port for stunnel: bind port 0 and read it back.
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >stunnel.conf <<CONF
foreground = yes
pid =
debug = 4
output = $WORK/stunnel.log
[smpp]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$(cat sim.port)
cert = $WORK/server.pem
key = $WORK/server.key
CONF
stunnel stunnel.conf >/dev/null 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$tls_port)))" && break
  sleep 0.05
done

write_config smishd.yaml "$SRC"
run_smishd() {  # run_smishd LOG SETTINGS...: start smishd against the TLS port
  local log=$1
  shift
  "$SMISHD" --config smishd.yaml --set "smsc.port=$tls_port" --set smsc.tls=true "$@" 2>"$log" &
  PIDS+=("$!")
  LAST_PID=$!
}

# 1. The wrong CA: the handshake fails, nothing binds.
run_smishd wrong-ca.log --set "smsc.tls_ca_file=$WORK/other-ca.pem" --set smsc.tls_server_name=smsc.test
sleep 1.5
kill -TERM "$LAST_PID"
wait_pid "$LAST_PID" 10 || fail "smishd (wrong CA) did not stop"
grep -q 'event=smpp_tls_handshake_failed' wrong-ca.log || fail "no handshake failure with the wrong CA"
! grep -q 'event=smpp_bound' wrong-ca.log || fail "bound although the certificate is not trusted"

# 2. The right CA but the wrong name: refused too.
run_smishd wrong-name.log --set "smsc.tls_ca_file=$WORK/ca.pem" --set smsc.tls_server_name=other.test
sleep 1.5
kill -TERM "$LAST_PID"
wait_pid "$LAST_PID" 10 || fail "smishd (wrong name) did not stop"
grep -q 'event=smpp_tls_handshake_failed' wrong-name.log || fail "no handshake failure with the wrong name"
! grep -q 'event=smpp_bound' wrong-name.log || fail "bound although the name does not match"

# 3. The right CA and name: every message arrives over TLS.
run_smishd smishd.log --set "smsc.tls_ca_file=$WORK/ca.pem" --set smsc.tls_server_name=smsc.test
smishd=$LAST_PID
deadline=$((SECONDS + 30))
stored=0
while ((SECONDS < deadline)); do
  kill -0 "$smishd" 2>/dev/null || fail "smishd exited early"
  stored=$("$SMISHCTL" --config smishd.yaml --json stats 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
  ((stored >= 12)) && break
  sleep 0.2
done
((stored == 12)) || fail "only $stored of 12 messages stored over TLS"
grep -q 'event=smpp_bound.*tls=true' smishd.log || fail "smishd did not report a TLS bind"
kill -TERM "$smishd"
wait_pid "$smishd" 10 || fail "smishd did not stop"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
grep -q 'event=smpp_unbound' smishd.log || fail "no unbind over TLS"
echo "PASS"
