// Poisoning resistance and retention, simulated through the real pipeline and a real RocksDB:
// rate caps, K distinct reporters, allowlists with their alert, the burst hold, the sweep.
#include <doctest/doctest.h>

#include "pipeline_fixture.hpp"

using namespace smish;
namespace text = gateway::text;
using test::pipeline::Fixture;
using test::pipeline::segment;

namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

const std::string kScamNumber = "+37129999901";
const std::string kScam = "Swedbank: Jusu konts ir blokets! Lai atbloketu, steidzami zvaniet +371 29999901 un nosauciet Smart-ID kodu";

/// Delivers `text` (with a suffix, so that no two messages are redeliveries) from each reporter,
/// `ms` apart from `start`, and processes everything.
void deliver(Fixture& f, const std::vector<std::string>& reporters, const std::string& text, std::int64_t start,
             std::int64_t step_ms = 1000) {
  std::int64_t ms = start;
  int n = 0;
  for (const auto& reporter : reporters) {
    std::vector<core::InboundSegment> one{
        segment(reporter, 8, text::encode_ucs2(text + " #" + std::to_string(n++)), {}, ms)};
    REQUIRE(f.pipeline->accept(one)[0] == core::AcceptStatus::Stored);
    ms += step_ms;
  }
  do f.pipeline->process();
  while (f.pipeline->backlog());
}

std::vector<std::string> reporters(int n, int first = 0) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) out.push_back("3712" + std::to_string(1000000 + i));
  return out;
}

core::Indicator number(Fixture& f, const std::string& value) {
  auto got = f.store->get_indicator(core::IndicatorKind::Number, value);
  REQUIRE(got.has_value());
  REQUIRE(got->has_value());
  return **got;
}

/// Each reporter sends an unrelated message `age` before `at`: from then on it has a history.
void establish(Fixture& f, const std::vector<std::string>& rs, std::int64_t at, std::int64_t age) {
  deliver(f, rs, "Sveiki, vai šī ir krāpšana?", at - age);
}

}  // namespace

TEST_SUITE("app/poisoning") {
  TEST_CASE("one reporter sending 10 000 reports about one number lists nothing, beyond its caps they weigh nothing") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    // 10 000 reports in ten hours of one day (2025-11-22): the first 20 of the first hour weigh.
    deliver(f, std::vector<std::string>(10000, "37121234567"), kScam, now, 3600);
    auto ind = number(f, kScamNumber);
    CHECK(ind.status != core::IndicatorStatus::Listed);
    CHECK(ind.distinct_reporters == 1);
    CHECK(ind.total_reports == 20);
    CHECK(f.pipeline->stats().rate_capped == 9980);
    CHECK(f.pipeline->stats().reports == 10000);  // every report is stored, weightless or not
    auto newest = f.store->get_report(10000);
    REQUIRE(newest.has_value());
    REQUIRE(newest->has_value());
    CHECK((*newest)->rate_capped);
  }

  TEST_CASE("K-1 distinct reporters list nothing, the K-th lists the number") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    deliver(f, reporters(4), kScam, now);
    auto before = number(f, kScamNumber);
    CHECK(before.status == core::IndicatorStatus::Suspected);
    CHECK(before.status_reason == "4 of 5 reporters needed");
    deliver(f, reporters(1, 4), kScam, now + 10000);
    CHECK(number(f, kScamNumber).status == core::IndicatorStatus::Listed);
  }

  TEST_CASE("1 000 reporters against an allowlisted number list nothing and raise the alert counter") {
    app::PipelineOptions options;
    options.policy.allow_numbers = {kScamNumber};
    Fixture f(options);
    const auto now = core::to_unix_ms(f.clock.now());
    deliver(f, reporters(1000), kScam, now, 100);
    auto ind = number(f, kScamNumber);
    CHECK(ind.status == core::IndicatorStatus::Allowlisted);
    CHECK(ind.distinct_reporters == 1000);
    CHECK(f.pipeline->stats().allowlisted_reports == 1000);
    CHECK(f.pipeline->stats().allowlist_alerts == 3);  // at 5, 50 and 500 distinct reporters
  }

  TEST_CASE("a burst of first-time reporters is held for review, the same number from reporters with a history is listed") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    deliver(f, reporters(12), kScam, now);
    auto held = number(f, kScamNumber);
    CHECK(held.status == core::IndicatorStatus::Suspected);
    CHECK(held.status_reason.find("held for review") == 0);

    const std::string other = "Swedbank: Jusu konts ir blokets! Lai atbloketu, steidzami zvaniet +371 29999902 un nosauciet Smart-ID kodu";
    const auto known = reporters(12, 100);
    establish(f, known, now, 3 * kDay);
    deliver(f, known, other, now);
    CHECK(number(f, "+37129999902").status == core::IndicatorStatus::Listed);
  }

  TEST_CASE("near-duplicate reports share a campaign id that the indicator counts and a restart keeps") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    deliver(f, reporters(3), kScam, now);
    auto reports = f.reports();
    REQUIRE(reports.size() == 3);
    CHECK(reports[0].campaign.rfind("c-", 0) == 0);
    CHECK(reports[1].campaign == reports[0].campaign);
    CHECK(number(f, kScamNumber).campaigns.at(reports[0].campaign) == 3);
    // A new pipeline over the same store (a restart) gives a reworded variant the same campaign:
    // one whose fingerprint differs from the founder's, but by no more than the index allows.
    std::string variant;
    for (const char* extra : {" Paldies", " Steidzami!", " Jusu banka", " Ar cienu, Swedbank", " Atbildiet tulit"}) {
      const int d = classifier::campaign_distance(classifier::campaign_fingerprint(kScam + " #0"),
                                                  classifier::campaign_fingerprint(kScam + extra + " #0"));
      if (d > 0 && d <= classifier::CampaignIndex::kDefaultMaxDistance) variant = kScam + extra;
    }
    REQUIRE_FALSE(variant.empty());
    f.pipeline = std::make_unique<app::Pipeline>(*f.store, f.pseudonymizer, f.extractor, *f.classifier,
                                                 app::PipelineOptions{}, f.clock);
    deliver(f, reporters(1, 50), variant, now + 60000);
    CHECK(f.reports().back().campaign == reports[0].campaign);
  }

  TEST_CASE("retention reduces reports older than raw_retention_days to indicators and a fingerprint") {
    app::PipelineOptions options;
    options.raw_retention_days = 30;
    Fixture f(options);
    const auto t0 = core::to_unix_ms(f.clock.now());
    deliver(f, reporters(2), kScam, t0);                      // reports 1, 2
    f.clock.advance_ms(10 * kDay);
    deliver(f, reporters(1, 2), kScam, t0 + 10 * kDay);       // report 3
    CHECK(f.pipeline->sweep_retention().value().reduced == 0);       // nothing old enough yet

    f.clock.advance_ms(21 * kDay);  // day 31: reports 1 and 2 are past 30 days, report 3 is not
    CHECK(f.pipeline->sweep_retention().value().reduced == 2);
    auto reports = f.reports();
    REQUIRE(reports.size() == 3);
    for (int i : {0, 1}) {
      CHECK(reports[i].text.empty());
      CHECK(reports[i].raw_pdus.empty());
      CHECK(reports[i].text_fingerprint.size() == 16);
      REQUIRE(reports[i].extraction.numbers.size() == 1);  // the indicators stay
      CHECK(reports[i].extraction.numbers[0].e164 == kScamNumber);
      CHECK_FALSE(reports[i].campaign.empty());
    }
    CHECK(reports[0].text_fingerprint != reports[1].text_fingerprint);  // "#0" and "#1" differ
    CHECK_FALSE(reports[2].text.empty());
    CHECK(reports[2].raw_pdus.size() == 1);
    // The counters of those days are gone too; the sweep is incremental and idempotent.
    auto day1 = f.store->get_counter("rate:" + reports[0].reporter + ":d:2025-11-22");
    REQUIRE(day1.has_value());
    CHECK(*day1 == 0);
    CHECK(f.pipeline->sweep_retention().value().reduced == 0);
    f.clock.advance_ms(10 * kDay);
    CHECK(f.pipeline->sweep_retention().value().reduced == 1);
    CHECK(f.pipeline->stats().retention_reduced == 3);
    // A step reads at most `limit` reports, whether or not they need reducing.
    f.clock.advance_ms(60 * kDay);
    deliver(f, reporters(5, 200), kScam, t0 + 71 * kDay);  // reports 4..8
    f.clock.advance_ms(31 * kDay);
    auto step = f.pipeline->sweep_retention(2).value();
    CHECK(step.reduced == 2);
    CHECK(step.more);
    while (step.more) step = f.pipeline->sweep_retention(2).value();
    CHECK(f.pipeline->stats().retention_reduced == 8);
  }
}
