// The audit log of analyst decisions: append-only entries chained by SHA-256 (column family "audit").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/json.hpp"
#include "smish/core/result.hpp"
#include "smish/storage/store.hpp"

namespace smish::storage {

/// One decision as written. `hash` is the SHA-256 of every other field, `prev` (the previous
/// entry's hash) included, so changing, inserting or removing an entry breaks the chain there.
struct AuditEntry {
  std::uint64_t seq = 0;   ///< 1, 2, 3, ... without gaps (the storage key, big-endian)
  std::int64_t at_ms = 0;  ///< when it was applied (Unix ms)
  std::string actor;       ///< who said they act ($USER or smishctl --actor)
  std::int64_t uid = -1;   ///< the OS user the writer saw (SO_PEERCRED on the admin socket, or geteuid)
  std::string via;         ///< "smishd" (admin socket) or "direct" (smishd stopped)
  std::string action;      ///< label | allow | block | unblock | revoke
  std::string target;      ///< "report:12", "number:+37129999901", "domain:example.top", ...
  core::Json before;       ///< the decision fields before (null: the target did not exist)
  core::Json after;        ///< and after
  std::string note;        ///< the analyst's note or reason
  std::string prev;        ///< hex SHA-256 of entry seq-1; kAuditGenesis for the first
  std::string hash;        ///< hex SHA-256 of the canonical form (below)
};

/// `prev` of the first entry.
inline constexpr std::string_view kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

/// The entry as stored: one JSON object, keys sorted, "hash" included. Any thread.
std::string encode_audit(const AuditEntry& entry);
/// Parses what encode_audit wrote; Corruption when it is not such an object.
core::Result<AuditEntry> decode_audit(std::string_view bytes);
/// SHA-256 (hex) of the canonical form: the JSON object of every field but "hash", keys sorted,
/// no whitespace. Any thread.
std::string audit_hash(const AuditEntry& entry);

/// Fills seq, prev and hash of `entry` to follow `last` (nullopt: the log is empty) and adds it
/// to `commit`, so that it is written in the same atomic batch as the decision it records.
/// Returns the completed entry.
AuditEntry append_audit(Commit& commit, AuditEntry entry, const std::optional<AuditEntry>& last);

/// The newest entry; nullopt when the log is empty. Errors: storage, an undecodable entry.
core::Result<std::optional<AuditEntry>> last_audit(Store& store);

/// Up to `limit` entries, the newest `limit` of the log, in log order (oldest first).
core::Result<std::vector<AuditEntry>> tail_audit(Store& store, std::size_t limit);

/// One break in the chain.
struct AuditProblem {
  std::uint64_t seq = 0;  ///< the entry it concerns
  std::string what;       ///< "its content does not match its hash (changed after it was written)", ...
};

/// What verify_audit found.
struct AuditCheck {
  std::uint64_t entries = 0;
  std::string head;                     ///< hash of the last entry (record it elsewhere to detect truncation)
  std::vector<AuditProblem> problems;   ///< empty: the chain is intact
};

/// Walks the whole log once: every entry must decode, carry its key's seq, follow its
/// predecessor without a gap, name its predecessor's hash as prev, and hash to its own hash.
/// Errors only for storage failures; breaks are problems.
core::Result<AuditCheck> verify_audit(Store& store);

}  // namespace smish::storage
