// decode_indicator (SAX, no DOM) against the DOM path it replaces: same indicators, same refusals.
#include <doctest/doctest.h>

#include "smish/core/json.hpp"
#include "smish/storage/indicator_codec.hpp"
#include "smish/storage/store.hpp"
#include "support.hpp"

using namespace smish;
using core::Json;

namespace {

core::Indicator full_indicator() {
  core::Indicator i;
  i.kind = core::IndicatorKind::Url;
  i.value = "https://pay-ex\xc3\xa4mple.example/track?id=1";
  i.total_reports = 12;
  i.reporters = {{"p:00000000000000aa", 1763769600000}, {"p:00000000000000bb", -5}};
  i.distinct_reporters = 2;
  i.first_seen_ms = 1763748000000;
  i.last_seen_ms = 1763766000000;
  i.categories = {{"fake_delivery", 4}, {"credential_phishing", 1}};
  i.max_score = 0.875;
  i.flags = {"obfuscated", "no_scheme"};
  i.status = core::IndicatorStatus::Confirmed;
  i.status_reason = "analyst says so";
  i.status_actor = "analyst:ieva";
  i.status_ms = 1763766000001;
  i.expires_ms = 1764370800000;
  i.recent_reports = {1, 2, 18446744073709551615ull};
  return i;
}

/// The DOM path that decode_indicator replaces.
core::Result<core::Indicator> dom_decode(std::string_view bytes) {
  auto j = core::decode_binary(bytes);
  if (!j) return j.error();
  return core::indicator_from_json(*j);
}

core::Result<core::Indicator> sax_decode(std::string_view bytes) {
  core::Indicator out;
  if (auto s = storage::decode_indicator(bytes, out); !s) return s.error();
  return out;
}

std::string encode(const Json& j) { return core::encode_binary(j); }

}  // namespace

TEST_SUITE("storage/indicator_codec") {
  TEST_CASE("every field decodes as the DOM path decodes it") {
    const auto bytes = encode(core::to_json(full_indicator()));
    auto sax = sax_decode(bytes);
    REQUIRE(sax.has_value());
    CHECK(core::to_json(*sax) == core::to_json(full_indicator()));
    CHECK(sax->reporters.at("p:00000000000000bb") == -5);
    CHECK(sax->recent_reports.back() == 18446744073709551615ull);
  }

  TEST_CASE("a reused indicator keeps nothing of the previous value") {
    core::Indicator out;
    REQUIRE(storage::decode_indicator(encode(core::to_json(full_indicator())), out).has_value());
    const auto bare = encode(Json{{"kind", "number"}, {"value", "+37120000000"}});
    REQUIRE(storage::decode_indicator(bare, out).has_value());
    core::Indicator expected;
    expected.kind = core::IndicatorKind::Number;
    expected.value = "+37120000000";
    CHECK(core::to_json(out) == core::to_json(expected));
  }

  TEST_CASE("missing and null members take their defaults, unknown members are skipped") {
    Json j = core::to_json(full_indicator());
    j.erase("flags");
    j["status_ms"] = nullptr;
    j["categories"] = nullptr;
    j["status"] = "no-such-status";
    j["x_future"] = {{"nested", {1, 2, {{"deeper", "x"}}}}, {"bin", Json::binary_t({1, 2, 3})}};
    j["x_list"] = {Json::object(), Json::array(), nullptr, "s"};
    const auto bytes = encode(j);
    auto sax = sax_decode(bytes);
    auto dom = dom_decode(bytes);
    REQUIRE(sax.has_value());
    REQUIRE(dom.has_value());
    CHECK(core::to_json(*sax) == core::to_json(*dom));
    CHECK(sax->flags.empty());
    CHECK(sax->status_ms == 0);
    CHECK(sax->categories.empty());
    CHECK(sax->status == core::IndicatorStatus::Observed);
    CHECK(sax->value == full_indicator().value);
  }

  TEST_CASE("numbers convert between integer, unsigned and float forms as the DOM path converts them") {
    Json j{{"kind", "domain"}, {"value", "a.example"}, {"max_score", 1}, {"total_reports", 3.0},
           {"first_seen_ms", -7}, {"expires_ms", 2.5}, {"recent_reports", {1.0, 2u}}};
    const auto bytes = encode(j);
    auto sax = sax_decode(bytes);
    auto dom = dom_decode(bytes);
    REQUIRE(sax.has_value());
    REQUIRE(dom.has_value());
    CHECK(core::to_json(*sax) == core::to_json(*dom));
    CHECK(sax->max_score == 1.0);
    CHECK(sax->first_seen_ms == -7);
  }

  TEST_CASE("values the DOM path refuses are refused as corruption") {
    const Json good = core::to_json(full_indicator());
    struct Row {
      const char* name;
      Json value;
    };
    std::vector<Row> rows;
    auto with = [&](const char* name, const char* key, Json v) {
      Json j = good;
      j[key] = std::move(v);
      rows.push_back({name, std::move(j)});
    };
    auto without = [&](const char* name, const char* key) {
      Json j = good;
      j.erase(key);
      rows.push_back({name, std::move(j)});
    };
    without("no kind", "kind");
    without("no value", "value");
    with("null kind", "kind", nullptr);
    with("unknown kind", "kind", "phone");
    with("kind a number", "kind", 3);
    with("value a number", "value", 3);
    with("value binary", "value", Json::binary_t({'a'}));
    with("status a number", "status", 2);
    with("categories an array", "categories", {1, 2});
    with("category a string", "categories", {{"x", "y"}});
    with("reporter a null", "reporters", {{"p:1", nullptr}});
    with("flags an object", "flags", {{"a", 1}});
    with("flag a number", "flags", {1});
    with("flag nested", "flags", {{"a"}});
    with("recent report a string", "recent_reports", {"1"});
    with("first_seen a string", "first_seen_ms", "1");
    with("max_score an object", "max_score", Json::object());
    with("total_reports a boolean", "total_reports", true);
    rows.push_back({"an array, not an object", Json::array({1, 2})});
    rows.push_back({"a string, not an object", "number:+37120000000"});
    for (const auto& row : rows) {
      SUBCASE(row.name) {
        const auto bytes = encode(row.value);
        REQUIRE_FALSE(dom_decode(bytes).has_value());
        auto sax = sax_decode(bytes);
        REQUIRE_FALSE(sax.has_value());
        CHECK(sax.error().code == core::ErrorCode::Corruption);
      }
    }
  }

  TEST_CASE("every MessagePack type decodes, or is refused, as the DOM path does") {
    // {"kind":"domain","value":"a.example", <key>: <value>} with the value in every encoding.
    // (Infinite or NaN floats in integer fields are left out: the DOM path's conversion of them
    // is undefined behaviour, which decode_indicator replaces with clamping.)
    auto value_with = [](std::string_view key, const std::string& hexvalue) {
      std::string b = "\x83\xa4kind\xa6" "domain\xa5value\xa9" "a.example";
      b += static_cast<char>(0xa0 | key.size());
      b += key;
      return b + test::hex(hexvalue);
    };
    struct Row {
      const char* key;
      const char* hex;
    };
    const Row rows[] = {
        {"x", "c0"}, {"x", "c2"}, {"x", "c3"}, {"x", "c1"}, {"x", "e0"}, {"x", "7f"},
        {"x", "c40201 02"}, {"x", "c50001ff"}, {"x", "c600000001ff"}, {"x", "c60000ffff"},
        {"x", "c70105aa"}, {"x", "c8000105aa"}, {"x", "c90000000105aa"},
        {"x", "d405aa"}, {"x", "d505aabb"}, {"x", "d60501020304"}, {"x", "d7050102030405060708"},
        {"x", "d80501020304050607080910111213141516"}, {"x", "d805"},
        {"x", "d90161"}, {"x", "da000161"}, {"x", "db0000000161"}, {"x", "db7fffffff"},
        {"x", "dc000101"}, {"x", "dd0000000101"}, {"x", "ddffffffff"},
        {"x", "de0001a16b01"}, {"x", "df00000001a16b01"}, {"x", "dfffffffff"}, {"x", "810101"},
        {"x", "92c0a0"}, {"x", "81a0c0"}, {"x", "91"},
        {"max_score", "ca3fc00000"}, {"max_score", "cb3fe8000000000000"}, {"max_score", "cc05"},
        {"total_reports", "cd0102"}, {"total_reports", "ce01020304"}, {"total_reports", "cf0102030405060708"},
        {"total_reports", "d3ffffffffffffffff"}, {"first_seen_ms", "d080"}, {"first_seen_ms", "d18000"},
        {"first_seen_ms", "d280000000"}, {"max_score", "ca7f800000"}, {"max_score", "cbbff8000000000000"},
        {"status_reason", "da0002c3a4"}, {"status_actor", "db00000000"}, {"flags", "dc0001a178"},
        {"recent_reports", "dd00000002cc01cd0002"}, {"categories", "de0001a178cc03"},
        {"reporters", "df00000001a178d0ff"}, {"value", "d9096e2e6578616d706c65"},
    };
    std::size_t decoded = 0;
    for (const auto& row : rows) {
      const auto bytes = value_with(row.key, row.hex);
      const std::string key(row.key), hexvalue(row.hex);
      CAPTURE(key);
      CAPTURE(hexvalue);
      auto dom = dom_decode(bytes);
      auto sax = sax_decode(bytes);
      REQUIRE(sax.has_value() == dom.has_value());
      if (dom) {
        CHECK(core::to_json(*sax) == core::to_json(*dom));
        ++decoded;
      } else {
        CHECK(sax.error().code == core::ErrorCode::Corruption);
      }
    }
    CHECK(decoded > 30);
  }

  TEST_CASE("nesting deeper than 64 levels is refused, not recursed into") {
    std::string deep = "\x83\xa4kind\xa6" "domain\xa5value\xa9" "a.example\xa1x";
    deep += std::string(64, '\x91');
    deep += '\xc0';
    auto sax = sax_decode(deep);
    REQUIRE_FALSE(sax.has_value());
    CHECK(sax.error().code == core::ErrorCode::Corruption);
    std::string shallow = "\x83\xa4kind\xa6" "domain\xa5value\xa9" "a.example\xa1x";
    shallow += std::string(62, '\x91');
    shallow += '\xc0';
    CHECK(sax_decode(shallow).has_value());
  }

  TEST_CASE("maps decoded into a reused indicator (kept nodes) equal the DOM path's, duplicate keys too") {
    core::Indicator out;
    const auto full = encode(core::to_json(full_indicator()));
    REQUIRE(storage::decode_indicator(full, out).has_value());  // leaves nodes to reuse
    // reporters {"p:1": 1, "p:1": 2, "p:0": 3} and categories {"b": 4, "a": 5}: duplicates and
    // keys out of order, which no encoder of ours writes
    const auto bytes = test::hex("84 a4 6b696e64 a6 646f6d61696e a5 76616c7565 a9 612e6578616d706c65"
                                 "a9 7265706f7274657273 83 a3 703a31 01 a3 703a31 02 a3 703a30 03"
                                 "aa 63617465676f72696573 82 a1 62 04 a1 61 05");
    REQUIRE(storage::decode_indicator(bytes, out).has_value());
    auto dom = dom_decode(bytes);
    REQUIRE(dom.has_value());
    CHECK(core::to_json(out) == core::to_json(*dom));
    CHECK(out.reporters == std::map<std::string, std::int64_t>{{"p:0", 3}, {"p:1", 2}});
    CHECK(out.categories == std::map<std::string, std::uint64_t>{{"a", 5}, {"b", 4}});
    REQUIRE(storage::decode_indicator(full, out).has_value());
    CHECK(core::to_json(out) == core::to_json(full_indicator()));
  }

  TEST_CASE("every truncation of a stored value, and trailing bytes after one, are corruption") {
    const auto bytes = encode(core::to_json(full_indicator()));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(n);
      auto sax = sax_decode(std::string_view(bytes).substr(0, n));
      REQUIRE_FALSE(sax.has_value());
      CHECK(sax.error().code == core::ErrorCode::Corruption);
    }
    CHECK_FALSE(sax_decode(bytes + '\xc0').has_value());
  }

  TEST_CASE("a value with any one byte changed decodes exactly when the DOM path decodes it, to the same indicator") {
    const auto bytes = encode(core::to_json(full_indicator()));
    std::size_t both_ok = 0, both_refused = 0;
    for (std::size_t pos = 0; pos < bytes.size(); ++pos) {
      for (unsigned char delta : {0x01, 0x10, 0x80, 0xff}) {
        std::string mutated = bytes;
        mutated[pos] = static_cast<char>(static_cast<unsigned char>(mutated[pos]) ^ delta);
        CAPTURE(pos);
        CAPTURE(static_cast<int>(delta));
        auto dom = dom_decode(mutated);
        auto sax = sax_decode(mutated);
        REQUIRE(sax.has_value() == dom.has_value());
        if (dom) {
          CHECK(core::to_json(*sax) == core::to_json(*dom));
          ++both_ok;
        } else {
          ++both_refused;
        }
      }
    }
    CHECK(both_ok > 0);
    CHECK(both_refused > 0);
  }
}
