#!/usr/bin/env bash
# A hostile or broken SMSC: a fake SMSC (python3, raw sockets) first sends a deliver_sm before its
# bind_resp (smishd must refuse it with ESME_RINVBNDSTS and never store it), then, bound, floods
# smishd with FLOOD (100 000) invalid PDUs: unknown command_ids, known commands an ESME does not
# serve, and deliver_sm / enquire_link / data_sm with broken bodies. smishd must answer every one
# of them (generic_nack, or the command's _resp with the error status), stay bound on the same
# connection, keep answering enquire_link, store a valid deliver_sm sent after the flood, use less
# than CPU_LIMIT_S of CPU for the whole flood (utime + stime from /proc/<pid>/stat), not burn CPU
# once the flood is over, and not grow its RSS by more than RSS_LIMIT_MB.
# usage: flood_test.sh SMSC_SIM SMISHD SMISHCTL SOURCE_DIR   (smsc-sim is not used)
SMISHD=$2 SMISHCTL=$3 SRC=$4
source "$(dirname "$0")/lib.sh"

FLOOD=${FLOOD:-100000}
CPU_LIMIT_S=${CPU_LIMIT_S:-5}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-64}

write_config "$WORK/smishd.yaml" "$SRC"
# The fake SMSC counts every PDU smishd sends as an answer: no replies (submit_sm) in between.
sed -i 's/^replies:$/replies:\n  enabled: false/' "$WORK/smishd.yaml"

cat >"$WORK/fake_smsc.py" <<'PY'
import json, os, random, select, socket, struct, sys, threading, time

port_file, pid_file, result_file, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cpu_limit, rss_limit_mb = float(sys.argv[5]), float(sys.argv[6])
random.seed(20261122)
DEADLINE = time.monotonic() + 150

GENERIC_NACK, BIND_TRX, BIND_TRX_RESP = 0x80000000, 0x00000009, 0x80000009
DELIVER_SM, DELIVER_SM_RESP, DATA_SM, DATA_SM_RESP = 0x05, 0x80000005, 0x103, 0x80000103
ENQUIRE, ENQUIRE_RESP, UNBIND, UNBIND_RESP = 0x15, 0x80000015, 0x06, 0x80000006
ROK, RINVMSGLEN, RINVCMDLEN, RINVCMDID, RINVBNDSTS = 0x00, 0x01, 0x02, 0x03, 0x04
RINVSRCADR, RINVOPTPARSTREAM, RX_P_APPN = 0x0A, 0xC0, 0x65
KNOWN = {0x80000000, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x15, 0x21, 0x102,
         0x103, 0x111, 0x112, 0x113}

def pdu(cid, seq, body=b"", status=0):
    return struct.pack(">IIII", 16 + len(body), cid, status, seq) + body

def sm_fields(src=b"37120000001", esm=0, dcs=0):
    return b"\0\x01\x01" + src + b"\0\x00\x01" + b"12250\0" + bytes([esm, 0, 0]) + b"\0\0" + bytes([0, 0, dcs, 0])

def deliver(seq, text, esm=0):
    return pdu(DELIVER_SM, seq, sm_fields(esm=esm) + bytes([len(text)]) + text)

def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

def cpu_s(pid):
    # /proc/<pid>/stat: comm may contain spaces; fields after the closing parenthesis.
    rest = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

# Each flood PDU kind: (builder(seq) -> bytes, expected response command_id, expected status).
def unknown(seq):
    while True:
        cid = random.randint(0x200, 0x7FFFFFFF)
        if cid not in KNOWN:
            break
    body = bytes(random.getrandbits(8) for _ in range(random.randint(0, 24)))
    return pdu(cid, seq, body)
KINDS = [
    ("unknown command_id", 60, unknown, GENERIC_NACK, RINVCMDID),
    ("query_sm (not an ESME's)", 4, lambda s: pdu(0x03, s, b"1\0\x00\x00\0"), GENERIC_NACK, RINVCMDID),
    ("cancel_sm (not an ESME's)", 3, lambda s: pdu(0x08, s, b"\0" * 8), GENERIC_NACK, RINVCMDID),
    ("submit_sm (not an ESME's)", 4, lambda s: pdu(0x04, s, sm_fields() + b"\x02hi"), GENERIC_NACK, RINVCMDID),
    ("deliver_sm sm_length past the end", 6,
     lambda s: pdu(DELIVER_SM, s, sm_fields() + b"\xc8short"), DELIVER_SM_RESP, RINVMSGLEN),
    ("deliver_sm source_addr without NUL", 6,
     lambda s: pdu(DELIVER_SM, s, b"\0\x01\x01" + b"7" * 30), DELIVER_SM_RESP, RINVSRCADR),
    ("deliver_sm TLV overrun", 6,
     lambda s: pdu(DELIVER_SM, s, sm_fields() + b"\x02hi" + b"\x14\x01\x00\xff\x00"), DELIVER_SM_RESP, RINVOPTPARSTREAM),
    ("deliver_sm UDHI with sm_length 0", 5, lambda s: deliver(s, b"", esm=0x40), DELIVER_SM_RESP, RX_P_APPN),
    ("data_sm (not supported)", 3, lambda s: pdu(DATA_SM, s, sm_fields()[:20]), DATA_SM_RESP, RINVCMDID),
    ("enquire_link with a body", 3, lambda s: pdu(ENQUIRE, s, b"\0\0\0\0"), GENERIC_NACK, RINVCMDLEN),
]
weights = [k[1] for k in KINDS]

result = {"ok": False, "errors": []}
def finish(ok):
    result["ok"] = ok and not result["errors"]
    tmp = result_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, result_file)

def error(msg):
    result["errors"].append(msg)
    print("fake_smsc:", msg, file=sys.stderr)

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
with open(port_file + ".tmp", "w") as f:
    f.write(f"{srv.getsockname()[1]}\n")
os.rename(port_file + ".tmp", port_file)
srv.settimeout(30)
conn, _ = srv.accept()
srv.setblocking(False)
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
send_lock = threading.Lock()
def send(data):
    with send_lock:
        conn.sendall(data)

buf = bytearray()
def read_pdu(timeout):
    """The next whole PDU from smishd as (cid, status, seq, body), or None on timeout/close."""
    end = time.monotonic() + timeout
    while True:
        if len(buf) >= 16:
            n = struct.unpack(">I", buf[:4])[0]
            if n < 16 or n > 70000:
                raise RuntimeError(f"smishd sent command_length {n}")
            if len(buf) >= n:
                cid, status, seq = struct.unpack(">III", buf[4:16])
                body = bytes(buf[16:n])
                del buf[:n]
                return cid, status, seq, body
        left = end - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([conn], [], [], left)
        if not r:
            return None
        chunk = conn.recv(1 << 16)
        if not chunk:
            return None
        buf.extend(chunk)

# 1. bind_transceiver from smishd.
p = read_pdu(15)
if p is None or p[0] != BIND_TRX:
    error(f"expected bind_transceiver, got {p}")
    finish(False); sys.exit(1)
bind_seq = p[2]
# 2. A deliver_sm before the bind_resp: out of sequence (SMPP 3.4 §2.3), never to be stored.
send(deliver(0x7000_0001, b"PDU before bind_resp"))
p = read_pdu(10)
result["before_bind_resp"] = p and {"command_id": hex(p[0]), "status": p[1], "seq": p[2]}
if p is None or p[0] != DELIVER_SM_RESP or p[1] != RINVBNDSTS or p[2] != 0x7000_0001:
    error(f"deliver_sm before bind_resp: expected deliver_sm_resp ESME_RINVBNDSTS, got {p}")

for _ in range(100):  # the pid file is written right after smishd is started
    if os.path.exists(pid_file) and open(pid_file).read().strip():
        break
    time.sleep(0.05)
pid = int(open(pid_file).read())

# 3. The flood, sent by one thread while this one reads. bind_resp goes in the same write as the
#    first flood PDUs (smishd must handle PDUs framed together with its bind_resp).
plan = random.choices(range(len(KINDS)), weights=weights, k=count)
expected = {}
chunks, cur = [], [pdu(BIND_TRX_RESP, bind_seq, b"fake-smsc\0")]
for i, k in enumerate(plan):
    seq = 1 + i
    expected[seq] = k
    cur.append(KINDS[k][2](seq))
    if len(cur) >= 2000:
        chunks.append(b"".join(cur)); cur = []
if cur:
    chunks.append(b"".join(cur))

cpu0, rss0 = cpu_s(pid), rss_kb(pid)
def sender():
    try:
        for c in chunks:
            send(c)
    except OSError as e:
        error(f"send failed: {e}")
t0 = time.monotonic()
th = threading.Thread(target=sender, daemon=True)
th.start()
got = {}
by_kind = {k[0]: 0 for k in KINDS}
rss_samples = []
while len(got) < count and time.monotonic() < DEADLINE:
    p = read_pdu(20)
    if p is None:
        error(f"smishd stopped answering after {len(got)} of {count} responses")
        break
    cid, status, seq, _ = p
    if cid == ENQUIRE:  # smishd's own keepalive: answer it
        send(pdu(ENQUIRE_RESP, seq))
        continue
    k = expected.get(seq)
    if k is None or seq in got:
        error(f"response {hex(cid)} status {status} for unknown or answered seq {seq}")
        continue
    name, _, _, want_cid, want_status = KINDS[k]
    got[seq] = (cid, status)
    if (cid, status) != (want_cid, want_status):
        if len(result["errors"]) < 20:
            error(f"{name} seq {seq}: got {hex(cid)} status {hex(status)}, expected {hex(want_cid)} {hex(want_status)}")
    else:
        by_kind[name] += 1
    if len(got) % (count // 4 or 1) == 0:
        rss_samples.append(rss_kb(pid))
th.join(5)
flood_s = time.monotonic() - t0
cpu1, rss1 = cpu_s(pid), rss_kb(pid)
time.sleep(2)  # idle: a spinning loop would show here
cpu2 = cpu_s(pid)

result.update({"responses": len(got), "count": count, "flood_seconds": round(flood_s, 2),
               "cpu_flood_s": round(cpu1 - cpu0, 2), "cpu_idle_2s": round(cpu2 - cpu1, 3),
               "rss_kb_before": rss0, "rss_kb_after": rss1, "rss_kb_samples": rss_samples,
               "correct_by_kind": by_kind})
if len(got) != count:
    error(f"{len(got)} responses for {count} PDUs")
if cpu1 - cpu0 >= cpu_limit:
    error(f"smishd used {cpu1 - cpu0:.2f} s of CPU for the flood (limit {cpu_limit})")
if cpu2 - cpu1 >= 0.2:
    error(f"smishd used {cpu2 - cpu1:.2f} s of CPU in 2 idle seconds after the flood")
if (rss1 - rss0) / 1024 >= rss_limit_mb:
    error(f"smishd RSS grew by {(rss1 - rss0) / 1024:.1f} MB (limit {rss_limit_mb})")

# 4. Still bound on this connection: enquire_link answered, a valid deliver_sm stored.
send(pdu(ENQUIRE, 0x7000_0002))
p = read_pdu(10)
while p is not None and p[0] == ENQUIRE:
    send(pdu(ENQUIRE_RESP, p[2])); p = read_pdu(10)
if p is None or p[0] != ENQUIRE_RESP or p[2] != 0x7000_0002:
    error(f"enquire_link after the flood: got {p}")
send(deliver(0x7000_0003, b"valid after the flood"))
p = read_pdu(10)
while p is not None and p[0] == ENQUIRE:
    send(pdu(ENQUIRE_RESP, p[2])); p = read_pdu(10)
if p is None or p[0] != DELIVER_SM_RESP or p[1] != ROK or p[2] != 0x7000_0003:
    error(f"valid deliver_sm after the flood: got {p}")
try:
    extra, _ = srv.accept()
    error("smishd opened a second connection: it lost the bind during the flood")
    extra.close()
except BlockingIOError:
    pass
finish(True)

# 5. Serve until smishd unbinds (the test stops it with SIGTERM).
while time.monotonic() < DEADLINE:
    p = read_pdu(30)
    if p is None:
        break
    if p[0] == ENQUIRE:
        send(pdu(ENQUIRE_RESP, p[2]))
    elif p[0] == UNBIND:
        send(pdu(UNBIND_RESP, p[2]))
        result["unbound"] = True
        break
finish(True)
sys.exit(0 if result["ok"] else 1)
PY

python3 "$WORK/fake_smsc.py" "$WORK/smsc.port" "$WORK/smishd.pid" "$WORK/result.json" "$FLOOD" \
  "$CPU_LIMIT_S" "$RSS_LIMIT_MB" >"$WORK/fake_smsc.log" 2>&1 &
fake=$!
PIDS+=("$fake")
wait_for_file "$WORK/smsc.port" 10 || fail "the fake SMSC did not publish its port"

"$SMISHD" --config "$WORK/smishd.yaml" --set "smsc.port=$(cat "$WORK/smsc.port")" 2>"$WORK/smishd.log" &
smishd=$!
PIDS+=("$smishd")
echo "$smishd" >"$WORK/smishd.pid"

wait_for_file "$WORK/result.json" 170 || fail "the fake SMSC did not finish the flood within 170 s"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r)); sys.exit(0 if r["ok"] else 1)' \
  "$WORK/result.json" || fail "smishd did not withstand the flood"

# Nothing but the one valid message became a report; the PDU sent before bind_resp is not stored.
deadline=$((SECONDS + 20))
while ((SECONDS < deadline)); do
  n=$("$SMISHCTL" --config "$WORK/smishd.yaml" --json stats 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])' 2>/dev/null || echo 0)
  ((n >= 1)) && break
  sleep 0.2
done
kill -TERM "$smishd"
wait_pid "$smishd" 15 || fail "smishd did not stop within 15 s of SIGTERM"
[[ $WAIT_RC -eq 0 ]] || fail "smishd exited $WAIT_RC"
wait_pid "$fake" 35 || fail "the fake SMSC did not end after smishd's unbind"
[[ $WAIT_RC -eq 0 ]] || fail "the fake SMSC exited $WAIT_RC"

"$SMISHCTL" --config "$WORK/smishd.yaml" --json reports --limit 100 >"$WORK/reports.jsonl" 2>"$WORK/ctl.log" ||
  fail "smishctl reports failed"
python3 - "$WORK/reports.jsonl" "$WORK/smishd.log" <<'PY' || fail "wrong reports after the flood"
import json, os, sys
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
assert texts == ["valid after the flood"], texts
print(f"ok: one report; smishd log {os.path.getsize(sys.argv[2]) // 1024} KiB for the flood")
PY
echo "PASS"
