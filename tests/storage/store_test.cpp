// Store against a real RocksDB in a temporary directory.
#include <doctest/doctest.h>

#include "smish/storage/pseudonym.hpp"
#include "smish/storage/store.hpp"
#include "support.hpp"

using namespace smish;
using storage::InboxEntry;
using storage::OpenMode;
using storage::Store;

namespace {

storage::StorageConfig config_for(const test::TempDir& dir) {
  storage::StorageConfig c;
  c.path = (dir.path() / "db").string();
  return c;
}

InboxEntry entry(std::string text, std::int64_t ms, std::optional<core::ConcatInfo> concat = {}) {
  InboxEntry e;
  e.segment.smsc = "main";
  e.segment.source = {1, 1, "p:00aa"};
  e.segment.dest = {0, 0, "12250"};
  e.segment.user_data = std::move(text);
  e.segment.received_ms = ms;
  e.segment.concat = concat;
  e.reporter_country = "LV";
  return e;
}

}  // namespace

TEST_SUITE("storage/store") {
  TEST_CASE("an inbound segment survives a reopen and a redelivery is recognised") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    {
      auto store = Store::open(cfg, OpenMode::ReadWrite);
      REQUIRE(store.has_value());
      std::vector<InboxEntry> batch{entry("hello", 1000), entry("hello", 1000), entry("other", 1001)};
      auto stored = (*store)->store_inbound(batch, 2000);
      REQUIRE(stored.has_value());
      CHECK(*stored == std::vector<bool>{true, false, true});
    }
    auto store = Store::open(cfg, OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    auto pending = (*store)->pending_singles(10);
    REQUIRE(pending.has_value());
    REQUIRE(pending->size() == 2);
    CHECK((*pending)[0].segment.user_data == "hello");
    CHECK((*pending)[0].reporter_country == "LV");
    std::vector<InboxEntry> again{entry("hello", 1000)};
    auto stored = (*store)->store_inbound(again, 5000);
    REQUIRE(stored.has_value());
    CHECK_FALSE((*stored)[0]);
  }

  TEST_CASE("a redelivery after the de-duplication window is a new message") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    cfg.dedup_window_s = 10;
    auto store = Store::open(cfg, OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    std::vector<InboxEntry> batch{entry("hello", 1000)};
    REQUIRE((*store)->store_inbound(batch, 1000).has_value());
    auto stored = (*store)->store_inbound(batch, 1000 + 11'000);
    REQUIRE(stored.has_value());
    CHECK((*stored)[0]);
  }

  TEST_CASE("concatenation parts are grouped by reporter and reference") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    std::vector<InboxEntry> batch{entry("b", 1, core::ConcatInfo{core::ConcatSource::Udh8, 7, 2, 2}),
                                  entry("a", 2, core::ConcatInfo{core::ConcatSource::Udh8, 7, 2, 1}),
                                  entry("x", 3, core::ConcatInfo{core::ConcatSource::Udh8, 8, 2, 1})};
    REQUIRE((*store)->store_inbound(batch, 10).has_value());
    auto parts = (*store)->group_parts(batch[0]);
    REQUIRE(parts.has_value());
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].segment.user_data == "a");
    CHECK((*parts)[1].segment.user_data == "b");
    auto groups = (*store)->pending_groups();
    REQUIRE(groups.has_value());
    CHECK(groups->size() == 2);
    CHECK((*store)->pending_singles(10)->empty());
  }

  TEST_CASE("a commit turns inbox entries into a report and indicators atomically") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    std::vector<InboxEntry> batch{entry("hello", 1000)};
    REQUIRE((*store)->store_inbound(batch, 1000).has_value());
    auto pending = (*store)->pending_singles(10);
    REQUIRE(pending->size() == 1);
    storage::Commit c;
    core::Report r;
    r.id = (*store)->next_report_id();
    r.text = "hello";
    r.reporter = "p:00aa";
    c.reports.push_back(r);
    core::Indicator ind;
    ind.kind = core::IndicatorKind::Domain;
    ind.value = "scam.example.lv";
    ind.total_reports = 1;
    c.indicators.push_back(ind);
    c.consumed.push_back((*pending)[0].key);
    REQUIRE((*store)->commit(c).has_value());
    CHECK((*store)->pending_singles(10)->empty());
    auto got = (*store)->get_report(r.id);
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    CHECK((*got)->text == "hello");
    auto gi = (*store)->get_indicator(core::IndicatorKind::Domain, "scam.example.lv");
    REQUIRE(gi.has_value());
    REQUIRE(gi->has_value());
    CHECK((*gi)->total_reports == 1);
    CHECK((*store)->next_report_id() == r.id + 1);
  }

  TEST_CASE("the inbox scan finds every pending entry: in batches, unconsumed ones again, older ones stored later") {
    test::TempDir dir;
    auto store = Store::open(config_for(dir), OpenMode::ReadWrite);
    REQUIRE(store.has_value());
    auto consume = [&](const std::vector<InboxEntry>& entries) {
      storage::Commit c;
      for (const auto& e : entries) c.consumed.push_back(e.key);
      REQUIRE((*store)->commit(c).has_value());
    };
    auto texts = [](const std::vector<InboxEntry>& entries) {
      std::vector<std::string> out;
      for (const auto& e : entries) out.push_back(e.segment.user_data);
      return out;
    };
    std::vector<InboxEntry> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(entry("m" + std::to_string(i), 1000 + i));
    REQUIRE((*store)->store_inbound(batch, 2000).has_value());

    auto first = (*store)->pending_singles(4);
    REQUIRE(first.has_value());
    CHECK(texts(*first) == std::vector<std::string>{"m0", "m1", "m2", "m3"});
    // Not consumed (a failed commit): the next scan returns them again.
    CHECK(texts(*(*store)->pending_singles(4)) == texts(*first));
    consume(*first);
    auto second = (*store)->pending_singles(4);
    CHECK(texts(*second) == std::vector<std::string>{"m4", "m5", "m6", "m7"});
    // A segment stamped earlier than everything pending (another session's clock) arrives between
    // the scan and the commit: the next scan still finds it, first.
    std::vector<InboxEntry> late{entry("early", 500)};
    REQUIRE((*store)->store_inbound(late, 2001).has_value());
    consume(*second);
    CHECK(texts(*(*store)->pending_singles(4)) == std::vector<std::string>{"early", "m8", "m9"});
  }

  TEST_CASE("a secondary instance reads what the primary wrote") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    auto primary = Store::open(cfg, OpenMode::ReadWrite);
    REQUIRE(primary.has_value());
    storage::Commit c;
    core::Report r;
    r.id = (*primary)->next_report_id();
    r.text = "from primary";
    c.reports.push_back(r);
    REQUIRE((*primary)->commit(c).has_value());
    auto secondary = Store::open(cfg, OpenMode::Secondary);
    REQUIRE(secondary.has_value());
    REQUIRE((*secondary)->catch_up().has_value());
    auto got = (*secondary)->get_report(r.id);
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    CHECK((*got)->text == "from primary");
    CHECK_FALSE((*secondary)->store_inbound(std::vector<InboxEntry>{entry("x", 1)}, 1).has_value());
  }

  TEST_CASE("unsafe options and a missing database are refused") {
    test::TempDir dir;
    auto cfg = config_for(dir);
    cfg.sync_ack_writes = false;
    auto s = Store::open(cfg, OpenMode::ReadWrite);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().detail.find("sync_ack_writes") != std::string::npos);
    auto missing = Store::open(config_for(dir), OpenMode::Secondary);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == core::ErrorCode::NotFound);
  }
}

TEST_SUITE("storage/pseudonym") {
  TEST_CASE("pseudonyms are keyed, stable and hide the number") {
    auto a = storage::Pseudonymizer::create("0123456789abcdef0123");
    auto b = storage::Pseudonymizer::create("another-key-of-20-oct");
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(a->pseudonym("+37120000001") == a->pseudonym("+37120000001"));
    CHECK(a->pseudonym("+37120000001") != a->pseudonym("+37120000002"));
    CHECK(a->pseudonym("+37120000001") != b->pseudonym("+37120000001"));
    CHECK(a->pseudonym("+37120000001").find("37120000001") == std::string::npos);
    CHECK(a->pseudonym("+37120000001").size() == 34);
  }

  TEST_CASE("a short key is refused") {
    CHECK_FALSE(storage::Pseudonymizer::create("short").has_value());
  }
}
