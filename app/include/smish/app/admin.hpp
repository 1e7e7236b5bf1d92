// Analyst decisions (label, allow, block, unblock, revoke) and the admin socket smishd serves them on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "smish/app/config.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/core/asio.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/result.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

/// One analyst decision. The target is a report (report_id != 0, `label` only) or an indicator
/// (kind + value, already normalised by the caller: E.164, URL, host, domain or sender id).
struct Mutation {
  std::string action;                ///< label | allow | block | unblock | revoke
  std::uint64_t report_id = 0;       ///< the report to label; 0 when the target is an indicator
  core::IndicatorKind kind = core::IndicatorKind::Number;
  std::string value;
  std::optional<core::Label> label;  ///< label: scam | spam | legit
  std::string category;              ///< label: the analyst's category ("" keeps the classifier's)
  std::string note;                  ///< free text kept with the decision
  std::string reason;                ///< revoke: why (required)
  std::int64_t ttl_ms = 0;           ///< block, revoke: how long the decision holds; 0 until changed
  std::string actor;                 ///< who says they act ($USER or --actor)
};

/// The wire form (one JSON object) and its validation: unknown actions, a missing target, a
/// label without scam|spam|legit, a revoke without a reason, negative TTLs and over-long fields
/// are InvalidArgument.
core::Json to_json(const Mutation& m);
core::Result<Mutation> mutation_from_json(const core::Json& j);

/// The writer as the process that applies the decision sees it.
struct Writer {
  std::int64_t uid = -1;  ///< the OS user: SO_PEERCRED on the admin socket, geteuid() when direct
  std::string via;        ///< "smishd" (admin socket) or "direct" (smishctl with smishd stopped)
};

enum class MutationOutcome {
  Applied,    ///< changed and written (with its audit entry)
  Unchanged,  ///< already so: nothing written
  NotFound,   ///< no such report, or (unblock, revoke) no such indicator
  Refused,    ///< not allowed: a protected or unpublishable value cannot be blocked
};
std::string_view to_string(MutationOutcome o);

struct MutationResult {
  MutationOutcome outcome = MutationOutcome::Applied;
  std::string target;       ///< "report:12", "number:+37129999901", ...
  std::string message;      ///< one line for people
  core::Json before;        ///< the decision fields before (null: the indicator did not exist)
  core::Json after;         ///< and after
  std::uint64_t audit_seq = 0;  ///< the audit entry written (0: none)
};
core::Json to_json(const MutationResult& r);
core::Result<MutationResult> mutation_result_from_json(const core::Json& j);

/// Applies one decision to the store: reads the target, changes it, re-evaluates an indicator's
/// listing with `policy` at `now_ms` (analyst decisions are what blocklist::evaluate keeps:
/// allowlisted, revoked and confirmed by an "analyst:" actor), and writes it together with its
/// audit entry in one commit. Errors: storage failures, an invalid mutation. Runs on the store's
/// one thread (smishd: the storage thread).
core::Result<MutationResult> apply_mutation(storage::Store& store, const blocklist::PolicyConfig& policy,
                                            const Mutation& m, const Writer& writer, std::int64_t now_ms);

/// The admin socket of `config`: daemon.admin_socket, "<storage.path>.admin.sock" when that is
/// empty, "" when it is "off".
std::string admin_socket_path(const Config& config);

/// Counters of the admin socket.
struct AdminStats {
  std::uint64_t connections = 0, requests = 0, mutations = 0, refused_peers = 0, errors = 0;
};

/// The admin socket: a Unix-domain stream socket (mode 0600, peers of another uid than smishd's
/// or root refused), one JSON request a line, one JSON response a line:
///   {"op":"ping"}                       -> {"ok":true,"pid":N}
///   {"op":"mutate","mutation":{...}}   -> {"ok":true,"result":{...}} | {"ok":false,"error":"..."}
///   {"op":"backup","out":"/abs/dir"}    -> {"ok":true,"out":"...","ms":N} (a RocksDB checkpoint)
///   {"op":"forget","pseudonym":"p:..","actor":"name"} -> {"ok":true,"result":{...}} (app/forget.hpp)
///   {"op":"get","what":"indicator","kind":"number","value":"+3712..."} | {"op":"get","what":"report","id":N}
///                                       -> {"ok":true,"found":bool,"value":"<hex of the MessagePack>"}
///                                          (an indicator evaluated by smishd's policy, without its reporters)
///   {"op":"get","what":"lookup","keys":[[kind,value],...],"recent":N}
///                                       -> {"ok":true,"indicators":[hex,...],"reports":{"id":hex,...}}
///                                          (each found indicator and its N newest reports, without PDUs)
/// Runs entirely on the io_context's one thread, which must be the store's thread (smishd: the
/// storage thread), so that the store stays single-threaded. Destroy it after that io_context stopped.
class AdminServer {
 public:
  /// Listens on `path`. A stale socket file (nothing answers on it) is replaced; a live one or a
  /// file that is not a socket is an error, as is a path longer than a sockaddr_un holds.
  static core::Result<std::unique_ptr<AdminServer>> create(asio::io_context& io, const std::string& path,
                                                           storage::Store& store, blocklist::PolicyConfig policy,
                                                           const core::Clock& clock = core::SystemClock::instance());
  ~AdminServer();
  void start();
  /// Stops accepting, closes connections and removes the socket file.
  void stop();
  /// SIGHUP: decide by this policy from now on (on the io_context's thread).
  void set_policy(blocklist::PolicyConfig policy);
  const AdminStats& stats() const;

  struct Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Sends one request line to the admin socket at `path` and returns the response object.
/// Unavailable when nothing listens there (no socket file, connection refused): the caller may
/// then open the database itself. Any other error (a timeout, a malformed answer) leaves the
/// outcome unknown. Blocking; any thread.
core::Result<core::Json> admin_request(const std::string& path, const core::Json& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace smish::app
