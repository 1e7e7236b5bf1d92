// Tests of the bounds-checked SMPP 3.4 decoder: golden PDUs field by field, one regression per
// bug class, and one test per limit.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "smish/gateway/codec.hpp"
#include "support.hpp"

using namespace smish::gateway::smpp;
using smish::test::hex;

namespace {

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

/// Builds PDU bodies field by field.
struct Bytes {
  std::string s;
  Bytes& c(std::string_view v) {
    s.append(v);
    s.push_back('\0');
    return *this;
  }
  Bytes& raw(std::string_view v) {
    s.append(v);
    return *this;
  }
  Bytes& u8(unsigned v) {
    s.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& u16(unsigned v) { return u8(v >> 8).u8(v & 0xff); }
  Bytes& tlv(unsigned tag, std::string_view v) {
    return u16(tag).u16(static_cast<unsigned>(v.size())).raw(v);
  }
};

std::string make_pdu(std::uint32_t id, std::uint32_t status, std::uint32_t seq,
                     std::string_view body) {
  Bytes b;
  const auto len = static_cast<std::uint32_t>(16 + body.size());
  for (std::uint32_t v : {len, id, status, seq}) b.u16(v >> 16).u16(v & 0xffff);
  return b.raw(body).s;
}

/// deliver_sm mandatory fields up to (not including) sm_length.
Bytes deliver_fields(std::string_view validity = "") {
  Bytes b;
  b.c("").u8(1).u8(1).c("37120000001").u8(0).u8(1).c("12250").u8(0).u8(0).u8(0).c("").c(validity);
  return b.u8(0).u8(0).u8(0).u8(0);
}

std::string deliver(std::string_view sm, std::string_view tlvs = "") {
  Bytes b = deliver_fields();
  b.u8(static_cast<unsigned>(sm.size())).raw(sm).raw(tlvs);
  return make_pdu(kDeliverSm, 0, 9, b.s);
}

const SmBody& sm_of(const DecodeResult& r) {
  REQUIRE(std::holds_alternative<SmBody>(r.pdu.body));
  return std::get<SmBody>(r.pdu.body);
}

void check_error(const DecodeResult& r, std::uint32_t status, bool nack = false) {
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.error.detail.empty());
  CHECK(r.error.command_status == status);
  CHECK(r.error.generic_nack == nack);
  CHECK(std::holds_alternative<std::monostate>(r.pdu.body));
}

}  // namespace

TEST_SUITE("gateway/decoder") {
  TEST_CASE("golden bind_transceiver decodes field by field") {
    const DecodeResult r = decode_pdu(golden("bind_transceiver"));
    REQUIRE(r.ok());
    CHECK(r.pdu.header.command_length == 37);
    CHECK(r.pdu.header.command_id == kBindTransceiver);
    CHECK(r.pdu.header.command_status == kEsmeRok);
    CHECK(r.pdu.header.sequence_number == 1);
    REQUIRE(std::holds_alternative<BindBody>(r.pdu.body));
    const auto& b = std::get<BindBody>(r.pdu.body);
    CHECK(b.system_id == "scamgw");
    CHECK(b.password == "secret12");
    CHECK(b.system_type == "");
    CHECK(b.interface_version == 0x34);
    CHECK(b.addr_ton == 0);
    CHECK(b.addr_npi == 0);
    CHECK(b.address_range == "");
  }

  TEST_CASE("golden bind_transceiver_resp decodes with sc_interface_version") {
    const DecodeResult r = decode_pdu(golden("bind_transceiver_resp"));
    REQUIRE(r.ok());
    CHECK(r.pdu.header.command_id == kBindTransceiverResp);
    CHECK(r.pdu.header.sequence_number == 1);
    REQUIRE(std::holds_alternative<BindRespBody>(r.pdu.body));
    const auto& b = std::get<BindRespBody>(r.pdu.body);
    CHECK(b.system_id == "SMSC");
    REQUIRE(b.sc_interface_version.has_value());
    CHECK(*b.sc_interface_version == 0x34);
  }

  TEST_CASE("golden enquire_link and generic_nack decode to header-only PDUs") {
    const DecodeResult e = decode_pdu(golden("enquire_link"));
    REQUIRE(e.ok());
    CHECK(e.pdu.header.command_id == kEnquireLink);
    CHECK(e.pdu.header.sequence_number == 2);
    CHECK(std::holds_alternative<std::monostate>(e.pdu.body));
    const DecodeResult g = decode_pdu(golden("generic_nack"));
    REQUIRE(g.ok());
    CHECK(g.pdu.header.command_id == kGenericNack);
    CHECK(g.pdu.header.command_status == kEsmeRinvcmdid);
    CHECK(g.pdu.header.sequence_number == 5);
    CHECK(std::holds_alternative<std::monostate>(g.pdu.body));
  }

  TEST_CASE("golden deliver_sm with UDHI keeps the UDH inside short_message") {
    const DecodeResult r = decode_pdu(golden("deliver_sm_udhi"));
    REQUIRE(r.ok());
    CHECK(r.pdu.header.command_id == kDeliverSm);
    CHECK(r.pdu.header.sequence_number == 7);
    const SmBody& s = sm_of(r);
    CHECK(s.service_type == "");
    CHECK(s.source_addr_ton == 1);
    CHECK(s.source_addr_npi == 1);
    CHECK(s.source_addr == "37120000001");
    CHECK(s.dest_addr_ton == 0);
    CHECK(s.dest_addr_npi == 1);
    CHECK(s.destination_addr == "12250");
    CHECK(s.esm_class == kEsmClassUdhi);
    CHECK(s.protocol_id == 0);
    CHECK(s.priority_flag == 0);
    CHECK(s.schedule_delivery_time == "");
    CHECK(s.validity_period == "");
    CHECK(s.registered_delivery == 0);
    CHECK(s.replace_if_present_flag == 0);
    CHECK(s.data_coding == 8);
    CHECK(s.sm_default_msg_id == 0);
    CHECK(s.short_message == hex("0500032a0201 0048 0069"));
    CHECK(s.tlvs.empty());
  }

  TEST_CASE("golden deliver_sm with SAR TLVs keeps them in wire order") {
    const DecodeResult r = decode_pdu(golden("deliver_sm_sar"));
    REQUIRE(r.ok());
    const SmBody& s = sm_of(r);
    CHECK(r.pdu.header.sequence_number == 8);
    CHECK(s.esm_class == 0);
    CHECK(s.short_message == "Part one");
    REQUIRE(s.tlvs.size() == 3);
    CHECK(s.tlvs[0].tag == kTagSarMsgRefNum);
    CHECK(s.tlvs[0].value == hex("1234"));
    CHECK(s.tlvs[1].tag == kTagSarTotalSegments);
    CHECK(s.tlvs[1].value == hex("02"));
    CHECK(s.tlvs[2].tag == kTagSarSegmentSeqnum);
    CHECK(s.tlvs[2].value == hex("01"));
    CHECK(s.find_tlv(kTagSarTotalSegments) == &s.tlvs[1]);
    CHECK(s.find_tlv(kTagMessagePayload) == nullptr);
  }

  TEST_CASE("golden deliver_sm with message_payload has an empty short_message") {
    const DecodeResult r = decode_pdu(golden("deliver_sm_payload"));
    REQUIRE(r.ok());
    const SmBody& s = sm_of(r);
    CHECK(s.short_message.empty());
    REQUIRE(s.tlvs.size() == 1);
    const Tlv* p = s.find_tlv(kTagMessagePayload);
    REQUIRE(p != nullptr);
    CHECK(p->value == "Your parcel is waiting: http://scam.example/lv");
  }

  TEST_CASE("golden submit_sm decodes with its validity_period") {
    const DecodeResult r = decode_pdu(golden("submit_sm"));
    REQUIRE(r.ok());
    CHECK(r.pdu.header.command_id == kSubmitSm);
    CHECK(r.pdu.header.sequence_number == 3);
    const SmBody& s = sm_of(r);
    CHECK(s.source_addr_ton == 3);
    CHECK(s.source_addr_npi == 1);
    CHECK(s.source_addr == "12250");
    CHECK(s.dest_addr_ton == 1);
    CHECK(s.dest_addr_npi == 1);
    CHECK(s.destination_addr == "37120000001");
    CHECK(s.schedule_delivery_time == "");
    CHECK(s.validity_period == "000001000000000R");
    CHECK(s.data_coding == 0);
    CHECK(s.short_message == "Thanks, report received.");
    CHECK(s.tlvs.empty());
  }

  TEST_CASE("golden submit_sm_resp decodes its message_id") {
    const DecodeResult r = decode_pdu(golden("submit_sm_resp"));
    REQUIRE(r.ok());
    CHECK(r.pdu.header.command_id == kSubmitSmResp);
    CHECK(r.pdu.header.sequence_number == 3);
    REQUIRE(std::holds_alternative<SmRespBody>(r.pdu.body));
    CHECK(std::get<SmRespBody>(r.pdu.body).message_id == "5f3a9c01");
  }

  TEST_CASE("bind_transmitter and bind_receiver decode into BindBody") {
    for (std::uint32_t id : {kBindTransmitter, kBindReceiver}) {
      SUBCASE(command_name(id).c_str()) {
        const std::string body =
            Bytes{}.c("esme").c("pw").c("VMA").u8(0x34).u8(1).u8(1).c("^371").s;
        const DecodeResult r = decode_pdu(make_pdu(id, 0, 4, body));
        REQUIRE(r.ok());
        REQUIRE(std::holds_alternative<BindBody>(r.pdu.body));
        const auto& b = std::get<BindBody>(r.pdu.body);
        CHECK(b.system_id == "esme");
        CHECK(b.password == "pw");
        CHECK(b.system_type == "VMA");
        CHECK(b.addr_ton == 1);
        CHECK(b.addr_npi == 1);
        CHECK(b.address_range == "^371");
      }
    }
  }

  TEST_CASE("regression: unknown command_id gives generic_nack ESME_RINVCMDID") {
    const DecodeResult r = decode_pdu(make_pdu(0x00000099, 0, 77, ""));
    check_error(r, kEsmeRinvcmdid, true);
    CHECK(r.pdu.header.sequence_number == 77);  // the generic_nack echoes it
  }

  TEST_CASE("known commands smishd does not implement give generic_nack, data_sm a data_sm_resp") {
    check_error(decode_pdu(make_pdu(kQuerySm, 0, 1, Bytes{}.c("id").u8(0).u8(0).c("1").s)),
                kEsmeRinvcmdid, true);
    check_error(decode_pdu(make_pdu(kOutbind, 0, 1, Bytes{}.c("a").c("b").s)), kEsmeRinvcmdid,
                true);
    // data_sm exists in SMPP 3.4: answered with data_sm_resp(ESME_RINVCMDID), not generic_nack.
    check_error(decode_pdu(make_pdu(kDataSm, 0, 1, "")), kEsmeRinvcmdid, false);
  }

  TEST_CASE("regression: a C-octet string without NUL is refused with the field's status") {
    struct Row {
      const char* name;
      std::string pdu;
      std::uint32_t status;
    };
    const std::string long21(21, '7');
    const Row rows[] = {
        {"system_id runs to the PDU end", make_pdu(kBindTransceiver, 0, 1, "scam"), kEsmeRinvsysid},
        {"system_id of 16 chars",
         make_pdu(kBindTransceiver, 0, 1,
                  Bytes{}.c(std::string(16, 'a')).c("").c("").u8(0x34).u8(0).u8(0).c("").s),
         kEsmeRinvsysid},
        {"password of 9 chars",
         make_pdu(kBindTransceiver, 0, 1,
                  Bytes{}.c("a").c("123456789").c("").u8(0x34).u8(0).u8(0).c("").s),
         kEsmeRinvpaswd},
        {"system_type of 13 chars",
         make_pdu(kBindTransceiver, 0, 1,
                  Bytes{}.c("a").c("").c(std::string(13, 't')).u8(0x34).u8(0).u8(0).c("").s),
         0x53},
        {"address_range of 41 chars",
         make_pdu(kBindTransceiver, 0, 1,
                  Bytes{}.c("a").c("").c("").u8(0x34).u8(0).u8(0).c(std::string(41, '1')).s),
         kEsmeRinvmsglen},
        {"service_type of 6 chars",
         make_pdu(kDeliverSm, 0, 1, Bytes{}.c("CMTXXX").u8(1).u8(1).c("371").s), 0x15},
        {"source_addr of 21 chars",
         make_pdu(kDeliverSm, 0, 1, Bytes{}.c("").u8(1).u8(1).c(long21).s), kEsmeRinvsrcadr},
        {"destination_addr runs to the PDU end",
         make_pdu(kDeliverSm, 0, 1, Bytes{}.c("").u8(1).u8(1).c("371").u8(0).u8(1).raw("12250").s),
         kEsmeRinvdstadr},
        {"message_id of 65 chars", make_pdu(kSubmitSmResp, 0, 1, Bytes{}.c(std::string(65, 'f')).s),
         0x0C},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) { check_error(decode_pdu(row.pdu), row.status); }
    }
  }

  TEST_CASE("C-octet strings at their SMPP 3.4 maximum are accepted") {
    const std::string body = Bytes{}
                                 .c(std::string(15, 's'))
                                 .c(std::string(8, 'p'))
                                 .c(std::string(12, 't'))
                                 .u8(0x34)
                                 .u8(0)
                                 .u8(0)
                                 .c(std::string(40, '1'))
                                 .s;
    const DecodeResult r = decode_pdu(make_pdu(kBindTransceiver, 0, 1, body));
    REQUIRE(r.ok());
    CHECK(std::get<BindBody>(r.pdu.body).system_id.size() == 15);
    CHECK(std::get<BindBody>(r.pdu.body).address_range.size() == 40);
  }

  TEST_CASE("regression: sm_length past the end of the body is refused") {
    Bytes b = deliver_fields();
    b.u8(10).raw("short");
    check_error(decode_pdu(make_pdu(kDeliverSm, 0, 1, b.s)), kEsmeRinvmsglen);
  }

  TEST_CASE("sm_length limit: 254 is accepted, 255 is refused") {
    SUBCASE("254") {
      const DecodeResult r = decode_pdu(deliver(std::string(254, 'x')));
      REQUIRE(r.ok());
      CHECK(sm_of(r).short_message.size() == 254);
    }
    SUBCASE("255") { check_error(decode_pdu(deliver(std::string(255, 'x'))), kEsmeRinvmsglen); }
  }

  TEST_CASE("regression: a TLV overrunning the PDU end is refused") {
    SUBCASE("value overrun") {
      check_error(decode_pdu(deliver("", Bytes{}.u16(kTagMessagePayload).u16(0xffff).raw("ab").s)),
                  kEsmeRinvoptparstream);
    }
    SUBCASE("value one octet short") {
      check_error(decode_pdu(deliver("", Bytes{}.u16(0x1401).u16(3).raw("ab").s)),
                  kEsmeRinvoptparstream);
    }
    SUBCASE("partial TLV header") {
      check_error(decode_pdu(deliver("hi", Bytes{}.tlv(0x1401, "v").u16(0x1402).s)),
                  kEsmeRinvoptparstream);
    }
  }

  TEST_CASE("regression: a duplicate known TLV is refused, a repeated vendor TLV is kept") {
    SUBCASE("sar_msg_ref_num twice") {
      const std::string t =
          Bytes{}.tlv(kTagSarMsgRefNum, hex("0001")).tlv(kTagSarMsgRefNum, hex("0002")).s;
      check_error(decode_pdu(deliver("x", t)), kEsmeRinvoptparstream);
    }
    SUBCASE("message_payload twice") {
      const std::string t = Bytes{}.tlv(kTagMessagePayload, "a").tlv(kTagMessagePayload, "b").s;
      check_error(decode_pdu(deliver("", t)), kEsmeRinvoptparstream);
    }
    SUBCASE("vendor 0x1401 twice") {
      const DecodeResult r = decode_pdu(deliver("x", Bytes{}.tlv(0x1401, "a").tlv(0x1401, "b").s));
      REQUIRE(r.ok());
      REQUIRE(sm_of(r).tlvs.size() == 2);
      CHECK(sm_of(r).tlvs[0].value == "a");
      CHECK(sm_of(r).tlvs[1].value == "b");
    }
  }

  TEST_CASE("known TLVs with a wrong length give ESME_RINVPARLEN") {
    struct Row {
      const char* name;
      std::uint16_t tag;
      std::string value;
    };
    const Row rows[] = {
        {"sar_msg_ref_num length 1", kTagSarMsgRefNum, hex("01")},
        {"sar_msg_ref_num length 4", kTagSarMsgRefNum, hex("00000001")},
        {"sar_msg_ref_num length 0", kTagSarMsgRefNum, ""},
        {"sar_total_segments length 2", kTagSarTotalSegments, hex("0002")},
        {"sar_segment_seqnum length 0", kTagSarSegmentSeqnum, ""},
        {"message_state length 2", kTagMessageState, hex("0002")},
        {"receipted_message_id length 66", kTagReceiptedMessageId, std::string(66, 'a')},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        check_error(decode_pdu(deliver("x", Bytes{}.tlv(row.tag, row.value).s)), kEsmeRinvparlen);
      }
    }
  }

  TEST_CASE("regression: short_message and message_payload both set are refused") {
    check_error(decode_pdu(deliver("hello", Bytes{}.tlv(kTagMessagePayload, "world").s)),
                kEsmeRinvoptparstream);
  }

  TEST_CASE("regression: 64 vendor TLVs are valid and all decoded in order") {
    Bytes t;
    for (unsigned i = 0; i < 64; ++i) t.tlv(0x1400 + i, std::string(1, static_cast<char>(i)));
    const DecodeResult r = decode_pdu(deliver("x", t.s));
    REQUIRE(r.ok());
    const SmBody& s = sm_of(r);
    REQUIRE(s.tlvs.size() == 64);
    for (unsigned i = 0; i < 64; ++i) {
      CHECK(s.tlvs[i].tag == 0x1400 + i);
      CHECK(s.tlvs[i].value == std::string(1, static_cast<char>(i)));
    }
  }

  TEST_CASE("regression: 65 TLVs exceed the default limit of 64") {
    Bytes t;
    for (unsigned i = 0; i < 65; ++i) t.tlv(0x1401, "");
    check_error(decode_pdu(deliver("x", t.s)), kEsmeRinvoptparstream);
  }

  TEST_CASE("limits.max_tlvs is honoured") {
    const std::string pdu = deliver("x", Bytes{}.tlv(0x1401, "").tlv(0x1402, "").tlv(0x1403, "").s);
    CHECK(decode_pdu(pdu, DecodeLimits{3}).ok());
    check_error(decode_pdu(pdu, DecodeLimits{2}), kEsmeRinvoptparstream);
  }

  TEST_CASE("regression: a 2000-octet message_payload is valid") {
    const std::string payload(2000, 'A');
    const DecodeResult r = decode_pdu(deliver("", Bytes{}.tlv(kTagMessagePayload, payload).s));
    REQUIRE(r.ok());
    REQUIRE(sm_of(r).find_tlv(kTagMessagePayload) != nullptr);
    CHECK(sm_of(r).find_tlv(kTagMessagePayload)->value == payload);
  }

  TEST_CASE("regression: sequence_number 0 is accepted") {
    for (std::uint32_t id : {kGenericNack, kEnquireLink, kDeliverSm}) {
      SUBCASE(command_name(id).c_str()) {
        std::string pdu = id == kDeliverSm ? deliver("x") : make_pdu(id, 0, 0, "");
        pdu.replace(12, 4, std::string(4, '\0'));
        const DecodeResult r = decode_pdu(pdu);
        CHECK(r.ok());
        CHECK(r.pdu.header.sequence_number == 0);
      }
    }
  }

  TEST_CASE("regression: vendor command_status 0x400 in a submit_sm_resp is valid") {
    SUBCASE("header only") {
      const DecodeResult r = decode_pdu(make_pdu(kSubmitSmResp, 0x400, 12, ""));
      REQUIRE(r.ok());
      CHECK(r.pdu.header.command_status == 0x400);
      CHECK(r.pdu.header.sequence_number == 12);
      CHECK(std::holds_alternative<std::monostate>(r.pdu.body));
    }
    SUBCASE("with a message_id") {
      const DecodeResult r = decode_pdu(make_pdu(kSubmitSmResp, 0x4ff, 12, Bytes{}.c("").s));
      REQUIRE(r.ok());
      CHECK(r.pdu.header.command_status == 0x4ff);
      CHECK(std::get<SmRespBody>(r.pdu.body).message_id == "");
    }
  }

  TEST_CASE("error responses without a body are accepted, a ROK response needs its body") {
    SUBCASE("bind_transceiver_resp ESME_RINVPASWD header only") {
      const DecodeResult r = decode_pdu(make_pdu(kBindTransceiverResp, kEsmeRinvpaswd, 1, ""));
      REQUIRE(r.ok());
      CHECK(std::holds_alternative<std::monostate>(r.pdu.body));
    }
    SUBCASE("bind_transceiver_resp ESME_ROK header only") {
      check_error(decode_pdu(make_pdu(kBindTransceiverResp, 0, 1, "")), kEsmeRinvsysid);
    }
    SUBCASE("submit_sm_resp ESME_RTHROTTLED header only") {
      CHECK(decode_pdu(make_pdu(kSubmitSmResp, kEsmeRthrottled, 1, "")).ok());
    }
    SUBCASE("submit_sm_resp ESME_ROK header only") {
      check_error(decode_pdu(make_pdu(kSubmitSmResp, 0, 1, "")), 0x0C);
    }
    SUBCASE("deliver_sm_resp header only and with its NUL") {
      CHECK(decode_pdu(make_pdu(kDeliverSmResp, 0, 1, "")).ok());
      const DecodeResult r = decode_pdu(make_pdu(kDeliverSmResp, kEsmeRxTAppn, 1, Bytes{}.c("").s));
      REQUIRE(r.ok());
      CHECK(std::get<SmRespBody>(r.pdu.body).message_id == "");
    }
    SUBCASE("data_sm_resp with TLVs") {
      const DecodeResult r =
          decode_pdu(make_pdu(kDataSmResp, 0, 1, Bytes{}.c("m1").tlv(0x0425, hex("01")).s));
      REQUIRE(r.ok());
      CHECK(std::get<SmRespBody>(r.pdu.body).message_id == "m1");
    }
  }

  TEST_CASE("bodies where none or less is allowed give ESME_RINVCMDLEN") {
    SUBCASE("enquire_link with a body") {
      check_error(decode_pdu(make_pdu(kEnquireLink, 0, 1, "x")), kEsmeRinvcmdlen);
    }
    SUBCASE("unbind with a body") {
      check_error(decode_pdu(make_pdu(kUnbind, 0, 1, std::string(1, '\0'))), kEsmeRinvcmdlen);
    }
    SUBCASE("submit_sm_resp with trailing octets") {
      check_error(decode_pdu(make_pdu(kSubmitSmResp, 0, 1, Bytes{}.c("id").raw("zz").s)),
                  kEsmeRinvcmdlen);
    }
    SUBCASE("bind_transceiver with a trailing TLV") {
      const std::string body =
          Bytes{}.c("a").c("").c("").u8(0x34).u8(0).u8(0).c("").tlv(0x1401, "v").s;
      check_error(decode_pdu(make_pdu(kBindTransceiver, 0, 1, body)), kEsmeRinvcmdlen);
    }
    SUBCASE("bind_transceiver cut inside interface_version") {
      check_error(decode_pdu(make_pdu(kBindTransceiver, 0, 1, Bytes{}.c("a").c("").c("").s)),
                  kEsmeRinvcmdlen);
    }
  }

  TEST_CASE("bad headers give generic_nack ESME_RINVCMDLEN") {
    SUBCASE("fewer than 16 octets") {
      check_error(decode_pdu(hex("00000010 00000015 0000")), kEsmeRinvcmdlen, true);
    }
    SUBCASE("command_length disagrees with the octets given") {
      std::string pdu = golden("enquire_link") + "x";
      check_error(decode_pdu(pdu), kEsmeRinvcmdlen, true);
    }
  }

  TEST_CASE("schedule_delivery_time and validity_period must be empty or 16 characters") {
    SUBCASE("deliver_sm validity_period set is accepted") {
      Bytes b = deliver_fields("000001000000000R");
      b.u8(1).raw("x");
      const DecodeResult r = decode_pdu(make_pdu(kDeliverSm, 0, 1, b.s));
      REQUIRE(r.ok());
      CHECK(sm_of(r).validity_period == "000001000000000R");
    }
    SUBCASE("validity_period of 5 characters") {
      Bytes b = deliver_fields("00000");
      b.u8(0);
      check_error(decode_pdu(make_pdu(kDeliverSm, 0, 1, b.s)), 0x62);
    }
    SUBCASE("schedule_delivery_time of 17 characters") {
      Bytes b;
      b.c("").u8(1).u8(1).c("1").u8(1).u8(1).c("2").u8(0).u8(0).u8(0).c(std::string(17, '0'));
      check_error(decode_pdu(make_pdu(kSubmitSm, 0, 1, b.s)), 0x61);
    }
  }

  TEST_CASE("every truncation of a deliver_sm is refused unless it ends on a TLV boundary") {
    const std::string full = golden("deliver_sm_sar");
    const std::size_t mandatory_end = full.size() - 16;  // three TLVs: 6 + 5 + 5 octets
    for (std::size_t n = 16; n <= full.size(); ++n) {
      CAPTURE(n);
      // An exactly-sized copy with command_length = n, so a sanitizer sees any over-read.
      std::string pdu = full.substr(0, n);
      pdu.replace(0, 4, make_pdu(0, 0, 0, std::string(n - 16, '\0')).substr(0, 4));
      const DecodeResult r = decode_pdu(pdu);
      const bool boundary = n == mandatory_end || n == mandatory_end + 6 ||
                            n == mandatory_end + 11 || n == full.size();
      CHECK(r.ok() == boundary);
      CHECK(r.ok() == r.error.detail.empty());
      if (r.ok()) CHECK(sm_of(r).short_message == "Part one");
    }
  }
}
