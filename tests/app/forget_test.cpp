// forget_reporter through the real pipeline and store: what it erases, what it leaves, the proof.
#include <doctest/doctest.h>

#include "pipeline_fixture.hpp"
#include "smish/app/forget.hpp"
#include "smish/storage/audit_log.hpp"

using namespace smish;
namespace text = gateway::text;
using test::pipeline::Fixture;
using test::pipeline::segment;

TEST_SUITE("app/forget") {
  TEST_CASE("forgetting one of five reporters erases its reports and unlists the number it helped list") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    const std::string scam =
        "Swedbank: Jusu konts ir blokets! Lai atbloketu, steidzami zvaniet +371 29999901 un nosauciet Smart-ID kodu";
    for (int i = 0; i < 5; ++i) {
      std::vector<core::InboundSegment> one{segment("3712100000" + std::to_string(i), 8,
                                                    text::encode_ucs2(scam + " #" + std::to_string(i)), {}, now + i)};
      f.pipeline->accept(one);
    }
    // The reporter who goes also sent a second report, still in the inbox when it is forgotten.
    std::vector<core::InboundSegment> late{segment("37121000000", 8, text::encode_ucs2("vēl viena ziņa"), {}, now + 10)};
    f.pipeline->process();
    f.pipeline->accept(late);
    auto before = f.store->get_indicator(core::IndicatorKind::Number, "+37129999901");
    REQUIRE(before.has_value());
    REQUIRE(before->has_value());
    REQUIRE((*before)->status == core::IndicatorStatus::Listed);
    REQUIRE((*before)->distinct_reporters == 5);

    const auto pseudonym = f.pseudonymizer.pseudonym("+37121000000");
    auto res = app::forget_reporter(*f.store, pseudonym, "dpo", app::Writer{0, "direct"}, now + 1000);
    REQUIRE_MESSAGE(res.has_value(), (res ? "" : res.error().detail));
    CHECK(res->reports == 1);
    CHECK(res->indicators == 1);
    CHECK(res->pending == 1);
    CHECK(res->record);
    CHECK(res->counters == 2);  // its hour and day rate counters
    CHECK(res->remaining == 0);
    CHECK(res->scanned > 10);

    auto after = f.store->get_indicator(core::IndicatorKind::Number, "+37129999901");
    REQUIRE(after->has_value());
    CHECK((*after)->distinct_reporters == 4);
    CHECK((*after)->total_reports == 4);
    CHECK((*after)->reporters.count(pseudonym) == 0);
    blocklist::PolicyConfig policy;
    CHECK(blocklist::evaluate(**after, policy, now + 2000) != core::IndicatorStatus::Listed);  // 4 of 5 now
    for (const auto& r : f.reports()) CHECK(r.reporter != pseudonym);
    CHECK(f.reports().size() == 4);
    f.pipeline->process();
    CHECK(f.reports().size() == 4);  // the unprocessed message went with it

    // The audit entry counts, and names no reporter.
    auto last = storage::last_audit(*f.store);
    REQUIRE(last.has_value());
    REQUIRE(last->has_value());
    CHECK((*last)->action == "forget");
    CHECK((*last)->target == "reporter");
    CHECK(storage::encode_audit(**last).find(pseudonym) == std::string::npos);

    // Nothing left: a second request finds nothing and writes no audit entry.
    auto again = app::forget_reporter(*f.store, pseudonym, "dpo", app::Writer{0, "direct"}, now + 3000);
    REQUIRE(again.has_value());
    CHECK_FALSE(again->found());
    CHECK(again->audit_seq == 0);
    CHECK(again->remaining == 0);
  }
}
