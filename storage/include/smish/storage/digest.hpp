// Compact read models kept beside the full records (schema 3): what smishctl's `top` and `stats`
// read of a report, and what `top` ranks an indicator by.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::storage {

/// What `top` and `stats` need of one report (column family `report_digests`, keyed like
/// `reports`): no text, no PDUs, no rule hits. Written by the store in the same batch as the
/// report, so the two never disagree.
struct ReportDigest {
  std::uint64_t id = 0;
  std::int64_t received_ms = 0;
  core::Label label = core::Label::Unclear;  ///< the verdict's
  std::string reporter;                      ///< pseudonym
  std::string reporter_country;
  std::string category;                      ///< the verdict's
  std::string campaign;
  std::string reported_sender;
  std::vector<std::string> numbers;          ///< E.164, as extracted
  std::vector<std::string> urls, hosts, domains;
  std::vector<std::string> sender_ids;
};

/// The digest of `report`.
ReportDigest digest_of(const core::Report& report);

/// The stored form of a digest (the id is the key, not part of it).
std::string encode_digest(const ReportDigest& digest);

/// Decodes `bytes` (encode_digest's output) into `out`, replacing every field but the id.
/// Errors: Corruption when the bytes are cut short, overlong or of an unknown format version;
/// `out` is unspecified then. Pure; any thread.
[[nodiscard]] core::Status decode_digest(std::string_view bytes, ReportDigest& out);

/// What `top` ranks an indicator by over all time (column family `indicator_summaries`, keyed
/// like `indicators`), written with every write of the indicator: a few bytes instead of a
/// record that holds up to max_tracked_reporters reporters.
struct IndicatorSummary {
  std::uint64_t distinct_reporters = 0;
  std::uint64_t total_reports = 0;
  std::int64_t last_seen_ms = 0;
  bool reported_sender = false;  ///< a reporter named it as the sender (the flag "reported_sender")
};

IndicatorSummary summary_of(const core::Indicator& indicator);
std::string encode_summary(const IndicatorSummary& summary);
/// Errors: Corruption as decode_digest. Pure; any thread.
[[nodiscard]] core::Status decode_summary(std::string_view bytes, IndicatorSummary& out);

/// Category votes in first-seen order: a flat list, as a campaign or a `top` row has few.
using CategoryVotes = std::vector<std::pair<std::string, std::uint64_t>>;
/// Adds `delta` votes (negative: takes them back; a category left with none is removed).
void vote(CategoryVotes& votes, const std::string& category, std::int64_t delta);

/// What `top campaigns` shows of a campaign over all time (column family `campaign_summaries`,
/// keyed by campaign id): kept by the store as reports of the campaign are first written and
/// deleted, the distinct reporters exact through the family `campaign_reporters` (campaign id,
/// 0x00, pseudonym).
struct CampaignSummary {
  std::uint64_t reports = 0;
  std::uint64_t distinct_reporters = 0;
  std::int64_t last_seen_ms = 0;
  CategoryVotes categories;

  /// A report of the campaign written (its receipt time and category); its reporter is counted
  /// apart, as only the store knows whether it is new to the campaign.
  void add_report(std::int64_t received_ms, const std::string& category) {
    ++reports;
    last_seen_ms = std::max(last_seen_ms, received_ms);
    vote(category, 1);
  }
  void vote(const std::string& category, std::int64_t delta) { storage::vote(categories, category, delta); }
  std::string top_category() const { return core::most_voted(categories); }
};

std::string encode_summary(const CampaignSummary& summary);
/// Errors: Corruption as decode_digest. Pure; any thread.
[[nodiscard]] core::Status decode_summary(std::string_view bytes, CampaignSummary& out);

}  // namespace smish::storage
