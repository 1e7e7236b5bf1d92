// The RocksDB store: the durable inbox of the ack path, reports, indicators, de-duplication.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/storage/digest.hpp"
#include "smish/storage/indicator_codec.hpp"

namespace smish::storage {

/// Storage settings (config section `storage`).
struct StorageConfig {
  std::string path = "/var/lib/smishd/db";   ///< Default: /var/lib/smishd/db. The RocksDB directory.
  bool sync_ack_writes = true;               ///< Default: true. WAL fsync before deliver_sm_resp; false is refused at start-up.
  std::int64_t dedup_window_s = 86400;       ///< Default: 24 h. Redeliveries within it are recognised.
  std::int64_t reassembly_timeout_s = 600;   ///< Default: 10 min. Incomplete concatenations become gap reports after it.
  std::int64_t max_pending_parts = 100000;   ///< Default: 100000. Beyond it the oldest incomplete concatenations become gap reports early.
  std::int64_t max_pending_bytes = 64LL << 20;  ///< Default: 64 MiB. The same bound in user-data octets.
  std::int64_t raw_retention_days = 30;      ///< Default: 30. Older reports keep indicators and a text fingerprint only.
  std::string pseudonym_key_file;            ///< Default: none. File holding the reporter-pseudonym HMAC key.
  std::string pseudonym_key_env = "SMISHD_PSEUDONYM_KEY";  ///< Default: SMISHD_PSEUDONYM_KEY. Env var with the key, used when no file is set.
};

/// How a store is opened.
enum class OpenMode {
  ReadWrite,  ///< the daemon: the only writer
  Secondary,  ///< smishctl: a RocksDB secondary instance that reads while the daemon writes
  /// smishctl's point reads: a read-only instance that opens table files as it needs them (a
  /// secondary must open every one of them first). Opened as Secondary instead while a process
  /// holds the database for writing (its compactions could delete files not opened yet).
  ReadOnly,
};

/// A segment waiting in the inbox (accepted and acknowledged, not yet turned into a report).
struct InboxEntry {
  std::string key;               ///< storage key, opaque
  core::InboundSegment segment;  ///< source.addr is the reporter pseudonym, never the number
  std::string reporter_country;
  std::string reply_to;          ///< the reporter's number sealed for the reply; empty: no reply possible
};

/// A reply waiting to be sent or acknowledged by the SMSC.
struct OutboxEntry {
  std::string key;               ///< unique, ordered by creation
  std::uint64_t report_id = 0;
  std::string reporter;          ///< pseudonym
  std::string dest_sealed;       ///< the reporter's number, sealed (Pseudonymizer::seal)
  std::string kind;              ///< thanks | ask_sender | sender_thanks
  std::string language;
  std::string text;
  std::int64_t created_ms = 0;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
};

/// A two-step report waiting for the reporter to name the sender.
struct Conversation {
  std::string reporter;          ///< pseudonym (the key)
  std::uint64_t report_id = 0;
  std::string language;
  std::int64_t expires_ms = 0;
};

/// What the service knows of one reporter (column family `reporters`, keyed by pseudonym): enough
/// to tell a first-time reporter (the burst hold) and to find its data (smishctl forget).
struct ReporterRecord {
  std::int64_t first_ms = 0;   ///< its first report
  std::int64_t last_ms = 0;    ///< its latest report
  std::uint64_t reports = 0;   ///< reports stored
};

/// The report indexes (column family `report_index`): the ids of the reports of one reporter,
/// naming one indicator, or in one campaign, newest first.
enum class ReportIndex : char { Reporter = 'r', Indicator = 'i', Campaign = 'c' };

/// The index keys of `report`: its reporter, each indicator it names ("kind:value", extraction
/// and reported sender), its campaign.
std::vector<std::pair<ReportIndex, std::string>> report_index_keys(const core::Report& report);

/// Everything one processing step changes, applied as one atomic WriteBatch.
struct Commit {
  std::vector<core::Report> reports;
  std::vector<core::Indicator> indicators;
  std::vector<std::string> consumed;   ///< inbox keys turned into the reports above
  std::vector<OutboxEntry> outbox_put;
  std::vector<std::string> outbox_delete;
  std::vector<Conversation> conversations_put;
  std::vector<std::string> conversations_delete;  ///< reporter pseudonyms
  std::vector<std::pair<std::string, std::int64_t>> counters;  ///< named counters set to a value
  std::vector<std::pair<std::string, std::uint64_t>> sent;     ///< SMSC message_id -> report id
  bool sync = false;                   ///< fsync the WAL (the outbox after a reply is acknowledged)
  /// Audit log entries appended (seq -> encoded entry, storage/audit_log.hpp). Append-only: the
  /// commit fails, writing nothing, when an entry with that seq exists.
  std::vector<std::pair<std::uint64_t, std::string>> audit;
  std::vector<std::pair<std::string, ReporterRecord>> reporters_put;  ///< pseudonym -> record
  std::vector<std::string> reporters_delete;                           ///< pseudonyms
  std::vector<core::Report> reports_delete;    ///< removed together with their index entries
  std::vector<std::string> counters_delete;
  std::vector<std::pair<std::uint64_t, std::string>> campaign_fingerprints;  ///< SimHash -> campaign id
};

/// Store over one RocksDB database. store_inbound may run on one thread (the daemon's ack thread)
/// while one other thread (the processing thread) uses the rest; no other concurrent use.
class Store {
 public:
  /// Opens (creating in ReadWrite mode) the database at config.path. Refuses unsafe options
  /// (sync_ack_writes false) and a schema version newer than this build knows.
  static core::Result<std::unique_ptr<Store>> open(const StorageConfig& config, OpenMode mode);
  virtual ~Store() = default;

  // ---- The ack path ----
  /// Makes new segments durable in ONE synced WriteBatch. For each input, returns true when it was
  /// stored and false when its fingerprint was already seen within the de-duplication window (a
  /// redelivery, stored nothing). An error means nothing of the batch was stored.
  virtual core::Result<std::vector<bool>> store_inbound(std::span<const InboxEntry> entries, std::int64_t now_ms) = 0;

  // ---- Processing ----
  /// Up to `limit` inbox entries that are whole messages (no concatenation), oldest first.
  virtual core::Result<std::vector<InboxEntry>> pending_singles(std::size_t limit) = 0;
  /// Parts stored for the concatenation group of `part` (same SMSC, reporter, destination, reference, total).
  virtual core::Result<std::vector<InboxEntry>> group_parts(const InboxEntry& part) = 0;
  /// One entry per concatenation group with parts waiting (the oldest part of each).
  virtual core::Result<std::vector<InboxEntry>> pending_groups() = 0;
  /// Reads an indicator; nullopt when never seen.
  virtual core::Result<std::optional<core::Indicator>> get_indicator(core::IndicatorKind kind, const std::string& value) = 0;
  /// get_indicator() without the reporter map, counted into `tally` instead
  /// (smish/storage/indicator_codec.hpp): what smishd's admin reads need to evaluate a hot
  /// indicator without building ten thousand reporter strings.
  virtual core::Result<std::optional<core::Indicator>> get_indicator_counted(core::IndicatorKind kind, const std::string& value,
                                                                             ReporterTally& tally) {
    (void)kind, (void)value, (void)tally;
    return core::make_error(core::ErrorCode::Unsupported, "this store cannot count reporters while reading");
  }
  /// Applies a processing step atomically. Report ids must come from next_report_id().
  virtual core::Status commit(const Commit& commit) = 0;
  /// A new report id (monotonic, starting at 1).
  virtual std::uint64_t next_report_id() = 0;
  /// Every reply in the outbox, oldest first.
  virtual core::Result<std::vector<OutboxEntry>> outbox() = 0;
  virtual core::Result<std::optional<Conversation>> get_conversation(const std::string& reporter) = 0;
  /// A named counter (0 when never set).
  virtual core::Result<std::int64_t> get_counter(const std::string& name) = 0;
  /// The report a reply with this SMSC message_id belongs to.
  virtual core::Result<std::optional<std::uint64_t>> get_sent(const std::string& message_id) = 0;

  // ---- Reads ----
  virtual core::Result<std::optional<core::Report>> get_report(std::uint64_t id) = 0;
  /// Reports newest first; stop when `fn` returns false.
  virtual core::Status scan_reports(const std::function<bool(const core::Report&)>& fn) = 0;
  /// Every indicator in key order; stop when `fn` returns false.
  virtual core::Status scan_indicators(const std::function<bool(const core::Indicator&)>& fn) = 0;
  /// Every indicator's key ("kind:value") and stored value in key order, undecoded: the caller
  /// decodes values with decode_indicator() (smish/storage/indicator_codec.hpp), on any thread.
  /// One iterator, so one consistent point-in-time view. The views are valid during the call
  /// only. Stop when `fn` returns false.
  virtual core::Status scan_indicator_values(
      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
  /// Counts: reports, indicators, inbox entries.
  struct Counts { std::uint64_t reports = 0, indicators = 0, inbox = 0; };
  virtual core::Result<Counts> counts() = 0;

  /// One figure of the storage engine for /metrics: sizes per column family, write stalls.
  struct EngineStat {
    std::string name;           ///< "sst_bytes", "memtable_bytes", "estimated_keys", "write_stalls_total", ...
    std::string column_family;  ///< "" for database-wide figures
    double value = 0;
  };
  /// Cheap (engine properties only, no scan); any thread. Empty for stores without an engine.
  virtual std::vector<EngineStat> engine_stats() { return {}; }

  /// A consistent copy of the whole database at one instant, as a RocksDB checkpoint in `dir`
  /// (which must not exist; its parent must): SST files hard-linked when on the same filesystem,
  /// copied otherwise, after a flush, so that the copy opens as a database of its own. Read-write
  /// stores only (smishd's, or smishctl's when smishd is stopped); writes may go on meanwhile.
  virtual core::Status checkpoint(const std::string& dir) {
    (void)dir;
    return core::make_error(core::ErrorCode::Unsupported, "this store cannot make checkpoints");
  }

  /// The reporter's record; nullopt when it never reported (or was forgotten).
  virtual core::Result<std::optional<ReporterRecord>> get_reporter(const std::string& pseudonym) {
    (void)pseudonym;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no reporter records");
  }
  /// Ids of the reports under `key` in `index` (a pseudonym, "kind:value", a campaign id), newest
  /// first; stop when `fn` returns false.
  virtual core::Status scan_report_ids(ReportIndex index, const std::string& key,
                                       const std::function<bool(std::uint64_t id)>& fn) {
    (void)index, (void)key, (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no report index");
  }
  /// Reports with ids from `from` upward, oldest first (the retention sweep); stop when `fn`
  /// returns false.
  virtual core::Status scan_reports_from(std::uint64_t from, const std::function<bool(const core::Report&)>& fn) {
    (void)from, (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store cannot scan reports forwards");
  }
  /// Counters whose name starts with `prefix`, in name order; stop when `fn` returns false.
  virtual core::Status scan_counters(const std::string& prefix,
                                     const std::function<bool(std::string_view name, std::int64_t value)>& fn) {
    (void)prefix, (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store cannot scan counters");
  }
  /// Every campaign fingerprint recorded (SimHash, campaign id); stop when `fn` returns false.
  virtual core::Status scan_campaign_fingerprints(const std::function<bool(std::uint64_t, std::string_view)>& fn) {
    (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no campaign fingerprints");
  }
  /// Report digests (smish/storage/digest.hpp) newest first, ids set; stop when `fn` returns
  /// false. Unsupported on a database of schema 2 or older (smishctl then scans the reports).
  virtual core::Status scan_report_digests(const std::function<bool(const ReportDigest&)>& fn) {
    (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no report digests");
  }
  /// Every indicator's summary in key order; stop when `fn` returns false. Unsupported as above.
  virtual core::Status scan_indicator_summaries(
      const std::function<bool(core::IndicatorKind kind, std::string_view value, const IndicatorSummary&)>& fn) {
    (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no indicator summaries");
  }
  /// Every campaign's summary in campaign id order; stop when `fn` returns false. Unsupported as
  /// above.
  virtual core::Status scan_campaign_summaries(const std::function<bool(std::string_view campaign, const CampaignSummary&)>& fn) {
    (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no campaign summaries");
  }
  /// Every record of every column family as stored (keys and values undecoded): the rescan that
  /// proves a reporter forgotten. Stop when `fn` returns false.
  virtual core::Status scan_raw(
      const std::function<bool(std::string_view family, std::string_view key, std::string_view value)>& fn) {
    (void)fn;
    return core::make_error(core::ErrorCode::Unsupported, "this store cannot be scanned raw");
  }

  /// Secondary mode: catch up with the primary's latest writes.
  virtual core::Status catch_up() = 0;

  /// The audit log's entries as stored (storage/audit_log.hpp decodes them), oldest first or
  /// newest first; stop when `fn` returns false. Empty before the first analyst decision.
  virtual core::Status scan_audit(const std::function<bool(std::uint64_t seq, std::string_view entry)>& fn,
                                  bool newest_first) {
    (void)fn;
    (void)newest_first;
    return core::make_error(core::ErrorCode::Unsupported, "this store keeps no audit log");
  }
};

/// The schema version this build writes; older databases are migrated on open (docs/storage.md,
/// "Schema versions"), newer ones refused.
///   1: reports, indicators, inbox, ... (the first release)
///   2: adds `reporters`, `report_index` (filled from the reports on migration) and `campaigns`
///   3: adds `report_digests`, `indicator_summaries`, `campaign_summaries` and `campaign_reporters`
///      (derived from reports and indicators)
inline constexpr int kSchemaVersion = 3;

}  // namespace smish::storage
