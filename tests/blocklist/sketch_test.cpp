// Distinct reporters beyond the exact bound, the burst hold and forgetting a reporter.
#include <doctest/doctest.h>

#include <cmath>

#include "smish/blocklist/policy.hpp"
#include "smish/blocklist/sketch.hpp"
#include "support.hpp"

using namespace smish;
using blocklist::PolicyConfig;
using core::IndicatorStatus;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;  // 2025-11-22T00:00Z
constexpr std::int64_t kMinute = 60'000;

core::Report scam(std::uint64_t id, std::string reporter, std::int64_t ms) {
  core::Report r;
  r.id = id;
  r.reporter = std::move(reporter);
  r.received_ms = ms;
  r.verdict.category = "bank";
  r.verdict.score = 0.9;
  return r;
}

core::Indicator number(std::string value) {
  core::Indicator i;
  i.kind = core::IndicatorKind::Number;
  i.value = std::move(value);
  return i;
}

std::string reporter(int i) { return "p:" + std::to_string(1000000 + i); }

}  // namespace

TEST_SUITE("blocklist/sketch") {
  TEST_CASE("the HyperLogLog estimate is within 5 % from a hundred to a hundred thousand, repeats add nothing") {
    for (int n : {100, 1000, 10000, 100000}) {
      std::string registers;
      blocklist::ReporterSketch sketch(registers);
      for (int i = 0; i < n; ++i) sketch.add(reporter(i));
      const auto once = sketch.estimate();
      for (int i = 0; i < n; i += 3) sketch.add(reporter(i));
      CHECK(sketch.estimate() == once);
      CHECK_MESSAGE(std::abs(static_cast<double>(once) - n) <= 0.05 * n, n << " estimated as " << once);
      CHECK(registers.size() == blocklist::ReporterSketch::kRegisters);
    }
    std::string empty;
    CHECK(blocklist::ReporterSketch(empty).estimate() == 0);
  }

  TEST_CASE("distinct reporters are exact up to the bound, then estimated, a repeat reporter beyond it counts once") {
    PolicyConfig cfg;
    cfg.max_tracked_reporters = 500;
    auto ind = number("+37120000001");
    std::uint64_t id = 0;
    for (int i = 0; i < 500; ++i) blocklist::record_report(ind, scam(++id, reporter(i), kT0 + i), {}, cfg);
    CHECK(ind.distinct_reporters == 500);
    CHECK(ind.sketch.empty());
    for (int round = 0; round < 3; ++round)  // 5000 more reporters, each three times
      for (int i = 500; i < 5500; ++i) blocklist::record_report(ind, scam(++id, reporter(i), kT0 + i), {}, cfg);
    CHECK(ind.reporters.size() == 500);
    CHECK(ind.total_reports == 15500);
    CHECK_MESSAGE(std::abs(static_cast<double>(ind.distinct_reporters) - 5500) <= 0.05 * 5500, ind.distinct_reporters);
  }

  TEST_CASE("per-day counts and campaign votes are kept, bounded") {
    PolicyConfig cfg;
    auto ind = number("+37120000001");
    for (int day = 0; day < 100; ++day) {
      auto r = scam(static_cast<std::uint64_t>(day + 1), reporter(day), kT0 + day * 86'400'000LL);
      r.campaign = "c-" + std::to_string(day % 40);
      blocklist::record_report(ind, r, {}, cfg);
    }
    CHECK(ind.daily.size() == blocklist::kDailyCounts);
    CHECK(ind.daily.begin()->first == "2025-12-02");  // the 10 oldest days dropped
    CHECK(ind.daily.rbegin()->first == "2026-03-01");
    CHECK(ind.campaigns.size() == blocklist::kCampaignCounts);
    CHECK(ind.campaigns["c-0"] == 3);  // days 0, 40, 80: a known campaign still counts when full
  }

  TEST_CASE("a burst of first-time reporters is held for review, established reporters list it") {
    PolicyConfig cfg;  // K = 5, burst: 10 first-time reporters making 80 % of the window's
    auto fresh = number("+37120000001");
    for (int i = 0; i < 12; ++i) {
      blocklist::record_report(fresh, scam(static_cast<std::uint64_t>(i + 1), reporter(i), kT0 + i * kMinute), {}, cfg, true);
      blocklist::evaluate(fresh, cfg, kT0 + i * kMinute);
      if (i >= 4 && i < 9) CHECK(fresh.status == IndicatorStatus::Listed);  // K reached, no burst yet
    }
    CHECK(fresh.status == IndicatorStatus::Suspected);  // the listing is withdrawn once the burst shows
    CHECK(fresh.status_reason.find("held for review: 12 of 12") != std::string::npos);

    // The same twelve reports from reporters with a history list it.
    auto known = number("+37120000002");
    for (int i = 0; i < 12; ++i) {
      blocklist::record_report(known, scam(static_cast<std::uint64_t>(i + 1), reporter(i), kT0 + i * kMinute), {}, cfg, false);
      blocklist::evaluate(known, cfg, kT0 + i * kMinute);
    }
    CHECK(known.status == IndicatorStatus::Listed);

    // Half new, half established: no burst.
    auto mixed = number("+37120000003");
    for (int i = 0; i < 20; ++i)
      blocklist::record_report(mixed, scam(static_cast<std::uint64_t>(i + 1), reporter(i), kT0 + i * kMinute), {}, cfg, i % 2 == 0);
    CHECK(blocklist::evaluate(mixed, cfg, kT0 + 20 * kMinute) == IndicatorStatus::Listed);

    // An analyst's confirmation stands over the hold.
    fresh.status = IndicatorStatus::Confirmed;
    fresh.status_actor = "analyst:maris";
    CHECK(blocklist::evaluate(fresh, cfg, kT0 + 13 * kMinute) == IndicatorStatus::Confirmed);
    // The hold can be turned off.
    cfg.burst_newcomer_fraction = 0;
    auto off = number("+37120000004");
    for (int i = 0; i < 12; ++i)
      blocklist::record_report(off, scam(static_cast<std::uint64_t>(i + 1), reporter(i), kT0 + i * kMinute), {}, cfg, true);
    CHECK(blocklist::evaluate(off, cfg, kT0 + 12 * kMinute) == IndicatorStatus::Listed);
  }

  TEST_CASE("forgetting a reporter takes it out of the reporters, newcomers, counts, votes and recent reports") {
    PolicyConfig cfg;
    auto ind = number("+37120000001");
    blocklist::record_report(ind, scam(1, "p:gone", kT0), {}, cfg, true);
    blocklist::record_report(ind, scam(2, "p:stays", kT0 + 1), {}, cfg, true);
    blocklist::record_report(ind, scam(3, "p:gone", kT0 + 2), {}, cfg, true);
    REQUIRE(ind.distinct_reporters == 2);
    blocklist::forget_reporter(ind, "p:gone", {1, 3}, {"bank", "bank"});
    CHECK(ind.reporters.count("p:gone") == 0);
    CHECK(ind.newcomers == std::vector<std::string>{"p:stays"});
    CHECK(ind.distinct_reporters == 1);
    CHECK(ind.total_reports == 1);
    CHECK(ind.recent_reports == std::vector<std::uint64_t>{2});
    CHECK(ind.categories["bank"] == 1);
  }
}

TEST_SUITE("blocklist/platforms") {
  TEST_CASE("popular platforms are never listed by domain or host, a URL on them is") {
    PolicyConfig cfg;
    auto make = [](core::IndicatorKind kind, std::string value) {
      core::Indicator i;
      i.kind = kind;
      i.value = std::move(value);
      return i;
    };
    auto listed_by_many = [&](core::Indicator ind) {
      for (int i = 0; i < 8; ++i) blocklist::record_report(ind, scam(static_cast<std::uint64_t>(i + 1), reporter(i), kT0 + i), {}, cfg);
      return blocklist::evaluate(ind, cfg, kT0 + 10);
    };
    CHECK(listed_by_many(make(core::IndicatorKind::Domain, "google.com")) == IndicatorStatus::Allowlisted);
    CHECK(listed_by_many(make(core::IndicatorKind::Host, "sites.google.com")) == IndicatorStatus::Allowlisted);
    CHECK(listed_by_many(make(core::IndicatorKind::Host, "t.me")) == IndicatorStatus::Allowlisted);
    CHECK(listed_by_many(make(core::IndicatorKind::Url, "https://t.me/swedbank_support_lv")) == IndicatorStatus::Listed);
    CHECK(listed_by_many(make(core::IndicatorKind::Domain, "notgoogle.com")) == IndicatorStatus::Listed);
  }
}
