// Blocklist deltas: entries added and removed between two export serials, with removal reasons.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"

namespace smish::blocklist {

/// Why an entry left the blocklists.
enum class RemovalReason : std::uint8_t {
  Expired,      ///< no corroborating report within the expiry time
  Revoked,      ///< an analyst revoked the listing
  Allowlisted,  ///< allowlisted (by an analyst, the configuration, or a protection rule)
  Unlisted,     ///< back below the listing threshold (e.g. an analyst relabelled the reports)
  Invalid,      ///< the value no longer passes the export's validation
  Deleted,      ///< no longer in the database (retention)
};
std::string_view to_string(RemovalReason reason);
std::optional<RemovalReason> parse_removal_reason(std::string_view text);

/// One published blocklist entry: the storage key ("kind:value", e.g. "domain:evil.example").
struct PublishedEntry {
  std::string key;
  std::int64_t first_seen_ms = 0;
  std::int64_t expires_ms = 0;  ///< 0: none
};

/// The published entries of one serial, sorted by key (entries.tsv, one "key\tfirst\texpires" a line).
std::string render_entries(const std::vector<PublishedEntry>& entries);
/// One line of entries.tsv, appended to `out` (render_entries is these lines in order).
void append_entry_line(std::string& out, std::string_view key, std::int64_t first_seen_ms, std::int64_t expires_ms);
/// Parses entries.tsv; Corruption on a malformed line. The result is sorted by key.
core::Result<std::vector<PublishedEntry>> parse_entries(std::string_view text);

/// One change.
struct DeltaEntry {
  std::string key;                               ///< "kind:value"
  bool added = false;
  RemovalReason reason = RemovalReason::Deleted;  ///< for a removal
  std::int64_t first_seen_ms = 0;                ///< carried so a revoked STIX object keeps its `created`
};

/// The changes from serial `from_serial` to serial `to_serial`, sorted by key, one entry per key.
struct Delta {
  std::uint64_t from_serial = 0;
  std::uint64_t to_serial = 0;
  std::vector<DeltaEntry> entries;

  std::size_t added() const;
  std::size_t removed() const;
};

/// The delta from `before` to `after` (both sorted by key, no duplicates). A removed key's reason
/// comes from `reason_of(key)`, nullopt meaning Deleted.
Delta diff_entries(const std::vector<PublishedEntry>& before, const std::vector<PublishedEntry>& after,
                   const std::function<std::optional<RemovalReason>(const std::string&)>& reason_of);

/// The net delta of `older` (M to K) followed by `newer` (K to N): M to N. An entry added and then
/// removed (or removed and added back) cancels out. Precondition: older.to_serial == newer.from_serial.
Delta compose(const Delta& older, const Delta& newer);

/// JSON Lines: a header {"type":"delta","from_serial","to_serial","added","removed"}, then one
/// {"op":"add"|"remove","kind","value"[,"reason"],"first_seen"} line per entry.
std::string render_delta(const Delta& delta);
/// Parses render_delta's output; Corruption on anything else.
core::Result<Delta> parse_delta(std::string_view text);

/// Splits "kind:value" at the first colon.
std::pair<std::string_view, std::string_view> split_key(std::string_view key);

}  // namespace smish::blocklist
