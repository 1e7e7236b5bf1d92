// The blocklist export: listed indicators from one pass over the store into files the carrier pulls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smish/blocklist/policy.hpp"
#include "smish/core/result.hpp"
#include "smish/storage/store.hpp"

namespace smish::blocklist {

/// Export settings (config section `export`).
struct ExportConfig {
  std::string out_dir = "/var/lib/smishd/export";  ///< Default: /var/lib/smishd/export.
  std::int64_t interval_s = 60;                    ///< Default: 60. How often smishd exports.
};

/// What one export wrote.
struct ExportResult {
  std::uint64_t serial = 0;
  std::size_t numbers = 0, domains = 0, hosts = 0, urls = 0;
  std::size_t protected_skipped = 0;  ///< blocked-looking entries withheld because they are protected
  std::vector<std::string> files;     ///< paths written, manifest last
};

/// Evaluates every indicator at `now_ms` with `policy` and writes numbers.csv, domains.txt,
/// hosts.txt, urls.txt and manifest.json (serial, time, counts, sha256 per file) into
/// config.out_dir. Each file is written to a temporary name, fsynced and renamed; the manifest is
/// renamed last. The serial is the previous manifest's plus one. Protected entries (allowlists,
/// short and emergency numbers) are never written, whatever their stored status.
core::Result<ExportResult> export_blocklists(storage::Store& store, const PolicyConfig& policy,
                                             const ExportConfig& config, std::int64_t now_ms);

}  // namespace smish::blocklist
