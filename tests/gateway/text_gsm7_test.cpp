// Tests for GSM 03.38 decoding and encoding, and septet packing (3GPP TS 23.038 §6.1.2.1.1, §6.2.1).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"
#include "support.hpp"

namespace {

using namespace smish::gateway::text;
using smish::core::kTextUndecodable;
using smish::test::hex;

DecodedText unpacked(std::string_view octets) { return decode_as(Charset::Gsm7, octets); }
DecodedText packed(std::string_view octets, std::size_t septets = 0) {
  return decode_as(Charset::Gsm7, octets, true, septets);
}

// The default alphabet written out as UTF-8 from the TS 23.038 §6.2.1 table, code by code, kept
// independent of the implementation's table. 0x1B (escape) is left out.
struct Row {
  std::uint8_t code;
  const char* utf8;
};
constexpr Row kTable[] = {
    {0x00, "@"}, {0x01, "\u00A3"}, {0x02, "$"}, {0x03, "\u00A5"}, {0x04, "\u00E8"}, {0x05, "\u00E9"},
    {0x06, "\u00F9"}, {0x07, "\u00EC"}, {0x08, "\u00F2"}, {0x09, "\u00C7"}, {0x0A, "\n"}, {0x0B, "\u00D8"},
    {0x0C, "\u00F8"}, {0x0D, "\r"}, {0x0E, "\u00C5"}, {0x0F, "\u00E5"}, {0x10, "\u0394"}, {0x11, "_"},
    {0x12, "\u03A6"}, {0x13, "\u0393"}, {0x14, "\u039B"}, {0x15, "\u03A9"}, {0x16, "\u03A0"},
    {0x17, "\u03A8"}, {0x18, "\u03A3"}, {0x19, "\u0398"}, {0x1A, "\u039E"}, {0x1C, "\u00C6"},
    {0x1D, "\u00E6"}, {0x1E, "\u00DF"}, {0x1F, "\u00C9"}, {0x20, " "}, {0x21, "!"}, {0x22, "\""},
    {0x23, "#"}, {0x24, "\u00A4"}, {0x25, "%"}, {0x26, "&"}, {0x27, "'"}, {0x28, "("}, {0x29, ")"},
    {0x2A, "*"}, {0x2B, "+"}, {0x2C, ","}, {0x2D, "-"}, {0x2E, "."}, {0x2F, "/"}, {0x30, "0"},
    {0x31, "1"}, {0x32, "2"}, {0x33, "3"}, {0x34, "4"}, {0x35, "5"}, {0x36, "6"}, {0x37, "7"},
    {0x38, "8"}, {0x39, "9"}, {0x3A, ":"}, {0x3B, ";"}, {0x3C, "<"}, {0x3D, "="}, {0x3E, ">"},
    {0x3F, "?"}, {0x40, "\u00A1"}, {0x41, "A"}, {0x42, "B"}, {0x43, "C"}, {0x44, "D"}, {0x45, "E"},
    {0x46, "F"}, {0x47, "G"}, {0x48, "H"}, {0x49, "I"}, {0x4A, "J"}, {0x4B, "K"}, {0x4C, "L"},
    {0x4D, "M"}, {0x4E, "N"}, {0x4F, "O"}, {0x50, "P"}, {0x51, "Q"}, {0x52, "R"}, {0x53, "S"},
    {0x54, "T"}, {0x55, "U"}, {0x56, "V"}, {0x57, "W"}, {0x58, "X"}, {0x59, "Y"}, {0x5A, "Z"},
    {0x5B, "\u00C4"}, {0x5C, "\u00D6"}, {0x5D, "\u00D1"}, {0x5E, "\u00DC"}, {0x5F, "\u00A7"},
    {0x60, "\u00BF"}, {0x61, "a"}, {0x62, "b"}, {0x63, "c"}, {0x64, "d"}, {0x65, "e"}, {0x66, "f"},
    {0x67, "g"}, {0x68, "h"}, {0x69, "i"}, {0x6A, "j"}, {0x6B, "k"}, {0x6C, "l"}, {0x6D, "m"},
    {0x6E, "n"}, {0x6F, "o"}, {0x70, "p"}, {0x71, "q"}, {0x72, "r"}, {0x73, "s"}, {0x74, "t"},
    {0x75, "u"}, {0x76, "v"}, {0x77, "w"}, {0x78, "x"}, {0x79, "y"}, {0x7A, "z"}, {0x7B, "\u00E4"},
    {0x7C, "\u00F6"}, {0x7D, "\u00F1"}, {0x7E, "\u00FC"}, {0x7F, "\u00E0"},
};

// TS 23.038 §6.2.1.1 extension table, written out independently.
constexpr Row kExtensionTable[] = {
    {0x0A, "\f"}, {0x14, "^"}, {0x28, "{"}, {0x29, "}"}, {0x2F, "\\"},
    {0x3C, "["}, {0x3D, "~"}, {0x3E, "]"}, {0x40, "|"}, {0x65, "\u20AC"},
};

}  // namespace

TEST_SUITE("gateway/gsm7") {
  TEST_CASE("every default alphabet character decodes to its TS 23.038 character and encodes back") {
    static_assert(std::size(kTable) == 127, "all codes but the escape");
    std::string all_septets;
    std::string all_utf8;
    for (const Row& row : kTable) {
      INFO("code ", int{row.code});
      const std::string septet(1, static_cast<char>(row.code));
      const DecodedText d = unpacked(septet);
      CHECK(d.utf8 == row.utf8);
      CHECK(d.flags == 0);
      const auto e = encode_gsm7(row.utf8);
      REQUIRE(e.has_value());
      CHECK(*e == septet);
      all_septets += septet;
      all_utf8 += row.utf8;
    }
    // The whole table as one text, both ways, unpacked and packed.
    const auto encoded = encode_gsm7(all_utf8);
    REQUIRE(encoded.has_value());
    CHECK(*encoded == all_septets);
    CHECK(unpacked(*encoded).utf8 == all_utf8);
    CHECK(packed(pack_septets(*encoded), encoded->size()).utf8 == all_utf8);
  }

  TEST_CASE("extension table characters are escape pairs both ways") {
    for (const Row& row : kExtensionTable) {
      SUBCASE(row.utf8) {
        const std::string pair{'\x1B', static_cast<char>(row.code)};
        CHECK(encode_gsm7(row.utf8) == pair);
        const DecodedText d = unpacked(pair);
        CHECK(d.utf8 == row.utf8);
        CHECK(d.flags == 0);
      }
    }
    SUBCASE("in running text") {
      const std::string text = "Pay 5\u20AC to {x} [y] ~z^ a|b c\\d";
      const auto e = encode_gsm7(text);
      REQUIRE(e.has_value());
      CHECK(e->size() == text.size() - 2 /* euro is 3 UTF-8 octets */ + 9 /* escapes */);
      CHECK(unpacked(*e).utf8 == text);
    }
  }

  TEST_CASE("escape oddities decode as TS 23.038 §6.2.1.1 says") {
    SUBCASE("escape then an undefined extension code gives the default table character") {
      CHECK(unpacked(hex("1B41 1B00")).utf8 == "A@");
    }
    SUBCASE("escape escape is shown as a space") { CHECK(unpacked(hex("41 1B1B 42")).utf8 == "A B"); }
    SUBCASE("a lone trailing escape is shown as a space and not flagged") {
      const DecodedText d = unpacked(hex("41 1B"));
      CHECK(d.utf8 == "A ");
      CHECK(d.flags == 0);
    }
    SUBCASE("escape then an octet above 0x7F is one replacement character") {
      const DecodedText d = unpacked(hex("41 1B80 42"));
      CHECK(d.utf8 == "A\uFFFDB");
      CHECK(d.flags == kTextUndecodable);
    }
  }

  TEST_CASE("@ (0x00) is a character at the start, middle and end, never a terminator") {
    const std::string septets = hex("00 41 00 42 00");
    SUBCASE("unpacked") {
      const DecodedText d = unpacked(septets);
      CHECK(d.utf8 == "@A@B@");
      CHECK(d.flags == 0);
    }
    SUBCASE("packed with the count given") { CHECK(packed(pack_septets(septets), 5).utf8 == "@A@B@"); }
    SUBCASE("packed with the count derived") { CHECK(packed(pack_septets(septets)).utf8 == "@A@B@"); }
    SUBCASE("encoded") { CHECK(encode_gsm7("@A@B@") == septets); }
  }

  TEST_CASE("hello has the golden unpacked and packed forms") {
    CHECK(encode_gsm7("hello") == hex("68 65 6C 6C 6F"));
    CHECK(pack_septets(hex("68 65 6C 6C 6F")) == hex("E8 32 9B FD 06"));
    CHECK(unpack_septets(hex("E8 32 9B FD 06"), 5) == hex("68 65 6C 6C 6F"));
    CHECK(packed(hex("E8 32 9B FD 06")).utf8 == "hello");
    CHECK(packed(hex("E8 32 9B FD 06"), 5).utf8 == "hello");
    CHECK(unpacked(hex("68 65 6C 6C 6F")).utf8 == "hello");
  }

  TEST_CASE("fill bits after a UDH shift the septets and unpack back") {
    const std::string septets = *encode_gsm7("hello world, \u20AC 12 \u0394");
    // One fill bit: "hello" moved up one bit; golden worked by hand from E8 32 9B FD 06.
    CHECK(pack_septets(hex("68 65 6C 6C 6F"), 1) == hex("D0 65 36 FB 0D"));
    for (int fill = 1; fill <= 6; ++fill) {
      SUBCASE(("fill " + std::to_string(fill)).c_str()) {
        const std::string octets = pack_septets(septets, fill);
        CHECK(octets.size() == (fill + septets.size() * 7 + 7) / 8);
        CHECK((static_cast<std::uint8_t>(octets[0]) & ((1u << fill) - 1)) == 0);  // fill bits are zero
        CHECK(unpack_septets(octets, septets.size(), fill) == septets);
        // Reading without the fill gives something else: the receiver must know the UDH length.
        CHECK(unpack_septets(octets, septets.size(), 0) != septets);
      }
    }
    SUBCASE("a 6-octet concatenation UDH needs 1 fill bit, a 7-octet one none") {
      // TS 23.040 §9.2.3.24: the first septet starts on a septet boundary of the whole user data.
      const auto fill_for = [](std::size_t udh_octets) { return static_cast<int>((7 - udh_octets * 8 % 7) % 7); };
      CHECK(fill_for(6) == 1);
      CHECK(fill_for(7) == 0);
      const std::string ud = hex("050003010201") + pack_septets(septets, fill_for(6));
      const auto count = ((ud.size() * 8) - 48 - 1) / 7;
      CHECK(unpack_septets(std::string_view(ud).substr(6), count, 1) == septets);
    }
  }

  TEST_CASE("unpack reads no more septets than the octets hold") {
    CHECK(unpack_septets(hex("E8 32"), 100) == hex("68 65"));
    CHECK(unpack_septets("", 3).empty());
    CHECK(unpack_septets(hex("FF"), 2, 6).empty());
  }

  TEST_CASE("octets at or above 0x80 are invalid in unpacked mode") {
    const DecodedText d = unpacked(hex("41 80 42 FF"));
    CHECK(d.utf8 == "A\uFFFDB\uFFFD");
    CHECK(d.flags == kTextUndecodable);
  }

  TEST_CASE("a derived septet count drops padding only where the spec leaves 7 spare bits") {
    SUBCASE("7 septets with zero padding read as 7, not 7 plus @") {
      const std::string octets = pack_septets("1234567");
      REQUIRE(octets.size() == 7);
      CHECK(packed(octets).utf8 == "1234567");
    }
    SUBCASE("7 septets padded with <CR> as TS 23.038 §6.1.2.1.1 asks") {
      CHECK(packed(pack_septets("1234567\r")).utf8 == "1234567");
    }
    SUBCASE("8 real septets are kept") { CHECK(packed(pack_septets("12345678")).utf8 == "12345678"); }
    SUBCASE("a genuine final @ at 8 septets needs the count to survive") {
      const std::string octets = pack_septets(std::string("1234567") + '\0');
      CHECK(packed(octets).utf8 == "1234567");
      CHECK(packed(octets, 8).utf8 == "1234567@");
    }
    SUBCASE("other lengths have fewer than 7 spare bits and nothing to drop") {
      CHECK(packed(pack_septets(std::string("12") + '\0')).utf8 == "12@");
    }
  }

  TEST_CASE("a declared septet count past the octets is flagged") {
    const DecodedText d = packed(hex("E8 32 9B FD 06"), 9);
    CHECK(d.utf8 == "hello\uFFFD");
    CHECK(d.flags == kTextUndecodable);
  }

  TEST_CASE("characters outside the alphabet cannot be encoded") {
    for (const char* text : {"\u00E7a", "\u0416", "\U0001F600", "x\u00A0", "\xC3"}) {
      SUBCASE(text) { CHECK_FALSE(encode_gsm7(text).has_value()); }
    }
    CHECK(encode_gsm7("").value() == "");
  }

  TEST_CASE("Greek capitals and accented letters survive the round trip") {
    const std::string text = "\u0394\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E \u00C4\u00D6\u00D1\u00DC\u00E0\u00E9";
    const auto e = encode_gsm7(text);
    REQUIRE(e.has_value());
    CHECK(e->size() == 17);
    CHECK(unpacked(*e).utf8 == text);
    CHECK(packed(pack_septets(*e)).utf8 == text);
  }
}
