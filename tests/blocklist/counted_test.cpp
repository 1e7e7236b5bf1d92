// evaluate_counted over reporters counted while decoding (what smishd's admin reads do) against
// evaluate over the decoded reporter map: the same status, reason and expiry.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "smish/blocklist/policy.hpp"
#include "smish/core/json.hpp"
#include "smish/storage/indicator_codec.hpp"

using namespace smish;
using core::IndicatorStatus;

namespace {

constexpr std::int64_t kNow = 1'765'000'000'000;
constexpr std::int64_t kHour = 3'600'000;

/// An indicator with `recent` reporters inside the 72 h window (the first `fresh` of them
/// first-time reporters) and `old` before it.
core::Indicator indicator(int recent, int fresh, int old, double score, IndicatorStatus status = IndicatorStatus::Observed,
                          std::string actor = "policy") {
  core::Indicator i;
  i.kind = core::IndicatorKind::Number;
  i.value = "+37120000001";
  for (int n = 0; n < recent; ++n) {
    const auto name = "p:" + std::string(30, 'a') + std::to_string(1000 + n);
    i.reporters[name] = kNow - (n % 70) * kHour;
    if (n < fresh) i.newcomers.push_back(name);
  }
  for (int n = 0; n < old; ++n) i.reporters["p:" + std::string(30, 'b') + std::to_string(1000 + n)] = kNow - (80 + n) * kHour;
  std::sort(i.newcomers.begin(), i.newcomers.end());
  i.distinct_reporters = i.reporters.size();
  i.total_reports = i.reporters.size();
  i.last_seen_ms = kNow - kHour;
  i.max_score = score;
  i.status = status;
  i.status_actor = std::move(actor);
  return i;
}

void check_same(const core::Indicator& stored, const std::string& bytes) {
  blocklist::PolicyConfig cfg;
  core::Indicator whole;
  REQUIRE(storage::decode_indicator(bytes, whole).has_value());
  blocklist::evaluate(whole, cfg, kNow);

  core::Indicator counted;
  storage::ReporterTally tally{blocklist::window_start(cfg, kNow)};
  REQUIRE(storage::decode_indicator(bytes, counted, tally).has_value());
  CHECK(counted.reporters.empty());
  blocklist::evaluate_counted(counted, {tally.recent, tally.fresh}, cfg, kNow);
  CHECK(counted.status == whole.status);
  CHECK(counted.status_reason == whole.status_reason);
  CHECK(counted.expires_ms == whole.expires_ms);
  CHECK(counted.status_ms == whole.status_ms);
  CHECK(counted.newcomers == stored.newcomers);
}

}  // namespace

TEST_SUITE("blocklist/counted") {
  TEST_CASE("counting reporters while decoding decides as the reporter map does") {
    const std::vector<core::Indicator> cases = {
        indicator(0, 0, 0, 0.9),                                   // nothing in the window
        indicator(4, 0, 20, 0.9),                                  // 4 of 5: suspected
        indicator(5, 0, 3, 0.9),                                   // listed
        indicator(40, 0, 3000, 0.3),                               // below the score: observed
        indicator(12, 11, 5, 0.9),                                 // a burst of first-time reporters: held
        indicator(12, 9, 0, 0.9),                                  // 9 fresh: not a burst
        indicator(30, 10, 0, 0.9, IndicatorStatus::Listed),        // a listing and a burst after it
        indicator(2, 0, 0, 0.9, IndicatorStatus::Confirmed, "analyst:ieva"),
        indicator(9000, 200, 1000, 0.95),                          // a hot one
    };
    for (const auto& i : cases) {
      CAPTURE(i.reporters.size());
      CAPTURE(i.newcomers.size());
      check_same(i, core::encode_binary(core::to_json(i)));
    }
  }

  TEST_CASE("skipping history leaves daily counts, campaigns and the sketch out and every other field as decoded whole") {
    auto i = indicator(12, 3, 5, 0.9);
    i.daily = {{"2025-11-20", 4}, {"2025-11-21", 9}};
    i.campaigns = {{"c:0123456789abcdef", 7}};
    i.sketch = std::string("\x01\x02\x03\xfa", 4);
    i.categories = {{"fake_delivery", 5}, {"credential_phishing", 2}};
    i.flags = {"idn"};
    i.recent_reports = {4, 5, 6};
    i.status_reason = "a reason";
    i.first_seen_ms = kNow - 50 * kHour;
    i.expires_ms = kNow + 7 * 24 * kHour;
    const auto bytes = core::encode_binary(core::to_json(i));
    core::Indicator whole;
    REQUIRE(storage::decode_indicator(bytes, whole).has_value());
    REQUIRE(whole.daily.size() == 2);  // the fixture round-trips
    REQUIRE(whole.sketch == i.sketch);
    storage::ReporterTally tally{blocklist::window_start(blocklist::PolicyConfig{}, kNow)};
    tally.skip_history = true;
    core::Indicator lean = whole;  // reused, as the export reuses one: what it held must go
    REQUIRE(storage::decode_indicator(bytes, lean, tally).has_value());
    CHECK(lean.daily.empty());
    CHECK(lean.campaigns.empty());
    CHECK(lean.sketch.empty());
    CHECK(lean.reporters.empty());
    CHECK(tally.recent == 12);
    CHECK(tally.fresh == 3);
    lean.daily = whole.daily;
    lean.campaigns = whole.campaigns;
    lean.sketch = whole.sketch;
    lean.reporters = whole.reporters;
    CHECK(core::to_json(lean) == core::to_json(whole));
  }

  TEST_CASE("a value whose reporters come before its newcomers is counted the same") {
    const auto i = indicator(12, 11, 5, 0.9);
    const auto sorted = core::to_json(i);
    nlohmann::ordered_json reordered;
    reordered["reporters"] = sorted["reporters"];
    for (const auto& [key, value] : sorted.items())
      if (key != "reporters") reordered[key] = value;
    std::vector<std::uint8_t> bytes;
    nlohmann::ordered_json::to_msgpack(reordered, bytes);
    const std::string raw(bytes.begin(), bytes.end());
    storage::ReporterTally tally{blocklist::window_start(blocklist::PolicyConfig{}, kNow)};
    core::Indicator counted;
    REQUIRE(storage::decode_indicator(raw, counted, tally).has_value());
    CHECK(tally.recent == 12);
    CHECK(tally.fresh == 11);
    check_same(i, raw);
  }
}
