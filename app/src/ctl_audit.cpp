// smishctl audit: the analysts' decisions as recorded, and a check of the log's hash chain.
#include <iostream>

#include <fmt/format.h>

#include "ctl_commands.hpp"
#include "smish/core/clock.hpp"
#include "smish/storage/audit_log.hpp"

namespace smish::app {
namespace {

std::string field(const core::Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

/// "listed -> confirmed" for an indicator, "label - -> legit" for a report.
std::string change(const Ctx& ctx, const storage::AuditEntry& e) {
  if (e.target.rfind("report:", 0) == 0)
    return fmt::format("label {} -> {}", field(e.before, "analyst_label"), field(e.after, "analyst_label"));
  const auto after = field(e.after, "status");
  return fmt::format("{} -> {}", e.before.is_null() ? "new" : field(e.before, "status"),
                     paint(ctx, after, status_colour(after)));
}

int verify(Ctx& ctx) {
  auto check = storage::verify_audit(*ctx.store);
  if (!check) {
    std::cerr << "smishctl: audit: " << check.error().message() << "\n";
    return kUsage;
  }
  const bool intact = check->problems.empty();
  if (ctx.json) {
    core::Json problems = core::Json::array();
    for (const auto& p : check->problems) problems.push_back({{"seq", p.seq}, {"problem", p.what}});
    std::cout << core::Json{{"entries", check->entries}, {"intact", intact}, {"head", check->head}, {"problems", problems}}
                     .dump()
              << "\n";
  } else {
    for (const auto& p : check->problems)
      std::cout << paint(ctx, fmt::format("entry {}: {}", p.seq, p.what), Colour::Red) << "\n";
    if (intact)
      std::cout << fmt::format("audit log: {} entries, hash chain intact{}\n", check->entries,
                               check->head.empty() ? "" : "; head " + check->head);
    else
      std::cout << fmt::format("audit log: {} entries, hash chain BROKEN at entry {} ({} problem{})\n", check->entries,
                               check->problems.front().seq, check->problems.size(),
                               check->problems.size() == 1 ? "" : "s");
  }
  return intact ? kFound : kNotFound;
}

}  // namespace

int cmd_audit(Ctx& ctx, const Args& a) {
  if (a.positional.size() != 1) {
    std::cerr << "usage: smishctl audit [--verify] [--limit N] [--target VALUE]\n";
    return kUsage;
  }
  std::size_t limit = 50;
  if (auto l = a.get("limit")) {
    char* end = nullptr;
    const auto n = std::strtoull(l->c_str(), &end, 10);
    if (l->empty() || *end != '\0' || n == 0) {
      std::cerr << "smishctl: --limit expects a positive number\n";
      return kUsage;
    }
    limit = n;
  }
  std::string target;
  if (auto t = a.get("target")) {
    auto resolved = resolve_target(ctx, *t, false);
    if (!resolved) {
      std::cerr << "smishctl: --target: " << resolved.error().detail << "\n";
      return kUsage;
    }
    target = resolved->report_id ? "report:" + std::to_string(resolved->report_id)
                                 : fmt::format("{}:{}", core::to_string(resolved->kind), resolved->value);
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  if (a.has("verify")) return verify(ctx);

  std::vector<storage::AuditEntry> entries;  // newest first while collecting
  core::Status bad;
  auto s = ctx.store->scan_audit(
      [&](std::uint64_t seq, std::string_view bytes) {
        auto e = storage::decode_audit(bytes);
        if (!e) {
          bad = core::make_error(core::ErrorCode::Corruption, fmt::format("entry {}: {} (smishctl audit --verify)", seq, e.error().detail));
          return false;
        }
        if (!target.empty() && e->target != target) return true;
        entries.push_back(std::move(*e));
        return entries.size() < limit;
      },
      true);
  if (!s || !bad) {
    std::cerr << "smishctl: audit: " << (!s ? s.error().message() : bad.error().detail) << "\n";
    return kUsage;
  }
  Listing out;
  out.header = {"SEQ", "WHEN", "ACTOR", "UID", "VIA", "ACTION", "TARGET", "CHANGE", "NOTE"};
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const auto& e = *it;
    auto j = core::Json::parse(storage::encode_audit(e));
    out.add({std::to_string(e.seq), core::format_utc(e.at_ms).substr(0, 19), e.actor, std::to_string(e.uid), e.via,
             e.action, e.target, change(ctx, e), excerpt(e.note, 60)},
            std::move(j));
  }
  const int rc = out.print(ctx);
  if (rc == kNotFound && !ctx.json && !ctx.csv)
    std::cerr << (target.empty() ? "smishctl: no analyst decision recorded yet\n" : "smishctl: no decision on " + target + "\n");
  return rc;
}

}  // namespace smish::app
