// Tests of the SMPP 3.4 encoder: byte-exact golden output, encode->decode round trips, the cases
// libsmpp34 cannot express, and refusal (not truncation) of over-long fields.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "smish/gateway/codec.hpp"
#include "support.hpp"

using namespace smish::gateway::smpp;
using smish::core::ErrorCode;
using smish::test::hex;

namespace {

std::string golden(const std::string& name) {
  std::istringstream in(
      smish::test::read_file(smish::test::source_dir() / "tests/data/pdus" / (name + ".hex")));
  std::string line, digits;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') digits += line;
  }
  return hex(digits);
}

SmBody deliver_body() {
  SmBody s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 1;
  s.source_addr = "37120000001";
  s.dest_addr_ton = 0;
  s.dest_addr_npi = 1;
  s.destination_addr = "12250";
  return s;
}

SmBody submit_body() {
  SmBody s;
  s.source_addr_ton = 3;
  s.source_addr_npi = 1;
  s.source_addr = "12250";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "37120000001";
  s.validity_period = "000001000000000R";
  s.short_message = "Thanks, report received.";
  return s;
}

DecodeResult round_trip(const smish::core::Result<std::string>& encoded) {
  REQUIRE_MESSAGE(encoded.has_value(), (encoded.has_value() ? "" : encoded.error().message()));
  DecodeResult r = decode_pdu(*encoded);
  REQUIRE_MESSAGE(r.ok(), r.error.detail);
  CHECK(r.pdu.header.command_length == encoded->size());
  return r;
}

void check_same_sm(const SmBody& a, const SmBody& b) {
  CHECK(a.service_type == b.service_type);
  CHECK(a.source_addr_ton == b.source_addr_ton);
  CHECK(a.source_addr_npi == b.source_addr_npi);
  CHECK(a.source_addr == b.source_addr);
  CHECK(a.dest_addr_ton == b.dest_addr_ton);
  CHECK(a.dest_addr_npi == b.dest_addr_npi);
  CHECK(a.destination_addr == b.destination_addr);
  CHECK(a.esm_class == b.esm_class);
  CHECK(a.protocol_id == b.protocol_id);
  CHECK(a.priority_flag == b.priority_flag);
  CHECK(a.schedule_delivery_time == b.schedule_delivery_time);
  CHECK(a.validity_period == b.validity_period);
  CHECK(a.registered_delivery == b.registered_delivery);
  CHECK(a.replace_if_present_flag == b.replace_if_present_flag);
  CHECK(a.data_coding == b.data_coding);
  CHECK(a.sm_default_msg_id == b.sm_default_msg_id);
  CHECK(a.short_message == b.short_message);
  REQUIRE(a.tlvs.size() == b.tlvs.size());
  for (std::size_t i = 0; i < a.tlvs.size(); ++i) {
    CHECK(a.tlvs[i].tag == b.tlvs[i].tag);
    CHECK(a.tlvs[i].value == b.tlvs[i].value);
  }
}

void check_invalid(const smish::core::Result<std::string>& r, std::string_view mentions) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK_MESSAGE(r.error().detail.find(mentions) != std::string::npos, r.error().detail);
}

}  // namespace

TEST_SUITE("gateway/encoder") {
  TEST_CASE("encoding reproduces every golden PDU byte for byte") {
    SUBCASE("bind_transceiver") {
      BindBody b;
      b.system_id = "scamgw";
      b.password = "secret12";
      auto e = encode::bind(kBindTransceiver, 1, b);
      REQUIRE(e.has_value());
      CHECK(*e == golden("bind_transceiver"));
    }
    SUBCASE("bind_transceiver_resp") {
      auto e = encode::bind_resp(kBindTransceiverResp, kEsmeRok, 1, BindRespBody{"SMSC", 0x34});
      REQUIRE(e.has_value());
      CHECK(*e == golden("bind_transceiver_resp"));
    }
    SUBCASE("enquire_link") {
      CHECK(*encode::header_only(kEnquireLink, 0, 2) == golden("enquire_link"));
    }
    SUBCASE("generic_nack") {
      CHECK(*encode::header_only(kGenericNack, kEsmeRinvcmdid, 5) == golden("generic_nack"));
    }
    SUBCASE("deliver_sm with UDHI") {
      SmBody s = deliver_body();
      s.esm_class = kEsmClassUdhi;
      s.data_coding = 8;
      s.short_message = hex("0500032a0201 0048 0069");
      auto e = encode::sm(kDeliverSm, 7, s);
      REQUIRE(e.has_value());
      CHECK(*e == golden("deliver_sm_udhi"));
    }
    SUBCASE("deliver_sm with SAR TLVs") {
      SmBody s = deliver_body();
      s.short_message = "Part one";
      s.tlvs = {{kTagSarMsgRefNum, hex("1234")},
                {kTagSarTotalSegments, hex("02")},
                {kTagSarSegmentSeqnum, hex("01")}};
      auto e = encode::sm(kDeliverSm, 8, s);
      REQUIRE(e.has_value());
      CHECK(*e == golden("deliver_sm_sar"));
    }
    SUBCASE("deliver_sm with message_payload") {
      SmBody s = deliver_body();
      s.tlvs = {{kTagMessagePayload, "Your parcel is waiting: http://scam.example/lv"}};
      auto e = encode::sm(kDeliverSm, 9, s);
      REQUIRE(e.has_value());
      CHECK(*e == golden("deliver_sm_payload"));
    }
    SUBCASE("submit_sm") {
      auto e = encode::sm(kSubmitSm, 3, submit_body());
      REQUIRE(e.has_value());
      CHECK(*e == golden("submit_sm"));
    }
    SUBCASE("submit_sm_resp") {
      auto e = encode::sm_resp(kSubmitSmResp, kEsmeRok, 3, "5f3a9c01");
      REQUIRE(e.has_value());
      CHECK(*e == golden("submit_sm_resp"));
    }
  }

  TEST_CASE("bind round-trips for the three bind commands") {
    for (std::uint32_t id : {kBindTransmitter, kBindReceiver, kBindTransceiver}) {
      SUBCASE(command_name(id).c_str()) {
        BindBody b{"scamrep", "pw123456", "VMA", 0x34, 1, 1, "^371"};
        const DecodeResult r = round_trip(encode::bind(id, 42, b));
        CHECK(r.pdu.header.command_id == id);
        CHECK(r.pdu.header.sequence_number == 42);
        const auto& d = std::get<BindBody>(r.pdu.body);
        CHECK(d.system_id == b.system_id);
        CHECK(d.password == b.password);
        CHECK(d.system_type == b.system_type);
        CHECK(d.interface_version == b.interface_version);
        CHECK(d.addr_ton == 1);
        CHECK(d.addr_npi == 1);
        CHECK(d.address_range == b.address_range);
      }
    }
  }

  TEST_CASE("bind with values libsmpp34 refuses is encoded by our own writer") {
    SUBCASE("interface_version 0x33") {
      BindBody b{"esme", "", "", 0x33, 0, 0, ""};
      const DecodeResult r = round_trip(encode::bind(kBindTransceiver, 1, b));
      CHECK(std::get<BindBody>(r.pdu.body).interface_version == 0x33);
    }
    SUBCASE("addr_ton 7") {
      BindBody b{"esme", "", "", 0x34, 7, 0, ""};
      const DecodeResult r = round_trip(encode::bind(kBindReceiver, 1, b));
      CHECK(std::get<BindBody>(r.pdu.body).addr_ton == 7);
    }
    SUBCASE("sequence_number 0") {
      const DecodeResult r =
          round_trip(encode::bind(kBindTransmitter, 0, BindBody{"esme", "", "", 0x34, 0, 0, ""}));
      CHECK(r.pdu.header.sequence_number == 0);
    }
  }

  TEST_CASE("bind_resp round-trips, and an error bind_resp is header-only") {
    SUBCASE("ESME_ROK without sc_interface_version") {
      const DecodeResult r = round_trip(
          encode::bind_resp(kBindTransmitterResp, kEsmeRok, 9, BindRespBody{"SMSC", {}}));
      const auto& b = std::get<BindRespBody>(r.pdu.body);
      CHECK(b.system_id == "SMSC");
      CHECK_FALSE(b.sc_interface_version.has_value());
    }
    SUBCASE("ESME_ROK with sc_interface_version") {
      const DecodeResult r =
          round_trip(encode::bind_resp(kBindReceiverResp, kEsmeRok, 9, BindRespBody{"SMSC", 0x34}));
      CHECK(std::get<BindRespBody>(r.pdu.body).sc_interface_version ==
            std::optional<std::uint8_t>(0x34));
    }
    SUBCASE("ESME_RINVPASWD") {
      auto e =
          encode::bind_resp(kBindTransceiverResp, kEsmeRinvpaswd, 1, BindRespBody{"SMSC", 0x34});
      REQUIRE(e.has_value());
      CHECK(*e == hex("00000010 80000009 0000000e 00000001"));  // SMPP 3.4 §4.1.2: no body
      const DecodeResult r = round_trip(e);
      CHECK(r.pdu.header.command_status == kEsmeRinvpaswd);
      CHECK(std::holds_alternative<std::monostate>(r.pdu.body));
    }
  }

  TEST_CASE("header_only round-trips for the five header-only commands") {
    for (std::uint32_t id : {kEnquireLink, kEnquireLinkResp, kUnbind, kUnbindResp, kGenericNack}) {
      SUBCASE(command_name(id).c_str()) {
        const DecodeResult r = round_trip(encode::header_only(id, kEsmeRok, 1234));
        CHECK(r.pdu.header.command_id == id);
        CHECK(r.pdu.header.command_length == 16);
        CHECK(r.pdu.header.sequence_number == 1234);
      }
    }
  }

  TEST_CASE("header_only generic_nack with sequence_number 0 is encoded by our own writer") {
    auto e = encode::header_only(kGenericNack, kEsmeRinvcmdlen, 0);
    REQUIRE(e.has_value());
    CHECK(*e == hex("00000010 80000000 00000002 00000000"));
  }

  TEST_CASE("header_only with a vendor command_status is encoded by our own writer") {
    auto e = encode::header_only(kGenericNack, 0x400, 7);
    REQUIRE(e.has_value());
    CHECK(*e == hex("00000010 80000000 00000400 00000007"));
  }

  TEST_CASE("sm round-trips deliver_sm and submit_sm") {
    SUBCASE("submit_sm") {
      const SmBody s = submit_body();
      const DecodeResult r = round_trip(encode::sm(kSubmitSm, 3, s));
      check_same_sm(std::get<SmBody>(r.pdu.body), s);
    }
    SUBCASE("deliver_sm with every field set and mixed TLVs") {
      SmBody s = deliver_body();
      s.service_type = "CMT";
      s.esm_class = kEsmClassUdhi;
      s.protocol_id = 0x7f;
      s.priority_flag = 1;
      s.registered_delivery = 1;
      s.data_coding = 8;
      s.sm_default_msg_id = 0;
      s.short_message = hex("0500032a0201 0048 0069");
      s.tlvs = {{kTagSarMsgRefNum, hex("beef")},
                {0x1501, "vendor"},
                {kTagSarTotalSegments, hex("03")},
                {kTagSarSegmentSeqnum, hex("02")}};
      const DecodeResult r = round_trip(encode::sm(kDeliverSm, 77, s));
      check_same_sm(std::get<SmBody>(r.pdu.body), s);
    }
  }

  TEST_CASE("sm round-trips an empty message_payload") {
    SmBody s = deliver_body();
    s.tlvs = {{kTagMessagePayload, ""}};
    const DecodeResult r = round_trip(encode::sm(kDeliverSm, 6, s));
    check_same_sm(std::get<SmBody>(r.pdu.body), s);
  }

  TEST_CASE("sm cases libsmpp34 cannot express are encoded by our own writer") {
    SUBCASE("a 1500-octet message_payload") {
      SmBody s = deliver_body();
      s.data_coding = 8;
      s.tlvs = {{kTagMessagePayload, std::string(1500, 'Z')}};
      auto e = encode::sm(kDeliverSm, 5, s);
      REQUIRE(e.has_value());
      CHECK(e->size() == golden("deliver_sm_payload").size() - 46 + 1500);
      const DecodeResult r = round_trip(e);
      check_same_sm(std::get<SmBody>(r.pdu.body), s);
    }
    SUBCASE("deliver_sm with validity_period set") {
      SmBody s = deliver_body();
      s.validity_period = "000001000000000R";
      s.short_message = "x";
      check_same_sm(std::get<SmBody>(round_trip(encode::sm(kDeliverSm, 5, s)).pdu.body), s);
    }
    SUBCASE("17 TLVs, over the libsmpp34 guard") {
      SmBody s = deliver_body();
      s.short_message = "x";
      for (std::uint16_t i = 0; i < 17; ++i)
        s.tlvs.push_back({static_cast<std::uint16_t>(0x1400 + i), "v"});
      check_same_sm(std::get<SmBody>(round_trip(encode::sm(kDeliverSm, 5, s)).pdu.body), s);
    }
    SUBCASE("sm_length 254") {
      SmBody s = submit_body();
      s.short_message = std::string(254, 'q');
      check_same_sm(std::get<SmBody>(round_trip(encode::sm(kSubmitSm, 5, s)).pdu.body), s);
    }
    SUBCASE("sequence_number 0 and source TON 7") {
      SmBody s = submit_body();
      s.source_addr_ton = 7;
      const DecodeResult r = round_trip(encode::sm(kSubmitSm, 0, s));
      CHECK(r.pdu.header.sequence_number == 0);
      check_same_sm(std::get<SmBody>(r.pdu.body), s);
    }
    SUBCASE("a zero-length vendor TLV and a 3-octet unknown standard TLV") {
      SmBody s = deliver_body();
      s.short_message = "x";
      s.tlvs = {{0x1401, ""}, {0x0423, hex("030001")}};
      check_same_sm(std::get<SmBody>(round_trip(encode::sm(kDeliverSm, 5, s)).pdu.body), s);
    }
  }

  TEST_CASE("sm_resp round-trips for submit_sm_resp, deliver_sm_resp and data_sm_resp") {
    SUBCASE("submit_sm_resp") {
      const DecodeResult r =
          round_trip(encode::sm_resp(kSubmitSmResp, kEsmeRok, 3, std::string(64, 'f')));
      CHECK(std::get<SmRespBody>(r.pdu.body).message_id == std::string(64, 'f'));
    }
    SUBCASE("deliver_sm_resp ESME_ROK") {
      auto e = encode::sm_resp(kDeliverSmResp, kEsmeRok, 8, "");
      REQUIRE(e.has_value());
      CHECK(*e == hex("00000011 80000005 00000000 00000008 00"));
      CHECK(std::get<SmRespBody>(round_trip(e).pdu.body).message_id == "");
    }
    SUBCASE("deliver_sm_resp ESME_RX_T_APPN") {
      auto e = encode::sm_resp(kDeliverSmResp, kEsmeRxTAppn, 8, "");
      REQUIRE(e.has_value());
      CHECK(*e == hex("00000011 80000005 00000064 00000008 00"));
    }
    SUBCASE("data_sm_resp") {
      const DecodeResult r = round_trip(encode::sm_resp(kDataSmResp, kEsmeRok, 4, "m-1"));
      CHECK(std::get<SmRespBody>(r.pdu.body).message_id == "m-1");
    }
    SUBCASE("submit_sm_resp with vendor status 0x400 is header-only") {
      auto e = encode::sm_resp(kSubmitSmResp, 0x400, 3, "");
      REQUIRE(e.has_value());
      CHECK(*e == hex("00000010 80000004 00000400 00000003"));
      CHECK(round_trip(e).pdu.header.command_status == 0x400);
    }
    SUBCASE("submit_sm_resp ESME_ROK with an empty message_id") {
      auto e = encode::sm_resp(kSubmitSmResp, kEsmeRok, 3, "");
      REQUIRE(e.has_value());
      CHECK(*e == hex("00000011 80000004 00000000 00000003 00"));
    }
    SUBCASE("deliver_sm_resp with sequence_number 0") {
      CHECK(
          round_trip(encode::sm_resp(kDeliverSmResp, kEsmeRok, 0, "")).pdu.header.sequence_number ==
          0);
    }
  }

  TEST_CASE("over-long strings give InvalidArgument, never truncation") {
    SUBCASE("system_id of 16 characters") {
      check_invalid(
          encode::bind(kBindTransceiver, 1, BindBody{std::string(16, 's'), "", "", 0x34, 0, 0, ""}),
          "system_id");
    }
    SUBCASE("password of 9 characters") {
      check_invalid(
          encode::bind(kBindTransceiver, 1, BindBody{"esme", "123456789", "", 0x34, 0, 0, ""}),
          "password");
    }
    SUBCASE("system_type of 13 characters") {
      check_invalid(encode::bind(kBindTransceiver, 1,
                                 BindBody{"esme", "", std::string(13, 't'), 0x34, 0, 0, ""}),
                    "system_type");
    }
    SUBCASE("address_range of 41 characters") {
      check_invalid(encode::bind(kBindTransceiver, 1,
                                 BindBody{"esme", "", "", 0x34, 0, 0, std::string(41, '1')}),
                    "address_range");
    }
    SUBCASE("bind_resp system_id of 16 characters") {
      check_invalid(
          encode::bind_resp(kBindTransceiverResp, 0, 1, BindRespBody{std::string(16, 's'), {}}),
          "system_id");
    }
    SUBCASE("source_addr of 21 characters") {
      SmBody s = submit_body();
      s.source_addr = std::string(21, '1');
      check_invalid(encode::sm(kSubmitSm, 1, s), "source_addr");
    }
    SUBCASE("destination_addr of 21 characters") {
      SmBody s = submit_body();
      s.destination_addr = std::string(21, '1');
      check_invalid(encode::sm(kSubmitSm, 1, s), "destination_addr");
    }
    SUBCASE("service_type of 6 characters") {
      SmBody s = submit_body();
      s.service_type = "CMTCMT";
      check_invalid(encode::sm(kSubmitSm, 1, s), "service_type");
    }
    SUBCASE("validity_period of 15 characters") {
      SmBody s = submit_body();
      s.validity_period = "00000100000000R";
      check_invalid(encode::sm(kSubmitSm, 1, s), "validity_period");
    }
    SUBCASE("short_message of 255 octets") {
      SmBody s = submit_body();
      s.short_message = std::string(255, 'x');
      check_invalid(encode::sm(kSubmitSm, 1, s), "short_message");
    }
    SUBCASE("message_id of 65 characters") {
      check_invalid(encode::sm_resp(kSubmitSmResp, 0, 1, std::string(65, 'f')), "message_id");
    }
    SUBCASE("a string with an embedded NUL") {
      check_invalid(encode::bind(kBindTransceiver, 1,
                                 BindBody{std::string("ab\0c", 4), "", "", 0x34, 0, 0, ""}),
                    "NUL");
    }
  }

  TEST_CASE("PDUs our decoder would refuse are not encoded") {
    SUBCASE("short_message and message_payload both set") {
      SmBody s = submit_body();
      s.tlvs = {{kTagMessagePayload, "more"}};
      check_invalid(encode::sm(kSubmitSm, 1, s), "message_payload");
    }
    SUBCASE("sar_msg_ref_num of 1 octet") {
      SmBody s = submit_body();
      s.tlvs = {{kTagSarMsgRefNum, hex("01")}};
      check_invalid(encode::sm(kSubmitSm, 1, s), "sar_msg_ref_num");
    }
    SUBCASE("a TLV value over 65535 octets") {
      SmBody s = deliver_body();
      s.tlvs = {{kTagMessagePayload, std::string(65536, 'a')}};
      check_invalid(encode::sm(kDeliverSm, 1, s), "TLV");
    }
    SUBCASE("65 TLVs") {
      SmBody s = deliver_body();
      for (int i = 0; i < 65; ++i) s.tlvs.push_back({0x1401, ""});
      check_invalid(encode::sm(kDeliverSm, 1, s), "TLVs");
    }
    SUBCASE("deliver_sm_resp with a message_id") {
      check_invalid(encode::sm_resp(kDeliverSmResp, 0, 1, "abc"), "message_id");
    }
    SUBCASE("error submit_sm_resp with a message_id") {
      check_invalid(encode::sm_resp(kSubmitSmResp, kEsmeRthrottled, 1, "abc"), "message_id");
    }
  }

  TEST_CASE("each encode function refuses a command_id it does not encode") {
    check_invalid(encode::bind(kSubmitSm, 1, BindBody{}), "bind");
    check_invalid(encode::bind_resp(kBindTransceiver, 0, 1, BindRespBody{}), "bind_resp");
    check_invalid(encode::header_only(kDeliverSm, 0, 1), "header_only");
    check_invalid(encode::sm(kDataSm, 1, SmBody{}), "sm");
    check_invalid(encode::sm_resp(kDeliverSm, 0, 1, ""), "sm_resp");
  }
}
