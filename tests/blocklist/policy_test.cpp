// Listing policy simulations and the export against a real RocksDB.
#include <doctest/doctest.h>

#include <filesystem>

#include "smish/blocklist/export.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/core/json.hpp"
#include "support.hpp"

using namespace smish;
using blocklist::PolicyConfig;
using core::IndicatorStatus;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;
constexpr std::int64_t kHour = 3'600'000;

core::Report scam_report(std::uint64_t id, std::string reporter, std::int64_t ms, double score = 0.9) {
  core::Report r;
  r.id = id;
  r.reporter = std::move(reporter);
  r.received_ms = ms;
  r.verdict.label = core::Label::Scam;
  r.verdict.category = "operator_impersonation";
  r.verdict.score = score;
  return r;
}

core::Indicator number(std::string value) {
  core::Indicator i;
  i.kind = core::IndicatorKind::Number;
  i.value = std::move(value);
  return i;
}

core::Indicator indicator(core::IndicatorKind kind, std::string value) {
  core::Indicator i;
  i.kind = kind;
  i.value = std::move(value);
  return i;
}

// Two brands as smishd loads them from configs/brands.yaml (app::load_brands).
std::vector<blocklist::BrandAllowlist> brands() {
  return {{"tele2", {"+37167000700", "1600"}, {"tele2.lv", "tele2.com"}, {"Tele2"}},
          {"swedbank", {}, {"swedbank.lv", "xn--swdbank-d1a.lv"}, {"Swedbank"}}};
}

}  // namespace

TEST_SUITE("blocklist/policy") {
  TEST_CASE("one reporter sending 10 000 reports about one number lists nothing") {
    PolicyConfig cfg;
    auto ind = number("+37129999901");
    for (int i = 0; i < 10'000; ++i) blocklist::record_report(ind, scam_report(i + 1, "p:one", kT0 + i), {}, cfg);
    CHECK(ind.total_reports == 10'000);
    CHECK(ind.distinct_reporters == 1);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 10'000) == IndicatorStatus::Suspected);
  }

  TEST_CASE("K-1 reporters list nothing and K reporters list the number") {
    PolicyConfig cfg;
    auto ind = number("+37129999901");
    for (int i = 0; i < cfg.min_reporters - 1; ++i)
      blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0 + i * kHour), {}, cfg);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 5 * kHour) == IndicatorStatus::Suspected);
    blocklist::record_report(ind, scam_report(99, "p:last", kT0 + 5 * kHour), {}, cfg);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 5 * kHour) == IndicatorStatus::Listed);
    CHECK(ind.expires_ms == kT0 + 5 * kHour + 30LL * 24 * kHour);
  }

  TEST_CASE("reporters outside the window do not count") {
    PolicyConfig cfg;
    auto ind = number("+37129999901");
    for (int i = 0; i < cfg.min_reporters; ++i)
      blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0 + i * 24 * kHour), {}, cfg);
    // Five reporters over five days: never five within 72 h.
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 4 * 24 * kHour) == IndicatorStatus::Suspected);
  }

  TEST_CASE("a low score lists nothing however many report it") {
    PolicyConfig cfg;
    auto ind = number("+37120000099");
    for (int i = 0; i < 20; ++i)
      blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0, 0.2), {}, cfg);
    CHECK(blocklist::evaluate(ind, cfg, kT0) == IndicatorStatus::Observed);
  }

  TEST_CASE("1000 reporters against an allowlisted number or an emergency number list nothing") {
    PolicyConfig cfg;
    cfg.allow_numbers = {"+37167000000"};
    auto ind = number("+37167000000");
    auto emergency = number("112");
    for (int i = 0; i < 1000; ++i) {
      blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0), {}, cfg);
      blocklist::record_report(emergency, scam_report(i + 1, "p:" + std::to_string(i), kT0), {"short_code", "emergency"}, cfg);
    }
    CHECK(blocklist::evaluate(ind, cfg, kT0) == IndicatorStatus::Allowlisted);
    CHECK(blocklist::evaluate(emergency, cfg, kT0) == IndicatorStatus::Allowlisted);
  }

  TEST_CASE("a listed number expires after its last report and needs new reports to return") {
    PolicyConfig cfg;
    auto ind = number("+37129999901");
    for (int i = 0; i < 5; ++i)
      blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0), {}, cfg);
    REQUIRE(blocklist::evaluate(ind, cfg, kT0) == IndicatorStatus::Listed);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 29LL * 24 * kHour) == IndicatorStatus::Listed);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 31LL * 24 * kHour) == IndicatorStatus::Expired);
    CHECK(blocklist::evaluate(ind, cfg, kT0 + 32LL * 24 * kHour) == IndicatorStatus::Expired);
    const std::int64_t later = kT0 + 40LL * 24 * kHour;
    for (int i = 0; i < 5; ++i)
      blocklist::record_report(ind, scam_report(100 + i, "p:new" + std::to_string(i), later), {}, cfg);
    CHECK(blocklist::evaluate(ind, cfg, later) == IndicatorStatus::Listed);
  }

  TEST_CASE("subdomains of an allowlisted domain and shortener domains are protected") {
    PolicyConfig cfg;
    cfg.allow_domains = {"tele2.lv"};
    core::Indicator host;
    host.kind = core::IndicatorKind::Host;
    host.value = "mans.tele2.lv";
    CHECK(blocklist::is_protected(host, cfg));
    host.value = "tele2.lv.verify-id.top";
    CHECK_FALSE(blocklist::is_protected(host, cfg));
    core::Indicator shortener;
    shortener.kind = core::IndicatorKind::Domain;
    shortener.value = "bit.ly";
    shortener.flags = {"shortener"};
    CHECK(blocklist::is_protected(shortener, cfg));
  }

  TEST_CASE("a brand's own domains, hosts under them, numbers, short codes and sender IDs are protected") {
    PolicyConfig cfg;
    cfg.brands = brands();
    using K = core::IndicatorKind;
    std::string why;
    CHECK(blocklist::is_protected(indicator(K::Domain, "tele2.lv"), cfg, &why));
    CHECK(why == "brand tele2: its own domain tele2.lv");
    CHECK(blocklist::is_protected(indicator(K::Host, "mans.tele2.lv"), cfg));
    CHECK(blocklist::is_protected(indicator(K::Url, "https://www.tele2.com/login?x=1"), cfg));
    CHECK(blocklist::is_protected(indicator(K::Url, "http://user@swedbank.lv/"), cfg));
    CHECK(blocklist::is_protected(indicator(K::Domain, "xn--swdbank-d1a.lv"), cfg));
    CHECK(blocklist::is_protected(indicator(K::Number, "+37167000700"), cfg, &why));
    CHECK(why == "brand tele2: its own number");
    CHECK(blocklist::is_protected(indicator(K::Number, "1600"), cfg));  // a short code, even without its flag
    CHECK(blocklist::is_protected(indicator(K::SenderId, "TELE2"), cfg, &why));
    CHECK(why == "brand tele2: its own sender ID Tele2");
    CHECK(blocklist::is_protected(indicator(K::SenderId, "swedbank"), cfg));
    // Look-alikes are what the blocklists are for.
    CHECK_FALSE(blocklist::is_protected(indicator(K::Domain, "tele2-lv.com"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::Host, "tele2.lv.verify-id.top"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::Url, "https://evil.top/tele2.lv"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::Domain, "mytele2.lv"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::Number, "+37167000701"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::SenderId, "Tele2-LV"), cfg));
    CHECK_FALSE(blocklist::is_protected(indicator(K::SenderId, "SwedbankLV"), cfg));
  }

  TEST_CASE("1000 reporters against a brand's domain or sender ID list nothing") {
    PolicyConfig cfg;
    cfg.brands = brands();
    for (auto kind : {core::IndicatorKind::Domain, core::IndicatorKind::SenderId}) {
      auto ind = indicator(kind, kind == core::IndicatorKind::Domain ? "tele2.lv" : "Tele2");
      for (int i = 0; i < 1000; ++i)
        blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0 + i), {}, cfg);
      CHECK(blocklist::evaluate(ind, cfg, kT0 + 1000) == IndicatorStatus::Allowlisted);
      CHECK(ind.status_reason.rfind("brand tele2: its own ", 0) == 0);
    }
  }
}

TEST_SUITE("blocklist/export") {
  TEST_CASE("a hostile database never gets a brand's own domain, number or sender ID onto a blocklist") {
    test::TempDir dir;
    storage::StorageConfig scfg;
    scfg.path = (dir.path() / "db").string();
    auto store = storage::Store::open(scfg, storage::OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    PolicyConfig cfg;
    cfg.brands = brands();
    cfg.brands[0].domains.push_back("Tele2.LT.");  // as written by hand: the export normalises it
    cfg.brands[1].domains.push_back("secure.example-bank.lv");
    using K = core::IndicatorKind;
    // Every one reported by 50 reporters, and marked listed or confirmed by the database itself.
    auto hostile = [&](K kind, std::string value, bool analyst) {
      auto ind = indicator(kind, std::move(value));
      for (int i = 0; i < 50; ++i)
        blocklist::record_report(ind, scam_report(i + 1, "p:" + std::to_string(i), kT0), {}, cfg);
      ind.status = analyst ? IndicatorStatus::Confirmed : IndicatorStatus::Listed;
      ind.status_actor = analyst ? "analyst:mallory" : "policy";
      return ind;
    };
    storage::Commit c;
    c.indicators = {hostile(K::Domain, "tele2.lv", true),
                    hostile(K::Domain, "TELE2.LV.", false),
                    hostile(K::Domain, "tele2.lt", false),
                    hostile(K::Host, "www.tele2.com", true),
                    hostile(K::Url, "https://tele2.lv/mans", false),
                    hostile(K::Domain, "lv", false),  // a whole country: never a valid entry
                    hostile(K::Domain, "example-bank.lv", false),  // would cover secure.example-bank.lv
                    hostile(K::Number, "+37167000700", true),
                    hostile(K::Number, "1600", false),
                    hostile(K::SenderId, "Tele2", true),
                    hostile(K::SenderId, "SWEDBANK", false),
                    // The look-alikes are still listed.
                    hostile(K::Domain, "tele2-lv.com", false),
                    hostile(K::Host, "tele2.lv.verify-id.top", false),
                    hostile(K::SenderId, "Tele2-LV", false),
                    hostile(K::Number, "+37129999901", false)};
    REQUIRE((*store)->commit(c).has_value());
    blocklist::ExportConfig ecfg;
    ecfg.out_dir = (dir.path() / "export").string();
    auto r = blocklist::export_blocklists(**store, cfg, ecfg, kT0 + kHour);
    REQUIRE(r.has_value());
    REQUIRE(r->outcome == blocklist::ExportOutcome::Published);
    const auto out = dir.path() / "export" / "current";
    CHECK(test::read_file(out / "domains.txt") == "tele2-lv.com\n");
    CHECK(test::read_file(out / "hosts.txt") == "tele2.lv.verify-id.top\n");
    CHECK(test::read_file(out / "urls.txt").empty());
    const auto numbers = test::read_file(out / "numbers.csv");
    CHECK(numbers.find("+37129999901") != std::string::npos);
    CHECK(numbers.find("+37167000700") == std::string::npos);
    CHECK(numbers.find("1600") == std::string::npos);
    const auto senders = test::read_file(out / "sender_ids.csv");
    CHECK(senders.find("Tele2-LV,") != std::string::npos);
    CHECK(senders.find("\nTele2,") == std::string::npos);
    CHECK(senders.find("SWEDBANK") == std::string::npos);
    const auto zone = test::read_file(out / "rpz.zone");
    CHECK(zone.find("\ntele2.lv CNAME rpz-passthru.\n") != std::string::npos);
    CHECK(zone.find("\n*.tele2.lt CNAME rpz-passthru.\n") != std::string::npos);
    // Brand domains nobody reported get their passthru too, and a name covering one is withheld.
    CHECK(zone.find("\ntele2.com CNAME rpz-passthru.\n") != std::string::npos);
    CHECK(zone.find("\n*.swedbank.lv CNAME rpz-passthru.\n") != std::string::npos);
    CHECK(zone.find("example-bank.lv CNAME .") == std::string::npos);
    CHECK(r->protected_skipped == 1);
    CHECK(zone.find("\nlv CNAME .") == std::string::npos);
    CHECK(zone.find("tele2.lv CNAME .") == std::string::npos);
    CHECK(zone.find("tele2-lv.com CNAME .") != std::string::npos);
  }

  TEST_CASE("the export writes listed entries only, with a manifest and a rising serial") {
    test::TempDir dir;
    storage::StorageConfig scfg;
    scfg.path = (dir.path() / "db").string();
    auto store = storage::Store::open(scfg, storage::OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    PolicyConfig cfg;
    cfg.allow_domains = {"tele2.lv"};
    storage::Commit c;
    auto listed = number("+37129999901");
    auto single = number("+37129999902");
    core::Indicator domain;
    domain.kind = core::IndicatorKind::Domain;
    domain.value = "tele2-lv-bonus.info";
    core::Indicator hostile;  // a database that says "listed" for an allowlisted domain
    hostile.kind = core::IndicatorKind::Domain;
    hostile.value = "tele2.lv";
    for (int i = 0; i < 5; ++i) {
      auto r = scam_report(i + 1, "p:" + std::to_string(i), kT0);
      blocklist::record_report(listed, r, {}, cfg);
      blocklist::record_report(domain, r, {}, cfg);
      blocklist::record_report(hostile, r, {}, cfg);
    }
    blocklist::record_report(single, scam_report(9, "p:x", kT0), {}, cfg);
    hostile.status = IndicatorStatus::Confirmed;
    hostile.status_actor = "analyst:mallory";
    c.indicators = {listed, single, domain, hostile};
    REQUIRE((*store)->commit(c).has_value());

    blocklist::ExportConfig ecfg;
    ecfg.out_dir = (dir.path() / "export").string();
    auto first = blocklist::export_blocklists(**store, cfg, ecfg, kT0 + kHour);
    REQUIRE(first.has_value());
    CHECK(first->serial == 1);
    CHECK(first->numbers == 1);
    CHECK(first->domains == 1);
    auto numbers = test::read_file(dir.path() / "export" / "numbers.csv");
    CHECK(numbers.find("+37129999901,operator_impersonation,listed") != std::string::npos);
    CHECK(numbers.find("+37129999902") == std::string::npos);
    auto domains = test::read_file(dir.path() / "export" / "domains.txt");
    CHECK(domains == "tele2-lv-bonus.info\n");
    auto manifest = core::Json::parse(test::read_file(dir.path() / "export" / "manifest.json"));
    CHECK(manifest["serial"] == 1);
    CHECK(manifest["files"]["domains.txt"]["entries"] == 1);
    CHECK(manifest["files"]["domains.txt"]["sha256"].get<std::string>().size() == 64);
    auto second = blocklist::export_blocklists(**store, cfg, ecfg, kT0 + kHour);
    REQUIRE(second.has_value());
    CHECK(second->outcome == blocklist::ExportOutcome::Unchanged);  // nothing new: no new serial
    CHECK(second->serial == 1);
    blocklist::ExportOptions force;
    force.force = true;
    auto third = blocklist::export_blocklists(**store, cfg, ecfg, kT0 + kHour, force);
    REQUIRE(third.has_value());
    CHECK(third->serial == 2);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "export"))
      CHECK_MESSAGE(entry.path().filename().string().find(".tmp") == std::string::npos, entry.path().string());
  }
}
