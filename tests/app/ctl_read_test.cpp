// smishctl's read commands on a store with what the process-level test cannot make smishd write
// (yet): campaign ids, reports days old and a report processed after a newer one.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "smish/app/main.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/storage/store.hpp"
#include "ctl_runner.hpp"
#include "raw_rocksdb.hpp"
#include "support.hpp"

using namespace smish;

namespace {

constexpr std::int64_t kHour = 3600 * 1000;

const std::int64_t kNow = core::to_unix_ms(core::SystemClock::instance().now());

core::Report report(std::uint64_t id, std::int64_t received_ms, std::string reporter, std::string campaign) {
  core::Report r;
  r.id = id;
  r.received_ms = received_ms;
  r.reporter = std::move(reporter);
  r.reporter_country = "LV";
  r.text = "Your parcel is held, pay 1,99 EUR";
  r.verdict.label = core::Label::Scam;
  r.verdict.category = "delivery";
  r.verdict.score = 0.9;
  r.campaign = std::move(campaign);
  return r;
}

std::string day(std::int64_t ms) {
  const std::time_t t = ms / 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

/// A database smishd could have written: campaign c-a rising (3 reporters in the last day, none
/// before), c-b fading (1 in the last day, 2 the day before), one report 10 days old, and report 7
/// received 25 h ago but processed after report 6 (a backlog): ids do not follow arrival.
struct Fixture {
  test::TempDir dir;
  std::string db = (dir.path() / "db").string();
  std::unique_ptr<storage::Store> store;

  Fixture() {
    storage::StorageConfig cfg;
    cfg.path = db;
    auto s = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    REQUIRE(s.has_value());
    store = std::move(*s);
    storage::Commit c;
    c.reports = {report(1, kNow - 240 * kHour, "p:old", ""),    report(2, kNow - 30 * kHour, "p:b1", "c-b"),
                 report(3, kNow - 29 * kHour, "p:b2", "c-b"),   report(4, kNow - 2 * kHour, "p:a1", "c-a"),
                 report(5, kNow - 1 * kHour, "p:a2", "c-a"),    report(6, kNow - 1 * kHour, "p:b3", "c-b"),
                 report(7, kNow - 25 * kHour, "p:late", ""),    report(8, kNow - 1 * kHour, "p:a3", "c-a")};
    REQUIRE(store->commit(c).has_value());
  }

  /// smishctl in-process on this database (while the store stays open, as under smishd).
  std::pair<int, std::string> run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db});
    return test::run_smishctl(std::move(args));
  }
  std::vector<core::Json> json_lines(std::vector<std::string> args, int want_rc = 0) {
    auto [rc, out] = run(std::move(args));
    CHECK(rc == want_rc);
    std::vector<core::Json> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(core::Json::parse(l));
    return lines;
  }
  std::vector<std::uint64_t> report_ids(std::vector<std::string> args, int want_rc = 0) {
    args.insert(args.begin(), {"--json", "reports"});
    std::vector<std::uint64_t> ids;
    for (const auto& j : json_lines(std::move(args), want_rc)) ids.push_back(j["id"].get<std::uint64_t>());
    return ids;
  }
};

/// Turns the (closed) database at `path` back into what schema 2 was: no report digests, no
/// indicator or campaign summaries, version 2. With RocksDB directly, as an older smishd left it.
void downgrade_to_schema_2(const std::string& path) {
  test::with_raw_db(path, [](rocksdb::DB& db, const test::RawFamilies& cf) {
    for (const char* name : {"report_digests", "indicator_summaries", "campaign_summaries", "campaign_reporters"})
      REQUIRE(db.DropColumnFamily(cf.at(name)).ok());
    REQUIRE(db.Put({}, cf.at("default"), "schema_version", "2").ok());
  });
}

core::Indicator number(std::string value, std::size_t reporters, std::uint64_t reports, bool named = false) {
  core::Indicator i;
  i.value = std::move(value);
  for (std::size_t n = 0; n < reporters; ++n) i.reporters["p:r" + std::to_string(n)] = kNow - kHour;
  i.distinct_reporters = reporters;
  i.total_reports = reports;
  i.first_seen_ms = kNow - 2 * kHour;
  i.last_seen_ms = kNow - kHour;
  i.categories["delivery"] = reports;
  if (named) i.flags = {"reported_sender"};
  return i;
}

}  // namespace

TEST_SUITE("app/ctl read") {
  TEST_CASE("top and stats read the same from digests and summaries as from whole records, before and after migration") {
    Fixture f;
    storage::Commit c;
    auto numbered = [](core::Report r, std::string n, std::string sender = "") {
      r.extraction.numbers.push_back({n, n, "LV", {}});
      r.extraction.urls.push_back({"http://parcel-" + n.substr(9) + ".top/x", "", "parcel-" + n.substr(9) + ".top",
                                   "parcel-" + n.substr(9) + ".top", {}});
      r.reported_sender = std::move(sender);
      return r;
    };
    c.reports = {numbered(report(9, kNow - 3 * kHour, "p:n1", "c-a"), "+37120000001"),
                 numbered(report(10, kNow - 2 * kHour, "p:n2", ""), "+37120000001", "+37120000004"),
                 numbered(report(11, kNow - 2 * kHour, "p:n2", ""), "+37120000003"),
                 numbered(report(12, kNow - 30 * kHour, "p:n3", ""), "+37120000002")};
    c.indicators = {number("+37120000001", 5, 7), number("+37120000002", 5, 7), number("+37120000003", 9, 9),
                    number("+37120000004", 2, 2, true)};
    REQUIRE(f.store->commit(c).has_value());
    const std::vector<std::vector<std::string>> commands = {
        {"--json", "top", "numbers"},           {"--json", "top", "senders"},
        {"--json", "top", "numbers", "--limit", "2"},
        {"--json", "top", "numbers", "--since", "24h"}, {"--json", "top", "domains", "--since", "3d"},
        {"--json", "top", "campaigns"},         {"--json", "stats", "--since", "3d"},
        {"--csv", "stats", "--by", "region"},  {"--csv", "stats", "--by", "category"}};
    auto outputs = [&] {
      std::vector<std::string> out;
      for (const auto& args : commands) {
        auto [rc, text] = f.run(args);
        CHECK_MESSAGE(rc == 0, args[1], " ", args[2]);
        // Without what names the moment of the call: the evaluation time, the window's start.
        std::istringstream lines(text);
        std::string kept;
        for (std::string line; std::getline(lines, line);) {
          if (args[0] == "--json") {
            auto j = core::Json::parse(line);
            j.erase("status_ms");
            j.erase("since_ms");
            line = j.dump();
          }
          kept += line + "\n";
        }
        out.push_back(kept);
      }
      return out;
    };
    const auto from_digests = outputs();
    std::vector<std::string> order;
    std::istringstream top(from_digests[0]);
    for (std::string line; std::getline(top, line);) order.push_back(core::Json::parse(line)["value"].get<std::string>());
    // Most distinct reporters first, then reports, then value order.
    CHECK(order == std::vector<std::string>{"+37120000003", "+37120000001", "+37120000002", "+37120000004"});
    CHECK(from_digests[1].find("+37120000004") != std::string::npos);  // named as the sender
    CHECK(from_digests[3].find("+37120000002") == std::string::npos);  // 30 h old
    CHECK(from_digests[3].find("+37120000003") != std::string::npos);

    f.store.reset();
    downgrade_to_schema_2(f.db);
    CHECK(outputs() == from_digests);  // the reports and indicators read whole

    storage::StorageConfig cfg;
    cfg.path = f.db;
    auto migrated = storage::Store::open(cfg, storage::OpenMode::ReadWrite);  // 2 -> 3
    REQUIRE(migrated.has_value());
    CHECK(outputs() == from_digests);
  }

  TEST_CASE("top campaigns counts distinct reporters in the window and against the window before") {
    Fixture f;
    auto day1 = f.json_lines({"--json", "top", "campaigns", "--since", "24h"});
    REQUIRE(day1.size() == 2);
    CHECK(day1[0]["value"] == "c-a");
    CHECK(day1[0]["kind"] == "campaign");
    CHECK(day1[0]["distinct_reporters"] == 3);
    CHECK(day1[0]["previous_reporters"] == 0);
    CHECK(day1[1]["value"] == "c-b");
    CHECK(day1[1]["distinct_reporters"] == 1);
    CHECK(day1[1]["previous_reporters"] == 2);
    // All time: both have three reporters and three reports; ties read in value order.
    auto [rc, csv] = f.run({"--csv", "top", "campaigns"});
    CHECK(rc == 0);
    CHECK(csv == "value,reporters,reports,status,category\nc-a,3,3,-,delivery\nc-b,3,3,-,delivery\n");
    auto [rc1, table] = f.run({"top", "campaigns", "--since", "24h", "--limit", "1"});
    CHECK(rc1 == 0);
    std::istringstream lines(table);
    std::string header, row, extra;
    std::getline(lines, header);
    std::getline(lines, row);
    CHECK(!std::getline(lines, extra));
    auto words = [](const std::string& s) {
      std::vector<std::string> w;
      std::istringstream in(s);
      for (std::string x; in >> x;) w.push_back(x);
      return w;
    };
    CHECK(words(header) == std::vector<std::string>{"VALUE", "REPORTERS", "REPORTS", "STATUS", "CATEGORY", "BEFORE", "RISE"});
    CHECK(words(row) == std::vector<std::string>{"c-a", "3", "3", "-", "delivery", "0", "+3"});
    CHECK(header.find("REPORTERS") == row.find("3"));  // aligned
    f.json_lines({"--json", "top", "campaigns", "--since", "30m"}, 1);
  }

  TEST_CASE("reports --campaign, --since and --until, over a report processed late") {
    Fixture f;
    CHECK(f.report_ids({"--campaign", "c-b"}) == std::vector<std::uint64_t>{6, 3, 2});
    CHECK(f.report_ids({"--campaign", "c-b", "--since", "24h"}) == std::vector<std::uint64_t>{6});
    CHECK(f.report_ids({"--campaign", "c-x"}, 1).empty());
    // Report 7 (25 h old) is newer by id than 6 (1 h old): a --since 24h scan goes on past it.
    CHECK(f.report_ids({"--since", "24h"}) == std::vector<std::uint64_t>{8, 6, 5, 4});
    CHECK(f.report_ids({"--since", "26h"}) == std::vector<std::uint64_t>{8, 7, 6, 5, 4});
    CHECK(f.report_ids({"--since", "9d", "--until", "24h"}) == std::vector<std::uint64_t>{7, 3, 2});
    CHECK(f.report_ids({"--until", day(kNow - 200 * kHour)}) == std::vector<std::uint64_t>{1});
    CHECK(f.report_ids({"--since", "26h", "--limit", "2", "--offset", "1"}) == std::vector<std::uint64_t>{7, 6});
    CHECK(f.report_ids({"--before", "7", "--limit", "2"}) == std::vector<std::uint64_t>{6, 5});
  }

  TEST_CASE("stats --by day lists every day of the window, empty days included") {
    Fixture f;
    auto [rc, csv] = f.run({"--csv", "stats", "--by", "day", "--since", "3d"});
    CHECK(rc == 0);
    std::map<std::string, int> counts;
    for (const auto& r : f.report_ids({"--since", "3d"}))
      ++counts[day(f.store->get_report(r).value()->received_ms)];
    std::string want = "day,reports\n";
    for (std::int64_t t = kNow - 72 * kHour; day(t) <= day(kNow); t += 24 * kHour) want += day(t) + "," + std::to_string(counts[day(t)]) + "\n";
    CHECK(csv == want);
    auto stats = f.json_lines({"--json", "stats", "--since", "3d"});
    REQUIRE(stats.size() == 1);
    CHECK(stats[0]["reports"] == 7);
    CHECK(stats[0]["by_region"]["LV"] == 7);
    auto [rc2, region] = f.run({"--csv", "stats", "--by", "region"});
    CHECK(rc2 == 0);
    CHECK(region == "region,reports\nLV,8\n");
  }
}
