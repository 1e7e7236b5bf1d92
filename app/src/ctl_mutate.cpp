// smishctl label, allow, block, unblock, revoke: through smishd's admin socket, or directly when it is stopped.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "ctl_commands.hpp"
#include "smish/app/admin.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/clock.hpp"

namespace smish::app {
namespace {

constexpr int kRefused = 3;  // a decision the policy never allows (blocking a protected value)

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// A number as the analyst wrote it, in E.164 when libphonenumber can read it (short codes stay
/// as their digits, which is how extraction stores them).
std::string number_value(const Ctx& ctx, const std::string& raw) {
  if (auto e164 = classifier::to_e164(raw, ctx.config.extract.default_region)) return *e164;
  std::string digits;
  for (char c : raw)
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && digits.empty())) digits += c;
  return digits;
}

}  // namespace

std::string default_actor() {
  for (const char* var : {"SMISHCTL_ACTOR", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "uid:" + std::to_string(::geteuid());
}

core::Result<Target> resolve_target(const Ctx& ctx, const std::string& text, bool report_ids) {
  auto invalid = [&](std::string why) { return core::make_error(core::ErrorCode::InvalidArgument, std::move(why)); };
  if (text.empty()) return invalid("an empty value");
  Target t;
  std::string_view v = text;
  if (v.starts_with("report:") || v.starts_with("#")) {
    const auto digits = v.substr(v.front() == '#' ? 1 : 7);
    if (!report_ids) return invalid("a report id is only for label");
    if (!all_digits(digits)) return invalid("report:ID expects a number");
    t.report_id = std::stoull(std::string(digits));
    return t;
  }
  if (report_ids && all_digits(v)) {  // "label 12 scam": a report; a number takes "+", spaces or number:
    t.report_id = std::stoull(text);
    if (t.report_id == 0) return invalid("report ids start at 1");
    return t;
  }
  // Built on first use: a number needs none of its tables.
  std::optional<classifier::Extractor> extractor;
  auto as_url = [&](const std::string& s) -> std::optional<core::ExtractedUrl> {
    if (!extractor) extractor.emplace(ctx.config.extract);
    auto ex = extractor->extract(s, ctx.config.extract.default_region);
    if (ex.urls.empty()) return std::nullopt;
    return ex.urls.front();
  };
  // An explicit kind wins: number:, url:, host:, domain:, sender_id: (or sender:).
  if (auto colon = v.find(':'); colon != std::string_view::npos && v.substr(colon, 3) != "://") {
    const std::string kind(v.substr(0, colon));
    const std::string rest(v.substr(colon + 1));
    if (rest.empty()) return invalid(kind + ": needs a value");
    if (kind == "number") return Target{0, core::IndicatorKind::Number, number_value(ctx, rest)};
    if (kind == "sender_id" || kind == "sender") return Target{0, core::IndicatorKind::SenderId, rest};
    if (kind == "domain" || kind == "host") {
      std::string name = lower(rest);
      while (!name.empty() && name.back() == '.') name.pop_back();
      return Target{0, kind == "domain" ? core::IndicatorKind::Domain : core::IndicatorKind::Host, name};
    }
    if (kind == "url") {
      auto u = as_url(rest);
      if (!u) return invalid("not a URL: " + rest);
      return Target{0, core::IndicatorKind::Url, u->url};
    }
    if (!core::parse_indicator_kind(kind) && kind.find_first_of("./") == std::string::npos)
      return invalid("unknown kind \"" + kind + ":\" (number, url, host, domain, sender_id)");
  }
  if (text.find_first_not_of("+0123456789 ()-.") == std::string::npos && std::any_of(text.begin(), text.end(), ::isdigit))
    return Target{0, core::IndicatorKind::Number, number_value(ctx, text)};
  if (text.find("://") != std::string::npos || text.find('/') != std::string::npos) {
    auto u = as_url(text);
    if (!u) return invalid("not a URL: " + text);
    return Target{0, core::IndicatorKind::Url, u->url};
  }
  if (text.find('.') != std::string::npos) {
    if (auto u = as_url(text)) {
      if (u->host == u->domain) return Target{0, core::IndicatorKind::Domain, u->domain};
      return Target{0, core::IndicatorKind::Host, u->host};
    }
    std::string name = lower(text);
    while (!name.empty() && name.back() == '.') name.pop_back();
    return Target{0, core::IndicatorKind::Domain, name};
  }
  return Target{0, core::IndicatorKind::SenderId, text};
}

int run_mutation(Ctx& ctx, const Mutation& m) {
  auto written = run_write(
      ctx, core::Json{{"op", "mutate"}, {"mutation", to_json(m)}}, std::chrono::seconds(10),
      [&](storage::Store& store) -> core::Result<core::Json> {
        auto applied = apply_mutation(store, ctx.config.blocklist, m, Writer{static_cast<std::int64_t>(::geteuid()), "direct"},
                                      core::to_unix_ms(core::SystemClock::instance().now()));
        if (!applied) return applied.error();
        return to_json(*applied);
      },
      m.action);
  if (!written) return kUsage;
  const std::string via = written->via;
  auto result = mutation_result_from_json(written->result);
  if (!result) {
    std::cerr << "smishctl: smishd's answer: " << result.error().detail << " (see smishctl audit)\n";
    return kUsage;
  }
  const auto& r = *result;
  if (ctx.json) {
    auto j = to_json(r);
    j["via"] = via;
    std::cout << j.dump(-1, ' ', false, core::Json::error_handler_t::replace) << "\n";
  } else if (r.outcome == MutationOutcome::Applied || r.outcome == MutationOutcome::Unchanged) {
    std::cout << r.message << (r.audit_seq ? fmt::format("  [audit #{}]", r.audit_seq) : "") << "\n";
  } else {
    std::cerr << "smishctl: " << m.action << ": " << r.message << "\n";
  }
  switch (r.outcome) {
    case MutationOutcome::Applied:
    case MutationOutcome::Unchanged: return kFound;
    case MutationOutcome::NotFound: return kNotFound;
    case MutationOutcome::Refused: return kRefused;
  }
  return kUsage;
}

namespace {

/// What every mutation command shares: the target, --actor, --note.
bool common(Ctx& ctx, const Args& a, const char* usage, std::size_t positionals, bool report_ids, Mutation& m) {
  if (a.positional.size() != positionals) {
    std::cerr << "usage: smishctl " << usage << "\n";
    return false;
  }
  auto t = resolve_target(ctx, a.positional[1], report_ids);
  if (!t) {
    std::cerr << "smishctl: " << a.positional[0] << ": " << t.error().detail << "\n";
    return false;
  }
  m.action = a.positional[0];
  m.report_id = t->report_id;
  m.kind = t->kind;
  m.value = t->value;
  m.actor = a.get("actor").value_or(default_actor());
  m.note = a.get("note").value_or("");
  if (auto ttl = a.get("ttl")) {
    auto ms = parse_duration_ms(*ttl);
    if (!ms || *ms <= 0) {
      std::cerr << "smishctl: --ttl expects a duration such as 12h, 7d or 2w, got \"" << *ttl << "\"\n";
      return false;
    }
    m.ttl_ms = *ms;
  }
  // The same checks smishd makes, before anything is sent.
  if (auto checked = mutation_from_json(to_json(m)); !checked) {
    std::cerr << "smishctl: " << m.action << ": " << checked.error().detail << "\n";
    return false;
  }
  return true;
}

}  // namespace

int cmd_label(Ctx& ctx, const Args& a) {
  Mutation m;
  if (a.positional.size() == 3) {
    auto l = core::parse_label(a.positional[2]);
    if (!l || *l == core::Label::Unclear) {
      std::cerr << "smishctl: label expects scam|spam|legit, got \"" << a.positional[2] << "\"\n";
      return kUsage;
    }
    m.label = l;
  }
  m.category = a.get("category").value_or("");
  if (!common(ctx, a, "label ID|VALUE scam|spam|legit [--category C] [--note TEXT]", 3, true, m)) return kUsage;
  return run_mutation(ctx, m);
}

int cmd_allow(Ctx& ctx, const Args& a) {
  Mutation m;
  if (!common(ctx, a, "allow VALUE [--note TEXT]", 2, false, m)) return kUsage;
  return run_mutation(ctx, m);
}

int cmd_block(Ctx& ctx, const Args& a) {
  Mutation m;
  if (!common(ctx, a, "block VALUE [--ttl DURATION] [--note TEXT]", 2, false, m)) return kUsage;
  return run_mutation(ctx, m);
}

int cmd_unblock(Ctx& ctx, const Args& a) {
  Mutation m;
  if (!common(ctx, a, "unblock VALUE [--note TEXT]", 2, false, m)) return kUsage;
  return run_mutation(ctx, m);
}

int cmd_revoke(Ctx& ctx, const Args& a) {
  Mutation m;
  m.reason = a.get("reason").value_or("");
  if (m.reason.empty()) {
    std::cerr << "usage: smishctl revoke VALUE --reason TEXT [--ttl DURATION] [--note TEXT]\n";
    return kUsage;
  }
  if (!common(ctx, a, "revoke VALUE --reason TEXT [--ttl DURATION] [--note TEXT]", 2, false, m)) return kUsage;
  return run_mutation(ctx, m);
}

}  // namespace smish::app
