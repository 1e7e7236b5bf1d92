// The blocklist export: every format from one consistent scan, serial directories, deltas, signed manifests.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smish/blocklist/delta.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/blocklist/signing.hpp"
#include "smish/core/result.hpp"
#include "smish/storage/store.hpp"

namespace smish::blocklist {

/// How many values core::IndicatorStatus has (observed ... expired).
inline constexpr std::size_t kIndicatorStatuses = 7;

/// Export settings (config section `export`).
struct ExportConfig {
  std::string out_dir = "/var/lib/smishd/export";  ///< Default: /var/lib/smishd/export.
  std::int64_t interval_s = 60;                    ///< Default: 60. How often smishd exports (0: never).
  std::string signing_key_file;   ///< Default: none (manifests unsigned). PEM Ed25519 private key.
  double max_change_fraction = 0.5;   ///< Default: 0.5. Circuit breaker: refuse a change of more than this
                                      ///< fraction of the previous serial's entries (added + removed)...
  std::int64_t breaker_min_changes = 100;  ///< Default: 100. ...when at least this many entries change.
  std::int64_t keep_serials = 10;  ///< Default: 10. Serial directories kept; deltas exist from each of them.
  std::string rpz_zone = "rpz.smishd.local";  ///< Default: rpz.smishd.local. Origin of rpz.zone.
  std::string serve_listen;       ///< Default: "" (off). Pull endpoint "host:port", e.g. 127.0.0.1:8080.
  std::string bearer_token_file;  ///< Default: none. File with the pull endpoint's bearer token.
  std::string tls_cert_file;      ///< Default: none (plain HTTP). PEM certificate chain for the pull endpoint.
  std::string tls_key_file;       ///< Default: none. PEM private key for tls_cert_file.
};

/// The files of one serial, in publication order (the manifest and its signature come after them).
inline constexpr const char* kExportFiles[] = {"numbers.csv", "sender_ids.csv", "domains.txt", "hosts.txt",
                                              "urls.txt",    "indicators.jsonl", "rpz.zone",  "stix.json"};

/// How one export ended.
enum class ExportOutcome {
  Published,  ///< a new serial is current
  Unchanged,  ///< the blocklists equal the current serial's: nothing written, no new serial
  Refused,    ///< the circuit breaker held it back (see ExportResult::refusal); nothing written
  DryRun,     ///< computed only (ExportOptions::dry_run)
};
std::string_view to_string(ExportOutcome outcome);

/// Per-run switches (smishctl export --force / --dry-run).
struct ExportOptions {
  bool force = false;    ///< publish past the circuit breaker, and even when unchanged
  bool dry_run = false;  ///< write nothing; report what would change
  /// Threads that decode, evaluate and render while the calling thread scans. Default (unset):
  /// one per core, 2 to 4; 0: everything on the calling thread. The files are the same byte for
  /// byte whatever the number (chunks are written in scan order).
  std::optional<std::size_t> workers;
  /// Indicators per batch handed to a worker. Default (0): 2048. Tests use small batches.
  std::size_t batch_size = 0;
};

/// What one export did.
struct ExportResult {
  ExportOutcome outcome = ExportOutcome::Published;
  std::uint64_t serial = 0;           ///< the published serial (Published), else the current one
  std::uint64_t previous_serial = 0;  ///< the serial compared against (0: none)
  std::string refusal;                ///< why the breaker refused (Refused, or DryRun that would be refused)
  std::size_t numbers = 0, sender_ids = 0, domains = 0, hosts = 0, urls = 0;
  std::size_t allowlisted = 0;        ///< allowlisted entries (RPZ passthru, indicators.jsonl)
  std::size_t protected_skipped = 0;  ///< blocked-looking entries withheld because they are or cover protected ones
  std::size_t invalid_skipped = 0;    ///< blocked-looking entries withheld because their value fails validation
  std::size_t scanned = 0;            ///< indicators read
  /// Indicators read, by their status as evaluated at this export (IndicatorStatus order).
  std::array<std::size_t, kIndicatorStatuses> by_status{};
  Delta delta;                        ///< changes against previous_serial
  std::vector<std::string> files;     ///< paths written (Published), manifest and signature last
  double scan_ms = 0;    ///< from the start until the scan had handed out every value
  double render_ms = 0;  ///< until every value was decoded, evaluated, rendered and written
  double total_ms = 0;   ///< until published (fsynced, current switched); 0 unless Published
  std::size_t total() const { return numbers + sender_ids + domains + hosts + urls; }
};

/// Counters over an Exporter's life (logged; the daemon's status file may carry them).
struct ExportStats {
  std::uint64_t published = 0, unchanged = 0, refused = 0, failed = 0;
};

/// The export job. Holds the (normalised) configuration and the signing key; run() does one
/// export. Not thread-safe: one thread (the daemon's I/O thread, or smishctl) calls run().
/// Several processes may export to the same out_dir: an advisory lock serialises them.
class Exporter {
 public:
  /// Validates the configuration and loads the signing key. Errors: unreadable or wrong key,
  /// out-of-range settings, an invalid RPZ zone name.
  static core::Result<std::unique_ptr<Exporter>> create(const PolicyConfig& policy, const ExportConfig& config);

  /// Scans every indicator once (one RocksDB iterator: a consistent point-in-time view),
  /// evaluates it at `now_ms`, and renders numbers.csv, sender_ids.csv, domains.txt, hosts.txt,
  /// urls.txt, indicators.jsonl, rpz.zone and stix.json, the deltas from every kept serial and
  /// manifest.json (+ manifest.json.sig) into out_dir/serials/<N>/, written, fsynced and renamed
  /// whole; then out_dir/current is switched to it with one atomic rename of a symlink. A reader
  /// that resolves `current` once never sees a half-written file or a mixed serial.
  /// Never publishes an allowlisted, protected, or invalid value as blocked. Refuses (outcome
  /// Refused, logged and counted) to empty a non-empty list or to change more than
  /// max_change_fraction of it, unless options.force. Publishes nothing when nothing changed.
  /// Errors: storage failures, I/O failures (nothing becomes current then), another export
  /// holding the lock (Unavailable).
  core::Result<ExportResult> run(storage::Store& store, std::int64_t now_ms, const ExportOptions& options = {});

  const ExportStats& stats() const { return stats_; }
  const ExportConfig& config() const { return config_; }
  /// The public key consumers verify with (PEM), "" when unsigned.
  std::string public_key_pem() const { return signer_ ? signer_->public_key_pem() : std::string(); }

 private:
  Exporter(PolicyConfig policy, ExportConfig config, std::optional<Signer> signer);

  PolicyConfig policy_;
  ExportConfig config_;
  std::optional<Signer> signer_;
  ExportStats stats_;
};

/// One export with a fresh Exporter (what smishctl and older callers use).
core::Result<ExportResult> export_blocklists(storage::Store& store, const PolicyConfig& policy,
                                             const ExportConfig& config, std::int64_t now_ms,
                                             const ExportOptions& options = {});

/// The serial out_dir/current points to, 0 when none. Any thread.
std::uint64_t current_serial(const std::string& out_dir);

}  // namespace smish::blocklist
