#!/usr/bin/env bash
# Carrier sync end to end: smishd exports on its timer and serves the files over HTTP on loopback;
# a consumer pulls with a bearer token (a token in the URL is refused), gets 304 on a matching
# ETag, checks every file against the manifest, and verifies the manifest's Ed25519 signature
# with the documented openssl command. Then smishctl export --dry-run / the circuit breaker /
# --force, and the endpoint over TLS.
SIM=$1 SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/export_lib.sh"

command -v openssl >/dev/null || fail "openssl is missing (scripts/install-deps)"
openssl genpkey -algorithm ed25519 -out "$WORK/export.key" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$WORK/export.key"
openssl pkey -in "$WORK/export.key" -pubout -out "$WORK/export.pub.pem" || fail "openssl pkey -pubout"
printf 'sync-test-token-%s\n' "$RANDOM$RANDOM$RANDOM" >"$WORK/token"
chmod 600 "$WORK/token"
TOKEN=$(cat "$WORK/token")
EXPORT_SETS=(--set "export.signing_key_file=$WORK/export.key" --set "export.bearer_token_file=$WORK/token"
             --set "export.serve_listen=127.0.0.1:0" --set export.interval_s=1)

seed_database "$SIM" "$SMISHD" "$SMISHCTL" "$SRC" "${EXPORT_SETS[@]}"
port=$(sed -n 's/.*event=pull_server_listening .*port=\([0-9]*\).*/\1/p' "$WORK/smishd.log" | head -1)
[[ -n $port ]] || fail "smishd did not log its pull endpoint"
# Wait (bounded) for an export that carries the corpus's listed domain.
deadline=$((SECONDS + 30))
until grep -q 'event=export_published .*domains=[1-9]' "$WORK/smishd.log"; do
  ((SECONDS < deadline)) || fail "smishd published no export with domains"
  sleep 0.2
done

mkdir -p "$WORK/pulled"
python3 - "$port" "$TOKEN" "$WORK/pulled" <<'PY' || fail "pull protocol"
import hashlib, http.client, json, os, sys
port, token, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def get(path, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()
auth = {"Authorization": "Bearer " + token}
assert get("/healthz")[0] == 200
assert get("/v1/manifest.json")[0] == 401, "no token"
assert get("/v1/manifest.json", {"Authorization": "Bearer wrong-token-000000000"})[0] == 401
assert get("/v1/manifest.json?access_token=" + token)[0] == 400, "token in the URL"
assert get("/v1/manifest.json?access_token=" + token, auth)[0] == 400, "token in the URL, even with the header"
status, headers, manifest_bytes = get("/v1/manifest.json", auth)
assert status == 200, status
etag = headers["ETag"]
assert etag == '"%s"' % hashlib.sha256(manifest_bytes).hexdigest()
assert get("/v1/manifest.json", dict(auth, **{"If-None-Match": etag}))[0] == 304
manifest = json.loads(manifest_bytes)
serial = manifest["serial"]
assert headers["X-Smishd-Serial"] == str(serial)
assert manifest["signature"]["algorithm"] == "ed25519"
# Everything of this serial, by serial: never a mix, whatever smishd publishes meanwhile.
status, _, sig = get("/v1/serials/%d/manifest.json.sig" % serial, auth)
assert status == 200 and len(sig) == 64
open(os.path.join(out, "manifest.json"), "wb").write(manifest_bytes)
open(os.path.join(out, "manifest.json.sig"), "wb").write(sig)
for name, meta in manifest["files"].items():
    status, headers, body = get("/v1/serials/%d/%s" % (serial, name), auth)
    assert status == 200, (name, status)
    assert hashlib.sha256(body).hexdigest() == meta["sha256"], name
    assert headers["ETag"] == '"%s"' % meta["sha256"]
    assert get("/v1/serials/%d/%s" % (serial, name), dict(auth, **{"If-None-Match": headers["ETag"]}))[0] == 304
    open(os.path.join(out, name), "wb").write(body)
assert b"tele2-lv-bonus.info\n" in open(os.path.join(out, "domains.txt"), "rb").read()
assert b"tele2.lv" not in open(os.path.join(out, "domains.txt"), "rb").read().replace(b"tele2-lv", b"")
conn.request("HEAD", "/v1/files/domains.txt", headers=auth)
r = conn.getresponse()
assert r.status == 200 and r.read() == b"", "HEAD has no body"
assert int(r.getheader("Content-Length")) == manifest["files"]["domains.txt"]["bytes"] or \
    r.getheader("X-Smishd-Serial") != str(serial), "HEAD Content-Length"
# Deltas: from the previous serial (kept), and 410 for one older than the kept ones.
if serial > 1:
    status, _, body = get("/v1/deltas/%d" % (serial - 1), auth)
    assert status == 200 and body.startswith(b'{"type":"delta"'), (status, body[:80])
status, _, body = get("/v1/deltas/%d" % serial, auth)
assert status == 200 and b'"added":0' in body
PY

# The documented consumer check (docs/export.md), exactly.
(cd "$WORK/pulled" && openssl pkeyutl -verify -pubin -inkey "$WORK/export.pub.pem" -rawin \
  -in manifest.json -sigfile manifest.json.sig) >"$WORK/verify.log" 2>&1 \
  || fail "openssl did not verify the manifest: $(cat "$WORK/verify.log")"
grep -q "Signature Verified Successfully" "$WORK/verify.log" || fail "unexpected openssl output"
(cd "$WORK/pulled" && sha256sum --quiet -c <(python3 -c '
import json; m = json.load(open("manifest.json"))
for n, f in m["files"].items(): print(f["sha256"] + "  " + n)')) || fail "sha256sum disagrees with the manifest"
sed -i 's/"serial": /"serial": 1/' "$WORK/pulled/manifest.json"
(cd "$WORK/pulled" && openssl pkeyutl -verify -pubin -inkey "$WORK/export.pub.pem" -rawin \
  -in manifest.json -sigfile manifest.json.sig) >/dev/null 2>&1 && fail "a changed manifest still verified"

stop_smishd  # the pull endpoint must not hold up the shutdown

# smishctl on the same out_dir: unchanged, then a preview and a refusal of an emptied list, then --force.
CTL=("$SMISHCTL" --config "$WORK/smishd.yaml" "${EXPORT_SETS[@]}")
before=$(readlink "$WORK/export/current")
"${CTL[@]}" export >"$WORK/ctl1.log" 2>&1 || fail "smishctl export: $(cat "$WORK/ctl1.log")"
grep -q "^export unchanged" "$WORK/ctl1.log" || fail "expected an unchanged export: $(cat "$WORK/ctl1.log")"
# Allowlisting everything that is listed empties the lists: what a bad configuration push would do.
ALLOW=(--set "blocklist.allow_domains=$(python3 -c '
import json, sys
names = ["tele2.lv", "swedbank.lv"] + [l.strip() for f in ("domains.txt", "hosts.txt")
                                       for l in open(sys.argv[1] + "/" + f) if l.strip()]
print(json.dumps(names))' "$WORK/pulled")"
       --set "blocklist.allow_numbers=$(python3 -c '
import csv, json, sys
print(json.dumps([r["e164"] for r in csv.DictReader(open(sys.argv[1] + "/numbers.csv"))]))' "$WORK/pulled")")
rc=0
"${CTL[@]}" "${ALLOW[@]}" export --dry-run >"$WORK/ctl2.log" 2>&1 || rc=$?
((rc == 0)) || fail "dry run exited $rc"
grep -q "^would be refused: the blocklists would become empty" "$WORK/ctl2.log" || fail "dry run: $(cat "$WORK/ctl2.log")"
grep -q "^- domain:tele2-lv-bonus.info  (allowlisted)" "$WORK/ctl2.log" || fail "dry run diff: $(cat "$WORK/ctl2.log")"
[[ $(readlink "$WORK/export/current") == "$before" ]] || fail "a dry run changed current"
rc=0
"${CTL[@]}" "${ALLOW[@]}" export >"$WORK/ctl3.log" 2>&1 || rc=$?
((rc == 3)) || fail "the breaker should refuse with exit 3, got $rc: $(cat "$WORK/ctl3.log")"
[[ $(readlink "$WORK/export/current") == "$before" ]] || fail "a refused export changed current"
"${CTL[@]}" "${ALLOW[@]}" export --force >"$WORK/ctl4.log" 2>&1 || fail "forced export failed"
grep -q "^export published" "$WORK/ctl4.log" || fail "forced: $(cat "$WORK/ctl4.log")"
[[ ! -s $WORK/export/domains.txt ]] || fail "the forced empty export still lists domains"

# TLS: the same endpoint over HTTPS with a self-signed certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null || fail "openssl req"
chmod 600 "$WORK/tls.key"
"$SMISHD" --config "$WORK/smishd.yaml" "${EXPORT_SETS[@]}" --set export.interval_s=0 --set smsc.port=1 \
  --set "export.tls_cert_file=$WORK/tls.crt" --set "export.tls_key_file=$WORK/tls.key" 2>"$WORK/smishd-tls.log" &
SMISHD_PID=$!
PIDS+=("$SMISHD_PID")
deadline=$((SECONDS + 10))
until grep -q 'event=pull_server_listening .*tls=true' "$WORK/smishd-tls.log"; do
  ((SECONDS < deadline)) || fail "smishd with TLS did not listen: $(cat "$WORK/smishd-tls.log")"
  sleep 0.1
done
port=$(sed -n 's/.*event=pull_server_listening .*port=\([0-9]*\).*/\1/p' "$WORK/smishd-tls.log" | head -1)
python3 - "$port" "$TOKEN" "$WORK/tls.crt" <<'PY' || fail "pull over TLS"
import http.client, ssl, sys
port, token, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
conn.request("GET", "/v1/manifest.json", headers={"Authorization": "Bearer " + token})
r = conn.getresponse()
assert r.status == 200, r.status
assert r.getheader("X-Smishd-Serial")
r.read()
try:  # plain HTTP to a TLS port gets nothing useful
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    plain.request("GET", "/healthz")
    assert plain.getresponse().status != 200
except (http.client.HTTPException, ConnectionError, OSError):
    pass
PY
stop_smishd
echo "ok: pulled serial with ETags, verified the signature with openssl, breaker refused and yielded to --force, TLS served"
