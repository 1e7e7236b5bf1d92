// Regression tests for make_segment: a decoded deliver_sm to the InboundSegment the ack path stores
// (user data from short_message or message_payload, the UDH removed, concatenation from UDH or
// SAR).
#include "smish/gateway/segment.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/codec.hpp"
#include "support.hpp"

namespace {

using namespace smish::gateway::smpp;
using smish::core::ConcatSource;
using smish::core::ErrorCode;
using smish::core::InboundSegment;
using smish::core::Result;
using smish::gateway::make_segment;
using smish::test::hex;

constexpr std::int64_t kReceivedMs = 1'763'769'600'123;

/// A deliver_sm body from a subscriber to the report number, GSM 7-bit unpacked.
SmBody body(std::string short_message = "Hi", std::uint8_t esm_class = 0) {
  SmBody b;
  b.source_addr_ton = 1;
  b.source_addr_npi = 1;
  b.source_addr = "37120000001";
  b.dest_addr_ton = 0;
  b.dest_addr_npi = 1;
  b.destination_addr = "12250";
  b.esm_class = esm_class;
  b.short_message = std::move(short_message);
  return b;
}

Tlv tlv(std::uint16_t tag, std::string value) { return Tlv{tag, std::move(value)}; }
Tlv sar_ref(std::uint16_t ref) {
  return tlv(kTagSarMsgRefNum,
             std::string{static_cast<char>(ref >> 8), static_cast<char>(ref & 0xFF)});
}
Tlv sar_total(unsigned n) {
  return tlv(kTagSarTotalSegments, std::string(1, static_cast<char>(n)));
}
Tlv sar_seq(unsigned n) { return tlv(kTagSarSegmentSeqnum, std::string(1, static_cast<char>(n))); }

Result<InboundSegment> segment(const SmBody& b, std::string_view raw = "raw") {
  return make_segment(b, raw, "it-smsc", kReceivedMs);
}

void check_invalid(const Result<InboundSegment>& r) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK_FALSE(r.error().detail.empty());
}

/// tests/data/pdus/<name>.hex without its '#' comment lines.
std::string golden(const std::string& name) {
  std::istringstream in(
      smish::test::read_file(smish::test::source_dir() / "tests/data/pdus" / (name + ".hex")));
  std::string line, digits;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') digits += line;
  }
  return hex(digits);
}

}  // namespace

TEST_SUITE("gateway/segment") {
  TEST_CASE("a plain deliver_sm keeps its fields, raw PDU and time, and has no concatenation") {
    SmBody b = body("Your parcel is held");
    b.protocol_id = 0x3F;
    b.data_coding = 0x03;
    const auto seg = segment(b, "the raw octets");
    REQUIRE(seg.has_value());
    CHECK(seg->smsc == "it-smsc");
    CHECK(seg->source.ton == 1);
    CHECK(seg->source.npi == 1);
    CHECK(seg->source.addr == "37120000001");
    CHECK(seg->dest.ton == 0);
    CHECK(seg->dest.addr == "12250");
    CHECK(seg->esm_class == 0);
    CHECK(seg->protocol_id == 0x3F);
    CHECK(seg->data_coding == 0x03);
    CHECK(seg->user_data == "Your parcel is held");
    CHECK(seg->raw_pdu == "the raw octets");
    CHECK(seg->received_ms == kReceivedMs);
    CHECK_FALSE(seg->concat.has_value());
  }

  TEST_CASE("regression: sm_length 0 with UDHI and no message_payload is refused") {
    check_invalid(segment(body("", kEsmClassUdhi)));
  }

  TEST_CASE("regression: sm_length 0 with UDHI and an empty message_payload is refused") {
    SmBody b = body("", kEsmClassUdhi);
    b.tlvs.push_back(tlv(kTagMessagePayload, ""));
    check_invalid(segment(b));
  }

  TEST_CASE("regression: a UDH length past sm_length is refused") {
    SUBCASE("UDHL one octet past the end") {
      check_invalid(segment(body(hex("05 00 03 2A 02"), kEsmClassUdhi)));
    }
    SUBCASE("UDHL 0xFF on a short message") {
      check_invalid(segment(body(hex("FF 00 03 2A 02 01 41"), kEsmClassUdhi)));
    }
    SUBCASE("an IE running past the UDHL") {
      check_invalid(segment(body(hex("03 00 03 2A  41 42 43"), kEsmClassUdhi)));
    }
    SUBCASE("the same inside message_payload") {
      SmBody b = body("", kEsmClassUdhi);
      b.tlvs.push_back(tlv(kTagMessagePayload, hex("0B 00 03 2A 02 01")));
      check_invalid(segment(b));
    }
  }

  TEST_CASE("a UDH exactly as long as the message leaves empty user data") {
    const auto seg = segment(body(hex("05 00 03 2A 02 01"), kEsmClassUdhi));
    REQUIRE(seg.has_value());
    CHECK(seg->user_data.empty());
    REQUIRE(seg->concat.has_value());
    CHECK(seg->concat->seq == 1);
  }

  TEST_CASE("regression: an incomplete SAR triple is refused") {
    struct Row {
      const char* name;
      bool ref, total, seq;
    };
    const Row rows[] = {
        {"ref only", true, false, false},   {"total only", false, true, false},
        {"seq only", false, false, true},   {"ref and total", true, true, false},
        {"ref and seq", true, false, true}, {"total and seq", false, true, true},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        SmBody b = body("Part one");
        if (row.ref) b.tlvs.push_back(sar_ref(0x1234));
        if (row.total) b.tlvs.push_back(sar_total(2));
        if (row.seq) b.tlvs.push_back(sar_seq(1));
        check_invalid(segment(b));
      }
    }
  }

  TEST_CASE("SAR values out of range or of the wrong width are refused") {
    struct Row {
      const char* name;
      Tlv ref, total, seq;
    };
    const Row rows[] = {
        {"seq 0", sar_ref(7), sar_total(2), sar_seq(0)},
        {"total 0", sar_ref(7), sar_total(0), sar_seq(0)},
        {"seq > total", sar_ref(7), sar_total(2), sar_seq(3)},
        {"ref of 1 octet", tlv(kTagSarMsgRefNum, "\x07"), sar_total(2), sar_seq(1)},
        {"total of 2 octets", sar_ref(7), tlv(kTagSarTotalSegments, std::string("\x00\x02", 2)),
         sar_seq(1)},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        SmBody b = body("Part");
        b.tlvs = {row.ref, row.total, row.seq};
        check_invalid(segment(b));
      }
    }
  }

  TEST_CASE("a complete SAR triple gives the concatenation facts, in any TLV order") {
    SmBody b = body("Part two");
    b.tlvs = {sar_seq(2), tlv(0x1401, "vendor"), sar_total(3), sar_ref(0xBEEF)};
    const auto seg = segment(b);
    REQUIRE(seg.has_value());
    REQUIRE(seg->concat.has_value());
    CHECK(seg->concat->source == ConcatSource::Sar);
    CHECK(seg->concat->ref == 0xBEEF);
    CHECK(seg->concat->total == 3);
    CHECK(seg->concat->seq == 2);
    CHECK(seg->user_data == "Part two");
  }

  TEST_CASE("regression: with SAR TLVs and a UDH concatenation IE both present, the UDH wins") {
    SmBody b = body(hex("05 00 03 2A 03 02") + "mid", kEsmClassUdhi);
    b.tlvs = {sar_ref(0x1234), sar_total(2), sar_seq(1)};
    const auto seg = segment(b);
    REQUIRE(seg.has_value());
    REQUIRE(seg->concat.has_value());
    CHECK(seg->concat->source == ConcatSource::Udh8);
    CHECK(seg->concat->ref == 0x2A);
    CHECK(seg->concat->total == 3);
    CHECK(seg->concat->seq == 2);
    CHECK(seg->user_data == "mid");
  }

  TEST_CASE("SAR applies when the UDH carries no concatenation IE") {
    // UDH with only a port-addressing IE (0x05, 4 octets), then the SAR triple.
    SmBody b = body(hex("06 05 04 0B 84 23 F0") + "text", kEsmClassUdhi);
    b.tlvs = {sar_ref(0x0102), sar_total(2), sar_seq(2)};
    const auto seg = segment(b);
    REQUIRE(seg.has_value());
    CHECK(seg->user_data == "text");
    REQUIRE(seg->concat.has_value());
    CHECK(seg->concat->source == ConcatSource::Sar);
    CHECK(seg->concat->ref == 0x0102);
    CHECK(seg->concat->seq == 2);
  }

  TEST_CASE("an incomplete SAR triple is refused even when a UDH concatenation IE is present") {
    SmBody b = body(hex("05 00 03 2A 03 02") + "mid", kEsmClassUdhi);
    b.tlvs = {sar_ref(0x1234)};
    check_invalid(segment(b));
  }

  TEST_CASE("regression: message_payload is the user data when sm_length is 0") {
    SUBCASE("without UDHI") {
      SmBody b = body("");
      b.tlvs.push_back(tlv(kTagMessagePayload, "Your parcel is waiting: http://scam.example/lv"));
      const auto seg = segment(b);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data == "Your parcel is waiting: http://scam.example/lv");
      CHECK_FALSE(seg->concat.has_value());
    }
    SUBCASE("with UDHI: the UDH is read from message_payload") {
      SmBody b = body("", kEsmClassUdhi);
      b.tlvs.push_back(tlv(kTagMessagePayload, hex("06 08 04 12 34 02 02") + "second half"));
      const auto seg = segment(b);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data == "second half");
      REQUIRE(seg->concat.has_value());
      CHECK(seg->concat->source == ConcatSource::Udh16);
      CHECK(seg->concat->ref == 0x1234);
      CHECK(seg->concat->seq == 2);
    }
    SUBCASE("a 2000-octet payload is kept whole") {
      SmBody b = body("");
      b.tlvs.push_back(tlv(kTagMessagePayload, std::string(2000, 'x')));
      const auto seg = segment(b);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data.size() == 2000);
    }
    SUBCASE("an empty payload gives an empty message") {
      SmBody b = body("");
      b.tlvs.push_back(tlv(kTagMessagePayload, ""));
      const auto seg = segment(b);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data.empty());
    }
  }

  TEST_CASE("regression: a one-part concatenation becomes a whole message") {
    SUBCASE("UDH 8-bit 1/1") {
      const auto seg = segment(body(hex("05 00 03 2A 01 01") + "whole", kEsmClassUdhi));
      REQUIRE(seg.has_value());
      CHECK_FALSE(seg->concat.has_value());
      CHECK(seg->user_data == "whole");
    }
    SUBCASE("UDH 16-bit 1/1") {
      const auto seg = segment(body(hex("06 08 04 12 34 01 01") + "whole", kEsmClassUdhi));
      REQUIRE(seg.has_value());
      CHECK_FALSE(seg->concat.has_value());
      CHECK(seg->user_data == "whole");
    }
    SUBCASE("SAR 1/1") {
      SmBody b = body("whole");
      b.tlvs = {sar_ref(9), sar_total(1), sar_seq(1)};
      const auto seg = segment(b);
      REQUIRE(seg.has_value());
      CHECK_FALSE(seg->concat.has_value());
      CHECK(seg->user_data == "whole");
    }
  }

  TEST_CASE("implausible UDH concatenation values leave the part a whole message") {
    // TS 23.040 §9.2.3.24.1: total 0, seq 0 or seq > total are ignored by the receiver.
    for (const char* udh : {"05 00 03 2A 00 00", "05 00 03 2A 02 00", "05 00 03 2A 02 03"}) {
      CAPTURE(udh);
      const auto seg = segment(body(hex(udh) + "x", kEsmClassUdhi));
      REQUIRE(seg.has_value());
      CHECK_FALSE(seg->concat.has_value());
      CHECK(seg->user_data == "x");
    }
  }

  TEST_CASE("without UDHI a short_message starting like a UDH is user data") {
    const auto seg = segment(body(hex("05 00 03 2A 02 01") + "x"));
    REQUIRE(seg.has_value());
    CHECK(seg->user_data == hex("05 00 03 2A 02 01") + "x");
    CHECK_FALSE(seg->concat.has_value());
  }

  TEST_CASE("golden deliver_sm PDUs decode into the expected segments") {
    SUBCASE("UDHI, UCS2, part 1/2 of ref 0x2A") {
      const std::string raw = golden("deliver_sm_udhi");
      const auto d = decode_pdu(raw);
      REQUIRE(d.ok());
      const auto seg = make_segment(std::get<SmBody>(d.pdu.body), raw, "it-smsc", kReceivedMs);
      REQUIRE(seg.has_value());
      CHECK(seg->raw_pdu == raw);
      CHECK(seg->data_coding == 0x08);
      CHECK(seg->user_data == hex("00 48 00 69"));
      REQUIRE(seg->concat.has_value());
      CHECK(seg->concat->source == ConcatSource::Udh8);
      CHECK(seg->concat->ref == 0x2A);
      CHECK(seg->concat->total == 2);
      CHECK(seg->concat->seq == 1);
    }
    SUBCASE("SAR part 1/2 of ref 0x1234") {
      const std::string raw = golden("deliver_sm_sar");
      const auto d = decode_pdu(raw);
      REQUIRE(d.ok());
      const auto seg = make_segment(std::get<SmBody>(d.pdu.body), raw, "it-smsc", kReceivedMs);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data == "Part one");
      REQUIRE(seg->concat.has_value());
      CHECK(seg->concat->source == ConcatSource::Sar);
      CHECK(seg->concat->ref == 0x1234);
    }
    SUBCASE("message_payload") {
      const std::string raw = golden("deliver_sm_payload");
      const auto d = decode_pdu(raw);
      REQUIRE(d.ok());
      const auto seg = make_segment(std::get<SmBody>(d.pdu.body), raw, "it-smsc", kReceivedMs);
      REQUIRE(seg.has_value());
      CHECK(seg->user_data == "Your parcel is waiting: http://scam.example/lv");
    }
  }

  TEST_CASE("a redelivered PDU has the same fingerprint; another part or reference does not") {
    const SmBody first = body(hex("05 00 03 2A 02 01") + "part", kEsmClassUdhi);
    const auto a = make_segment(first, "raw-1", "it-smsc", kReceivedMs);
    const auto again = make_segment(first, "raw-1 resent", "it-smsc", kReceivedMs + 5000);
    const auto seq2 = make_segment(body(hex("05 00 03 2A 02 02") + "part", kEsmClassUdhi), "raw-2",
                                   "it-smsc", kReceivedMs);
    const auto ref2 = make_segment(body(hex("05 00 03 2B 02 01") + "part", kEsmClassUdhi), "raw-3",
                                   "it-smsc", kReceivedMs);
    REQUIRE(a.has_value());
    REQUIRE(again.has_value());
    REQUIRE(seq2.has_value());
    REQUIRE(ref2.has_value());
    CHECK(a->fingerprint() == again->fingerprint());
    CHECK(a->fingerprint() != seq2->fingerprint());
    CHECK(a->fingerprint() != ref2->fingerprint());
  }
}
