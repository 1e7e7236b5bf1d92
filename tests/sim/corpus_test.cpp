// Tests for the smsc-sim corpus: JSONL parsing, errors naming the line, and deliver_sm parts per coding x split.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smish/gateway/pdu.hpp"
#include "smish/gateway/text.hpp"
#include "smish/sim/simulator.hpp"

namespace {

using smish::core::ConcatInfo;
using smish::core::ConcatSource;
using smish::gateway::smpp::SmBody;
namespace text = smish::gateway::text;
namespace smpp = smish::gateway::smpp;
using namespace smish::sim;

struct Rejoined {
  std::string utf8;
  std::vector<ConcatInfo> concat;
  std::vector<std::size_t> payload_sizes;
};

// Undoes what the simulator did, with the text library only: strip UDH / read SAR / message_payload.
Rejoined rejoin(const std::vector<SmBody>& parts) {
  Rejoined out;
  std::string user_data;
  for (const auto& p : parts) {
    if (p.esm_class & smpp::kEsmClassUdhi) {
      auto ud = text::split_udh(p.short_message);
      REQUIRE(ud.has_value());
      REQUIRE(ud->concat.has_value());
      out.concat.push_back(*ud->concat);
      out.payload_sizes.push_back(ud->payload.size());
      user_data += ud->payload;
    } else if (const auto* t = p.find_tlv(smpp::kTagMessagePayload)) {
      CHECK(p.short_message.empty());
      out.payload_sizes.push_back(t->value.size());
      user_data += t->value;
    } else {
      const auto* ref = p.find_tlv(smpp::kTagSarMsgRefNum);
      const auto* total = p.find_tlv(smpp::kTagSarTotalSegments);
      const auto* seq = p.find_tlv(smpp::kTagSarSegmentSeqnum);
      if (ref) {
        REQUIRE(total);
        REQUIRE(seq);
        REQUIRE(ref->value.size() == 2);
        ConcatInfo c;
        c.source = ConcatSource::Sar;
        c.ref = static_cast<std::uint16_t>((static_cast<std::uint8_t>(ref->value[0]) << 8) |
                                           static_cast<std::uint8_t>(ref->value[1]));
        c.total = static_cast<std::uint8_t>(total->value.at(0));
        c.seq = static_cast<std::uint8_t>(seq->value.at(0));
        out.concat.push_back(c);
      }
      out.payload_sizes.push_back(p.short_message.size());
      user_data += p.short_message;
    }
  }
  out.utf8 = text::decode(parts.at(0).data_coding, user_data, text::TextOptions{}).utf8;
  return out;
}

std::string repeat(std::string_view unit, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += unit;
  return s;
}

std::string line_for(const std::string& txt, std::string_view coding, std::string_view split) {
  smish::core::Json j{{"src", "+37120000001"}, {"dst", "12250"}, {"text", txt}, {"extra", 1}};
  if (!coding.empty()) j["coding"] = std::string(coding);
  if (!split.empty()) j["split"] = std::string(split);
  return j.dump();
}

}  // namespace

TEST_SUITE("sim/corpus") {
  TEST_CASE("every coding x split encodes to parts that decode back to the input text") {
    struct Coding {
      const char* name;
      std::uint8_t data_coding;
      std::string long_text;  // 400 characters, no GSM escapes
      std::size_t udh8, udh16, sar, single;
    };
    const std::vector<Coding> codings = {
        {"gsm7", 0x00, repeat("Bank: verify now! ", 23).substr(0, 400), 153, 152, 160, 160},
        {"latin1", 0x03, repeat("Ihr Paket wartet \xC3\xBC ", 21), 134, 133, 140, 140},
        {"ucs2", 0x08, repeat("\xD0\x92\xD0\xB0\xD1\x88 \xD0\xBA\xD0\xBE\xD0\xB4 ", 50), 67, 66, 70, 70},
    };
    for (const auto& c : codings) {
      for (const char* split : {"none", "udh8", "udh16", "sar", "payload"}) {
        SUBCASE((std::string(c.name) + " x " + split).c_str()) {
          const bool none = std::string_view(split) == "none";
          const std::string txt = none ? std::string("Your code 4411: pay at once") : c.long_text;
          auto msg = parse_corpus_line(line_for(txt, c.name, split), 7);
          REQUIRE_MESSAGE(msg.has_value(), msg.error().detail);
          BuildOptions opts;
          opts.ref = 0x1234;
          auto parts = build_deliver_parts(*msg, opts);
          REQUIRE_MESSAGE(parts.has_value(), parts.error().detail);
          const auto back = rejoin(*parts);
          CHECK(back.utf8 == txt);
          for (const auto& p : *parts) {
            CHECK(p.data_coding == c.data_coding);
            CHECK(p.source_addr == "37120000001");
            CHECK(p.source_addr_ton == 1);
            CHECK(p.source_addr_npi == 1);
            CHECK(p.destination_addr == "12250");
            CHECK(p.dest_addr_ton == 0);
          }
          const std::size_t unit = std::string_view(c.name) == "ucs2" ? 2 : 1;
          std::size_t per_part = 0;
          if (std::string_view(split) == "udh8") per_part = c.udh8;
          if (std::string_view(split) == "udh16") per_part = c.udh16;
          if (std::string_view(split) == "sar") per_part = c.sar;
          if (per_part) {
            REQUIRE(parts->size() >= 3);
            CHECK(back.payload_sizes[0] == per_part * unit);  // first parts are full
            REQUIRE(back.concat.size() == parts->size());
            for (std::size_t i = 0; i < back.concat.size(); ++i) {
              CHECK(back.concat[i].total == parts->size());
              CHECK(back.concat[i].seq == i + 1);
              CHECK(back.concat[i].ref == (std::string_view(split) == "udh8" ? 0x34 : 0x1234));
            }
            if (std::string_view(split) != "sar") CHECK((*parts)[0].esm_class == 0x40);
            else CHECK((*parts)[0].esm_class == 0x00);
          } else {
            CHECK(parts->size() == 1);
            CHECK((*parts)[0].esm_class == 0x00);
            if (std::string_view(split) == "payload") CHECK((*parts)[0].short_message.empty());
          }
        }
      }
    }
  }

  TEST_CASE("part counts follow the per-part limits") {
    auto msg = parse_corpus_line(line_for(std::string(306, 'a'), "gsm7", "udh8"), 1);
    REQUIRE(msg.has_value());
    auto parts = build_deliver_parts(*msg, {});
    REQUIRE(parts.has_value());
    CHECK(parts->size() == 2);  // 306 = 2 x 153
    auto msg16 = parse_corpus_line(line_for(std::string(306, 'a'), "gsm7", "udh16"), 1);
    REQUIRE(msg16.has_value());
    auto parts16 = build_deliver_parts(*msg16, {});
    REQUIRE(parts16.has_value());
    CHECK(parts16->size() == 3);  // 306 > 2 x 152
  }

  TEST_CASE("missing coding and split are chosen from the text") {
    SUBCASE("short GSM text: gsm7, one part") {
      auto msg = parse_corpus_line(R"({"src":"+37120000001","dst":"12250","text":"hello"})", 1);
      REQUIRE(msg.has_value());
      CHECK(msg->coding == text::Charset::Gsm7);
      CHECK(msg->split == SplitMode::None);
    }
    SUBCASE("Cyrillic: ucs2") {
      auto msg = parse_corpus_line(R"({"src":"+37120000001","dst":"12250","text":"Привет"})", 1);
      REQUIRE(msg.has_value());
      CHECK(msg->coding == text::Charset::Ucs2);
    }
    SUBCASE("long text: udh8") {
      auto msg = parse_corpus_line(line_for(std::string(200, 'x'), "", ""), 1);
      REQUIRE(msg.has_value());
      CHECK(msg->split == SplitMode::Udh8);
      auto parts = build_deliver_parts(*msg, {});
      REQUIRE(parts.has_value());
      CHECK(parts->size() == 2);
    }
  }

  TEST_CASE("bad corpus lines give errors naming the line and the field") {
    struct Row {
      const char* name;
      std::string line;
      const char* field;
    };
    const std::vector<Row> rows = {
        {"not json", "{nope", "json"},
        {"not an object", "[1,2]", "json"},
        {"missing src", R"({"dst":"12250","text":"x"})", "src"},
        {"dst not a string", R"({"src":"+371","dst":12250,"text":"x"})", "dst"},
        {"missing text", R"({"src":"+371","dst":"12250"})", "text"},
        {"unknown coding", R"({"src":"+371","dst":"12250","text":"x","coding":"utf7"})", "coding"},
        {"gsm7 cannot encode Cyrillic", R"({"src":"+371","dst":"12250","text":"Привет","coding":"gsm7"})", "coding"},
        {"latin1 cannot encode Greek", R"({"src":"+371","dst":"12250","text":"αβγ","coding":"latin1"})", "coding"},
        {"unknown split", R"({"src":"+371","dst":"12250","text":"x","split":"udh7"})", "split"},
        {"none does not fit", line_for(std::string(161, 'a'), "gsm7", "none"), "split"},
        {"bad source", R"({"src":"+37a","dst":"12250","text":"x"})", "src"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.name) {
        auto msg = parse_corpus_line(row.line, 42);
        REQUIRE_FALSE(msg.has_value());
        const std::string expect = std::string("line 42: ") + row.field;
        CHECK_MESSAGE(msg.error().detail.rfind(expect, 0) == 0, msg.error().detail);
      }
    }
    SUBCASE("parse_corpus counts lines, blank ones included") {
      const std::string jsonl = line_for("ok", "", "") + "\n\n" + R"({"src":"+371","text":"x"})" + "\n";
      auto all = parse_corpus(jsonl);
      REQUIRE_FALSE(all.has_value());
      CHECK(all.error().detail.rfind("line 3: dst", 0) == 0);
    }
    SUBCASE("--vary suffix must still fit a split none line") {
      const std::string jsonl = line_for(std::string(158, 'a'), "gsm7", "none") + "\n";
      CHECK(parse_corpus(jsonl).has_value());
      auto r = parse_corpus(jsonl, 5);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().detail.rfind("line 1: split", 0) == 0);
    }
  }

  TEST_CASE("split-blind cuts UCS2 by octets, splitting a surrogate pair, and the octets still rejoin") {
    // 66 BMP units then an emoji (a surrogate pair at units 67-68) so a 67-unit cut falls inside it.
    const std::string txt = std::string(66, 'a') + "\xF0\x9F\x98\x80" + std::string(20, 'b');
    auto msg = parse_corpus_line(line_for(txt, "ucs2", "udh8"), 1);
    REQUIRE(msg.has_value());
    BuildOptions whole;
    auto kept = build_deliver_parts(*msg, whole);
    REQUIRE(kept.has_value());
    CHECK(rejoin(*kept).payload_sizes[0] == 132);  // the pair moved whole to part 2
    BuildOptions blind;
    blind.split_blind = true;
    auto cut = build_deliver_parts(*msg, blind);
    REQUIRE(cut.has_value());
    const auto back = rejoin(*cut);
    CHECK(back.payload_sizes[0] == 134);
    CHECK(back.utf8 == txt);
  }

  TEST_CASE("a GSM escape is kept whole unless split-blind") {
    const std::string txt = std::string(152, 'a') + "\xE2\x82\xAC" + "tail";  // euro sign = 0x1B 0x65
    auto msg = parse_corpus_line(line_for(txt, "gsm7", "udh8"), 1);
    REQUIRE(msg.has_value());
    auto kept = build_deliver_parts(*msg, {});
    REQUIRE(kept.has_value());
    CHECK(rejoin(*kept).payload_sizes[0] == 152);
    CHECK(rejoin(*kept).utf8 == txt);
    BuildOptions blind;
    blind.split_blind = true;
    auto cut = build_deliver_parts(*msg, blind);
    REQUIRE(cut.has_value());
    CHECK(rejoin(*cut).payload_sizes[0] == 153);
    CHECK(rejoin(*cut).utf8 == txt);
  }

  TEST_CASE("the vary suffix is appended to the text") {
    auto msg = parse_corpus_line(line_for("hello", "", ""), 1);
    REQUIRE(msg.has_value());
    BuildOptions opts;
    opts.text_suffix = " #12";
    auto parts = build_deliver_parts(*msg, opts);
    REQUIRE(parts.has_value());
    CHECK(rejoin(*parts).utf8 == "hello #12");
  }
}
