#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_framer, fuzz_deliver_sm and fuzz_text from tests/data/pdus/*.hex
plus a few hand-made PDUs for the edges (UDH 16-bit, UDHI with message_payload, many TLVs, bad
lengths). Deterministic; run from anywhere: python3 fuzz/corpus/make_seeds.py

Seed layouts follow how each target reads its input (FuzzedDataProvider takes integers from the
END of the input):
  fuzz_deliver_sm: one PDU, as is.
  fuzz_framer:     stream + cut sizes (reversed) + count of cuts + cap selector.
  fuzz_text:       octets + max_units (1) + septets (2, little-endian) + data_coding (1).
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE.parent.parent
PDUS = SRC / "tests" / "data" / "pdus"


def golden():
    out = {}
    for f in sorted(PDUS.glob("*.hex")):
        digits = "".join(l.split("#")[0] for l in f.read_text().splitlines() if not l.startswith("#"))
        out[f.stem] = bytes.fromhex("".join(digits.split()))
    return out


def pdu(command_id, seq, body, status=0):
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def deliver(sm, tlvs=b"", esm_class=0, data_coding=0, seq=9):
    body = (b"\0" + b"\x01\x01" + b"37120000001\0" + b"\x00\x01" + b"12250\0" + bytes([esm_class, 0, 0]) + b"\0\0" +
            bytes([0, 0, data_coding, 0, len(sm)]) + sm + tlvs)
    return pdu(0x00000005, seq, body)


def handmade():
    udh16 = bytes([6, 8, 4, 0x12, 0x34, 3, 2])
    return {
        "udh16_gsm7": deliver(udh16 + "Price: 5€ [x]".encode("latin-1", "replace"), esm_class=0x40),
        "udh8_ucs2_surrogate": deliver(bytes([5, 0, 3, 7, 2, 1]) + "ok 🎁".encode("utf-16-be"), esm_class=0x40, data_coding=8),
        "udhi_payload": deliver(b"", tlv(0x0424, bytes([5, 0, 3, 9, 2, 2]) + b"second half"), esm_class=0x40),
        "sar_incomplete": deliver(b"part", tlv(0x020C, b"\x00\x2a") + tlv(0x020E, b"\x02")),
        "sar_and_udh": deliver(bytes([5, 0, 3, 1, 2, 1]) + b"both", tlv(0x020C, b"\x00\x01") + tlv(0x020E, b"\x02") +
                               tlv(0x020F, b"\x01"), esm_class=0x40),
        "one_part_concat": deliver(bytes([5, 0, 3, 4, 1, 1]) + b"whole", esm_class=0x40),
        "vendor_tlvs": deliver(b"hi", b"".join(tlv(0x1400 + i, b"") for i in range(20))),
        "latin1": deliver("Grüße £5".encode("latin-1"), data_coding=3),
        "udhl_past_end": deliver(bytes([40, 0, 3, 1, 2, 1]), esm_class=0x40),
        "sm_length_zero_udhi": deliver(b"", esm_class=0x40),
        "unknown_command": pdu(0x00000123, 5, b""),
        "data_sm": pdu(0x00000103, 6, b"\0\x01\x01123\0\x00\x01456\0\x00\x00\x00"),
    }


def write(name, seeds):
    d = HERE / name
    d.mkdir(exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for key, data in seeds.items():
        (d / key).write_bytes(data)


def main():
    g = golden()
    all_pdus = {**g, **handmade()}
    write("fuzz_deliver_sm", all_pdus)

    framer = {}
    stream = b"".join(g.values())
    framer["golden_stream_whole"] = stream + bytes([0, 0])  # no cuts, default cap
    framer["golden_stream_cuts"] = stream + bytes([1, 3, 7, 5, 4, 0])  # cuts 5,7,3,1; default cap
    framer["bad_length_small"] = g["enquire_link"] + struct.pack(">I", 15) + bytes(12) + bytes([0, 0])
    framer["bad_length_big"] = g["enquire_link"] + struct.pack(">I", 0xFFFFFFFF) + bytes(12) + bytes([0, 0])
    framer["partial_tail"] = g["deliver_sm_sar"] + g["submit_sm"][:30] + bytes([2, 1, 0])
    framer["header_only_cap16"] = g["enquire_link"] * 3 + bytes([0, 1])
    write("fuzz_framer", framer)

    text = {}
    for key, data in all_pdus.items():
        if data[4:8] != b"\x00\x00\x00\x05":
            continue
        body = data[16:]
        # short_message starts after the mandatory fields; find it by walking them.
        pos = body.index(b"\0") + 1 + 2
        pos = body.index(b"\0", pos) + 1 + 2
        pos = body.index(b"\0", pos) + 1 + 3
        pos = body.index(b"\0", pos) + 1
        pos = body.index(b"\0", pos) + 1
        dcs = body[pos + 2]
        sm_len = body[pos + 4]
        sm = body[pos + 5:pos + 5 + sm_len]
        if sm:
            text[key] = sm + bytes([67]) + struct.pack("<H", sm_len) + bytes([dcs])
    text["gsm7_escapes"] = bytes([0x1B, 0x65, 0x41, 0x1B, 0x3C, 0x1B, 0x1B, 0x1B]) + bytes([3, 0, 0, 0])
    text["ucs2_pairs"] = "a🎁b🎁".encode("utf-16-be") + b"\xd8\x3d" + bytes([2, 0, 0, 8])
    text["packed_hello"] = bytes([0xE8, 0x32, 0x9B, 0xFD, 0x06]) + bytes([10, 0, 5, 0])
    write("fuzz_text", text)


if __name__ == "__main__":
    main()
