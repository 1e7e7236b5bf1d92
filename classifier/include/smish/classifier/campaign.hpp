// Campaigns: SimHash fingerprints of normalised text and an index that gives near-duplicates one id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace smish::classifier {

/// The text a fingerprint is computed from: case-folded; links and e-mail addresses replaced by
/// "@"; every run of digits (with the spaces, dashes, dots, slashes and brackets that group them,
/// and a leading "+") replaced by "#"; everything that is not a letter, "#" or "@" a single space.
/// "Pay 1.99 EUR at dpd-lv.top/x or call +371 2999 9901" -> "pay # eur at @ or call #".
std::string campaign_text(std::string_view text);

/// 64-bit SimHash of campaign_text(text) over its character 4-grams (the whole text when shorter)
/// and its words: variants of one message that differ only in links, numbers, amounts, case or
/// punctuation get the same fingerprint, and a changed word or two moves it a few bits.
/// Pure; thread-safe.
std::uint64_t campaign_fingerprint(std::string_view text);

/// Hamming distance between two fingerprints, 0..64.
int campaign_distance(std::uint64_t a, std::uint64_t b);

/// "c-" and the 16 lowercase hex digits of `fingerprint`.
std::string campaign_id(std::uint64_t fingerprint);

/// Assigns campaign ids. A fingerprint within `max_distance` bits of a fingerprint already seen
/// joins that fingerprint's campaign (the nearest; on a tie the older campaign); otherwise it
/// founds a new campaign named campaign_id(fingerprint). Ids never change once given, so a
/// campaign is stable as it grows; two campaigns are never merged.
/// Lookup is exact: the 64 bits are cut into max_distance + 1 blocks and any fingerprint within
/// the distance agrees with the query on at least one whole block (pigeonhole), so only those
/// candidates are compared. Not thread-safe: one owner (the pipeline's thread).
class CampaignIndex {
 public:
  /// Default: 10 bits. Measured on UCI, Mishra–Soni and the project's set (docs/classification.md):
  /// nearest neighbours up to 10 bits apart were all rewordings of one message; from 11 bits on,
  /// unrelated short texts appear. 0..15.
  static constexpr int kDefaultMaxDistance = 10;

  explicit CampaignIndex(int max_distance = kDefaultMaxDistance);

  /// The campaign of `fingerprint`, recording it.
  std::string assign(std::uint64_t fingerprint);
  /// The campaign `fingerprint` would join, "" when it would found a new one. Records nothing.
  std::string find(std::uint64_t fingerprint) const;
  /// Records a fingerprint with a known campaign, e.g. when reloading stored reports. A fingerprint
  /// already known keeps its first campaign.
  void insert(std::uint64_t fingerprint, std::string_view campaign);

  /// Distinct fingerprints recorded.
  std::size_t size() const { return campaign_of_.size(); }
  int max_distance() const { return max_distance_; }

 private:
  struct Entry {
    std::uint64_t fingerprint;
    std::uint32_t campaign;  // index into campaigns_
  };
  std::uint64_t block_of(std::uint64_t fingerprint, int block) const;
  // Index into entries_ of the nearest recorded fingerprint within max_distance_, or -1.
  long nearest(std::uint64_t fingerprint) const;

  int max_distance_;
  int blocks_;
  std::array<int, 16> block_shift_{};
  std::array<int, 16> block_bits_{};
  std::vector<Entry> entries_;
  std::vector<std::string> campaigns_;                              // by first appearance
  std::unordered_map<std::uint64_t, std::size_t> campaign_of_;      // fingerprint -> entries_ index
  std::vector<std::unordered_map<std::uint64_t, std::vector<std::uint32_t>>> tables_;  // per block
  std::unordered_map<std::string, std::uint32_t> campaign_index_;  // id -> campaigns_ index
};

}  // namespace smish::classifier
