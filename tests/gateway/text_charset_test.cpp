// Tests for data_coding to charset, decoding to UTF-8 (IA5, Latin-1, UCS2, UTF-8), encoders and split_encoded.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"
#include "support.hpp"

namespace {

using namespace smish::gateway::text;
using smish::core::kTextBinary;
using smish::core::kTextTrailingNul;
using smish::core::kTextUndecodable;
using smish::test::hex;

constexpr Charset kAllCharsets[] = {Charset::Gsm7, Charset::Ia5,  Charset::Latin1,
                                    Charset::Ucs2, Charset::Utf8, Charset::Binary};

// Well-formed UTF-8 per Unicode Table 3-7, written independently of the code under test: work
// out each sequence's length and value, then reject overlongs, surrogates and values past U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (b < 0x80) { len = 1; cp = b; }
    else if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; min = 0x10000; }
    else return false;
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<std::uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

}  // namespace

TEST_SUITE("gateway/text") {
  TEST_CASE("charset names parse back to the same charset") {
    for (Charset c : kAllCharsets) {
      SUBCASE(std::string(to_string(c)).c_str()) { CHECK(parse_charset(to_string(c)) == c); }
    }
    CHECK_FALSE(parse_charset("GSM7").has_value());
    CHECK_FALSE(parse_charset("").has_value());
    CHECK_FALSE(parse_charset("utf-8").has_value());
  }

  TEST_CASE("data_coding maps to a charset per SMPP 3.4 §5.2.19 and TS 23.038 §4") {
    struct Row {
      const char* name;
      std::uint8_t data_coding;
      Charset expected;
    };
    const Row rows[] = {
        {"0x00 SMSC default", 0x00, Charset::Gsm7},
        {"0x01 IA5", 0x01, Charset::Ia5},
        {"0x02 octet unspecified", 0x02, Charset::Binary},
        {"0x03 Latin-1", 0x03, Charset::Latin1},
        {"0x04 octet unspecified", 0x04, Charset::Binary},
        {"0x05 JIS", 0x05, Charset::Binary},
        {"0x06 Cyrillic", 0x06, Charset::Binary},
        {"0x07 Hebrew", 0x07, Charset::Binary},
        {"0x08 UCS2", 0x08, Charset::Ucs2},
        {"0x09 pictogram", 0x09, Charset::Binary},
        {"0x0A ISO-2022-JP is not the general group's UCS2", 0x0A, Charset::Binary},
        {"0x0E KS C 5601", 0x0E, Charset::Binary},
        {"0x0F reserved", 0x0F, Charset::Binary},
        {"0x10 GSM7 class 0", 0x10, Charset::Gsm7},
        {"0x11 GSM7 class 1", 0x11, Charset::Gsm7},
        {"0x13 GSM7 class 3", 0x13, Charset::Gsm7},
        {"0x14 8-bit class 0", 0x14, Charset::Binary},
        {"0x16 8-bit class 2", 0x16, Charset::Binary},
        {"0x18 UCS2 class 0", 0x18, Charset::Ucs2},
        {"0x19 UCS2 class 1", 0x19, Charset::Ucs2},
        {"0x1A UCS2 class 2", 0x1A, Charset::Ucs2},
        {"0x1B UCS2 class 3", 0x1B, Charset::Ucs2},
        {"0x1C reserved alphabet", 0x1C, Charset::Binary},
        {"0x20 compressed GSM7", 0x20, Charset::Binary},
        {"0x28 compressed UCS2", 0x28, Charset::Binary},
        {"0x39 compressed UCS2 class 1", 0x39, Charset::Binary},
        {"0x40 auto-delete GSM7", 0x40, Charset::Gsm7},
        {"0x48 auto-delete UCS2", 0x48, Charset::Ucs2},
        {"0x59 auto-delete UCS2 class 1", 0x59, Charset::Ucs2},
        {"0x64 auto-delete compressed", 0x64, Charset::Binary},
        {"0x80 reserved group", 0x80, Charset::Binary},
        {"0xBF reserved group", 0xBF, Charset::Binary},
        {"0xC0 MWI discard GSM7", 0xC0, Charset::Gsm7},
        {"0xD8 MWI store GSM7", 0xD8, Charset::Gsm7},
        {"0xE0 MWI store UCS2", 0xE0, Charset::Ucs2},
        {"0xF0 GSM7 class 0", 0xF0, Charset::Gsm7},
        {"0xF1 GSM7 class 1", 0xF1, Charset::Gsm7},
        {"0xF4 8-bit class 0", 0xF4, Charset::Binary},
        {"0xF5 8-bit class 1", 0xF5, Charset::Binary},
        {"0xFB GSM7 reserved bit 3 set", 0xFB, Charset::Gsm7},
        {"0xFF 8-bit class 3", 0xFF, Charset::Binary},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) { CHECK(charset_for(row.data_coding, TextOptions{}) == row.expected); }
    }
  }

  TEST_CASE("the data_coding 0 override applies to 0 alone") {
    TextOptions latin1;
    latin1.dcs0_override = Charset::Latin1;
    TextOptions utf8;
    utf8.dcs0_override = Charset::Utf8;
    CHECK(charset_for(0x00, latin1) == Charset::Latin1);
    CHECK(charset_for(0x00, utf8) == Charset::Utf8);
    CHECK(charset_for(0x10, latin1) == Charset::Gsm7);
    CHECK(charset_for(0xF0, utf8) == Charset::Gsm7);
    CHECK(decode(0x00, hex("E9"), latin1).utf8 == "\u00E9");
    CHECK(decode(0x00, hex("C3A9"), utf8).utf8 == "\u00E9");
    CHECK(decode(0x00, hex("05"), TextOptions{}).utf8 == "\u00E9");  // GSM 03.38 0x05 is é
  }

  TEST_CASE("decode follows the packing option for GSM 7-bit") {
    TextOptions packed_smsc;
    packed_smsc.gsm7_packed = true;
    CHECK(decode(0x00, hex("E8329BFD06"), packed_smsc).utf8 == "hello");
    CHECK(decode(0xF0, hex("E8329BFD06"), packed_smsc, 5).utf8 == "hello");
    CHECK(decode(0x00, hex("68656C6C6F"), TextOptions{}).utf8 == "hello");
  }

  TEST_CASE("binary data_coding gives empty text and the binary flag") {
    for (std::uint8_t dc : {0x02, 0x04, 0xF4}) {
      const DecodedText d = decode(dc, "hello", TextOptions{});
      CHECK(d.utf8.empty());
      CHECK(d.flags == kTextBinary);
    }
  }

  TEST_CASE("UCS2 decodes UTF-16BE with surrogate pairs") {
    SUBCASE("an emoji is one surrogate pair") {
      CHECK(encode_ucs2("\U0001F600") == hex("D83D DE00"));
      const DecodedText d = decode(0x08, hex("0048 0069 D83D DE00"), TextOptions{});
      CHECK(d.utf8 == "Hi\U0001F600");
      CHECK(d.flags == 0);
    }
    SUBCASE("Cyrillic golden") { CHECK(encode_ucs2("Привет") == hex("041F 0440 0438 0432 0435 0442")); }
    for (const char* text : {"Привет! Ваша карта заблокирована", "Sveiki! Jūsu konts ir bloķēts, ņemiet ģērbi",
                             "مرحبا، تم حظر حسابك", "mixed \u20AC \U0001F4B0 z\u00E9ro"}) {
      SUBCASE(text) {
        const std::string octets = encode_ucs2(text);
        const DecodedText d = decode(0x08, octets, TextOptions{});
        CHECK(d.utf8 == text);
        CHECK(d.flags == 0);
      }
    }
  }

  TEST_CASE("odd-length UCS2 ends in a replacement character, or drops a trailing NUL octet") {
    SUBCASE("a non-NUL odd octet is undecodable") {
      const DecodedText d = decode_as(Charset::Ucs2, hex("0041 0042 41"));
      CHECK(d.utf8 == "AB\uFFFD");
      CHECK(d.flags == kTextUndecodable);
    }
    SUBCASE("a lone odd 0x00 is a trailing NUL") {
      const DecodedText d = decode_as(Charset::Ucs2, hex("0041 00"));
      CHECK(d.utf8 == "A");
      CHECK(d.flags == kTextTrailingNul);
    }
    SUBCASE("a single octet") {
      const DecodedText d = decode_as(Charset::Ucs2, hex("D8"));
      CHECK(d.utf8 == "\uFFFD");
      CHECK(d.flags == kTextUndecodable);
    }
  }

  TEST_CASE("lone surrogates become replacement characters") {
    struct Row {
      const char* name;
      const char* octets;
      const char* utf8;
    };
    const Row rows[] = {
        {"high then a letter", "D83D 0041", "\uFFFDA"},
        {"high at the end", "0041 D83D", "A\uFFFD"},
        {"low alone", "DE00 0041", "\uFFFDA"},
        {"two highs then a low", "D83D D83D DE00", "\uFFFD\U0001F600"},
        {"low then high reversed", "DE00 D83D", "\uFFFD\uFFFD"},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        const DecodedText d = decode_as(Charset::Ucs2, hex(row.octets));
        CHECK(d.utf8 == row.utf8);
        CHECK(d.flags == kTextUndecodable);
      }
    }
  }

  TEST_CASE("trailing NULs are dropped in IA5, Latin-1, UTF-8 and UCS2 but kept in GSM 03.38") {
    struct Row {
      const char* name;
      Charset charset;
      const char* octets;
      const char* utf8;
      std::uint32_t flags;
    };
    const Row rows[] = {
        {"ia5", Charset::Ia5, "41 42 00 00", "AB", kTextTrailingNul},
        {"latin1", Charset::Latin1, "E9 00", "\u00E9", kTextTrailingNul},
        {"utf8", Charset::Utf8, "C3A9 00 00 00", "\u00E9", kTextTrailingNul},
        {"ucs2 units", Charset::Ucs2, "0041 0000 0000", "A", kTextTrailingNul},
        {"ucs2 units and an odd octet", Charset::Ucs2, "0041 0000 00", "A", kTextTrailingNul},
        {"gsm7 keeps @", Charset::Gsm7, "41 00 00", "A@@", 0},
        {"no NULs, no flag", Charset::Latin1, "41", "A", 0},
        {"all NULs", Charset::Ia5, "00 00", "", kTextTrailingNul},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        const DecodedText d = decode_as(row.charset, hex(row.octets));
        CHECK(d.utf8 == row.utf8);
        CHECK(d.flags == row.flags);
      }
    }
    SUBCASE("an inner NUL is text, not a terminator") {
      const DecodedText d = decode_as(Charset::Ucs2, hex("0041 0000 0042"));
      CHECK(d.utf8 == std::string("A\0B", 3));
      CHECK(d.flags == 0);
    }
  }

  TEST_CASE("IA5 octets above 0x7F are undecodable") {
    const DecodedText d = decode(0x01, hex("48 69 80 FF 21"), TextOptions{});
    CHECK(d.utf8 == "Hi\uFFFD\uFFFD!");
    CHECK(d.flags == kTextUndecodable);
  }

  TEST_CASE("Latin-1 maps octets to the first 256 code points") {
    const DecodedText d = decode(0x03, hex("50 72 69 78 3A 20 A3 35 20 E9 E8 FF"), TextOptions{});
    CHECK(d.utf8 == "Prix: \u00A35 \u00E9\u00E8\u00FF");
    CHECK(d.flags == 0);
    CHECK(encode_latin1("Prix: \u00A35 \u00E9\u00E8\u00FF") == hex("50 72 69 78 3A 20 A3 35 20 E9 E8 FF"));
    CHECK_FALSE(encode_latin1("5\u20AC").has_value());
    CHECK_FALSE(encode_latin1("\xE9").has_value());  // ill-formed UTF-8 input
  }

  TEST_CASE("ill-formed UTF-8 becomes one replacement character per maximal subpart") {
    struct Row {
      const char* name;
      const char* octets;
      const char* utf8;
    };
    const Row rows[] = {
        {"lead without continuation", "C3 28", "\uFFFD("},
        {"overlong slash", "C0 AF", "\uFFFD\uFFFD"},
        {"encoded surrogate", "ED A0 80", "\uFFFD\uFFFD\uFFFD"},
        {"truncated at the end", "41 E2 82", "A\uFFFD"},
        {"above U+10FFFF", "F4 90 80 80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
        {"stray continuation", "80 41", "\uFFFDA"},
        {"F5 lead", "F5 41", "\uFFFDA"},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        const DecodedText d = decode_as(Charset::Utf8, hex(row.octets));
        CHECK(d.utf8 == row.utf8);
        CHECK(d.flags == kTextUndecodable);
      }
    }
    SUBCASE("well-formed text passes through") {
      const std::string text = "ok \u00E9 \u20AC \U0001F600";
      const DecodedText d = decode_as(Charset::Utf8, text);
      CHECK(d.utf8 == text);
      CHECK(d.flags == 0);
    }
  }

  TEST_CASE("ill-formed UTF-8 given to encode_ucs2 is encoded as U+FFFD") {
    CHECK(encode_ucs2("A\xFF") == hex("0041 FFFD"));
    CHECK(encode_ucs2("").empty());
  }

  TEST_CASE("64 KiB of random octets decode to valid UTF-8 in every charset and data_coding") {
    std::mt19937 rng(20251122);  // fixed seed: reproducible
    std::uniform_int_distribution<int> octet(0, 255);
    std::string noise(64 * 1024, '\0');
    for (auto& c : noise) c = static_cast<char>(octet(rng));
    for (Charset charset : kAllCharsets) {
      for (bool gsm7_packed : {false, true}) {
        INFO(to_string(charset), " packed=", gsm7_packed);
        const DecodedText d = decode_as(charset, noise, gsm7_packed);
        CHECK(is_valid_utf8(d.utf8));
        if (charset != Charset::Binary) CHECK_FALSE(d.utf8.empty());
        const DecodedText counted = decode_as(charset, noise, gsm7_packed, noise.size());  // count too big
        CHECK(is_valid_utf8(counted.utf8));
      }
    }
    const std::string_view small = std::string_view(noise).substr(0, 301);
    for (int dc = 0; dc <= 0xFF; ++dc) {
      for (bool gsm7_packed : {false, true}) {
        TextOptions options;
        options.gsm7_packed = gsm7_packed;
        INFO("data_coding ", dc);
        CHECK(is_valid_utf8(decode(static_cast<std::uint8_t>(dc), small, options).utf8));
      }
    }
  }

  TEST_CASE("split_encoded keeps GSM escape pairs whole") {
    const std::string septets = *encode_gsm7("abc\u20AC{}");  // 61 62 63 1B65 1B28 1B29
    REQUIRE(septets.size() == 9);
    const auto parts = split_encoded(Charset::Gsm7, septets, 4);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0] == hex("616263"));  // the euro's escape pair would straddle: it moves on
    CHECK(parts[1] == hex("1B65 1B28"));
    CHECK(parts[2] == hex("1B29"));
    for (const auto& p : parts) CHECK(decode_as(Charset::Gsm7, p).flags == 0);
    CHECK(join(parts) == septets);
  }

  TEST_CASE("split_encoded keeps UCS2 surrogate pairs whole and counts two octets a unit") {
    const std::string octets = encode_ucs2("ab\U0001F600c");  // 0061 0062 D83D DE00 0063
    const auto parts = split_encoded(Charset::Ucs2, octets, 3);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == hex("0061 0062"));
    CHECK(parts[1] == hex("D83D DE00 0063"));
    for (const auto& p : parts) CHECK(decode_as(Charset::Ucs2, p).flags == 0);
    SUBCASE("a pair larger than the budget goes alone rather than being cut") {
      const auto tiny = split_encoded(Charset::Ucs2, octets, 1);
      REQUIRE(tiny.size() == 4);
      CHECK(tiny[2] == hex("D83D DE00"));
    }
  }

  TEST_CASE("split_encoded gives Latin-1 and IA5 one octet a unit, and always one part at least") {
    CHECK(split_encoded(Charset::Latin1, "abcde", 2) == std::vector<std::string>{"ab", "cd", "e"});
    CHECK(split_encoded(Charset::Ia5, "abcd", 2) == std::vector<std::string>{"ab", "cd"});
    CHECK(split_encoded(Charset::Binary, "abc", 0) == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_encoded(Charset::Latin1, "", 10) == std::vector<std::string>{""});
    CHECK(split_encoded(Charset::Latin1, "abc", 10) == std::vector<std::string>{"abc"});
  }

  TEST_CASE("octets split blindly decode to the original only once rejoined") {
    struct Row {
      const char* name;
      Charset charset;
      std::string encoded;
      std::size_t cut;  // an octet count that cuts at least one character in two
    };
    const Row rows[] = {
        {"gsm7 escapes", Charset::Gsm7, *encode_gsm7("a\u20AC[b]c{d}e~f^g|h\\"), 2},
        {"ucs2 emoji", Charset::Ucs2, encode_ucs2("x\U0001F600y\U0001F4B0z Привет"), 3},
        {"utf8", Charset::Utf8, std::string("\u0101\u20AC\U0001F600\u0444"), 3},
    };
    for (const Row& row : rows) {
      SUBCASE(row.name) {
        const std::string original = decode_as(row.charset, row.encoded).utf8;
        REQUIRE(!original.empty());
        for (std::size_t max_units = 1; max_units <= 5; ++max_units) {
          const auto parts = split_encoded(row.charset, row.encoded, max_units, false);
          CHECK(join(parts) == row.encoded);
          const DecodedText rejoined = decode_as(row.charset, join(parts));
          CHECK(rejoined.utf8 == original);
          CHECK(rejoined.flags == 0);
        }
        // Decoding parts one by one is what a receiver must not do: a cut character is lost.
        const auto odd_cut = split_encoded(Charset::Binary, row.encoded, row.cut, false);
        std::string piecewise;
        for (const auto& p : odd_cut) piecewise += decode_as(row.charset, p).utf8;
        CHECK(piecewise != original);
      }
    }
  }

  TEST_CASE("split_encoded parts of random octets rejoin to the input and respect the budget") {
    std::mt19937 rng(23038);  // fixed seed: reproducible
    std::uniform_int_distribution<int> octet(0, 255);
    std::string noise(4096, '\0');
    for (auto& c : noise) c = static_cast<char>(octet(rng));
    noise[100] = '\x1B';  // make sure an escape and a surrogate pair are in there
    noise[200] = '\xD8';
    noise[202] = '\xDC';
    for (Charset charset : kAllCharsets) {
      for (std::size_t max_units : {1, 2, 7, 67, 153}) {
        for (bool whole : {true, false}) {
          INFO(to_string(charset), " max_units=", max_units, " whole=", whole);
          const auto parts = split_encoded(charset, noise, max_units, whole);
          CHECK(join(parts) == noise);
          const std::size_t budget = max_units * (charset == Charset::Ucs2 ? 2 : 1);
          for (const auto& p : parts) {
            CHECK_FALSE(p.empty());
            CHECK(p.size() <= std::max<std::size_t>(budget, 4));  // one oversized character at most
          }
        }
      }
    }
  }
}
