// Report digests and indicator summaries: what is kept of a report and an indicator, and the
// refusal of every damaged encoding.
#include <doctest/doctest.h>

#include "smish/storage/digest.hpp"

using namespace smish;

namespace {

core::Report full_report() {
  core::Report r;
  r.id = 42;
  r.received_ms = 1765000000123;
  r.reporter = "p:00000000000000aa";
  r.reporter_country = "LV";
  r.text = "Jūsu sūtījums gaida: https://parcel-7.top/lv un zvaniet +37120000001";
  r.raw_pdus = {std::string("\x00\x01\x02", 3)};
  r.extraction.numbers.push_back({"+37120000001", "+37120000001", "LV", {}});
  r.extraction.numbers.push_back({"+37120000002", "20000002", "LV", {}});
  r.extraction.urls.push_back({"http://parcel-7.top/lv", "parcel-7.top/lv", "www.parcel-7.top", "parcel-7.top", {"no_scheme"}});
  r.extraction.sender_ids = {"LATVIJAS-PASTS"};
  r.verdict.label = core::Label::Scam;
  r.verdict.category = "delivery";
  r.campaign = "c-00000000000000ff";
  r.reported_sender = "+37129999999";
  return r;
}

}  // namespace

TEST_SUITE("storage/digest") {
  TEST_CASE("a report's digest keeps what top and stats read and survives its encoding") {
    const auto r = full_report();
    const auto d = storage::digest_of(r);
    CHECK(d.id == 42);
    CHECK(d.numbers == std::vector<std::string>{"+37120000001", "+37120000002"});
    CHECK(d.urls == std::vector<std::string>{"http://parcel-7.top/lv"});
    CHECK(d.hosts == std::vector<std::string>{"www.parcel-7.top"});
    CHECK(d.domains == std::vector<std::string>{"parcel-7.top"});

    const auto bytes = storage::encode_digest(d);
    CHECK(bytes.find("sūtījums") == std::string::npos);  // no text
    CHECK(bytes.size() < r.text.size() + 160);
    storage::ReportDigest back;
    back.id = 7;  // the key's, untouched
    back.numbers = {"stale", "entries", "of", "a", "reused", "digest"};
    REQUIRE(storage::decode_digest(bytes, back).has_value());
    CHECK(back.id == 7);
    CHECK(back.received_ms == r.received_ms);
    CHECK(back.label == core::Label::Scam);
    CHECK(back.reporter == r.reporter);
    CHECK(back.reporter_country == "LV");
    CHECK(back.category == "delivery");
    CHECK(back.campaign == r.campaign);
    CHECK(back.reported_sender == r.reported_sender);
    CHECK(back.numbers == d.numbers);
    CHECK(back.urls == d.urls);
    CHECK(back.hosts == d.hosts);
    CHECK(back.domains == d.domains);
    CHECK(back.sender_ids == std::vector<std::string>{"LATVIJAS-PASTS"});

    // An empty report (a "?" forward) has an empty digest, not a broken one.
    core::Report empty;
    storage::ReportDigest e;
    REQUIRE(storage::decode_digest(storage::encode_digest(storage::digest_of(empty)), e).has_value());
    CHECK(e.numbers.empty());
    CHECK(e.label == core::Label::Unclear);
  }

  TEST_CASE("every cut-short, lengthened or foreign digest is refused as corrupt") {
    const auto bytes = storage::encode_digest(storage::digest_of(full_report()));
    storage::ReportDigest d;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto s = storage::decode_digest(std::string_view(bytes).substr(0, n), d);
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().code == core::ErrorCode::Corruption);
    }
    CHECK_FALSE(storage::decode_digest(bytes + "x", d).has_value());
    auto other = bytes;
    other[0] = 9;  // a format this build does not know
    CHECK_FALSE(storage::decode_digest(other, d).has_value());
    // A list count far beyond the bytes left is refused before anything is allocated for it.
    const std::string huge = std::string("\x01\x01\x01\x00\x00\x00\x00\x00", 8) + "\xff\xff\xff\xff\x0f";
    CHECK_FALSE(storage::decode_digest(huge, d).has_value());
    // Eleven continuation bytes are no varint.
    CHECK_FALSE(storage::decode_digest(std::string("\x01") + std::string(11, '\x80'), d).has_value());
  }

  TEST_CASE("an indicator summary keeps its counts and whether it was named as the sender") {
    core::Indicator i;
    i.kind = core::IndicatorKind::Number;
    i.value = "+37120000001";
    i.distinct_reporters = 128629;
    i.total_reports = 171071;
    i.last_seen_ms = 1765000000123;
    i.flags = {"reported_sender"};
    const auto bytes = storage::encode_summary(storage::summary_of(i));
    CHECK(bytes.size() < 16);
    storage::IndicatorSummary s;
    REQUIRE(storage::decode_summary(bytes, s).has_value());
    CHECK(s.distinct_reporters == 128629);
    CHECK(s.total_reports == 171071);
    CHECK(s.last_seen_ms == 1765000000123);
    CHECK(s.reported_sender);
    i.flags = {"no_scheme"};
    REQUIRE(storage::decode_summary(storage::encode_summary(storage::summary_of(i)), s).has_value());
    CHECK_FALSE(s.reported_sender);
    for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(storage::decode_summary(bytes.substr(0, n), s).has_value());
    CHECK_FALSE(storage::decode_summary(bytes + std::string(1, '\0'), s).has_value());
  }

  TEST_CASE("a campaign summary keeps its counts and votes; a vote taken back to zero is gone") {
    storage::CampaignSummary c;
    c.reports = 5;
    c.distinct_reporters = 4;
    c.last_seen_ms = 1765000000123;
    c.vote("delivery", 2);
    c.vote("bank_payment", 2);
    c.vote("prize_lottery", 1);
    CHECK(c.top_category() == "bank_payment");  // a tie reads in name order
    c.vote("prize_lottery", -1);
    CHECK(c.categories.size() == 2);
    const auto bytes = storage::encode_summary(c);
    storage::CampaignSummary back;
    back.categories = {{"stale", 9}};
    REQUIRE(storage::decode_summary(bytes, back).has_value());
    CHECK(back.reports == 5);
    CHECK(back.distinct_reporters == 4);
    CHECK(back.last_seen_ms == 1765000000123);
    CHECK(back.categories == c.categories);
    for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(storage::decode_summary(bytes.substr(0, n), back).has_value());
    CHECK(storage::CampaignSummary{}.top_category() == "unknown");
  }
}
