// Analyst decisions against a real RocksDB and the listing policy; the admin socket end to end.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "smish/app/admin.hpp"
#include "smish/blocklist/export.hpp"
#include "support.hpp"

using namespace smish;
using app::Mutation;
using app::MutationOutcome;
using core::IndicatorKind;
using core::IndicatorStatus;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

/// Five reporters within the hour before kT0, scam score 0.9: listed by the default policy.
core::Indicator listed(IndicatorKind kind, std::string value) {
  core::Indicator i;
  i.kind = kind;
  i.value = std::move(value);
  for (int r = 0; r < 5; ++r) i.reporters.emplace("p:" + std::to_string(r), kT0 - r * 60'000);
  i.distinct_reporters = i.total_reports = 5;
  i.first_seen_ms = kT0 - 4 * 60'000;
  i.last_seen_ms = kT0;
  i.categories["fake_delivery"] = 5;
  i.max_score = 0.9;
  i.status = IndicatorStatus::Listed;
  i.status_actor = "policy";
  return i;
}

core::Report report(std::uint64_t id) {
  core::Report r;
  r.id = id;
  r.received_ms = kT0;
  r.reporter = "p:1";
  r.text = "Your parcel is held";
  r.verdict.label = core::Label::Scam;
  r.verdict.category = "fake_delivery";
  r.verdict.score = 0.9;
  return r;
}

Mutation mutation(std::string action, IndicatorKind kind, std::string value) {
  Mutation m;
  m.action = std::move(action);
  m.kind = kind;
  m.value = std::move(value);
  m.actor = "alice";
  return m;
}

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<storage::Store> store;
  blocklist::PolicyConfig policy;
  app::Writer writer{1000, "direct"};

  Fixture() {
    storage::StorageConfig cfg;
    cfg.path = (dir.path() / "db").string();
    auto s = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    REQUIRE(s.has_value());
    store = std::move(*s);
    storage::Commit c;
    c.indicators = {listed(IndicatorKind::Number, "+37129999901"), listed(IndicatorKind::Domain, "dpd-lv.top"),
                    listed(IndicatorKind::Number, "+37129999902")};
    c.reports = {report(1)};
    REQUIRE(store->commit(c).has_value());
  }
  app::MutationResult apply(const Mutation& m, std::int64_t now = kT0) {
    auto r = app::apply_mutation(*store, policy, m, writer, now);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
    return *r;
  }
  core::Indicator get(IndicatorKind kind, const std::string& value) {
    auto i = store->get_indicator(kind, value);
    REQUIRE(i.has_value());
    REQUIRE(i->has_value());
    return **i;
  }
  /// Keys published by a fresh export at `now` ("number:+371...").
  std::set<std::string> exported(std::int64_t now) {
    blocklist::ExportConfig ecfg;
    ecfg.out_dir = (dir.path() / "export").string();
    blocklist::ExportOptions force;
    force.force = true;  // these tests change a large fraction of a tiny list
    auto r = blocklist::export_blocklists(*store, policy, ecfg, now, force);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
    std::set<std::string> keys;
    for (const auto& line : {std::string("numbers.csv"), std::string("domains.txt")}) {
      std::istringstream in(test::read_file(fs::path(ecfg.out_dir) / "current" / line));
      std::string l;
      while (std::getline(in, l)) {
        if (l.empty() || l.starts_with("e164")) continue;
        keys.insert((line == "numbers.csv" ? "number:" : "domain:") + l.substr(0, l.find(',')));
      }
    }
    return keys;
  }
};

}  // namespace

TEST_SUITE("app/ctl mutations") {
  TEST_CASE("an analyst's allow keeps a listed value out of every later export, however many report it") {
    Fixture f;
    REQUIRE(f.exported(kT0).count("number:+37129999901") == 1);
    auto r = f.apply(mutation("allow", IndicatorKind::Number, "+37129999901"));
    CHECK(r.outcome == MutationOutcome::Applied);
    CHECK(r.before["status"] == "listed");
    CHECK(r.after["status"] == "allowlisted");
    CHECK(r.after["status_actor"] == "analyst:alice");
    CHECK(f.exported(kT0).count("number:+37129999901") == 0);
    // More reports arrive and the policy re-evaluates: the analyst's word stands.
    auto ind = f.get(IndicatorKind::Number, "+37129999901");
    for (int i = 10; i < 30; ++i) ind.reporters.emplace("p:" + std::to_string(i), kT0 + kDay);
    ind.last_seen_ms = kT0 + kDay;
    CHECK(blocklist::evaluate(ind, f.policy, kT0 + kDay) == IndicatorStatus::Allowlisted);
    CHECK(f.exported(kT0 + 30 * kDay).count("number:+37129999901") == 0);
  }

  TEST_CASE("block lists a value nobody reported yet, from the next export on; a TTL lapses") {
    Fixture f;
    auto m = mutation("block", IndicatorKind::Domain, "evil-parcel.top");
    m.ttl_ms = 7 * kDay;
    m.note = "from the bank's feed";
    auto r = f.apply(m);
    CHECK(r.outcome == MutationOutcome::Applied);
    CHECK(r.before.is_null());
    CHECK(r.after["status"] == "confirmed");
    CHECK(r.after["expires_ms"] == kT0 + 7 * kDay);
    CHECK(f.get(IndicatorKind::Domain, "evil-parcel.top").status_reason == "blocked by analyst: from the bank's feed");
    CHECK(f.exported(kT0).count("domain:evil-parcel.top") == 1);
    CHECK(f.exported(kT0 + 8 * kDay).count("domain:evil-parcel.top") == 0);
  }

  TEST_CASE("the same decision twice is unchanged and writes nothing") {
    Fixture f;
    CHECK(f.apply(mutation("block", IndicatorKind::Number, "+37129999902")).outcome == MutationOutcome::Applied);
    auto again = f.apply(mutation("block", IndicatorKind::Number, "+37129999902"));
    CHECK(again.outcome == MutationOutcome::Unchanged);
    CHECK(again.audit_seq == 0);
  }

  TEST_CASE("revoke removes a policy listing with its reason; with a TTL the reports decide again after it") {
    Fixture f;
    auto m = mutation("revoke", IndicatorKind::Number, "+37129999901");
    m.reason = "the bank's real fraud line";
    m.ttl_ms = 7 * kDay;
    auto r = f.apply(m);
    CHECK(r.after["status"] == "revoked");
    CHECK(r.after["status_reason"] == "the bank's real fraud line");
    CHECK(f.exported(kT0).count("number:+37129999901") == 0);
    auto ind = f.get(IndicatorKind::Number, "+37129999901");
    CHECK(blocklist::evaluate(ind, f.policy, kT0 + 6 * kDay) == IndicatorStatus::Revoked);
    // Eight days on, five new reporters: listed again, by the policy.
    for (int i = 10; i < 15; ++i) ind.reporters["p:" + std::to_string(i)] = kT0 + 8 * kDay;
    ind.last_seen_ms = kT0 + 8 * kDay;
    CHECK(blocklist::evaluate(ind, f.policy, kT0 + 8 * kDay) == IndicatorStatus::Listed);
    CHECK(ind.status_actor == "policy");
  }

  TEST_CASE("a revoke without a TTL holds; unblock hands the value back to the policy") {
    Fixture f;
    auto m = mutation("revoke", IndicatorKind::Number, "+37129999901");
    m.reason = "false positive";
    f.apply(m);
    auto ind = f.get(IndicatorKind::Number, "+37129999901");
    CHECK(blocklist::evaluate(ind, f.policy, kT0 + 365 * kDay) == IndicatorStatus::Revoked);
    auto r = f.apply(mutation("unblock", IndicatorKind::Number, "+37129999901"));
    CHECK(r.outcome == MutationOutcome::Applied);
    CHECK(r.after["status"] == "listed");  // five reporters within the window
    CHECK(r.after["status_actor"] == "policy");
    auto none = f.apply(mutation("unblock", IndicatorKind::Number, "+37129999901"));
    CHECK(none.outcome == MutationOutcome::Unchanged);
    CHECK(none.message.find("no analyst decision") != std::string::npos);
  }

  TEST_CASE("unblock and revoke of a value never reported are not found; label of a missing report too") {
    Fixture f;
    CHECK(f.apply(mutation("unblock", IndicatorKind::Domain, "never.example")).outcome == MutationOutcome::NotFound);
    auto m = mutation("revoke", IndicatorKind::Domain, "never.example");
    m.reason = "x";
    CHECK(f.apply(m).outcome == MutationOutcome::NotFound);
    Mutation l;
    l.action = "label";
    l.report_id = 99;
    l.label = core::Label::Legit;
    l.actor = "alice";
    CHECK(f.apply(l).outcome == MutationOutcome::NotFound);
  }

  TEST_CASE("blocking a protected or unpublishable value is refused") {
    Fixture f;
    f.policy.allow_domains = {"tele2.lv"};
    SUBCASE("a configured allowlisted domain") {
      CHECK(f.apply(mutation("block", IndicatorKind::Host, "www.tele2.lv")).outcome == MutationOutcome::Refused);
    }
    SUBCASE("a short code") {
      CHECK(f.apply(mutation("block", IndicatorKind::Number, "1345")).outcome == MutationOutcome::Refused);
    }
    SUBCASE("a sender id too long for SMS") {
      CHECK(f.apply(mutation("block", IndicatorKind::SenderId, "MUCH-TOO-LONG-ID")).outcome == MutationOutcome::Refused);
    }
    CHECK(!f.store->get_indicator(IndicatorKind::Host, "www.tele2.lv")->has_value());
  }

  TEST_CASE("label on a report sets the analyst label and category and keeps the classifier's in the reasons") {
    Fixture f;
    Mutation m;
    m.action = "label";
    m.report_id = 1;
    m.label = core::Label::Legit;
    m.category = "legit_notification";
    m.note = "real DPD notice";
    m.actor = "alice";
    auto r = f.apply(m);
    CHECK(r.outcome == MutationOutcome::Applied);
    CHECK(r.target == "report:1");
    CHECK(r.before["analyst_label"].is_null());
    CHECK(r.after["analyst_label"] == "legit");
    auto rep = f.store->get_report(1);
    REQUIRE(rep.has_value());
    REQUIRE(rep->has_value());
    CHECK((*rep)->analyst_label == core::Label::Legit);
    CHECK((*rep)->verdict.category == "legit_notification");
    CHECK((*rep)->verdict.reasons.back() ==
          "analyst alice: legit, category legit_notification (was fake_delivery): real DPD notice");
  }

  TEST_CASE("label on a value: scam confirms, legit allows, spam revokes") {
    Fixture f;
    auto m = mutation("label", IndicatorKind::Domain, "dpd-lv.top");
    m.label = core::Label::Spam;
    CHECK(f.apply(m).after["status"] == "revoked");
    m.label = core::Label::Legit;
    CHECK(f.apply(m).after["status"] == "allowlisted");
    m.label = core::Label::Scam;
    m.category = "fake_delivery";
    auto r = f.apply(m);
    CHECK(r.after["status"] == "confirmed");
    CHECK(r.after["status_reason"] == "labelled scam (fake_delivery)");
  }

  TEST_CASE("the wire form is validated") {
    auto good = mutation("block", IndicatorKind::Number, "+37129999901");
    CHECK(app::mutation_from_json(app::to_json(good)).has_value());
    SUBCASE("unknown action") {
      auto j = app::to_json(good);
      j["action"] = "delete";
      CHECK(!app::mutation_from_json(j).has_value());
    }
    SUBCASE("revoke without a reason") {
      auto j = app::to_json(good);
      j["action"] = "revoke";
      CHECK(!app::mutation_from_json(j).has_value());
    }
    SUBCASE("a TTL on allow") {
      auto j = app::to_json(good);
      j["action"] = "allow";
      j["ttl_ms"] = 1000;
      CHECK(!app::mutation_from_json(j).has_value());
    }
    SUBCASE("a report id with block") {
      auto j = app::to_json(good);
      j.erase("kind");
      j["report"] = 3;
      CHECK(!app::mutation_from_json(j).has_value());
    }
    SUBCASE("no actor") {
      auto j = app::to_json(good);
      j["actor"] = "";
      CHECK(!app::mutation_from_json(j).has_value());
    }
    SUBCASE("a note longer than 4096 octets") {
      auto j = app::to_json(good);
      j["note"] = std::string(4097, 'x');
      CHECK(!app::mutation_from_json(j).has_value());
    }
  }
}

TEST_SUITE("app/admin socket") {
  TEST_CASE("a mutation over the admin socket is applied on the server's thread; the socket is 0600") {
    Fixture f;
    const std::string path = (f.dir.path() / "admin.sock").string();
    asio::io_context io(1);
    auto server = app::AdminServer::create(io, path, *f.store, f.policy);
    REQUIRE_MESSAGE(server.has_value(), (server ? "" : server.error().message()));
    (*server)->start();
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::thread t([&] { io.run_for(std::chrono::seconds(20)); });

    auto ping = app::admin_request(path, core::Json{{"op", "ping"}});
    REQUIRE(ping.has_value());
    CHECK((*ping)["ok"] == true);
    auto m = mutation("allow", IndicatorKind::Domain, "dpd-lv.top");
    auto resp = app::admin_request(path, core::Json{{"op", "mutate"}, {"mutation", app::to_json(m)}});
    REQUIRE(resp.has_value());
    CHECK((*resp)["ok"] == true);
    CHECK((*resp)["result"]["after"]["status"] == "allowlisted");
    auto bad = app::admin_request(path, core::Json{{"op", "mutate"}, {"mutation", {{"action", "drop"}}}});
    REQUIRE(bad.has_value());
    CHECK((*bad)["ok"] == false);
    auto garbage = app::admin_request(path, core::Json("not an object"));
    REQUIRE(garbage.has_value());
    CHECK((*garbage)["ok"] == false);

    asio::post(io, [&] { (*server)->stop(); });
    t.join();
    CHECK(!fs::exists(path));  // stop() removes the socket file
    CHECK((*server)->stats().requests == 4);
    CHECK((*server)->stats().mutations == 1);  // the invalid ones are answered, not applied
    CHECK(f.get(IndicatorKind::Domain, "dpd-lv.top").status == IndicatorStatus::Allowlisted);
  }

  TEST_CASE("nothing listening is Unavailable; a stale socket file is replaced; a live one is refused") {
    test::TempDir dir;
    const std::string path = (dir.path() / "admin.sock").string();
    auto none = app::admin_request(path, core::Json{{"op", "ping"}});
    REQUIRE(!none.has_value());
    CHECK(none.error().code == core::ErrorCode::Unavailable);

    Fixture f;
    {
      asio::io_context io(1);
      auto first = app::AdminServer::create(io, path, *f.store, f.policy);
      REQUIRE(first.has_value());
      (*first)->start();
      std::thread t([&] { io.run_for(std::chrono::seconds(5)); });
      // While the first serves, a second cannot take the path.
      asio::io_context io2(1);
      auto second = app::AdminServer::create(io2, path, *f.store, f.policy);
      CHECK(!second.has_value());
      asio::post(io, [&] { (*first)->stop(); });
      t.join();
    }
    // A socket file nobody listens on (smishd was killed): connection refused, then replaced.
    {
      asio::io_context io(1);
      asio::local::stream_protocol::acceptor stale(io, asio::local::stream_protocol::endpoint(path));
      stale.close();
      REQUIRE(fs::exists(path));
      auto refused = app::admin_request(path, core::Json{{"op", "ping"}});
      REQUIRE(!refused.has_value());
      CHECK(refused.error().code == core::ErrorCode::Unavailable);
      auto again = app::AdminServer::create(io, path, *f.store, f.policy);
      CHECK_MESSAGE(again.has_value(), (again ? "" : again.error().message()));
    }
    std::ofstream(dir.path() / "file") << "x";
    asio::io_context io(1);
    CHECK(!app::AdminServer::create(io, (dir.path() / "file").string(), *f.store, f.policy).has_value());
  }

  TEST_CASE("the admin socket path defaults next to the database and can be turned off") {
    app::Config c;
    c.storage.path = "/var/lib/smishd/db/";
    CHECK(app::admin_socket_path(c) == "/var/lib/smishd/db.admin.sock");
    c.daemon.admin_socket = "/run/smishd/admin.sock";
    CHECK(app::admin_socket_path(c) == "/run/smishd/admin.sock");
    c.daemon.admin_socket = "off";
    CHECK(app::admin_socket_path(c).empty());
  }
}
