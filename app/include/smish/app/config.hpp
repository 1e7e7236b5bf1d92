// smishd's configuration: one YAML file, one section per component, validated before anything starts.
#pragma once

#include <string>
#include <vector>

#include "smish/app/replies.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/log.hpp"
#include "smish/core/result.hpp"
#include "smish/gateway/session.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

/// Logging settings (config section `log`).
struct LogConfig {
  core::LogLevel level = core::LogLevel::Info;        ///< Default: info.
  core::LogFormat format = core::LogFormat::KeyValue; ///< Default: kv (or json).
  bool content = false;  ///< Default: false. Log message text and full numbers (debugging only).
};

/// Daemon-level settings (config section `daemon`).
struct DaemonConfig {
  int process_interval_ms = 1000;  ///< Default: 1000. How often pending work (timed-out concatenations) is swept.
  /// Default: 127.0.0.1:9465. Prometheus /metrics, /health and /ready ("host:port"; port 0 picks
  /// one; "off": none). Loopback unless the operator says otherwise.
  std::string metrics_listen = "127.0.0.1:9465";
  std::string admin_socket;        ///< Default: "" = "<storage.path>.admin.sock"; "off": none. smishctl's writes go through it.
};

/// The whole configuration.
struct Config {
  gateway::SmscConfig smsc;
  storage::StorageConfig storage;
  classifier::ExtractConfig extract;     ///< section `classifier` (extraction keys)
  classifier::ClassifyConfig classify;   ///< section `classifier` (classification keys)
  blocklist::PolicyConfig blocklist;
  blocklist::ExportConfig exporter;      ///< section `export`
  LogConfig log;
  DaemonConfig daemon;
  ReplyConfig replies;
  std::string source;                    ///< the file it came from ("" for defaults)
};

/// Every problem found, one line each ("smsc.port: expected an integer in 1..65535, got \"abc\" (line 7)").
struct ConfigErrors {
  std::vector<std::string> problems;
};

/// Loads `path` ("" = defaults only), then applies `overrides` ("section.key=value", from --set).
/// Unknown keys, wrong types and out-of-range values are all reported, with key paths and lines.
/// Relative paths in the file (rules_dir, storage.path, ...) are taken relative to the working directory.
/// Secrets: smsc.password_file / smsc.password_env are read here; their values are never in errors.
core::Result<Config> load_config(const std::string& path, const std::vector<std::string>& overrides,
                                 ConfigErrors& errors);

/// The defaults as YAML with a comment per key (what configs/smishd.example.yaml holds).
std::string example_config();

}  // namespace smish::app
