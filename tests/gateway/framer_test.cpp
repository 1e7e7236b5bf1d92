// Tests of the sans-I/O SMPP framer: any chunking, several PDUs per chunk, command_length limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smish/gateway/codec.hpp"
#include "support.hpp"

using namespace smish::gateway::smpp;
using smish::test::hex;

namespace {

// Built on first use: hex() reports through doctest, which needs a running test.
const std::string& enquire_link_pdu() {
  static const std::string pdu = hex("00000010 00000015 00000000 00000002");
  return pdu;
}
const std::string& submit_sm_resp_pdu() {
  static const std::string pdu = hex("00000019 80000004 00000000 00000003 356633613963303100");
  return pdu;
}

struct Collect {
  std::vector<std::string> pdus;
  std::function<void(std::string_view)> fn() {
    return [this](std::string_view p) { pdus.emplace_back(p); };
  }
};

}  // namespace

TEST_SUITE("gateway/framer") {
  TEST_CASE("a PDU fed one byte at a time is emitted once, whole, after its last byte") {
    PduFramer framer;
    Collect out;
    for (std::size_t i = 0; i < submit_sm_resp_pdu().size(); ++i) {
      CHECK(out.pdus.empty());
      const auto byte = static_cast<std::uint8_t>(submit_sm_resp_pdu()[i]);
      REQUIRE(framer.feed(std::span<const std::uint8_t>(&byte, 1), out.fn()).has_value());
      CHECK(framer.buffered() == (i + 1 == submit_sm_resp_pdu().size() ? 0 : i + 1));
    }
    REQUIRE(out.pdus.size() == 1);
    CHECK(out.pdus[0] == submit_sm_resp_pdu());
    CHECK(read_header(out.pdus[0]).command_id == kSubmitSmResp);
  }

  TEST_CASE("several PDUs in one chunk are emitted in order") {
    PduFramer framer;
    Collect out;
    const std::string stream = enquire_link_pdu() + submit_sm_resp_pdu() + enquire_link_pdu();
    REQUIRE(framer.feed(stream, out.fn()).has_value());
    REQUIRE(out.pdus.size() == 3);
    CHECK(out.pdus[0] == enquire_link_pdu());
    CHECK(out.pdus[1] == submit_sm_resp_pdu());
    CHECK(out.pdus[2] == enquire_link_pdu());
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("every split of a two-PDU stream into two chunks gives the same two PDUs") {
    const std::string stream = submit_sm_resp_pdu() + enquire_link_pdu();
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      CAPTURE(cut);
      PduFramer framer;
      Collect out;
      REQUIRE(framer.feed(std::string_view(stream).substr(0, cut), out.fn()).has_value());
      REQUIRE(framer.feed(std::string_view(stream).substr(cut), out.fn()).has_value());
      REQUIRE(out.pdus.size() == 2);
      CHECK(out.pdus[0] == submit_sm_resp_pdu());
      CHECK(out.pdus[1] == enquire_link_pdu());
      CHECK(framer.buffered() == 0);
    }
  }

  TEST_CASE("a trailing partial PDU stays buffered until the rest arrives") {
    PduFramer framer;
    Collect out;
    const std::string stream = enquire_link_pdu() + submit_sm_resp_pdu().substr(0, 10);
    REQUIRE(framer.feed(stream, out.fn()).has_value());
    CHECK(out.pdus.size() == 1);
    CHECK(framer.buffered() == 10);
    REQUIRE(framer.feed(submit_sm_resp_pdu().substr(10), out.fn()).has_value());
    REQUIRE(out.pdus.size() == 2);
    CHECK(out.pdus[1] == submit_sm_resp_pdu());
  }

  TEST_CASE("command_length below 16 is rejected and the framer stays failed") {
    for (const char* len : {"00000000", "00000001", "0000000f"}) {
      SUBCASE(len) {
        PduFramer framer;
        Collect out;
        auto st = framer.feed(hex(std::string(len) + "00000015 00000000 00000002"), out.fn());
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().code == smish::core::ErrorCode::InvalidArgument);
        CHECK(framer.failed());
        CHECK(framer.buffered() == 0);
        // A valid PDU afterwards is ignored: the stream cannot be resynchronised.
        CHECK_FALSE(framer.feed(enquire_link_pdu(), out.fn()).has_value());
        CHECK(out.pdus.empty());
      }
    }
  }

  TEST_CASE("command_length above the cap is rejected from its 4 octets, before any body") {
    PduFramer framer(1000);
    Collect out;
    // Only the length field arrives, one byte at a time: the error comes with the 4th octet.
    const std::string len = hex("000003e9");  // 1001
    for (std::size_t i = 0; i < 3; ++i) {
      REQUIRE(framer.feed(len.substr(i, 1), out.fn()).has_value());
    }
    auto st = framer.feed(len.substr(3, 1), out.fn());
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().detail.find("1001") != std::string::npos);
    CHECK(framer.failed());
    CHECK(framer.buffered() == 0);
    CHECK_FALSE(framer.feed(enquire_link_pdu(), out.fn()).has_value());
    CHECK(out.pdus.empty());
  }

  TEST_CASE("command_length 0xFFFFFFFF in one chunk is rejected with the default cap") {
    PduFramer framer;
    Collect out;
    CHECK_FALSE(framer.feed(hex("ffffffff 00000005 00000000 00000001"), out.fn()).has_value());
    CHECK(framer.failed());
    CHECK(out.pdus.empty());
  }

  TEST_CASE("command_length equal to the cap is accepted") {
    PduFramer framer(20);
    Collect out;
    const std::string pdu = hex("00000014 80000005 00000000 00000001 00000000");
    REQUIRE(framer.feed(pdu, out.fn()).has_value());
    REQUIRE(out.pdus.size() == 1);
    CHECK(out.pdus[0] == pdu);
  }

  TEST_CASE("read_header reads the four big-endian header fields") {
    const PduHeader h = read_header(hex("0000002a 80000009 0000000e 7fffffff"));
    CHECK(h.command_length == 42);
    CHECK(h.command_id == kBindTransceiverResp);
    CHECK(h.command_status == kEsmeRinvpaswd);
    CHECK(h.sequence_number == 0x7fffffffu);
  }
}
