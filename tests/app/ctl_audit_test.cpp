// The audit log: every applied decision chained by SHA-256; tampering found by smishctl audit --verify.
#include <doctest/doctest.h>

#include <rocksdb/db.h>

#include <iostream>
#include <sstream>

#include "smish/app/admin.hpp"
#include "smish/app/main.hpp"
#include "smish/storage/audit_log.hpp"
#include "ctl_runner.hpp"
#include "support.hpp"

using namespace smish;
using app::Mutation;
using app::MutationOutcome;
using core::IndicatorKind;

namespace {

constexpr std::int64_t kT0 = 1'763'769'600'000;

Mutation mutation(std::string action, std::string value, std::string actor = "alice") {
  Mutation m;
  m.action = std::move(action);
  m.kind = IndicatorKind::Domain;
  m.value = std::move(value);
  m.actor = std::move(actor);
  return m;
}

struct Fixture {
  test::TempDir dir;
  std::string db = (dir.path() / "db").string();
  std::unique_ptr<storage::Store> store;
  blocklist::PolicyConfig policy;

  Fixture() { reopen(); }
  void reopen() {
    store.reset();
    storage::StorageConfig cfg;
    cfg.path = db;
    auto s = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message()));
    store = std::move(*s);
  }
  app::MutationResult apply(const Mutation& m, std::int64_t now = kT0) {
    auto r = app::apply_mutation(*store, policy, m, app::Writer{1000, "direct"}, now);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
    return *r;
  }
  /// Three decisions: entries 1, 2, 3.
  void three() {
    CHECK(apply(mutation("block", "evil-parcel.top")).audit_seq == 1);
    auto revoke = mutation("revoke", "evil-parcel.top", "bob");
    revoke.reason = "the courier's real domain";
    CHECK(apply(revoke, kT0 + 1000).audit_seq == 2);
    CHECK(apply(mutation("allow", "dpd.lv"), kT0 + 2000).audit_seq == 3);
  }
  /// Runs `fn` on the raw RocksDB audit family (the store closed): what someone with the files can do.
  void raw(const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& fn) {
    store.reset();
    rocksdb::Options options;
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(options, db, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, db, descriptors, &handles, &raw).ok());
    rocksdb::ColumnFamilyHandle* audit = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == "audit") audit = handles[i];
    REQUIRE(audit != nullptr);
    fn(*raw, audit);
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
    reopen();
  }
};

std::string key(std::uint64_t seq) {
  std::string k;
  for (int shift = 56; shift >= 0; shift -= 8) k += static_cast<char>((seq >> shift) & 0xFF);
  return k;
}

/// smishctl in-process with stdout captured: its exit code and output.
std::pair<int, std::string> smishctl(std::vector<std::string> args) { return test::run_smishctl(std::move(args)); }

}  // namespace

TEST_SUITE("app/ctl audit") {
  TEST_CASE("every applied decision is one chained entry: who, when, how, what, before and after") {
    Fixture f;
    f.three();
    auto tail = storage::tail_audit(*f.store, 10);
    REQUIRE(tail.has_value());
    REQUIRE(tail->size() == 3);
    const auto& e = (*tail)[1];
    CHECK(e.seq == 2);
    CHECK(e.at_ms == kT0 + 1000);
    CHECK(e.actor == "bob");
    CHECK(e.uid == 1000);
    CHECK(e.via == "direct");
    CHECK(e.action == "revoke");
    CHECK(e.target == "domain:evil-parcel.top");
    CHECK(e.before["status"] == "confirmed");
    CHECK(e.after["status"] == "revoked");
    CHECK(e.note == "the courier's real domain");
    CHECK(e.prev == (*tail)[0].hash);
    CHECK((*tail)[0].prev == storage::kAuditGenesis);
    CHECK((*tail)[2].before.is_null());  // dpd.lv did not exist
    auto check = storage::verify_audit(*f.store);
    REQUIRE(check.has_value());
    CHECK(check->entries == 3);
    CHECK(check->problems.empty());
    CHECK(check->head == (*tail)[2].hash);
  }

  TEST_CASE("an unchanged, refused or not-found decision writes no entry") {
    Fixture f;
    f.apply(mutation("block", "evil-parcel.top"));
    CHECK(f.apply(mutation("block", "evil-parcel.top")).outcome == MutationOutcome::Unchanged);
    CHECK(f.apply(mutation("block", "not a domain")).outcome == MutationOutcome::Refused);
    CHECK(f.apply(mutation("unblock", "never.example")).outcome == MutationOutcome::NotFound);
    CHECK(storage::verify_audit(*f.store)->entries == 1);
  }

  TEST_CASE("the store refuses to overwrite an entry: the log is append-only") {
    Fixture f;
    f.three();
    storage::Commit c;
    c.audit.emplace_back(2, "{}");
    c.indicators.push_back(core::Indicator{});
    auto s = f.store->commit(c);
    REQUIRE(!s.has_value());
    CHECK(s.error().detail.find("append-only") != std::string::npos);
    CHECK(!f.store->get_indicator(IndicatorKind::Number, "")->has_value());  // nothing of the batch was written
  }

  TEST_CASE("smishctl audit --verify exits 0 on an intact chain and 1 naming the entry edited on disk") {
    Fixture f;
    f.three();
    auto [ok_rc, ok_out] = smishctl({"--db", f.db, "audit", "--verify"});
    CHECK(ok_rc == 0);
    CHECK(ok_out.find("3 entries, hash chain intact") != std::string::npos);

    SUBCASE("an entry's note edited") {
      f.raw([](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        std::string v;
        REQUIRE(db.Get(rocksdb::ReadOptions(), cf, key(2), &v).ok());
        const auto at = v.find("the courier's real domain");
        REQUIRE(at != std::string::npos);
        v.replace(at, 3, "THE");
        REQUIRE(db.Put(rocksdb::WriteOptions(), cf, key(2), v).ok());
      });
      auto [rc, out] = smishctl({"--db", f.db, "audit", "--verify"});
      CHECK(rc == 1);
      CHECK(out.find("entry 2: its content does not match its hash") != std::string::npos);
      CHECK(out.find("BROKEN at entry 2") != std::string::npos);
      CHECK(out.find("entry 1:") == std::string::npos);
      CHECK(out.find("entry 3:") == std::string::npos);
    }
    SUBCASE("an entry rewritten with a fresh hash of its own") {
      f.raw([](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        std::string v;
        REQUIRE(db.Get(rocksdb::ReadOptions(), cf, key(2), &v).ok());
        auto e = storage::decode_audit(v);
        REQUIRE(e.has_value());
        e->actor = "mallory";
        e->hash = storage::audit_hash(*e);
        REQUIRE(db.Put(rocksdb::WriteOptions(), cf, key(2), storage::encode_audit(*e)).ok());
      });
      auto [rc, out] = smishctl({"--db", f.db, "--json", "audit", "--verify"});
      CHECK(rc == 1);
      auto j = core::Json::parse(out);
      CHECK(j["intact"] == false);
      REQUIRE(j["problems"].size() == 1);
      CHECK(j["problems"][0]["seq"] == 3);  // entry 3 no longer follows entry 2
    }
    SUBCASE("an entry removed") {
      f.raw([](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        REQUIRE(db.Delete(rocksdb::WriteOptions(), cf, key(2)).ok());
      });
      auto [rc, out] = smishctl({"--db", f.db, "audit", "--verify"});
      CHECK(rc == 1);
      CHECK(out.find("entry 3: entries 2..2 are missing") != std::string::npos);
    }
    SUBCASE("an entry that is not JSON") {
      f.raw([](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        REQUIRE(db.Put(rocksdb::WriteOptions(), cf, key(1), "garbage").ok());
      });
      auto [rc, out] = smishctl({"--db", f.db, "audit", "--verify"});
      CHECK(rc == 1);
      CHECK(out.find("entry 1: cannot be read") != std::string::npos);
    }
  }

  TEST_CASE("smishctl audit lists the decisions oldest first, filtered by target, as a table or JSON") {
    Fixture f;
    f.three();
    f.store.reset();
    auto [rc, table] = smishctl({"--db", f.db, "audit"});
    CHECK(rc == 0);
    CHECK(table.find("SEQ") == 0);
    CHECK(table.find("domain:evil-parcel.top") < table.find("domain:dpd.lv"));
    CHECK(table.find("confirmed -> revoked") != std::string::npos);
    auto [rc_json, json] = smishctl({"--db", f.db, "--json", "audit", "--target", "evil-parcel.top"});
    CHECK(rc_json == 0);
    std::istringstream lines(json);
    std::vector<core::Json> rows;
    for (std::string l; std::getline(lines, l);) rows.push_back(core::Json::parse(l));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["seq"] == 1);
    CHECK(rows[1]["actor"] == "bob");
    CHECK(rows[1]["hash"].get<std::string>().size() == 64);
    auto [rc_none, none] = smishctl({"--db", f.db, "audit", "--target", "other.example"});
    CHECK(rc_none == 1);
  }
}
