// The listing policy: how reports turn into listed indicators, and what is never listed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/storage/store.hpp"

namespace smish::blocklist {

/// A protected brand's own values (configs/brands.yaml, read at start-up): they act as an
/// allowlist, so that reports, however many, never get a brand's real domain, number or sender ID
/// onto a blocklist. Values as the brands file normalises them.
struct BrandAllowlist {
  std::string id;                       ///< the brand ("tele2"), named in the status reason
  std::vector<std::string> numbers;     ///< E.164 numbers and short codes (digits)
  std::vector<std::string> domains;     ///< lowercase punycode; their subdomains too
  std::vector<std::string> sender_ids;  ///< registered alphanumeric sender IDs; compared ignoring ASCII case
};

/// Listing settings (config section `blocklist`).
struct PolicyConfig {
  int min_reporters = 5;                 ///< Default: 5. Distinct reporters needed within the window to list.
  std::int64_t window_h = 72;            ///< Default: 72 h. Window the distinct reporters are counted in.
  double score_threshold = 0.6;          ///< Default: 0.6. Highest scam score of the indicator's reports must reach it.
  std::int64_t number_expiry_days = 30;  ///< Default: 30. A listed number lapses this long after its last report.
  std::int64_t url_expiry_days = 7;      ///< Default: 7. Same for URLs, hosts and domains.
  std::size_t max_tracked_reporters = 10000;  ///< Default: 10000. Reporters counted exactly per indicator; beyond, a HyperLogLog sketch.
  int reporter_max_per_hour = 20;        ///< Default: 20. A reporter's reports beyond it in one hour are stored but weigh nothing.
  int reporter_max_per_day = 100;        ///< Default: 100. The same per UTC day.
  /// Default: 0.8. Held for review (suspected, not listed, a listing by the policy withdrawn) when
  /// at least burst_min_newcomers of the window's reporters of an indicator are first-time
  /// reporters and they are at least this fraction of them; 0 turns the hold off.
  double burst_newcomer_fraction = 0.8;
  int burst_min_newcomers = 10;          ///< Default: 10. First-time reporters in the window that make a burst.
  std::int64_t newcomer_age_h = 24;      ///< Default: 24 h. A reporter is first-time for this long after its first report.
  std::vector<std::string> allow_numbers;  ///< Default: none. E.164 numbers never listed (the operator's own).
  std::vector<std::string> allow_domains;  ///< Default: none. Domains never listed (brands, banks, portals); subdomains too.
  /// Default: none. Protected brands' own values, never listed; smishd and smishctl fill it from
  /// classifier.brands_file (not a config key of this section).
  std::vector<BrandAllowlist> brands;
};

/// Every domain that is never listed: allow_domains, then each brand's domains. The export keeps
/// the names that would cover one of them off its lists and gives them RPZ passthru entries.
std::vector<std::string> protected_domains(const PolicyConfig& config);

/// Adds one report's evidence to `indicator`: counts, reporter (once per reporter; exact up to
/// max_tracked_reporters, then a HyperLogLog sketch), first/last seen, per-day count, category
/// vote, campaign, score, flags, recent reports. `newcomer`: the reporter is a first-time
/// reporter (remembered for the burst hold). Does not change the status.
void record_report(core::Indicator& indicator, const core::Report& report, const std::vector<std::string>& flags,
                   const PolicyConfig& config, bool newcomer = false);

/// Per-indicator bounds of the maps record_report keeps.
inline constexpr std::size_t kDailyCounts = 90;     ///< newest UTC days kept in Indicator::daily
inline constexpr std::size_t kCampaignCounts = 32;  ///< campaigns kept in Indicator::campaigns

/// Removes every trace of `reporter` from `indicator` (a data-subject request): its entry in the
/// reporter map and newcomers, the reports of `report_ids` from the counts and recent reports,
/// their category votes (`categories`, one per report). A reporter counted only in the sketch
/// (beyond the exact bound) cannot be taken out of it; no identifier of it is stored there.
/// A listing by the policy is withdrawn, to be decided again by the next evaluate().
void forget_reporter(core::Indicator& indicator, const std::string& reporter, const std::vector<std::uint64_t>& report_ids,
                     const std::vector<std::string>& categories);

/// Re-evaluates the status of `indicator` at `now_ms` and returns it. Analyst decisions
/// (confirmed, allowlisted, revoked by an "analyst:" actor) are kept, a confirmation or revocation
/// with expires_ms set only until then; configured and built-in
/// allowlists win over everything; automatic listing needs min_reporters distinct reporters in
/// the window and the score threshold; a listed entry past its expiry becomes expired.
core::IndicatorStatus evaluate(core::Indicator& indicator, const PolicyConfig& config, std::int64_t now_ms);

/// evaluate(), counting `reporters` instead of indicator.reporters: the export evaluates copies
/// that leave the (up to max_tracked_reporters) reporter map behind.
core::IndicatorStatus evaluate_with(core::Indicator& indicator, const std::map<std::string, std::int64_t>& reporters,
                                    const PolicyConfig& config, std::int64_t now_ms);

/// What evaluate() reads of a reporter map: the reporters whose last report is at or after the
/// window's start, and how many of them are first-time reporters (Indicator::newcomers).
struct ReporterCounts {
  int recent = 0;
  int fresh = 0;
};
/// The start of the listing window at `now_ms`: reporters count from here.
std::int64_t window_start(const PolicyConfig& config, std::int64_t now_ms);
/// evaluate() on counts made elsewhere: smishd's admin reads count while decoding an indicator
/// (storage::decode_indicator) instead of building its reporter map.
core::IndicatorStatus evaluate_counted(core::Indicator& indicator, ReporterCounts counts, const PolicyConfig& config,
                                       std::int64_t now_ms);

/// The indicator `kind`:`value` read from `store` and evaluated at `now_ms`, its reporter map
/// counted while decoding (Store::get_indicator_counted) and so left empty; a store that cannot
/// count is read whole and evaluated as usual. nullopt when never seen.
core::Result<std::optional<core::Indicator>> read_evaluated(storage::Store& store, core::IndicatorKind kind,
                                                            const std::string& value, const PolicyConfig& config,
                                                            std::int64_t now_ms);

/// True when `indicator` may never be blocked automatically: allowlisted by config, a protected
/// brand's own number, domain (or a host or URL under it) or sender ID, a short, emergency or
/// service number, a shortener/shared-hosting registrable domain (those are listed by URL or
/// host only), or a domain or host of a popular platform (google.com, wa.me, t.me, ...: listed by
/// URL only). `why` gets the reason ("brand tele2: its own domain tele2.lv").
bool is_protected(const core::Indicator& indicator, const PolicyConfig& config, std::string* why = nullptr);

}  // namespace smish::blocklist
