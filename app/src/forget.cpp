// smishctl forget --reporter: erase a reporter's data and prove it by a rescan.
#include "smish/app/forget.hpp"

#include <limits>
#include <map>
#include <set>

#include "smish/blocklist/policy.hpp"
#include "smish/storage/audit_log.hpp"

namespace smish::app {

core::Json to_json(const ForgetResult& r) {
  return core::Json{{"reports", r.reports},       {"indicators", r.indicators}, {"counters", r.counters},
                    {"conversations", r.conversations}, {"replies", r.replies}, {"pending", r.pending},
                    {"record", r.record},         {"scanned", r.scanned},       {"remaining", r.remaining},
                    {"audit_seq", r.audit_seq}};
}

ForgetResult forget_result_from_json(const core::Json& j) {
  ForgetResult r;
  r.reports = j.value("reports", std::uint64_t{0});
  r.indicators = j.value("indicators", std::uint64_t{0});
  r.counters = j.value("counters", std::uint64_t{0});
  r.conversations = j.value("conversations", std::uint64_t{0});
  r.replies = j.value("replies", std::uint64_t{0});
  r.pending = j.value("pending", std::uint64_t{0});
  r.record = j.value("record", false);
  r.scanned = j.value("scanned", std::uint64_t{0});
  r.remaining = j.value("remaining", std::uint64_t{0});
  r.audit_seq = j.value("audit_seq", std::uint64_t{0});
  return r;
}

core::Result<ForgetResult> forget_reporter(storage::Store& store, const std::string& pseudonym, const std::string& actor,
                                           const Writer& writer, std::int64_t now_ms) {
  if (pseudonym.size() < 8) return core::make_error(core::ErrorCode::InvalidArgument, "not a reporter pseudonym");
  ForgetResult res;
  storage::Commit c;
  c.sync = true;

  // Its reports, found through the reporter index; per indicator they named, the report ids and
  // category votes to take back.
  std::vector<std::uint64_t> ids;
  if (auto s = store.scan_report_ids(storage::ReportIndex::Reporter, pseudonym, [&](std::uint64_t id) {
        ids.push_back(id);
        return true;
      });
      !s)
    return s.error();
  struct Evidence {
    std::vector<std::uint64_t> ids;
    std::vector<std::string> categories;
  };
  std::map<std::string, Evidence> evidence;  // "kind:value" -> what this reporter contributed
  for (auto id : ids) {
    auto r = store.get_report(id);
    if (!r) return r.error();
    if (!*r) continue;
    for (const auto& [index, key] : storage::report_index_keys(**r)) {
      if (index != storage::ReportIndex::Indicator) continue;
      // A rate-capped report added nothing to its indicators; the reporter entry is still removed.
      auto& e = evidence[key];
      if (!(*r)->rate_capped) {
        e.ids.push_back(id);
        e.categories.push_back((*r)->verdict.category);
      }
    }
    c.reports_delete.push_back(std::move(**r));
  }
  res.reports = c.reports_delete.size();
  for (auto& [key, e] : evidence) {
    const auto colon = key.find(':');
    auto kind = core::parse_indicator_kind(std::string_view(key).substr(0, colon));
    if (!kind || colon == std::string::npos) continue;
    auto ind = store.get_indicator(*kind, key.substr(colon + 1));
    if (!ind) return ind.error();
    if (!*ind) continue;
    blocklist::forget_reporter(**ind, pseudonym, e.ids, e.categories);
    c.indicators.push_back(std::move(**ind));
  }
  res.indicators = c.indicators.size();

  for (const std::string& prefix : {"rate:" + pseudonym + ":", "replies:" + pseudonym + ":"})
    if (auto s = store.scan_counters(prefix, [&](std::string_view name, std::int64_t) {
          c.counters_delete.emplace_back(name);
          return true;
        });
        !s)
      return s.error();
  res.counters = c.counters_delete.size();

  auto conv = store.get_conversation(pseudonym);
  if (!conv) return conv.error();
  if (*conv) {
    c.conversations_delete.push_back(pseudonym);
    res.conversations = 1;
  }
  auto outbox = store.outbox();
  if (!outbox) return outbox.error();
  for (const auto& o : *outbox)
    if (o.reporter == pseudonym) c.outbox_delete.push_back(o.key);
  res.replies = c.outbox_delete.size();

  // What was acknowledged but not processed yet (this runs between two processing steps).
  auto singles = store.pending_singles(std::numeric_limits<std::size_t>::max());
  if (!singles) return singles.error();
  for (const auto& e : *singles)
    if (e.segment.source.addr == pseudonym) c.consumed.push_back(e.key);
  auto groups = store.pending_groups();
  if (!groups) return groups.error();
  for (const auto& g : *groups) {
    if (g.segment.source.addr != pseudonym) continue;
    auto parts = store.group_parts(g);
    if (!parts) return parts.error();
    for (const auto& p : *parts) c.consumed.push_back(p.key);
  }
  res.pending = c.consumed.size();

  auto record = store.get_reporter(pseudonym);
  if (!record) return record.error();
  res.record = record->has_value();
  c.reporters_delete.push_back(pseudonym);

  if (res.found()) {
    // The audit entry says that a reporter was forgotten and how much, never which one.
    auto last = storage::last_audit(store);
    if (!last) return last.error();
    storage::AuditEntry entry;
    entry.at_ms = now_ms;
    entry.actor = actor;
    entry.uid = writer.uid;
    entry.via = writer.via;
    entry.action = "forget";
    entry.target = "reporter";
    entry.before = core::Json{{"reports", res.reports}, {"indicators", res.indicators}, {"counters", res.counters},
                              {"conversations", res.conversations}, {"replies", res.replies}, {"pending", res.pending}};
    entry.after = core::Json{{"reports", 0}};
    entry.note = "data-subject request";
    res.audit_seq = storage::append_audit(c, std::move(entry), *last).seq;
    if (auto s = store.commit(c); !s) return s.error();
  }

  // The proof: every record of every family, keys and values, searched for the pseudonym.
  if (auto s = store.scan_raw([&](std::string_view, std::string_view key, std::string_view value) {
        ++res.scanned;
        if (key.find(pseudonym) != std::string_view::npos || value.find(pseudonym) != std::string_view::npos) ++res.remaining;
        return true;
      });
      !s)
    return s.error();
  return res;
}

}  // namespace smish::app
