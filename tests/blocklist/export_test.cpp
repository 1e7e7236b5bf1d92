// The export job against a real RocksDB: formats, serials, deltas, breaker, hostile data, signatures.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <thread>

#include "../../blocklist/src/file_io.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/blocklist/signing.hpp"
#include "smish/core/json.hpp"
#include "support.hpp"

using namespace smish;
using blocklist::ExportOutcome;
using core::IndicatorKind;
using core::IndicatorStatus;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

/// An indicator five reporters sent within the hour before kT0: listed by the default policy.
core::Indicator listed(IndicatorKind kind, std::string value, std::int64_t last_ms = kT0) {
  core::Indicator i;
  i.kind = kind;
  i.value = std::move(value);
  for (int r = 0; r < 5; ++r) i.reporters.emplace("p:" + std::to_string(r), last_ms - r * 60'000);
  i.distinct_reporters = 5;
  i.total_reports = 5;
  i.first_seen_ms = last_ms - 4 * 60'000;
  i.last_seen_ms = last_ms;
  i.categories["fake_delivery"] = 5;
  i.max_score = 0.9;
  i.status = IndicatorStatus::Listed;
  i.status_actor = "policy";
  return i;
}

core::Indicator by_analyst(core::Indicator i, IndicatorStatus status) {
  i.status = status;
  i.status_actor = "analyst:test";
  i.status_reason = "hostile fixture";
  return i;
}

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<storage::Store> store;
  blocklist::PolicyConfig policy;
  blocklist::ExportConfig config;

  Fixture() {
    storage::StorageConfig scfg;
    scfg.path = (dir.path() / "db").string();
    auto s = storage::Store::open(scfg, storage::OpenMode::ReadWrite);
    REQUIRE(s.has_value());
    store = std::move(*s);
    config.out_dir = (dir.path() / "export").string();
  }
  void put(std::vector<core::Indicator> inds) {
    storage::Commit c;
    c.indicators = std::move(inds);
    REQUIRE((*store).commit(c).has_value());
  }
  blocklist::ExportResult run(std::int64_t now = kT0, blocklist::ExportOptions opts = {}) {
    auto r = blocklist::export_blocklists(*store, policy, config, now, opts);
    REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error().message()));
    return *r;
  }
  fs::path out() const { return config.out_dir; }
  std::string file(const std::string& name) const { return test::read_file(out() / "current" / name); }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines(text))
    if (l == line) return true;
  return false;
}

/// The real store, with the stored value of one indicator cut short as the export scans it: a
/// damaged database, which the Store API cannot write on purpose.
class TruncatingStore final : public storage::Store {
 public:
  TruncatingStore(storage::Store& real, std::string key) : real_(real), key_(std::move(key)) {}
  core::Result<std::vector<bool>> store_inbound(std::span<const storage::InboxEntry> e, std::int64_t now) override {
    return real_.store_inbound(e, now);
  }
  core::Result<std::vector<storage::InboxEntry>> pending_singles(std::size_t limit) override {
    return real_.pending_singles(limit);
  }
  core::Result<std::vector<storage::InboxEntry>> group_parts(const storage::InboxEntry& p) override {
    return real_.group_parts(p);
  }
  core::Result<std::vector<storage::InboxEntry>> pending_groups() override { return real_.pending_groups(); }
  core::Result<std::optional<core::Indicator>> get_indicator(IndicatorKind k, const std::string& v) override {
    return real_.get_indicator(k, v);
  }
  core::Status commit(const storage::Commit& c) override { return real_.commit(c); }
  std::uint64_t next_report_id() override { return real_.next_report_id(); }
  core::Result<std::vector<storage::OutboxEntry>> outbox() override { return real_.outbox(); }
  core::Result<std::optional<storage::Conversation>> get_conversation(const std::string& r) override {
    return real_.get_conversation(r);
  }
  core::Result<std::int64_t> get_counter(const std::string& n) override { return real_.get_counter(n); }
  core::Result<std::optional<std::uint64_t>> get_sent(const std::string& m) override { return real_.get_sent(m); }
  core::Result<std::optional<core::Report>> get_report(std::uint64_t id) override { return real_.get_report(id); }
  core::Status scan_reports(const std::function<bool(const core::Report&)>& fn) override {
    return real_.scan_reports(fn);
  }
  core::Status scan_indicators(const std::function<bool(const core::Indicator&)>& fn) override {
    return real_.scan_indicators(fn);
  }
  core::Status scan_indicator_values(const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return real_.scan_indicator_values([&](std::string_view key, std::string_view value) {
      return fn(key, key == key_ ? value.substr(0, value.size() / 2) : value);
    });
  }
  core::Result<Counts> counts() override { return real_.counts(); }
  core::Status catch_up() override { return real_.catch_up(); }

 private:
  storage::Store& real_;
  std::string key_;
};

}  // namespace

TEST_SUITE("blocklist/export") {
  TEST_CASE("every format comes from one scan into serials/1, which current points at, hashes in the manifest") {
    Fixture f;
    auto sender = listed(IndicatorKind::SenderId, "PAKKE");
    f.put({listed(IndicatorKind::Number, "+37129999901"), listed(IndicatorKind::Domain, "evil-parcel.example"),
           listed(IndicatorKind::Host, "pay.evil-parcel.example"), listed(IndicatorKind::Url, "https://pay.evil-parcel.example/x"),
           sender});
    auto r = f.run();
    CHECK(r.outcome == ExportOutcome::Published);
    CHECK(r.serial == 1);
    CHECK(r.numbers == 1);
    CHECK(r.sender_ids == 1);
    CHECK(r.domains == 1);
    CHECK(r.hosts == 1);
    CHECK(r.urls == 1);
    CHECK(fs::read_symlink(f.out() / "current") == "serials/1");
    CHECK(fs::read_symlink(f.out() / "domains.txt") == "current/domains.txt");
    auto manifest = core::Json::parse(f.file("manifest.json"));
    CHECK(manifest["serial"] == 1);
    CHECK(manifest["format"] == "smishd-export/1");
    CHECK(manifest["signature"].is_null());
    for (const char* name : blocklist::kExportFiles) {
      const auto content = f.file(name);
      CHECK_MESSAGE(manifest["files"][name]["sha256"] == blocklist::io::sha256_hex(content), name);
      CHECK(manifest["files"][name]["bytes"] == content.size());
    }
    CHECK(f.file("domains.txt") == "evil-parcel.example\n");
    CHECK(f.file("hosts.txt") == "pay.evil-parcel.example\n");
    CHECK(f.file("urls.txt") == "https://pay.evil-parcel.example/x\n");
    CHECK(has_line(f.file("numbers.csv"),
                   "+37129999901,fake_delivery,listed,2025-11-21T23:56:00.000Z,2025-11-22T00:00:00.000Z,5,0.900,"
                   "2025-12-22T00:00:00.000Z"));
    CHECK(f.file("sender_ids.csv").find("\nPAKKE,fake_delivery,listed,") != std::string::npos);
    const auto jsonl = lines(f.file("indicators.jsonl"));
    REQUIRE(jsonl.size() == 5);
    for (const auto& l : jsonl) {
      auto j = core::Json::parse(l);
      CHECK_FALSE(j.contains("reporters"));  // pseudonyms stay in smishd
      CHECK(j["distinct_reporters"] == 5);
      CHECK(j["status"] == "listed");
    }
    auto bundle = core::Json::parse(f.file("stix.json"));
    CHECK(bundle["type"] == "bundle");
    REQUIRE(bundle["objects"].size() == 6);
    CHECK(bundle["objects"][0]["type"] == "identity");
    std::set<std::string> patterns;
    for (std::size_t i = 1; i < bundle["objects"].size(); ++i) {
      const auto& o = bundle["objects"][i];
      CHECK(o["type"] == "indicator");
      CHECK(o["spec_version"] == "2.1");
      CHECK(o["revoked"] == false);
      CHECK(o["valid_until"].get<std::string>() > o["valid_from"].get<std::string>());
      CHECK(o["created_by_ref"] == bundle["objects"][0]["id"]);
      patterns.insert(o["pattern"].get<std::string>());
    }
    CHECK(patterns.count("[domain-name:value = 'evil-parcel.example']") == 1);
    CHECK(patterns.count("[url:value = 'https://pay.evil-parcel.example/x']") == 1);
    const auto zone = f.file("rpz.zone");
    CHECK(zone.find("$ORIGIN rpz.smishd.local.\n") != std::string::npos);
    CHECK(zone.find("( 1 ") != std::string::npos);  // SOA serial = export serial
    CHECK(has_line(zone, "evil-parcel.example CNAME ."));
    CHECK(has_line(zone, "*.evil-parcel.example CNAME ."));
    CHECK(has_line(zone, "pay.evil-parcel.example CNAME ."));
  }

  TEST_CASE("an unchanged database publishes no new serial, unless forced") {
    Fixture f;
    f.put({listed(IndicatorKind::Domain, "evil-parcel.example")});
    CHECK(f.run().serial == 1);
    auto again = f.run(kT0 + 60'000);
    CHECK(again.outcome == ExportOutcome::Unchanged);
    CHECK(again.serial == 1);
    CHECK(blocklist::current_serial(f.config.out_dir) == 1);
    blocklist::ExportOptions force;
    force.force = true;
    auto forced = f.run(kT0 + 120'000, force);
    CHECK(forced.outcome == ExportOutcome::Published);
    CHECK(forced.serial == 2);
  }

  TEST_CASE("entries.tsv is sorted and unique whether the scan gives its keys in order or not") {
    // In key order: written as the chunks come. Stored spellings that normalise out of scan order
    // ("Zeta" sorts before "alpha") or onto one another ("ALPHA.example."): rendered again.
    const std::string times = "\t" + std::to_string(kT0 - 4 * 60'000) + "\t" + std::to_string(kT0 + 7 * kDay) + "\n";
    const std::string expected = "domain:alpha.example" + times + "domain:beta.example" + times + "domain:zeta.example" + times;
    for (const bool hostile : {false, true}) {
      CAPTURE(hostile);
      Fixture f;
      f.put({listed(IndicatorKind::Domain, "alpha.example"), listed(IndicatorKind::Domain, "beta.example"),
             listed(IndicatorKind::Domain, hostile ? "Zeta.Example" : "zeta.example")});
      if (hostile) f.put({listed(IndicatorKind::Domain, "ALPHA.example.")});
      // Batches of one indicator: the order is checked across chunks, not only within one.
      blocklist::ExportOptions opts;
      opts.batch_size = 1;
      opts.workers = 2;
      const auto r = f.run(kT0, opts);
      REQUIRE(r.outcome == ExportOutcome::Published);
      CHECK(f.file("entries.tsv") == expected);
      if (!hostile)  // (the hostile spellings' rows keep their scan order in the files themselves)
        CHECK(lines(f.file("domains.txt")) == std::vector<std::string>{"alpha.example", "beta.example", "zeta.example"});
      CHECK(f.run(kT0 + 60'000, opts).outcome == ExportOutcome::Unchanged);
    }
  }

  TEST_CASE("the RPZ names each owner once, in order, passthru winning, from domains, hosts, wildcards and allowlists") {
    Fixture f;
    f.policy.allow_domains = {"bank.example"};
    // Domains and hosts (two sorted runs), a host equal to a listed domain, a spelling that
    // normalises out of scan order, an allowlisted domain and one under it, batches of one.
    f.put({listed(IndicatorKind::Domain, "zeta.example"), listed(IndicatorKind::Domain, "alpha.example"),
           listed(IndicatorKind::Host, "alpha.example"), listed(IndicatorKind::Host, "www.beta.example"),
           listed(IndicatorKind::Domain, "Mid.Example"), listed(IndicatorKind::Domain, "s1.bank.example"),
           listed(IndicatorKind::Host, "login.zeta.example")});
    blocklist::ExportOptions opts;
    opts.batch_size = 1;
    REQUIRE(f.run(kT0, opts).outcome == ExportOutcome::Published);
    std::vector<std::string> owners;
    for (const auto& l : lines(f.file("rpz.zone")))
      if (l.ends_with(" CNAME .") || l.ends_with(" CNAME rpz-passthru.")) owners.push_back(l.substr(0, l.find(' ')));
    CHECK(std::is_sorted(owners.begin(), owners.end()));
    CHECK(std::adjacent_find(owners.begin(), owners.end()) == owners.end());
    const std::vector<std::string> expected = {"*.alpha.example", "*.bank.example", "*.mid.example",  "*.s1.bank.example",
                                               "*.zeta.example",  "alpha.example",  "bank.example",   "login.zeta.example",
                                               "mid.example",     "s1.bank.example", "www.beta.example", "zeta.example"};
    CHECK(owners == expected);
    const auto zone = f.file("rpz.zone");
    CHECK(has_line(zone, "alpha.example CNAME ."));
    CHECK(has_line(zone, "*.bank.example CNAME rpz-passthru."));
    CHECK(has_line(zone, "s1.bank.example CNAME rpz-passthru."));  // under the allowlisted domain
    CHECK(has_line(zone, "*.s1.bank.example CNAME rpz-passthru."));
    CHECK(has_line(zone, "mid.example CNAME ."));
  }

  TEST_CASE("the RPZ of a database with many out-of-order spellings is sorted all the same") {
    // "g100.example-x" is stored before "g100.example." ('-' < '.') but normalises after
    // "g100.example": one descending step per pair, more than the run merge takes (16), so the
    // owners are sorted whole.
    Fixture f;
    std::vector<core::Indicator> inds;
    for (int i = 0; i < 40; ++i) {
      const std::string name = "g" + std::to_string(100 + i) + ".example";
      inds.push_back(listed(IndicatorKind::Domain, name + "-x"));
      inds.push_back(listed(IndicatorKind::Domain, name + "."));
    }
    f.put(inds);
    REQUIRE(f.run().outcome == ExportOutcome::Published);
    std::vector<std::string> owners;
    for (const auto& l : lines(f.file("rpz.zone")))
      if (l.ends_with(" CNAME .")) owners.push_back(l.substr(0, l.find(' ')));
    CHECK(owners.size() == 160);  // 80 domains and their wildcards
    CHECK(std::is_sorted(owners.begin(), owners.end()));
    CHECK(std::adjacent_find(owners.begin(), owners.end()) == owners.end());
    CHECK(f.file("entries.tsv").find("domain:g100.example\t") < f.file("entries.tsv").find("domain:g100.example-x\t"));
  }

  TEST_CASE("a hostile database never gets an allowlisted or protected value onto a blocklist") {
    Fixture f;
    f.policy.allow_domains = {"tele2.lv", "Secure.Example-Bank.lv."};
    f.policy.allow_numbers = {"+37167000000"};
    auto emergency = by_analyst(listed(IndicatorKind::Number, "+37111200000"), IndicatorStatus::Confirmed);
    emergency.flags = {"emergency"};
    auto shortener = listed(IndicatorKind::Domain, "bit.ly");
    shortener.flags = {"shortener"};
    f.put({
        by_analyst(listed(IndicatorKind::Domain, "tele2.lv"), IndicatorStatus::Confirmed),
        by_analyst(listed(IndicatorKind::Domain, "TELE2.LV."), IndicatorStatus::Confirmed),
        listed(IndicatorKind::Host, "mans.Tele2.lv"),
        listed(IndicatorKind::Url, "https://TELE2.lv/login"),
        listed(IndicatorKind::Url, "https://user@tele2.lv/login"),
        listed(IndicatorKind::Domain, "example-bank.lv"),  // would cover secure.example-bank.lv
        listed(IndicatorKind::Domain, "lv"),                // a whole country
        by_analyst(listed(IndicatorKind::Number, "+37167000000"), IndicatorStatus::Confirmed),
        by_analyst(listed(IndicatorKind::Number, "112"), IndicatorStatus::Confirmed),
        emergency,
        shortener,
        listed(IndicatorKind::Domain, "evil.example\n*.tele2.lv"),
        listed(IndicatorKind::Number, "+371 2999 9901"),
        // What must still be listed: look-alikes are not the real thing.
        listed(IndicatorKind::Host, "tele2.lv.verify-id.top"),
        listed(IndicatorKind::Domain, "tele2-lv-bonus.info"),
        listed(IndicatorKind::Url, "https://bit.ly/3scam"),
    });
    auto r = f.run();
    REQUIRE(r.outcome == ExportOutcome::Published);
    CHECK(f.file("domains.txt") == "tele2-lv-bonus.info\n");
    CHECK(f.file("hosts.txt") == "tele2.lv.verify-id.top\n");
    CHECK(f.file("urls.txt") == "https://bit.ly/3scam\n");
    CHECK(lines(f.file("numbers.csv")).size() == 1);  // the header only
    // "lv", the spaced number and "112"; the injected line and the user@ URL are allowlisted
    // already by evaluate(), as they name tele2.lv.
    CHECK(r.invalid_skipped == 3);
    CHECK(r.protected_skipped == 1);  // example-bank.lv, which would cover secure.example-bank.lv
    CHECK(r.allowlisted == 7);        // evaluate() itself allowlists the rest
    // Every scanned indicator is counted once by its status (what /metrics shows as smishd_indicators).
    std::size_t by_status = 0;
    for (auto n : r.by_status) by_status += n;
    CHECK(by_status == r.scanned);
    CHECK(r.scanned == 16);
    CHECK(r.by_status[static_cast<std::size_t>(IndicatorStatus::Allowlisted)] >= r.allowlisted);
    CHECK(r.by_status[static_cast<std::size_t>(IndicatorStatus::Listed)] +
              r.by_status[static_cast<std::size_t>(IndicatorStatus::Confirmed)] >= 3);
    const auto zone = f.file("rpz.zone");
    for (const auto& l : lines(zone)) {
      if (l.ends_with(" CNAME .")) {
        CHECK_MESSAGE(l.find("tele2.lv ") == std::string::npos, l);
        CHECK_MESSAGE(l.find("example-bank.lv") == std::string::npos, l);
        CHECK_MESSAGE(l.find("bit.ly") == std::string::npos, l);
      }
    }
    CHECK(has_line(zone, "tele2.lv CNAME rpz-passthru."));
    CHECK(has_line(zone, "*.tele2.lv CNAME rpz-passthru."));
    CHECK(has_line(zone, "secure.example-bank.lv CNAME rpz-passthru."));
    CHECK(has_line(zone, "bit.ly CNAME rpz-passthru."));
    for (const auto& l : lines(f.file("indicators.jsonl"))) {
      auto j = core::Json::parse(l);
      if (j["status"] == "listed" || j["status"] == "confirmed")
        CHECK_MESSAGE((j["value"] == "tele2-lv-bonus.info" || j["value"] == "tele2.lv.verify-id.top" ||
                       j["value"] == "https://bit.ly/3scam"),
                      l);
    }
    auto bundle = core::Json::parse(f.file("stix.json"));
    CHECK(bundle["objects"].size() == 4);  // the identity and the three real scams
  }

  TEST_CASE("the circuit breaker refuses to empty the list or change too much of it, logs, counts, and yields to force") {
    Fixture f;
    std::vector<core::Indicator> many;
    for (int i = 0; i < 200; ++i) many.push_back(listed(IndicatorKind::Domain, "scam-" + std::to_string(i) + ".example"));
    f.put(many);
    auto exporter = blocklist::Exporter::create(f.policy, f.config);
    REQUIRE(exporter.has_value());
    auto& ex = **exporter;
    REQUIRE(ex.run(*f.store, kT0)->serial == 1);

    // 60 days later every listing has expired: the list would become empty.
    auto empty = ex.run(*f.store, kT0 + 60 * kDay);
    REQUIRE(empty.has_value());
    CHECK(empty->outcome == ExportOutcome::Refused);
    CHECK(empty->refusal.find("empty") != std::string::npos);
    CHECK(empty->delta.removed() == 200);
    CHECK(ex.stats().refused == 1);
    CHECK(blocklist::current_serial(f.config.out_dir) == 1);
    CHECK(blocklist::io::list_serials(f.out()).size() == 1);

    // 150 new entries on 200: 75 % > 50 %.
    std::vector<core::Indicator> more;
    for (int i = 0; i < 150; ++i) more.push_back(listed(IndicatorKind::Host, "h" + std::to_string(i) + ".scam.example"));
    f.put(more);
    auto big = ex.run(*f.store, kT0);
    CHECK(big->outcome == ExportOutcome::Refused);
    CHECK(big->refusal.find("150 of 200") != std::string::npos);
    CHECK(ex.stats().refused == 2);

    blocklist::ExportOptions dry;
    dry.dry_run = true;
    auto preview = ex.run(*f.store, kT0, dry);
    CHECK(preview->outcome == ExportOutcome::DryRun);
    CHECK(preview->delta.added() == 150);
    CHECK_FALSE(preview->refusal.empty());
    CHECK(blocklist::current_serial(f.config.out_dir) == 1);

    blocklist::ExportOptions force;
    force.force = true;
    auto forced = ex.run(*f.store, kT0, force);
    CHECK(forced->outcome == ExportOutcome::Published);
    CHECK(forced->serial == 2);
    CHECK(core::Json::parse(f.file("manifest.json"))["forced"] == true);
  }

  TEST_CASE("deltas from every kept serial carry the reason of each removal") {
    Fixture f;
    f.config.keep_serials = 3;
    f.config.breaker_min_changes = 1000;  // small lists: the breaker stays out of this test
    auto a = listed(IndicatorKind::Domain, "a.example", kT0 - 8 * kDay);  // expires after 7 days
    auto b = listed(IndicatorKind::Domain, "b.example");
    auto c = listed(IndicatorKind::Domain, "c.example");
    f.put({listed(IndicatorKind::Domain, "a.example"), b, c});
    REQUIRE(f.run(kT0 - 8 * kDay + kHour).serial == 1);
    f.put({a, by_analyst(b, IndicatorStatus::Revoked), listed(IndicatorKind::Domain, "d.example")});
    f.policy.allow_domains = {"c.example"};
    auto second = f.run(kT0);
    REQUIRE(second.serial == 2);
    auto d12 = blocklist::parse_delta(f.file("delta-from-1.jsonl"));
    REQUIRE(d12.has_value());
    REQUIRE(d12->entries.size() == 4);
    CHECK(d12->entries[0].key == "domain:a.example");
    CHECK(d12->entries[0].reason == blocklist::RemovalReason::Expired);
    CHECK(d12->entries[1].reason == blocklist::RemovalReason::Revoked);
    CHECK(d12->entries[2].reason == blocklist::RemovalReason::Allowlisted);
    CHECK(d12->entries[3].key == "domain:d.example");
    CHECK(d12->entries[3].added);

    f.put({by_analyst(listed(IndicatorKind::Domain, "d.example"), IndicatorStatus::Allowlisted),
           listed(IndicatorKind::Domain, "e.example")});
    REQUIRE(f.run(kT0).serial == 3);
    auto d13 = blocklist::parse_delta(f.file("delta-from-1.jsonl"));
    REQUIRE(d13.has_value());
    CHECK(d13->from_serial == 1);
    CHECK(d13->to_serial == 3);
    std::vector<std::string> keys;
    for (const auto& e : d13->entries) keys.push_back(e.key + (e.added ? " +" : " -"));
    CHECK(keys == std::vector<std::string>{"domain:a.example -", "domain:b.example -", "domain:c.example -",
                                           "domain:e.example +"});  // d came and went
    auto d23 = blocklist::parse_delta(f.file("delta-from-2.jsonl"));
    REQUIRE(d23->entries.size() == 2);
    auto manifest = core::Json::parse(f.file("manifest.json"));
    CHECK(manifest["deltas"] == core::Json::array({1, 2}));
    // The STIX bundle revokes what left since the oldest kept serial, under the same ids.
    auto bundle = core::Json::parse(f.file("stix.json"));
    int revoked = 0;
    for (const auto& o : bundle["objects"])
      if (o.value("revoked", false)) {
        ++revoked;
        CHECK(o.contains("x_smishd_removal_reason"));
      }
    CHECK(revoked == 3);

    for (int i = 0; i < 3; ++i) {
      f.put({listed(IndicatorKind::Domain, "n" + std::to_string(i) + ".example")});
      f.run(kT0);
    }
    CHECK(blocklist::current_serial(f.config.out_dir) == 6);
    CHECK(blocklist::io::list_serials(f.out()) == std::vector<std::uint64_t>{4, 5, 6});
    manifest = core::Json::parse(f.file("manifest.json"));
    CHECK(manifest["deltas"] == core::Json::array({3, 4, 5}));
  }

  TEST_CASE("the files are the same byte for byte whatever the number of worker threads and the batch size") {
    Fixture f;
    f.policy.allow_domains = {"bank.example", "portal.shop.example"};
    f.config.breaker_min_changes = 100000;  // the second round revokes many: the breaker stays out of this test
    std::vector<core::Indicator> inds;
    for (int i = 0; i < 600; ++i) {
      const auto n = std::to_string(i);
      switch (i % 9) {
        case 0: inds.push_back(listed(IndicatorKind::Number, "+3712" + std::string(7 - n.size(), '0') + n)); break;
        case 1: inds.push_back(listed(IndicatorKind::Domain, "scam-" + n + ".example")); break;
        case 2: inds.push_back(listed(IndicatorKind::Host, "login.scam-" + n + ".example")); break;
        case 3: inds.push_back(listed(IndicatorKind::Url, "https://pay-" + n + ".example/x?id=" + n)); break;
        case 4: inds.push_back(listed(IndicatorKind::SenderId, "SND" + n)); break;
        case 5: inds.push_back(listed(IndicatorKind::Domain, "s" + n + ".bank.example")); break;  // protected
        case 6: inds.push_back(listed(IndicatorKind::Number, "+1" + n)); break;                  // invalid: too short
        case 7: inds.push_back(by_analyst(listed(IndicatorKind::Host, "ok-" + n + ".example"), IndicatorStatus::Allowlisted)); break;
        default: {
          auto s = listed(IndicatorKind::Domain, "few-" + n + ".example");
          s.status = IndicatorStatus::Suspected;
          s.reporters.erase(s.reporters.begin(), std::next(s.reporters.begin(), 3));
          s.distinct_reporters = 2;
          inds.push_back(s);
        }
      }
    }
    inds.push_back(listed(IndicatorKind::Domain, "shop.example"));  // covers an allowlisted domain
    f.put(inds);
    // The same database exported sequentially (no worker) and by several workers in many small
    // batches, which finish out of order: every file the same, and the same counts.
    auto export_to = [&](const std::string& dir, std::optional<std::size_t> workers, std::size_t batch,
                         std::int64_t now) {
      f.config.out_dir = (f.dir.path() / dir).string();
      blocklist::ExportOptions o;
      o.workers = workers;
      o.batch_size = batch;
      return f.run(now, o);
    };
    // The bundle id is random per export: the rest of stix.json must match.
    auto without_bundle_id = [](std::string text) {
      const auto at = text.find("\"bundle--");
      REQUIRE(at != std::string::npos);
      return text.erase(at, 9 + 36);
    };
    auto compare = [&](const blocklist::ExportResult& a, const blocklist::ExportResult& b, std::uint64_t serial) {
      CHECK(a.serial == serial);
      CHECK(b.serial == serial);
      CHECK(a.scanned == b.scanned);
      CHECK(a.total() == b.total());
      CHECK(a.allowlisted == b.allowlisted);
      CHECK(a.protected_skipped == b.protected_skipped);
      CHECK(a.invalid_skipped == b.invalid_skipped);
      CHECK(a.delta.entries.size() == b.delta.entries.size());
      const auto da = f.dir.path() / "seq" / "serials" / std::to_string(serial);
      const auto db = f.dir.path() / "par" / "serials" / std::to_string(serial);
      std::set<std::string> names;
      for (const auto& e : fs::directory_iterator(da)) names.insert(e.path().filename().string());
      std::set<std::string> names_b;
      for (const auto& e : fs::directory_iterator(db)) names_b.insert(e.path().filename().string());
      CHECK(names == names_b);
      for (const auto& name : names) {
        if (name == "manifest.json") continue;  // holds stix.json's hash
        auto ta = test::read_file(da / name), tb = test::read_file(db / name);
        if (name == "stix.json") {
          ta = without_bundle_id(ta);
          tb = without_bundle_id(tb);
        }
        CHECK_MESSAGE(ta == tb, name);
      }
      auto ma = core::Json::parse(test::read_file(da / "manifest.json"));
      auto mb = core::Json::parse(test::read_file(db / "manifest.json"));
      ma["files"].erase("stix.json");
      mb["files"].erase("stix.json");
      CHECK(ma == mb);
    };
    auto a1 = export_to("seq", 0, 0, kT0);
    auto b1 = export_to("par", 3, 7, kT0);
    CHECK(a1.scanned == 601);
    CHECK(a1.total() == 5 * 67);
    CHECK(a1.allowlisted == 67 + 66);  // under bank.example, and by an analyst
    CHECK(a1.protected_skipped == 1);
    CHECK(a1.invalid_skipped == 66);
    compare(a1, b1, 1);
    // A second serial: removals with their reasons, deltas, STIX revocations.
    std::vector<core::Indicator> changes;
    for (int i = 0; i < 600; i += 18) changes.push_back(by_analyst(inds[static_cast<std::size_t>(i)], IndicatorStatus::Revoked));
    f.put(changes);
    auto a2 = export_to("seq", 0, 0, kT0 + 60'000);
    auto b2 = export_to("par", 2, 5, kT0 + 60'000);
    CHECK(a2.delta.removed() == changes.size());
    compare(a2, b2, 2);
    // And a batch size of one indicator on one worker, against the sequential first serial.
    f.config.out_dir = (f.dir.path() / "one").string();
    blocklist::ExportOptions o;
    o.workers = 1;
    o.batch_size = 1;
    CHECK(f.run(kT0 + 60'000, o).total() == a2.total());
    CHECK(test::read_file(f.dir.path() / "one/serials/1/indicators.jsonl") ==
          test::read_file(f.dir.path() / "seq/serials/2/indicators.jsonl"));
  }

  TEST_CASE("a stored value that does not decode fails the export on any number of workers, and nothing is published") {
    Fixture f;
    std::vector<core::Indicator> inds;
    for (int i = 0; i < 100; ++i) inds.push_back(listed(IndicatorKind::Domain, "d" + std::to_string(100 + i) + ".example"));
    f.put(inds);
    REQUIRE(f.run().serial == 1);
    f.put({listed(IndicatorKind::Domain, "zz.example")});
    TruncatingStore damaged(*f.store, "domain:d150.example");
    for (std::size_t workers : {0, 1, 3}) {
      CAPTURE(workers);
      blocklist::ExportOptions o;
      o.workers = workers;
      o.batch_size = 7;
      auto r = blocklist::export_blocklists(damaged, f.policy, f.config, kT0, o);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == core::ErrorCode::Corruption);
      CHECK(blocklist::current_serial(f.config.out_dir) == 1);
      CHECK(blocklist::io::list_serials(f.out()) == std::vector<std::uint64_t>{1});
      std::size_t entries = 0;
      for (const auto& e : fs::directory_iterator(f.out() / "serials")) entries += e.path().filename() != "1";
      CHECK(entries == 0);  // no temporary directory left behind
    }
    CHECK(f.run().serial == 2);  // the undamaged store exports
  }

  TEST_CASE("a file equal to the current serial's is a hard link to it, and a changed file is a new one") {
    Fixture f;
    f.config.keep_serials = 1;
    f.put({listed(IndicatorKind::Number, "+37129999901"), listed(IndicatorKind::Domain, "a.example"),
           listed(IndicatorKind::Url, "https://a.example/x")});
    REQUIRE(f.run(kT0).serial == 1);
    const auto numbers1 = f.file("numbers.csv");
    const auto urls1 = f.file("urls.txt");
    struct stat s1 {};
    REQUIRE(::stat((f.out() / "serials/1/numbers.csv").c_str(), &s1) == 0);
    CHECK(s1.st_nlink == 1);
    f.put({listed(IndicatorKind::Domain, "b.example")});  // only the domains change
    REQUIRE(f.run(kT0).serial == 2);
    struct stat s2 {}, d1 {}, d2 {};
    // keep_serials 1: serial 1 is gone, and its numbers.csv lives on as serial 2's
    CHECK_FALSE(fs::exists(f.out() / "serials/1"));
    REQUIRE(::stat((f.out() / "serials/2/numbers.csv").c_str(), &s2) == 0);
    CHECK(s2.st_ino == s1.st_ino);
    CHECK(f.file("numbers.csv") == numbers1);
    CHECK(f.file("urls.txt") == urls1);
    CHECK(f.file("domains.txt") == "a.example\nb.example\n");
    auto manifest = core::Json::parse(f.file("manifest.json"));
    for (const char* name : blocklist::kExportFiles) {
      const auto content = f.file(name);
      CHECK_MESSAGE(manifest["files"][name]["sha256"] == blocklist::io::sha256_hex(content), name);
      CHECK(manifest["files"][name]["bytes"] == content.size());
    }
    // A third serial where the numbers change: a new file, serial 2's left as it was.
    REQUIRE(::stat((f.out() / "serials/2/domains.txt").c_str(), &d2) == 0);
    f.config.keep_serials = 2;
    f.put({listed(IndicatorKind::Number, "+37129999902")});
    REQUIRE(f.run(kT0).serial == 3);
    struct stat s3 {};
    REQUIRE(::stat((f.out() / "serials/3/numbers.csv").c_str(), &s3) == 0);
    CHECK(s3.st_ino != s2.st_ino);
    CHECK(test::read_file(f.out() / "serials/2/numbers.csv") == numbers1);
    CHECK(lines(f.file("numbers.csv")).size() == 3);
    REQUIRE(::stat((f.out() / "serials/3/domains.txt").c_str(), &d1) == 0);
    CHECK(d1.st_ino == d2.st_ino);
    // A linked file whose size no longer matches its manifest is not trusted: written anew.
    CHECK_FALSE(blocklist::io::link_over(f.out() / "serials/3/domains.txt", 1, f.dir.path() / "x"));
    CHECK_FALSE(fs::exists(f.dir.path() / "x"));
    // Nor is a symlink (a hard link to it would be a link to whatever it points at then).
    fs::create_symlink(f.out() / "serials/3/domains.txt", f.dir.path() / "sym");
    CHECK_FALSE(blocklist::io::link_over(f.dir.path() / "sym", d1.st_size, f.dir.path() / "x"));
    CHECK_FALSE(fs::exists(f.dir.path() / "x"));
    CHECK(blocklist::io::link_over(f.out() / "serials/3/domains.txt", d1.st_size, f.dir.path() / "x"));
    CHECK(test::read_file(f.dir.path() / "x") == "a.example\nb.example\n");
  }

  TEST_CASE("the manifest's Ed25519 signature verifies with the public key, and fails on a changed byte") {
    Fixture f;
    const auto key = (f.dir.path() / "export.key").string();
    REQUIRE(blocklist::generate_signing_key(key).has_value());
    f.config.signing_key_file = key;
    f.put({listed(IndicatorKind::Domain, "evil-parcel.example")});
    auto exporter = blocklist::Exporter::create(f.policy, f.config);
    REQUIRE(exporter.has_value());
    REQUIRE((*exporter)->run(*f.store, kT0)->outcome == ExportOutcome::Published);
    const auto pem = (*exporter)->public_key_pem();
    CHECK(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    auto manifest = f.file("manifest.json");
    const auto sig = f.file("manifest.json.sig");
    CHECK(sig.size() == 64);
    CHECK(blocklist::verify_ed25519(pem, manifest, sig));
    manifest[manifest.size() / 2] ^= 1;
    CHECK_FALSE(blocklist::verify_ed25519(pem, manifest, sig));
    auto m = core::Json::parse(f.file("manifest.json"));
    CHECK(m["signature"]["algorithm"] == "ed25519");
    CHECK(m["signature"]["public_key_sha256"].get<std::string>().size() == 64);
  }

  TEST_CASE("a signing key readable by every user, or not Ed25519, is refused at creation") {
    test::TempDir dir;
    const auto key = (dir.path() / "k.pem").string();
    REQUIRE(blocklist::generate_signing_key(key).has_value());
    ::chmod(key.c_str(), 0644);
    blocklist::ExportConfig cfg;
    cfg.out_dir = dir.str();
    cfg.signing_key_file = key;
    auto r = blocklist::Exporter::create({}, cfg);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("readable by every user") != std::string::npos);
    cfg.signing_key_file = (dir.path() / "missing.pem").string();
    CHECK_FALSE(blocklist::Exporter::create({}, cfg).has_value());
    cfg.signing_key_file = "";
    cfg.rpz_zone = "not a zone";
    CHECK_FALSE(blocklist::Exporter::create({}, cfg).has_value());
  }

  TEST_CASE("a leftover temporary directory never becomes current and is cleaned up; a second writer is locked out") {
    Fixture f;
    f.put({listed(IndicatorKind::Domain, "evil-parcel.example")});
    fs::create_directories(f.out() / "serials" / ".tmp-1-999");
    {
      std::ofstream half(f.out() / "serials" / ".tmp-1-999" / "domains.txt");
      half << "half-writ";
    }
    auto r = f.run();
    CHECK(r.serial == 1);
    CHECK_FALSE(fs::exists(f.out() / "serials" / ".tmp-1-999"));
    CHECK(f.file("domains.txt") == "evil-parcel.example\n");
  }

  TEST_CASE("an unreadable current serial stops the export until it is forced") {
    Fixture f;
    f.put({listed(IndicatorKind::Domain, "evil-parcel.example")});
    REQUIRE(f.run().serial == 1);
    { std::ofstream(f.out() / "serials" / "1" / "entries.tsv") << "garbage\n"; }
    auto broken = blocklist::export_blocklists(*f.store, f.policy, f.config, kT0);
    REQUIRE_FALSE(broken.has_value());
    CHECK(broken.error().code == core::ErrorCode::Corruption);
    blocklist::ExportOptions force;
    force.force = true;
    auto forced = f.run(kT0, force);
    CHECK(forced.outcome == ExportOutcome::Published);
    CHECK(forced.serial == 2);
    CHECK(f.file("domains.txt") == "evil-parcel.example\n");
  }

  TEST_CASE("an out_dir of the single-directory layout is upgraded, its serial continued") {
    Fixture f;
    fs::create_directories(f.out());
    {
      std::ofstream m(f.out() / "manifest.json");
      m << R"({"serial": 7, "files": {}})";
      std::ofstream d(f.out() / "domains.txt");
      d << "old.example\n";
    }
    f.put({listed(IndicatorKind::Domain, "evil-parcel.example")});
    auto r = f.run();
    CHECK(r.serial == 8);
    CHECK(fs::is_symlink(f.out() / "domains.txt"));
    CHECK(test::read_file(f.out() / "domains.txt") == "evil-parcel.example\n");
    CHECK(core::Json::parse(test::read_file(f.out() / "manifest.json"))["serial"] == 8);
  }

  TEST_CASE("a reader that resolves current once never sees a half-written file or a mixed serial") {
    Fixture f;
    f.config.breaker_min_changes = 1'000'000;
    f.put({listed(IndicatorKind::Domain, "seed.example")});
    REQUIRE(f.run().serial == 1);
    std::atomic<bool> done{false};
    std::atomic<int> checked{0}, mismatches{0};
    std::thread reader([&] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (!done && std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        const auto target = fs::read_symlink(f.out() / "current", ec);
        if (ec) continue;
        const auto dir = f.out() / target;
        auto manifest_text = blocklist::io::read_file(dir / "manifest.json");
        if (!manifest_text) continue;  // pruned meanwhile: a reader retries
        auto m = core::Json::parse(*manifest_text, nullptr, false);
        if (m.is_discarded()) {
          ++mismatches;
          continue;
        }
        for (const char* name : {"domains.txt", "rpz.zone", "stix.json"}) {
          auto content = blocklist::io::read_file(dir / name);
          if (content && blocklist::io::sha256_hex(*content) != m["files"][name]["sha256"]) ++mismatches;
        }
        ++checked;
      }
    });
    for (int i = 0; i < 30; ++i) {
      std::vector<core::Indicator> batch;
      for (int k = 0; k < 50; ++k) batch.push_back(listed(IndicatorKind::Domain, "r" + std::to_string(i) + "-" + std::to_string(k) + ".example"));
      f.put(batch);
      REQUIRE(f.run().outcome == ExportOutcome::Published);
    }
    done = true;
    reader.join();
    CHECK(checked > 0);
    CHECK(mismatches == 0);
    CHECK(blocklist::current_serial(f.config.out_dir) == 31);
  }

  TEST_CASE("an indicator committed while the scan runs is not in that scan (one consistent view)") {
    Fixture f;
    f.put({listed(IndicatorKind::Domain, "a.example"), listed(IndicatorKind::Domain, "b.example")});
    std::vector<std::string> seen;
    auto s = f.store->scan_indicators([&](const core::Indicator& i) {
      if (seen.empty()) {
        storage::Commit c;
        c.indicators = {listed(IndicatorKind::Domain, "c.example")};
        auto b = listed(IndicatorKind::Domain, "b.example");
        b.status_reason = "changed during the scan";
        c.indicators.push_back(b);
        REQUIRE(f.store->commit(c).has_value());
      }
      seen.push_back(i.value + "|" + i.status_reason);
      return true;
    });
    REQUIRE(s.has_value());
    CHECK(seen == std::vector<std::string>{"a.example|", "b.example|"});
  }
}
