// The pull endpoint: HTTP/1.1 (optionally TLS) serving the current export, serials and deltas.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "smish/blocklist/export.hpp"
#include "smish/core/asio.hpp"
#include "smish/core/result.hpp"

namespace smish::blocklist {

/// One request as the handler sees it (transport-independent).
struct PullRequest {
  std::string method;         ///< "GET", "HEAD", ...
  std::string target;         ///< origin-form, "/v1/files/domains.txt?x=y"
  std::string authorization;  ///< the Authorization header, "" when absent
  std::string if_none_match;  ///< the If-None-Match header, "" when absent
};

/// The answer: a status, headers, and either a small body or a file to stream.
struct PullResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;       ///< used when file is empty
  std::string file;       ///< path of a file to send as the body
  std::uint64_t file_size = 0;
  /// The value of header `name` (case-sensitive as set by the handler), "" when absent.
  std::string header(const std::string& name) const;
};

/// What the handler serves from.
struct PullContext {
  std::string out_dir;       ///< the export's out_dir (current -> serials/<N>)
  std::string bearer_token;  ///< "" only when the endpoint is loopback-only without a token
};

/// Answers one request (sans-I/O; reads the export directory). Routes, all GET or HEAD:
///   /healthz                          200 "ok" (no token needed)
///   /v1/manifest.json[.sig]           the current serial's manifest and its signature
///   /v1/files/<name>                  a file of the current serial (numbers.csv, rpz.zone, ...)
///   /v1/serials/<N>/<name>            a file of kept serial N (immutable; what a consumer that
///                                     read manifest N fetches to never mix serials)
///   /v1/deltas/<M>                    the current serial's delta from serial M; 410 when M is
///                                     older than the kept deltas (fetch the full files then)
/// Every response but /healthz needs `Authorization: Bearer <token>` (401 otherwise, compared in
/// constant time); credentials in the URL query (token=, access_token=, ...) or the token anywhere in
/// the URL are refused with 400 before anything else. Files carry a strong ETag (their sha256 from
/// the manifest) and If-None-Match gives 304. X-Smishd-Serial names the serial served.
PullResponse handle_pull_request(const PullRequest& request, const PullContext& context);

/// Counters of the pull endpoint.
struct PullStats {
  std::uint64_t connections = 0, requests = 0, not_modified = 0, unauthorized = 0, refused_url_credentials = 0,
                rejected_connections = 0, errors = 0;
};

/// The HTTP server on the daemon's io_context (Boost.Beast over C++20 coroutines). Runs entirely
/// on the io_context's one thread. Destroy it only after the io_context has stopped running.
class PullServer {
 public:
  /// Binds config.serve_listen ("host:port"; port 0 picks one). Reads the bearer token from
  /// config.bearer_token_file (>= 16 characters, not readable by every user) and, when both
  /// config.tls_cert_file and config.tls_key_file are set, serves HTTPS (TLS 1.2+). Refuses to
  /// listen beyond loopback without a token. Errors: bad address, bind failure, unreadable files.
  static core::Result<std::unique_ptr<PullServer>> create(asio::io_context& io, const ExportConfig& config);
  ~PullServer();

  /// Starts accepting (a coroutine on the io_context).
  void start();
  /// Stops accepting and closes open connections; pending handlers finish on the io_context.
  void stop();
  /// The bound port (useful with port 0).
  std::uint16_t port() const;
  bool tls() const;
  const PullStats& stats() const;

  struct Impl;

 private:
  explicit PullServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Splits "host:port" ("[v6]:port" too); false when malformed.
bool parse_listen(const std::string& listen, std::string& host, std::uint16_t& port);

}  // namespace smish::blocklist
