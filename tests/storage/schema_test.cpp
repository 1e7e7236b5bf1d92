// Schema versions, the report index and the reporter records, against a real RocksDB.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <map>
#include <optional>

#include "smish/core/json.hpp"
#include "smish/storage/store.hpp"
#include "raw_rocksdb.hpp"
#include "support.hpp"

using namespace smish;
using storage::OpenMode;
using storage::ReportIndex;
using storage::Store;

namespace {

storage::StorageConfig config_for(const test::TempDir& dir) {
  storage::StorageConfig c;
  c.path = (dir.path() / "db").string();
  return c;
}

core::Report report(std::uint64_t id, std::string reporter, std::int64_t ms, std::string number, std::string campaign = "") {
  core::Report r;
  r.id = id;
  r.received_ms = ms;
  r.reporter = std::move(reporter);
  r.text = "call " + number;
  r.extraction.numbers.push_back({number, number, "LV", {}});
  r.extraction.urls.push_back({"https://scam.example/x", "scam.example/x", "scam.example", "scam.example", {}});
  r.campaign = std::move(campaign);
  return r;
}

std::vector<std::uint64_t> ids(Store& store, ReportIndex index, const std::string& key) {
  std::vector<std::uint64_t> out;
  auto s = store.scan_report_ids(index, key, [&](std::uint64_t id) {
    out.push_back(id);
    return true;
  });
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
  return out;
}

std::string be64(std::uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
  return out;
}

/// A database as the first release (schema 1) wrote it: its column families only, no report
/// index, no reporter records. Written with RocksDB directly, as that release would have.
void write_schema_1(const std::string& path, const std::vector<core::Report>& reports,
                    const std::vector<core::Indicator>& indicators = {}) {
  const std::vector<std::string> families = {"default", "dedup",         "inbox",    "parts", "reports", "indicators",
                                             "outbox",  "conversations", "counters", "sent",  "audit"};
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions(options));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, path, descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  REQUIRE(db->Put({}, handles[0], "schema_version", "1").ok());
  for (const auto& r : reports) REQUIRE(db->Put({}, handles[4], be64(r.id), core::encode_binary(core::to_json(r))).ok());
  for (const auto& i : indicators)
    REQUIRE(db->Put({}, handles[5], std::string(core::to_string(i.kind)) + ":" + i.value, core::encode_binary(core::to_json(i))).ok());
  for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  REQUIRE(db->Close().ok());
}

/// The stored schema version and the column families, read with RocksDB directly as another
/// build of smishd would; with `write`, the version is first overwritten with it.
std::pair<std::string, std::vector<std::string>> raw_schema_version(const std::string& path,
                                                                   std::optional<std::string> write = {}) {
  std::string version;
  std::vector<std::string> families;
  test::with_raw_db(path, [&](rocksdb::DB& db, const test::RawFamilies& cf) {
    if (write) REQUIRE(db.Put({}, cf.at("default"), "schema_version", *write).ok());
    REQUIRE(db.Get({}, cf.at("default"), "schema_version", &version).ok());
    for (const auto& [name, handle] : cf) families.push_back(name);
  });
  return {version, families};
}

std::vector<std::uint64_t> digest_ids(Store& store) {
  std::vector<std::uint64_t> out;
  auto s = store.scan_report_digests([&](const storage::ReportDigest& d) {
    out.push_back(d.id);
    return true;
  });
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
  return out;
}

std::map<std::string, storage::IndicatorSummary> summaries(Store& store) {
  std::map<std::string, storage::IndicatorSummary> out;
  auto s = store.scan_indicator_summaries([&](core::IndicatorKind kind, std::string_view value, const storage::IndicatorSummary& sum) {
    out[std::string(core::to_string(kind)) + ":" + std::string(value)] = sum;
    return true;
  });
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
  return out;
}

core::Indicator indicator(std::string number, std::uint64_t reporters, std::uint64_t reports) {
  core::Indicator i;
  i.value = std::move(number);
  i.distinct_reporters = reporters;
  i.total_reports = reports;
  i.last_seen_ms = 5000;
  return i;
}

}  // namespace

TEST_SUITE("storage/schema") {
  TEST_CASE("a commit indexes each report by reporter, indicator and campaign, newest first") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    storage::Commit c;
    c.reports = {report(1, "p:aa", 1000, "+37120000001", "c-1"), report(2, "p:bb", 2000, "+37120000001", "c-1"),
                 report(3, "p:aa", 3000, "+37120000002")};
    c.reporters_put = {{"p:aa", {1000, 3000, 2}}, {"p:bb", {2000, 2000, 1}}};
    REQUIRE((*store)->commit(c).has_value());
    CHECK(ids(**store, ReportIndex::Reporter, "p:aa") == std::vector<std::uint64_t>{3, 1});
    CHECK(ids(**store, ReportIndex::Indicator, "number:+37120000001") == std::vector<std::uint64_t>{2, 1});
    CHECK(ids(**store, ReportIndex::Indicator, "domain:scam.example") == std::vector<std::uint64_t>{3, 2, 1});
    CHECK(ids(**store, ReportIndex::Campaign, "c-1") == std::vector<std::uint64_t>{2, 1});
    CHECK(ids(**store, ReportIndex::Reporter, "p:a").empty());  // a prefix of another key is not that key
    auto rec = (*store)->get_reporter("p:aa");
    REQUIRE(rec.has_value());
    REQUIRE(rec->has_value());
    CHECK((*rec)->reports == 2);
    CHECK((*rec)->first_ms == 1000);

    // Deleting a report takes its index entries with it.
    storage::Commit d;
    d.reports_delete = {c.reports[0]};
    d.reporters_delete = {"p:bb"};
    REQUIRE((*store)->commit(d).has_value());
    CHECK(ids(**store, ReportIndex::Reporter, "p:aa") == std::vector<std::uint64_t>{3});
    CHECK(ids(**store, ReportIndex::Campaign, "c-1") == std::vector<std::uint64_t>{2});
    auto gone = (*store)->get_reporter("p:bb");
    REQUIRE(gone.has_value());
    CHECK_FALSE(gone->has_value());
  }

  TEST_CASE("a commit writes each report's digest and each indicator's summary, and a deleted report takes its digest") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    storage::Commit c;
    c.reports = {report(1, "p:aa", 1000, "+37120000001", "c-1"), report(2, "p:bb", 2000, "+37120000002")};
    c.indicators = {indicator("+37120000001", 1, 1), indicator("+37120000002", 3, 4)};
    c.indicators[1].flags = {"reported_sender"};
    REQUIRE((*store)->commit(c).has_value());
    CHECK(digest_ids(**store) == std::vector<std::uint64_t>{2, 1});
    std::vector<std::string> numbers;
    REQUIRE((*store)->scan_report_digests([&](const storage::ReportDigest& d) {
      numbers.push_back(d.numbers.at(0) + " " + d.campaign + " " + d.domains.at(0));
      return true;
    }).has_value());
    CHECK(numbers == std::vector<std::string>{"+37120000002  scam.example", "+37120000001 c-1 scam.example"});
    auto sums = summaries(**store);
    REQUIRE(sums.size() == 2);
    CHECK(sums["number:+37120000002"].distinct_reporters == 3);
    CHECK(sums["number:+37120000002"].total_reports == 4);
    CHECK(sums["number:+37120000002"].reported_sender);
    CHECK_FALSE(sums["number:+37120000001"].reported_sender);

    // A report rewritten (an analyst's label) rewrites its digest; a deleted one takes it along;
    // an indicator rewritten rewrites its summary.
    storage::Commit d;
    d.reports = {c.reports[1]};
    d.reports[0].verdict.label = core::Label::Scam;
    d.reports_delete = {c.reports[0]};
    d.indicators = {indicator("+37120000002", 4, 6)};
    REQUIRE((*store)->commit(d).has_value());
    CHECK(digest_ids(**store) == std::vector<std::uint64_t>{2});
    core::Label label = core::Label::Unclear;
    REQUIRE((*store)->scan_report_digests([&](const storage::ReportDigest& x) {
      label = x.label;
      return true;
    }).has_value());
    CHECK(label == core::Label::Scam);
    CHECK(summaries(**store)["number:+37120000002"].distinct_reporters == 4);
  }

  TEST_CASE("a read-only store reads a stopped database, and follows a running writer as a secondary") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    {
      auto writer = Store::open(cfg, OpenMode::ReadWrite);
      REQUIRE(writer.has_value());
      storage::Commit c;
      c.reports = {report(1, "p:aa", 1000, "+37120000001", "c-1")};
      REQUIRE((*writer)->commit(c).has_value());
      // The writer holds the database: the read-only open becomes a secondary, which sees what the
      // writer commits after it opened.
      auto reader = Store::open(cfg, OpenMode::ReadOnly);
      REQUIRE_MESSAGE(reader.has_value(), (reader ? "" : reader.error().detail));
      storage::Commit more;
      more.reports = {report(2, "p:bb", 2000, "+37120000002")};
      REQUIRE((*writer)->commit(more).has_value());
      REQUIRE((*reader)->catch_up().has_value());
      auto second = (*reader)->get_report(2);
      REQUIRE(second.has_value());
      CHECK(second->has_value());
      // And the writer still holds its lock after the check: a second writer is refused.
      CHECK_FALSE(Store::open(cfg, OpenMode::ReadWrite).has_value());
    }
    // Stopped: a read-only instance, which reads everything and writes nothing.
    auto reader = Store::open(cfg, OpenMode::ReadOnly);
    REQUIRE(reader.has_value());
    auto first = (*reader)->get_report(1);
    REQUIRE(first.has_value());
    REQUIRE(first->has_value());
    CHECK((*first)->campaign == "c-1");
    CHECK(digest_ids(**reader) == std::vector<std::uint64_t>{2, 1});
    storage::Commit refused;
    refused.reports = {report(3, "p:cc", 3000, "+37120000003")};
    CHECK_FALSE((*reader)->commit(refused).has_value());
    storage::StorageConfig none;
    none.path = (dir.path() / "none").string();
    auto missing = Store::open(none, OpenMode::ReadOnly);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == core::ErrorCode::NotFound);
  }

  TEST_CASE("campaign summaries count reports when first written and forget them when deleted") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    auto campaigns = [&] {
      std::map<std::string, storage::CampaignSummary> out;
      REQUIRE((*store)->scan_campaign_summaries([&](std::string_view id, const storage::CampaignSummary& sum) {
        out[std::string(id)] = sum;
        return true;
      }).has_value());
      return out;
    };
    storage::Commit c;
    c.reports = {report(1, "p:aa", 1000, "+37120000001", "c-1"), report(2, "p:aa", 2000, "+37120000001", "c-1"),
                 report(3, "p:bb", 3000, "+37120000001", "c-1"), report(4, "p:bb", 4000, "+37120000002", "c-2"),
                 report(5, "p:cc", 5000, "+37120000002")};
    c.reports[0].verdict.category = c.reports[1].verdict.category = "delivery";
    c.reports[2].verdict.category = "bank_payment";
    REQUIRE((*store)->commit(c).has_value());
    auto sums = campaigns();
    REQUIRE(sums.size() == 2);
    CHECK(sums["c-1"].reports == 3);
    CHECK(sums["c-1"].distinct_reporters == 2);
    CHECK(sums["c-1"].last_seen_ms == 3000);
    CHECK(sums["c-1"].top_category() == "delivery");
    CHECK(sums["c-2"].reports == 1);

    // A rewrite (retention, a label) is not a new report; a new one is, also in a later commit.
    storage::Commit again;
    again.reports = {c.reports[0], report(6, "p:cc", 6000, "+37120000001", "c-1")};
    again.reports[0].text.clear();
    REQUIRE((*store)->commit(again).has_value());
    sums = campaigns();
    CHECK(sums["c-1"].reports == 4);
    CHECK(sums["c-1"].distinct_reporters == 3);
    CHECK(sums["c-1"].last_seen_ms == 6000);

    // A reopened store goes on from the ids on disk.
    store->reset();
    store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    storage::Commit rewrite;
    rewrite.reports = {again.reports[1]};
    REQUIRE((*store)->commit(rewrite).has_value());
    CHECK(campaigns()["c-1"].reports == 4);

    // Forgetting p:bb deletes its reports: c-2 goes, c-1 loses a reporter and a report.
    storage::Commit forget;
    forget.reports_delete = {c.reports[2], c.reports[3]};
    REQUIRE((*store)->commit(forget).has_value());
    sums = campaigns();
    REQUIRE(sums.size() == 1);
    CHECK(sums["c-1"].reports == 3);
    CHECK(sums["c-1"].distinct_reporters == 2);
    CHECK(sums["c-1"].top_category() == "delivery");
    std::size_t members = 0;
    REQUIRE((*store)->scan_raw([&](std::string_view family, std::string_view key, std::string_view) {
      if (family == "campaign_reporters") {
        ++members;
        CHECK(key.find("p:bb") == std::string_view::npos);
      }
      return true;
    }).has_value());
    CHECK(members == 2);
  }

  TEST_CASE("a schema-1 database is migrated on open: index, reporter records, digests and summaries rebuilt") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    std::vector<core::Report> old;
    for (std::uint64_t i = 1; i <= 25; ++i)
      old.push_back(report(i, i % 2 ? "p:odd" : "p:even", static_cast<std::int64_t>(i) * 1000, "+3712000000" + std::to_string(i % 3),
                           i % 3 == 1 ? "c-old" : ""));
    write_schema_1(cfg.path, old, {indicator("+37120000000", 2, 8), indicator("+37120000001", 2, 9)});

    // smishctl's read-only view of the unmigrated database says what to do rather than guess.
    {
      auto secondary = Store::open(cfg, OpenMode::Secondary);
      REQUIRE(secondary.has_value());
      auto s = (*secondary)->scan_report_ids(ReportIndex::Reporter, "p:odd", [](std::uint64_t) { return true; });
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().detail.find("schema version 1") != std::string::npos);
      auto digests = (*secondary)->scan_report_digests([](const storage::ReportDigest&) { return true; });
      REQUIRE_FALSE(digests.has_value());
      CHECK(digests.error().code == core::ErrorCode::Unsupported);
      CHECK(digests.error().detail.find("start smishd once") != std::string::npos);
    }
    {
      auto store = Store::open(cfg, OpenMode::ReadWrite);
      REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().detail));
      CHECK(ids(**store, ReportIndex::Reporter, "p:odd").size() == 13);
      CHECK(ids(**store, ReportIndex::Reporter, "p:even").size() == 12);
      CHECK(ids(**store, ReportIndex::Indicator, "number:+37120000000") == std::vector<std::uint64_t>{24, 21, 18, 15, 12, 9, 6, 3});
      auto rec = (*store)->get_reporter("p:even");
      REQUIRE(rec.has_value());
      REQUIRE(rec->has_value());
      CHECK((*rec)->first_ms == 2000);
      CHECK((*rec)->last_ms == 24000);
      CHECK((*rec)->reports == 12);
      auto r = (*store)->get_report(7);
      REQUIRE(r.has_value());
      REQUIRE(r->has_value());
      CHECK((*r)->text == "call +37120000001");  // the reports themselves untouched
      CHECK((*store)->next_report_id() == 26);
      const auto digests = digest_ids(**store);
      REQUIRE(digests.size() == 25);
      CHECK(digests.front() == 25);
      CHECK(digests.back() == 1);
      auto sums = summaries(**store);
      REQUIRE(sums.size() == 2);
      CHECK(sums["number:+37120000001"].total_reports == 9);
      std::map<std::string, storage::CampaignSummary> campaigns;
      REQUIRE((*store)->scan_campaign_summaries([&](std::string_view id, const storage::CampaignSummary& sum) {
        campaigns[std::string(id)] = sum;
        return true;
      }).has_value());
      REQUIRE(campaigns.size() == 1);
      CHECK(campaigns["c-old"].reports == 9);
      CHECK(campaigns["c-old"].distinct_reporters == 2);
      CHECK(campaigns["c-old"].last_seen_ms == 25000);
    }
    // A secondary instance of the migrated database reads the digests.
    {
      auto secondary = Store::open(cfg, OpenMode::Secondary);
      REQUIRE(secondary.has_value());
      CHECK(digest_ids(**secondary).size() == 25);
    }
    // The new version is on disk: a raw read of the key, as an older smishd would do it.
    const auto [version, families] = raw_schema_version(cfg.path);
    CHECK(version == std::to_string(storage::kSchemaVersion));
    CHECK(std::find(families.begin(), families.end(), "report_index") != families.end());
    CHECK(std::find(families.begin(), families.end(), "report_digests") != families.end());
  }

  TEST_CASE("a database of a newer schema is refused, naming both versions") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    write_schema_1(cfg.path, {});
    raw_schema_version(cfg.path, "99");
    auto store = Store::open(cfg, OpenMode::ReadWrite);
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().detail.find("schema version 99") != std::string::npos);
    CHECK(store.error().detail.find("this build's " + std::to_string(storage::kSchemaVersion)) != std::string::npos);
  }

  TEST_CASE("counters scan by prefix, a raw scan sees every family") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    storage::Commit c;
    c.counters = {{"rate:p:aa:d:2026-12-01", 3}, {"rate:p:ab:d:2026-12-01", 4}, {"replies:p:aa:2026-12-01", 1}};
    c.reports = {report(1, "p:aa", 1000, "+37120000001")};
    REQUIRE((*store)->commit(c).has_value());
    std::vector<std::string> names;
    REQUIRE((*store)->scan_counters("rate:p:a", [&](std::string_view n, std::int64_t) {
      names.emplace_back(n);
      return true;
    }).has_value());
    CHECK(names == std::vector<std::string>{"rate:p:aa:d:2026-12-01", "rate:p:ab:d:2026-12-01"});
    std::map<std::string, int> hits;
    REQUIRE((*store)->scan_raw([&](std::string_view family, std::string_view key, std::string_view value) {
      if (key.find("p:aa") != std::string_view::npos || value.find("p:aa") != std::string_view::npos) ++hits[std::string(family)];
      return true;
    }).has_value());
    CHECK(hits["counters"] == 2);
    CHECK(hits["reports"] == 1);
    CHECK(hits["report_index"] == 1);
  }
}
