// The listing policy: how reports turn into listed indicators, and what is never listed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "smish/core/types.hpp"

namespace smish::blocklist {

/// Listing settings (config section `blocklist`).
struct PolicyConfig {
  int min_reporters = 5;                 ///< Default: 5. Distinct reporters needed within the window to list.
  std::int64_t window_h = 72;            ///< Default: 72 h. Window the distinct reporters are counted in.
  double score_threshold = 0.6;          ///< Default: 0.6. Highest scam score of the indicator's reports must reach it.
  std::int64_t number_expiry_days = 30;  ///< Default: 30. A listed number lapses this long after its last report.
  std::int64_t url_expiry_days = 7;      ///< Default: 7. Same for URLs, hosts and domains.
  std::size_t max_tracked_reporters = 10000;  ///< Default: 10000. Reporters remembered per indicator.
  std::vector<std::string> allow_numbers;  ///< Default: none. E.164 numbers never listed (the operator's own).
  std::vector<std::string> allow_domains;  ///< Default: none. Domains never listed (brands, banks, portals); subdomains too.
};

/// Adds one report's evidence to `indicator`: counts, reporter (once per reporter), first/last
/// seen, category vote, score, flags, recent reports. Does not change the status.
void record_report(core::Indicator& indicator, const core::Report& report, const std::vector<std::string>& flags,
                   const PolicyConfig& config);

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

/// True when `indicator` may never be blocked automatically: allowlisted by config, a short,
/// emergency or service number, or a shortener/shared-hosting registrable domain (those are listed
/// by URL or host only).
bool is_protected(const core::Indicator& indicator, const PolicyConfig& config, std::string* why = nullptr);

}  // namespace smish::blocklist
