// Operating smishd: Prometheus /metrics, /health and /ready on a loopback admin port.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "smish/app/pipeline.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/core/result.hpp"
#include "smish/gateway/session.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

/// One bind as the I/O thread last saw it.
struct BindSnapshot {
  std::string smsc;  ///< the SMSC's name (smsc.name; "-tx" for a separate reply bind)
  std::string bind;  ///< "0", "1", ... (smsc.binds) within that SMSC
  std::string mode;  ///< transceiver, receiver or transmitter
  bool bound = false;
  int in_flight = 0;               ///< deliver_sm handed to storage, not yet answered
  std::size_t submit_backlog = 0;  ///< replies queued or awaiting submit_sm_resp
  gateway::SessionStats stats;
};

/// What the storage thread last saw.
struct StorageSnapshot {
  PipelineStats pipeline;
  std::vector<storage::Store::EngineStat> engine;
  blocklist::ExportStats exports;
  std::uint64_t export_serial = 0;        ///< the current serial (0: none yet)
  std::int64_t export_published_ms = 0;   ///< when it was published (0: unknown)
  std::map<std::string, std::size_t> listed;     ///< entries of the last export by list (numbers, domains, ...)
  std::map<std::string, std::size_t> by_status;  ///< indicators by status, as of the last export's scan
};

/// The state /metrics, /health and /ready answer from. Each thread writes its own part; the HTTP
/// thread reads. Thread-safe.
class OpsState {
 public:
  void set_binds(std::vector<BindSnapshot> binds);
  void set_storage(StorageSnapshot snapshot);
  /// The ack path's latest synced write: ok, or why it failed (storage not writable).
  void set_inbox_write(bool ok, const std::string& why = "");
  /// Start-up done (storage recovered, sessions started); false again once stopping.
  void set_ready(bool ready);
  void count_reload(bool ok);

  struct Answer {
    int status = 200;
    std::string body;  ///< JSON
  };
  /// 200 when at least one bind is bound and storage is writable; 503 with the reasons otherwise.
  Answer health() const;
  /// 200 when started and not stopping; 503 otherwise.
  Answer ready() const;
  /// The Prometheus text exposition format 0.0.4. `now_ms`: for the export's age.
  std::string render_metrics(std::int64_t now_ms) const;

 private:
  mutable std::mutex mutex_;
  std::vector<BindSnapshot> binds_;
  StorageSnapshot storage_;
  bool inbox_ok_ = true;
  std::string inbox_error_;
  bool ready_ = false;
  std::uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  std::int64_t started_ms_ = 0;
};

/// HTTP/1.1 on its own thread (so a scrape never waits behind the storage thread):
/// GET /metrics, /health, /ready. Loopback by default; no secrets are served.
class OpsServer {
 public:
  /// Binds `listen` ("host:port", port 0 picks one). Errors: a bad address, the port in use.
  static core::Result<std::unique_ptr<OpsServer>> create(const std::string& listen, const OpsState& state);
  ~OpsServer();  ///< stops the thread
  std::uint16_t port() const;

  struct Impl;

 private:
  explicit OpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace smish::app
