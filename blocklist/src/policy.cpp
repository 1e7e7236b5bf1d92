// The listing policy: distinct reporters in a window, a score threshold, allowlists, expiry.
#include "smish/blocklist/policy.hpp"

#include <algorithm>
#include <array>

#include "smish/blocklist/sketch.hpp"
#include "smish/core/clock.hpp"

namespace smish::blocklist {
namespace {

constexpr std::int64_t kHourMs = 3600LL * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
// Recent report ids kept on an indicator for lookups; the full list is a scan away.
constexpr std::size_t kRecentReports = 20;

bool has_flag(const core::Indicator& i, std::string_view flag) {
  return std::find(i.flags.begin(), i.flags.end(), flag) != i.flags.end();
}

bool domain_matches(std::string_view value, std::string_view allowed) {
  // The last octets first: most pairs differ there, and the export asks for every indicator
  // against every allowlisted, brand and platform domain.
  if (allowed.empty() || value.size() < allowed.size() || value.back() != allowed.back()) return false;
  if (value.size() == allowed.size()) return value == allowed;
  return value[value.size() - allowed.size() - 1] == '.' && value.ends_with(allowed);
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view host_of(std::string_view url) {
  auto start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  auto end = url.find_first_of("/?#", start);
  std::string_view host = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos)
    host = host.substr(0, colon);
  return host;
}

// Popular platforms: their registrable domains and hosts serve billions of legitimate messages,
// and scammers use them as hosting (forms, storage buckets, chat links). Automation lists what
// is on them by full URL only, never the domain or a host of theirs. Registrable domains as
// libpsl gives them; an analyst's block still can.
constexpr std::array<std::string_view, 40> kPopularPlatforms = {
    "google.com",   "youtube.com",  "gmail.com",     "facebook.com",  "instagram.com", "whatsapp.com",
    "wa.me",        "t.me",         "telegram.org",  "viber.com",     "apple.com",     "icloud.com",
    "microsoft.com", "live.com",    "outlook.com",   "office.com",    "sharepoint.com", "amazon.com",
    "amazonaws.com", "cloudfront.net", "linkedin.com", "twitter.com", "x.com",         "tiktok.com",
    "wikipedia.org", "github.com",  "dropbox.com",   "yandex.ru",     "mail.ru",       "vk.com",
    "ok.ru",        "zoom.us",      "paypal.com",    "booking.com",   "airbnb.com",    "ebay.com",
    "netflix.com",  "spotify.com",  "googleusercontent.com", "forms.gle"};

}  // namespace

void record_report(core::Indicator& ind, const core::Report& report, const std::vector<std::string>& flags,
                   const PolicyConfig& config, bool newcomer) {
  ++ind.total_reports;
  if (ind.first_seen_ms == 0 || report.received_ms < ind.first_seen_ms) ind.first_seen_ms = report.received_ms;
  ind.last_seen_ms = std::max(ind.last_seen_ms, report.received_ms);
  // A reporter counts once per indicator, however often it reports it: exactly while the map has
  // room, then through the sketch, which holds every reporter from the moment the map filled.
  if (auto it = ind.reporters.find(report.reporter); it != ind.reporters.end()) {
    it->second = std::max(it->second, report.received_ms);
  } else if (ind.reporters.size() < config.max_tracked_reporters) {
    ind.reporters.emplace(report.reporter, report.received_ms);
    if (newcomer) {
      auto at = std::lower_bound(ind.newcomers.begin(), ind.newcomers.end(), report.reporter);
      if (at == ind.newcomers.end() || *at != report.reporter) ind.newcomers.insert(at, report.reporter);
    }
    ind.distinct_reporters = std::max<std::uint64_t>(ind.distinct_reporters + 1, ind.reporters.size());
  } else {
    ReporterSketch sketch(ind.sketch);
    if (ind.sketch.empty())
      for (const auto& [r, ms] : ind.reporters) sketch.add(r);
    sketch.add(report.reporter);
    ind.distinct_reporters = std::max<std::uint64_t>(ind.reporters.size(), sketch.estimate());
  }
  ++ind.daily[core::format_utc(report.received_ms).substr(0, 10)];
  while (ind.daily.size() > kDailyCounts) ind.daily.erase(ind.daily.begin());
  if (!report.campaign.empty() && (ind.campaigns.count(report.campaign) || ind.campaigns.size() < kCampaignCounts))
    ++ind.campaigns[report.campaign];
  ++ind.categories[report.verdict.category];
  ind.max_score = std::max(ind.max_score, report.verdict.score);
  for (const auto& f : flags)
    if (std::find(ind.flags.begin(), ind.flags.end(), f) == ind.flags.end()) ind.flags.push_back(f);
  ind.recent_reports.push_back(report.id);
  if (ind.recent_reports.size() > kRecentReports)
    ind.recent_reports.erase(ind.recent_reports.begin(),
                             ind.recent_reports.begin() + static_cast<long>(ind.recent_reports.size() - kRecentReports));
}

void forget_reporter(core::Indicator& ind, const std::string& reporter, const std::vector<std::uint64_t>& report_ids,
                     const std::vector<std::string>& categories) {
  if (ind.reporters.erase(reporter) && ind.distinct_reporters > 0) --ind.distinct_reporters;
  std::erase(ind.newcomers, reporter);
  ind.total_reports -= std::min<std::uint64_t>(ind.total_reports, report_ids.size());
  std::erase_if(ind.recent_reports, [&](std::uint64_t id) {
    return std::find(report_ids.begin(), report_ids.end(), id) != report_ids.end();
  });
  for (const auto& c : categories)
    if (auto it = ind.categories.find(c); it != ind.categories.end() && --it->second == 0) ind.categories.erase(it);
  // A listing by the policy rested on evidence that is gone now: the next evaluation decides
  // afresh from what remains. An analyst's decision stands.
  if (ind.status == core::IndicatorStatus::Listed && ind.status_actor == "policy") {
    ind.status = core::IndicatorStatus::Observed;
    ind.status_reason = "evidence removed: a reporter was forgotten";
  }
}

std::vector<std::string> protected_domains(const PolicyConfig& config) {
  std::vector<std::string> out = config.allow_domains;
  for (const auto& b : config.brands) out.insert(out.end(), b.domains.begin(), b.domains.end());
  return out;
}

bool is_protected(const core::Indicator& ind, const PolicyConfig& config, std::string* why) {
  auto say = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return true;
  };
  using K = core::IndicatorKind;
  if (ind.kind == K::Number) {
    if (has_flag(ind, "emergency")) return say("emergency number");
    if (has_flag(ind, "service_number")) return say("the service's own number");
    if (has_flag(ind, "short_code")) return say("short code");
    if (std::find(config.allow_numbers.begin(), config.allow_numbers.end(), ind.value) != config.allow_numbers.end())
      return say("allowlisted number");
    for (const auto& b : config.brands)
      if (std::find(b.numbers.begin(), b.numbers.end(), ind.value) != b.numbers.end())
        return say("brand " + b.id + ": its own number");
    return false;
  }
  if (ind.kind == K::SenderId) {
    for (const auto& b : config.brands)
      for (const auto& s : b.sender_ids)
        if (equal_ignoring_ascii_case(ind.value, s)) return say("brand " + b.id + ": its own sender ID " + s);
  }
  const std::string_view host = ind.kind == K::Url ? host_of(ind.value) : std::string_view(ind.value);
  for (const auto& allowed : config.allow_domains)
    if (domain_matches(host, allowed)) return say("allowlisted domain " + allowed);
  for (const auto& b : config.brands)
    for (const auto& d : b.domains)
      if (domain_matches(host, d)) return say("brand " + b.id + ": its own domain " + d);
  if (ind.kind == K::Domain && (has_flag(ind, "shortener") || has_flag(ind, "shared_hosting")))
    return say("shortener or shared hosting: listed by URL or host only");
  if (ind.kind == K::Domain || ind.kind == K::Host)
    for (auto platform : kPopularPlatforms)
      if (domain_matches(host, platform)) return say("popular platform " + std::string(platform) + ": listed by URL only");
  return false;
}

core::IndicatorStatus evaluate(core::Indicator& ind, const PolicyConfig& config, std::int64_t now_ms) {
  return evaluate_with(ind, ind.reporters, config, now_ms);
}

std::int64_t window_start(const PolicyConfig& config, std::int64_t now_ms) { return now_ms - config.window_h * kHourMs; }

core::Result<std::optional<core::Indicator>> read_evaluated(storage::Store& store, core::IndicatorKind kind,
                                                            const std::string& value, const PolicyConfig& config,
                                                            std::int64_t now_ms) {
  storage::ReporterTally tally{window_start(config, now_ms)};
  auto ind = store.get_indicator_counted(kind, value, tally);
  if (ind && *ind) {
    evaluate_counted(**ind, {tally.recent, tally.fresh}, config, now_ms);
  } else if (!ind && ind.error().code == core::ErrorCode::Unsupported) {
    ind = store.get_indicator(kind, value);
    if (ind && *ind) evaluate(**ind, config, now_ms);
  }
  return ind;
}

core::IndicatorStatus evaluate_with(core::Indicator& ind, const std::map<std::string, std::int64_t>& reporters,
                                    const PolicyConfig& config, std::int64_t now_ms) {
  const std::int64_t since = window_start(config, now_ms);
  ReporterCounts counts;
  for (const auto& [reporter, last_ms] : reporters) {
    if (last_ms < since) continue;
    ++counts.recent;
    if (std::binary_search(ind.newcomers.begin(), ind.newcomers.end(), reporter)) ++counts.fresh;
  }
  return evaluate_counted(ind, counts, config, now_ms);
}

core::IndicatorStatus evaluate_counted(core::Indicator& ind, ReporterCounts counts, const PolicyConfig& config,
                                       std::int64_t now_ms) {
  using S = core::IndicatorStatus;
  auto set = [&](S status, std::string reason, std::string actor = "policy") {
    if (ind.status != status || ind.status_reason != reason) {
      ind.status = status;
      ind.status_reason = std::move(reason);
      ind.status_actor = std::move(actor);
      ind.status_ms = now_ms;
    }
    return ind.status;
  };
  const bool by_analyst = ind.status_actor.rfind("analyst", 0) == 0;
  if (std::string why; is_protected(ind, config, &why)) return set(S::Allowlisted, why);
  if (by_analyst && ind.status == S::Revoked && ind.expires_ms != 0 && now_ms > ind.expires_ms) {
    ind.expires_ms = 0;  // a revocation with a TTL (smishctl revoke --ttl) lapsed: the reports decide again
  } else if (by_analyst && (ind.status == S::Allowlisted || ind.status == S::Revoked)) {
    return ind.status;
  }
  if (by_analyst && ind.status == S::Confirmed) {
    if (ind.expires_ms != 0 && now_ms > ind.expires_ms) return set(S::Expired, "no report since the confirmation lapsed");
    return ind.status;
  }
  const int recent = counts.recent;
  const std::int64_t expiry_ms =
      (ind.kind == core::IndicatorKind::Number ? config.number_expiry_days : config.url_expiry_days) * kDayMs;
  const bool scam_enough = ind.max_score >= config.score_threshold;
  // A burst of first-time reporters on one target is what a poisoning attempt with fresh SIM
  // cards looks like: an analyst decides (confirm or allow), automation does not list it.
  auto held = [&]() -> std::string {
    if (config.burst_newcomer_fraction <= 0 || ind.newcomers.size() < static_cast<std::size_t>(config.burst_min_newcomers))
      return "";
    const int fresh = counts.fresh;
    if (fresh < config.burst_min_newcomers || static_cast<double>(fresh) < config.burst_newcomer_fraction * recent) return "";
    return "held for review: " + std::to_string(fresh) + " of " + std::to_string(recent) + " reporters within " +
           std::to_string(config.window_h) + " h are first-time reporters";
  };
  if (ind.status == S::Listed || ind.status == S::Expired) {
    if (now_ms > ind.last_seen_ms + expiry_ms) {
      ind.expires_ms = ind.last_seen_ms + expiry_ms;
      return set(S::Expired, "no corroborating report within the expiry time");
    }
    if (ind.status == S::Listed) {
      ind.expires_ms = ind.last_seen_ms + expiry_ms;  // a listing holds until it lapses
      if (auto why = held(); !why.empty()) return set(S::Suspected, why);  // ... unless a burst followed it
      return ind.status;
    }
  }
  if (recent >= config.min_reporters && scam_enough) {
    ind.expires_ms = ind.last_seen_ms + expiry_ms;
    if (ind.status == S::Expired && ind.status_ms >= ind.last_seen_ms) return ind.status;  // needs new reports
    if (auto why = held(); !why.empty()) return set(S::Suspected, why);
    return set(S::Listed, std::to_string(recent) + " distinct reporters within " + std::to_string(config.window_h) + " h");
  }
  if (ind.status == S::Expired) return ind.status;
  if (scam_enough) return set(S::Suspected, std::to_string(recent) + " of " + std::to_string(config.min_reporters) + " reporters needed");
  return set(S::Observed, "score below the listing threshold");
}

}  // namespace smish::blocklist
