// Export building blocks: value validation, escaping, UTC timestamps, STIX patterns and ids, deltas.
#include <doctest/doctest.h>

#include <string>

#include "smish/blocklist/delta.hpp"
#include "smish/blocklist/formats.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"

using namespace smish;
using blocklist::normalize_export_value;
using core::IndicatorKind;

TEST_SUITE("blocklist/formats") {
  TEST_CASE("values that would break a format or block too much are never exported") {
    struct Row {
      IndicatorKind kind;
      const char* in;
      const char* out;  // nullptr: refused
      bool ip = false;
    };
    // Rows hold C strings: a computed one must outlive the table (a temporary's c_str() would dangle).
    const std::string label_too_long = std::string(64, 'a') + ".example";
    const Row rows[] = {
        {IndicatorKind::Number, "+37129999901", "+37129999901"},
        {IndicatorKind::Number, "+6831234", "+6831234"},
        {IndicatorKind::Number, "112", nullptr},
        {IndicatorKind::Number, "+112", nullptr},
        {IndicatorKind::Number, "+371 2999 9901", nullptr},
        {IndicatorKind::Number, "+0371299999", nullptr},
        {IndicatorKind::Number, "+1234567890123456", nullptr},
        {IndicatorKind::SenderId, "BANK-INFO", "BANK-INFO"},
        {IndicatorKind::SenderId, "ABCDEFGHIJKL", nullptr},
        {IndicatorKind::SenderId, "BANK\nX", nullptr},
        {IndicatorKind::Domain, "Evil-Parcel.Example.", "evil-parcel.example"},
        {IndicatorKind::Domain, "xn--80ak6aa92e.com", "xn--80ak6aa92e.com"},
        {IndicatorKind::Domain, "lv", nullptr},
        {IndicatorKind::Domain, "evil.example\n*.bank.lv", nullptr},
        {IndicatorKind::Domain, "*.evil.example", nullptr},
        {IndicatorKind::Domain, "a..example", nullptr},
        {IndicatorKind::Domain, "-evil.example", nullptr},
        {IndicatorKind::Domain, "ev il.example", nullptr},
        {IndicatorKind::Domain, "bаnk.lv", nullptr},  // Cyrillic а: IDNs arrive as punycode
        {IndicatorKind::Domain, "1.2.3.4", "1.2.3.4", true},
        {IndicatorKind::Domain, "1.2.3.999", nullptr},
        {IndicatorKind::Host, "Login.Evil.Example", "login.evil.example"},
        {IndicatorKind::Host, label_too_long.c_str(), nullptr},
        {IndicatorKind::Url, "HTTP://Evil.Example/Pay?x=1", "http://evil.example/Pay?x=1"},
        {IndicatorKind::Url, "https://evil.example:8443/a", "https://evil.example:8443/a"},
        {IndicatorKind::Url, "https://evil.example/ā", "https://evil.example/%C4%81"},
        {IndicatorKind::Url, "http://bank.lv@evil.example/", nullptr},
        {IndicatorKind::Url, "http://evil.example/a b", nullptr},
        {IndicatorKind::Url, "http://evil.example/a\nb", nullptr},
        {IndicatorKind::Url, "ftp://evil.example/", nullptr},
        {IndicatorKind::Url, "evil.example/pay", nullptr},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(core::to_string(row.kind)) + " " + row.in).c_str()) {
        auto got = normalize_export_value(row.kind, row.in);
        if (row.out == nullptr) {
          CHECK_FALSE(got.has_value());
        } else {
          REQUIRE(got.has_value());
          CHECK(got->value == row.out);
          CHECK(got->ip == row.ip);
        }
      }
    }
  }

  TEST_CASE("a URL of more than 2048 octets is refused") {
    CHECK(normalize_export_value(IndicatorKind::Url, "http://e.example/" + std::string(2031, 'a')).has_value());
    CHECK_FALSE(normalize_export_value(IndicatorKind::Url, "http://e.example/" + std::string(2032, 'a')).has_value());
  }

  TEST_CASE("the fast UTC formatter writes what core::format_utc writes") {
    const std::int64_t samples[] = {0, 1, 999, -1, -86'400'001, 951'782'400'000 /* 2000-02-29 */, 1'763'769'600'123,
                                    4'102'444'799'999 /* 2099-12-31T23:59:59.999 */, 253'402'300'799'999};
    for (auto ms : samples) {
      std::string s;
      blocklist::append_utc(s, ms);
      CHECK_MESSAGE(s == core::format_utc(ms), ms);
    }
    for (std::int64_t ms = -10LL * 365 * 86'400'000; ms < 200LL * 365 * 86'400'000; ms += 7'777'777'777) {
      std::string s;
      blocklist::append_utc(s, ms);
      REQUIRE_MESSAGE(s == core::format_utc(ms), ms);
    }
    // Days whose date parts share a slot of the formatter's per-thread cache (64 days apart),
    // alternating, and many times of one day.
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t ms = 1'763'769'600'000 + (i % 2) * 64 * 86'400'000LL + (i % 3) * 128 * 86'400'000LL + i * 43'210'987LL;
      std::string s;
      blocklist::append_utc(s, ms);
      REQUIRE_MESSAGE(s == core::format_utc(ms), ms);
    }
  }

  TEST_CASE("JSON strings are escaped and invalid UTF-8 is replaced, so every line parses") {
    static constexpr char kIn[] = "a\"b\\c\n\x01 ā \xff\xc0\x80 end";
    std::string out;
    blocklist::append_json_string(out, std::string(kIn, sizeof kIn - 1));
    auto j = core::Json::parse(out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.get<std::string>() == "a\"b\\c\n\x01 ā \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
  }

  TEST_CASE("CSV fields with commas, quotes or line breaks are quoted (RFC 4180)") {
    std::string out;
    blocklist::append_csv_field(out, "plain");
    out += ',';
    blocklist::append_csv_field(out, "a,\"b\"");
    CHECK(out == "plain,\"a,\"\"b\"\"\"");
  }

  TEST_CASE("STIX patterns name the right object type and escape quotes") {
    CHECK(blocklist::stix_pattern(IndicatorKind::Domain, "evil.example", false) == "[domain-name:value = 'evil.example']");
    CHECK(blocklist::stix_pattern(IndicatorKind::Host, "1.2.3.4", true) == "[ipv4-addr:value = '1.2.3.4']");
    CHECK(blocklist::stix_pattern(IndicatorKind::Url, "http://e.example/it's\\", false) ==
          "[url:value = 'http://e.example/it\\'s\\\\']");
    CHECK(blocklist::stix_pattern(IndicatorKind::Number, "+37129999901", false) ==
          "[x-smishd-phone-number:value = '+37129999901']");
    CHECK(blocklist::stix_pattern(IndicatorKind::SenderId, "BANK", false) == "[x-smishd-sender-id:value = 'BANK']");
  }

  TEST_CASE("STIX ids are RFC 4122 version 5 UUIDs, equal to Python's uuid.uuid5 in the same namespace") {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('6f1c0b3e-5d2a-4b7e-9a41-2c8d3e5f7a10'), 'domain:evil.example'))"
    CHECK(blocklist::uuid5("domain:evil.example") == "4e18976d-c3c3-5fb9-9409-92201905b0c7");
    CHECK(blocklist::uuid5("identity:smishd") == "6fa14a87-6dc4-5749-a146-0b18e7c5f39f");
  }

  TEST_CASE("an RPZ owner name must fit 253 characters with the zone") {
    const std::string zone = "rpz.smishd.local";
    CHECK(blocklist::fits_dns_name(std::string(253 - 1 - zone.size(), 'a'), zone));
    CHECK_FALSE(blocklist::fits_dns_name(std::string(253 - zone.size(), 'a'), zone));
  }
}

TEST_SUITE("blocklist/delta") {
  using blocklist::Delta;
  using blocklist::PublishedEntry;
  using blocklist::RemovalReason;

  TEST_CASE("a diff lists additions and removals with the reason looked up for each removal") {
    std::vector<PublishedEntry> before = {{"domain:a.example", 1, 0}, {"domain:b.example", 2, 0}, {"number:+37120000001", 3, 0}};
    std::vector<PublishedEntry> after = {{"domain:b.example", 2, 0}, {"domain:c.example", 4, 0}};
    auto d = blocklist::diff_entries(before, after, [](const std::string& key) -> std::optional<RemovalReason> {
      if (key == "domain:a.example") return RemovalReason::Expired;
      return std::nullopt;
    });
    REQUIRE(d.entries.size() == 3);
    CHECK(d.entries[0].key == "domain:a.example");
    CHECK_FALSE(d.entries[0].added);
    CHECK(d.entries[0].reason == RemovalReason::Expired);
    CHECK(d.entries[0].first_seen_ms == 1);
    CHECK(d.entries[1].key == "domain:c.example");
    CHECK(d.entries[1].added);
    CHECK(d.entries[2].reason == RemovalReason::Deleted);
    CHECK(d.added() == 1);
    CHECK(d.removed() == 2);
  }

  TEST_CASE("composing deltas cancels an entry added then removed, and one removed then added back") {
    Delta one{1, 2, {{"domain:a.example", true, RemovalReason::Deleted, 0}, {"domain:b.example", false, RemovalReason::Revoked, 0},
                     {"domain:c.example", false, RemovalReason::Expired, 0}}};
    Delta two{2, 3, {{"domain:a.example", false, RemovalReason::Expired, 0}, {"domain:b.example", true, RemovalReason::Deleted, 0},
                     {"domain:d.example", true, RemovalReason::Deleted, 0}}};
    auto d = blocklist::compose(one, two);
    CHECK(d.from_serial == 1);
    CHECK(d.to_serial == 3);
    REQUIRE(d.entries.size() == 2);
    CHECK(d.entries[0].key == "domain:c.example");
    CHECK(d.entries[0].reason == RemovalReason::Expired);
    CHECK(d.entries[1].key == "domain:d.example");
    CHECK(d.entries[1].added);
  }

  TEST_CASE("a delta and an entry list survive rendering and parsing") {
    Delta d{4, 7, {{"number:+37120000001", true, RemovalReason::Deleted, 5}, {"url:http://e.example/a:b\"c", false, RemovalReason::Allowlisted, 6}}};
    auto text = blocklist::render_delta(d);
    auto back = blocklist::parse_delta(text);
    REQUIRE(back.has_value());
    CHECK(back->from_serial == 4);
    CHECK(back->to_serial == 7);
    REQUIRE(back->entries.size() == 2);
    CHECK(back->entries[1].key == "url:http://e.example/a:b\"c");
    CHECK(back->entries[1].reason == RemovalReason::Allowlisted);
    CHECK(back->entries[1].first_seen_ms == 6);
    CHECK_FALSE(blocklist::parse_delta("{\"op\":\"add\"}\n").has_value());

    std::vector<PublishedEntry> entries = {{"domain:a.example", 1, 2}, {"host:b.example", 3, 0}};
    auto parsed = blocklist::parse_entries(blocklist::render_entries(entries));
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->size() == 2);
    CHECK((*parsed)[0].expires_ms == 2);
    CHECK((*parsed)[1].key == "host:b.example");
    CHECK_FALSE(blocklist::parse_entries("domain:a\tx\t1\n").has_value());
  }
}
