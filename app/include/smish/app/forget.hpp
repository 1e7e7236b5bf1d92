// Forgetting a reporter: the data-subject request of issue "Storage and indicator intelligence".
#pragma once

#include <cstdint>
#include <string>

#include "smish/app/admin.hpp"
#include "smish/core/json.hpp"
#include "smish/core/result.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

/// What forget_reporter erased, and what the rescan after it found.
struct ForgetResult {
  std::uint64_t reports = 0;        ///< reports deleted (with their index entries)
  std::uint64_t indicators = 0;     ///< indicators the reporter was taken out of
  std::uint64_t counters = 0;       ///< rate and reply counters deleted
  std::uint64_t conversations = 0;  ///< a pending two-step question
  std::uint64_t replies = 0;        ///< outbox entries not yet sent
  std::uint64_t pending = 0;        ///< inbox entries and concatenation parts not yet processed
  bool record = false;              ///< the reporter record existed
  std::uint64_t scanned = 0;        ///< records of every column family read by the rescan
  std::uint64_t remaining = 0;      ///< of those, records still holding the pseudonym: 0 proves it forgotten
  std::uint64_t audit_seq = 0;      ///< the audit entry recording the erasure (it names no reporter)

  /// Anything was erased.
  bool found() const { return reports || indicators || counters || conversations || replies || pending || record; }
};
core::Json to_json(const ForgetResult& r);
ForgetResult forget_result_from_json(const core::Json& j);

/// Erases everything tied to the reporter `pseudonym` in one synced commit: its reports (text,
/// PDUs, indexes), its place in each indicator (reporter map, first-time set, counts, votes,
/// recent reports: blocklist::forget_reporter), its counters, conversation, unsent replies,
/// unprocessed inbox entries and its reporter record; appends an audit entry (action "forget",
/// counts only). Then rescans every record of every column family for the pseudonym and counts
/// what still holds it. Runs on the store's one thread (smishd: the storage thread).
core::Result<ForgetResult> forget_reporter(storage::Store& store, const std::string& pseudonym, const std::string& actor,
                                           const Writer& writer, std::int64_t now_ms);

}  // namespace smish::app
