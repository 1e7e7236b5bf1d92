// Tests for the user data header parser and builder (3GPP TS 23.040 §9.2.3.24).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"
#include "support.hpp"

namespace {

using namespace smish::gateway::text;
using smish::core::ConcatInfo;
using smish::core::ConcatSource;
using smish::core::ErrorCode;
using smish::test::hex;

void check_invalid(const std::string& short_message) {
  const auto r = split_udh(short_message);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK_FALSE(r.error().detail.empty());
}

}  // namespace

TEST_SUITE("gateway/udh") {
  TEST_CASE("an 8-bit reference concatenation header is read and split off") {
    const auto r = split_udh(hex("05 00 03 2A 03 02  48 69"));
    REQUIRE(r.has_value());
    REQUIRE(r->concat.has_value());
    CHECK(r->concat->source == ConcatSource::Udh8);
    CHECK(r->concat->ref == 0x2A);
    CHECK(r->concat->total == 3);
    CHECK(r->concat->seq == 2);
    CHECK(r->udh == hex("05 00 03 2A 03 02"));
    CHECK(r->payload == "Hi");
  }

  TEST_CASE("a 16-bit reference concatenation header is read and split off") {
    const auto r = split_udh(hex("06 08 04 12 34 02 01  D8 3D DE 00"));
    REQUIRE(r.has_value());
    REQUIRE(r->concat.has_value());
    CHECK(r->concat->source == ConcatSource::Udh16);
    CHECK(r->concat->ref == 0x1234);
    CHECK(r->concat->total == 2);
    CHECK(r->concat->seq == 1);
    CHECK(r->udh == hex("06 08 04 12 34 02 01"));
    CHECK(r->payload == hex("D8 3D DE 00"));
  }

  TEST_CASE("make_concat_udh builds the golden headers and split_udh reads them back") {
    SUBCASE("8-bit") {
      const ConcatInfo info{ConcatSource::Udh8, 0x2A, 3, 2};
      CHECK(make_concat_udh(info) == hex("05 00 03 2A 03 02"));
      const auto r = split_udh(make_concat_udh(info) + "x");
      REQUIRE(r.has_value());
      CHECK(r->concat->ref == 0x2A);
      CHECK(r->concat->seq == 2);
    }
    SUBCASE("16-bit") {
      const ConcatInfo info{ConcatSource::Udh16, 0xBEEF, 9, 9};
      CHECK(make_concat_udh(info) == hex("06 08 04 BE EF 09 09"));
    }
    SUBCASE("SAR facts and 8-bit sources with a wide ref use the 16-bit IE") {
      CHECK(make_concat_udh({ConcatSource::Sar, 0x0007, 2, 1}) == hex("06 08 04 00 07 02 01"));
      CHECK(make_concat_udh({ConcatSource::Udh8, 0x0107, 2, 1}) == hex("06 08 04 01 07 02 01"));
    }
  }

  TEST_CASE("a header length past the end of the message is an error") {
    check_invalid(hex("05 00 03 2A 03"));
    check_invalid(hex("FF 00"));
    check_invalid(hex("01"));
  }

  TEST_CASE("an information element running past the header is an error") {
    SUBCASE("data past the UDHL") { check_invalid(hex("03 00 03 2A  41 42 43")); }
    SUBCASE("a length octet missing") { check_invalid(hex("01 00  41 42")); }
    SUBCASE("a second IE cut short") { check_invalid(hex("06 00 03 2A 02 01 24  41 42")); }
  }

  TEST_CASE("UDHI on an empty message is an error") { check_invalid(""); }

  TEST_CASE("implausible concatenation values are ignored") {
    struct Row {
      const char* name;
      const char* octets;
    };
    const Row rows[] = {
        {"total 0", "05 00 03 2A 00 00 41"},
        {"seq 0", "05 00 03 2A 02 00 41"},
        {"seq > total", "05 00 03 2A 02 03 41"},
        {"16-bit seq > total", "06 08 04 00 2A 02 03 41"},
        {"8-bit IE of length 4", "06 00 04 2A 02 01 00 41"},
        {"16-bit IE of length 3", "05 08 03 2A 02 01 41"},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        const auto r = split_udh(hex(row.octets));
        REQUIRE(r.has_value());
        CHECK_FALSE(r->concat.has_value());
        CHECK(r->payload == "A");
      }
    }
  }

  TEST_CASE("other information elements are skipped by their lengths") {
    // 0x24 national single shift (len 1), 0x70 with no data, then the concatenation IE.
    const auto r = split_udh(hex("0A 24 01 0D 70 00 00 03 2A 02 01  41 42"));
    REQUIRE(r.has_value());
    REQUIRE(r->concat.has_value());
    CHECK(r->concat->seq == 1);
    CHECK(r->payload == "AB");
    SUBCASE("a concatenation-like octet inside another IE's data is not read as an IE") {
      const auto inner = split_udh(hex("05 70 03 00 03 01  41"));
      REQUIRE(inner.has_value());
      CHECK_FALSE(inner->concat.has_value());
    }
  }

  TEST_CASE("an empty header and an empty payload are valid") {
    const auto empty_header = split_udh(hex("00 41 42"));
    REQUIRE(empty_header.has_value());
    CHECK(empty_header->udh == hex("00"));
    CHECK(empty_header->payload == "AB");
    CHECK_FALSE(empty_header->concat.has_value());
    const auto empty_payload = split_udh(hex("05 00 03 2A 01 01"));
    REQUIRE(empty_payload.has_value());
    CHECK(empty_payload->payload.empty());
    CHECK(empty_payload->concat.has_value());
  }

  TEST_CASE("of two concatenation IEs the last valid one wins") {
    const auto r = split_udh(hex("0B 00 03 01 02 01 08 04 00 09 03 03  41"));
    REQUIRE(r.has_value());
    REQUIRE(r->concat.has_value());
    CHECK(r->concat->source == ConcatSource::Udh16);
    CHECK(r->concat->ref == 9);
    CHECK(r->concat->seq == 3);
  }

  TEST_CASE("every truncation of a valid message is either parsed or rejected, never read past") {
    const std::string whole = hex("0C 24 01 0D 08 04 12 34 02 02 70 01 FF  41 42 43");
    for (std::size_t n = 0; n <= whole.size(); ++n) {
      const auto r = split_udh(whole.substr(0, n));
      if (n < 13) {
        CHECK_FALSE(r.has_value());
      } else {
        REQUIRE(r.has_value());
        CHECK(r->udh.size() == 13);
        CHECK(r->payload == whole.substr(13, n - 13));
        CHECK(r->concat->ref == 0x1234);
      }
    }
  }

  TEST_CASE("random short messages parse into header plus payload or are rejected") {
    std::mt19937 rng(23040);  // fixed seed: reproducible
    std::uniform_int_distribution<int> octet(0, 255);
    std::uniform_int_distribution<int> length(0, 40);
    std::uniform_int_distribution<int> udhl(0, 12);  // small UDHLs so that many inputs parse
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
      std::string sm(static_cast<std::size_t>(length(rng)), '\0');
      for (auto& c : sm) c = static_cast<char>(octet(rng));
      if (!sm.empty()) sm[0] = static_cast<char>(udhl(rng));
      const auto r = split_udh(sm);
      if (!r.has_value()) continue;
      ++parsed;
      CHECK(r->udh + r->payload == sm);
      CHECK(r->udh.size() == 1 + static_cast<std::uint8_t>(sm[0]));
      if (r->concat) CHECK((r->concat->seq >= 1 && r->concat->seq <= r->concat->total));
    }
    CHECK(parsed > 1000);
  }
}
