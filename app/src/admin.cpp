// Analyst decisions applied to the store, the admin socket smishd serves them on, and its client.
#include "smish/app/admin.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "smish/blocklist/formats.hpp"
#include "smish/core/log.hpp"
#include "smish/app/forget.hpp"
#include "smish/storage/audit_log.hpp"

namespace smish::app {
namespace {

using core::ErrorCode;
using core::make_error;
using local = asio::local::stream_protocol;

// Limits, each with its reason:
constexpr std::size_t kMaxLine = 64 * 1024;        // a mutation is a few hundred octets
constexpr std::size_t kMaxAnswer = 4 << 20;        // a lookup's indicators and report texts, hex
constexpr std::size_t kMaxField = 4096;            // notes and reasons are sentences, not files
constexpr std::size_t kMaxConnections = 16;        // analysts' CLIs, one request each
constexpr int kMaxRequestsPerConnection = 100;     // smishctl sends one; scripts may pipeline a few
constexpr auto kIdleTimeout = std::chrono::seconds(10);  // a client that connects and says nothing
constexpr std::int64_t kMaxTtlMs = 10LL * 365 * 24 * 3600 * 1000;  // ten years: beyond it, use no TTL

const std::set<std::string> kActions = {"label", "allow", "block", "unblock", "revoke"};

bool by_analyst(const core::Indicator& i) { return i.status_actor.rfind("analyst", 0) == 0; }

core::Json decision_json(const core::Indicator& i) {
  return core::Json{{"status", core::to_string(i.status)}, {"status_reason", i.status_reason},
                    {"status_actor", i.status_actor}, {"expires_ms", i.expires_ms}};
}

core::Json decision_json(const core::Report& r) {
  return core::Json{{"analyst_label", r.analyst_label ? core::Json(core::to_string(*r.analyst_label)) : core::Json(nullptr)},
                    {"category", r.verdict.category}};
}

std::string with_note(std::string text, const std::string& note) {
  if (!note.empty()) text += ": " + note;
  return text;
}

std::string ttl_text(std::int64_t ttl_ms) {
  if (ttl_ms <= 0) return "";
  if (ttl_ms % (24 * 3600 * 1000) == 0) return fmt::format(" for {}d", ttl_ms / (24 * 3600 * 1000));
  if (ttl_ms % (3600 * 1000) == 0) return fmt::format(" for {}h", ttl_ms / (3600 * 1000));
  return fmt::format(" for {}s", ttl_ms / 1000);
}

core::Result<MutationResult> label_report(storage::Store& store, const Mutation& m, std::int64_t now_ms,
                                          storage::Commit& commit) {
  (void)now_ms;
  MutationResult res;
  res.target = "report:" + std::to_string(m.report_id);
  auto got = store.get_report(m.report_id);
  if (!got) return got.error();
  if (!got->has_value()) {
    res.outcome = MutationOutcome::NotFound;
    res.message = fmt::format("no report {}", m.report_id);
    return res;
  }
  core::Report r = std::move(**got);
  res.before = decision_json(r);
  const std::string old_category = r.verdict.category;
  r.analyst_label = m.label;
  if (!m.category.empty()) r.verdict.category = m.category;
  res.after = decision_json(r);
  if (res.before == res.after && m.note.empty()) {
    res.outcome = MutationOutcome::Unchanged;
    res.message = fmt::format("report {} is already labelled {}", m.report_id, core::to_string(*m.label));
    return res;
  }
  // The analyst's word joins the evidence; the classifier's category stays readable in it.
  std::string reason = fmt::format("analyst {}: {}", m.actor, core::to_string(*m.label));
  if (!m.category.empty() && m.category != old_category) reason += fmt::format(", category {} (was {})", m.category, old_category);
  r.verdict.reasons.push_back(with_note(std::move(reason), m.note));
  res.message = fmt::format("report {} labelled {} / {}", m.report_id, core::to_string(*m.label), r.verdict.category);
  commit.reports.push_back(std::move(r));
  return res;
}

core::Result<MutationResult> decide_indicator(storage::Store& store, const blocklist::PolicyConfig& policy,
                                              const Mutation& m, std::int64_t now_ms, storage::Commit& commit) {
  using S = core::IndicatorStatus;
  MutationResult res;
  res.target = fmt::format("{}:{}", core::to_string(m.kind), m.value);
  auto got = store.get_indicator(m.kind, m.value);
  if (!got) return got.error();
  const bool existed = got->has_value();
  if (!existed && (m.action == "unblock" || m.action == "revoke")) {
    res.outcome = MutationOutcome::NotFound;
    res.message = res.target + " has never been reported";
    return res;
  }
  core::Indicator ind;
  if (existed) {
    ind = std::move(**got);
  } else {
    ind.kind = m.kind;
    ind.value = m.value;
  }
  res.before = existed ? decision_json(ind) : core::Json(nullptr);
  const std::string actor = "analyst:" + m.actor;

  // label VALUE is one of the three decisions on the value.
  std::string action = m.action;
  if (action == "label") action = *m.label == core::Label::Scam ? "block" : *m.label == core::Label::Legit ? "allow" : "revoke";
  const std::string category = m.category.empty() ? "" : " (" + m.category + ")";

  auto decide = [&](S status, std::string reason, std::int64_t ttl_ms) {
    ind.status = status;
    ind.status_reason = std::move(reason);
    ind.status_actor = actor;
    ind.status_ms = now_ms;
    ind.expires_ms = ttl_ms > 0 ? now_ms + ttl_ms : 0;
  };
  if (action == "block") {
    std::string why;
    if (blocklist::is_protected(ind, policy, &why)) {
      res.outcome = MutationOutcome::Refused;
      res.message = fmt::format("{} is protected ({}): it is never listed", res.target, why);
      return res;
    }
    if (!blocklist::normalize_export_value(ind.kind, ind.value)) {
      res.outcome = MutationOutcome::Refused;
      res.message = fmt::format("{} cannot be published in a blocklist ({})", res.target,
                                ind.kind == core::IndicatorKind::Number
                                    ? "not an E.164 number: short codes and emergency numbers are never listed"
                                    : "not a valid " + std::string(core::to_string(ind.kind)));
      return res;
    }
    decide(S::Confirmed, with_note((m.action == "label" ? "labelled scam" : "blocked by analyst") + category, m.note),
           m.ttl_ms);
  } else if (action == "allow") {
    decide(S::Allowlisted, with_note((m.action == "label" ? "labelled legit" : "allowed by analyst") + category, m.note), 0);
  } else if (action == "revoke") {
    const std::string reason = m.action == "label" ? "labelled spam" + category : m.reason;
    decide(S::Revoked, with_note(reason, m.note), m.ttl_ms);
  } else {  // unblock: the policy decides again
    if (!by_analyst(ind)) {
      res.outcome = MutationOutcome::Unchanged;
      res.after = res.before;
      res.message = fmt::format("{} carries no analyst decision (status {} by {}); revoke removes a policy listing",
                                res.target, core::to_string(ind.status), ind.status_actor.empty() ? "policy" : ind.status_actor);
      return res;
    }
    ind.status = S::Observed;
    ind.status_reason.clear();
    ind.status_actor = "policy";
    ind.status_ms = now_ms;
    ind.expires_ms = 0;
  }
  blocklist::evaluate(ind, policy, now_ms);
  res.after = decision_json(ind);
  if (existed && res.before == res.after) {
    res.outcome = MutationOutcome::Unchanged;
    res.message = fmt::format("{} is already {}", res.target, core::to_string(ind.status));
    return res;
  }
  std::string was = existed ? fmt::format(" (was {})", res.before["status"].get<std::string>()) : " (new)";
  res.message = fmt::format("{}: {}{}{}", res.target, core::to_string(ind.status),
                            ind.expires_ms ? ttl_text(ind.expires_ms - now_ms) : "", was);
  commit.indicators.push_back(std::move(ind));
  return res;
}

}  // namespace

std::string_view to_string(MutationOutcome o) {
  switch (o) {
    case MutationOutcome::Applied: return "applied";
    case MutationOutcome::Unchanged: return "unchanged";
    case MutationOutcome::NotFound: return "not_found";
    case MutationOutcome::Refused: return "refused";
  }
  return "unknown";
}

core::Json to_json(const Mutation& m) {
  core::Json j{{"action", m.action}, {"actor", m.actor}};
  if (m.report_id) {
    j["report"] = m.report_id;
  } else {
    j["kind"] = core::to_string(m.kind);
    j["value"] = m.value;
  }
  if (m.label) j["label"] = core::to_string(*m.label);
  if (!m.category.empty()) j["category"] = m.category;
  if (!m.note.empty()) j["note"] = m.note;
  if (!m.reason.empty()) j["reason"] = m.reason;
  if (m.ttl_ms) j["ttl_ms"] = m.ttl_ms;
  return j;
}

core::Result<Mutation> mutation_from_json(const core::Json& j) {
  auto invalid = [](std::string what) { return make_error(ErrorCode::InvalidArgument, std::move(what)); };
  if (!j.is_object()) return invalid("a mutation is a JSON object");
  Mutation m;
  auto str = [&](const char* key, std::string& out) -> bool {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxField) return false;
    out = it->get<std::string>();
    return true;
  };
  std::string kind, label;
  if (!str("action", m.action) || !str("kind", kind) || !str("value", m.value) || !str("label", label) ||
      !str("category", m.category) || !str("note", m.note) || !str("reason", m.reason) || !str("actor", m.actor))
    return invalid(fmt::format("a field is not a string of at most {} octets", kMaxField));
  if (!kActions.count(m.action)) return invalid("unknown action \"" + m.action + "\"");
  if (m.actor.empty()) return invalid("no actor");
  if (auto it = j.find("report"); it != j.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0) return invalid("report: expected a report id");
    m.report_id = it->get<std::uint64_t>();
    if (m.action != "label") return invalid(m.action + " takes a value, not a report id");
  } else {
    auto k = core::parse_indicator_kind(kind);
    if (!k) return invalid("kind: expected number|url|host|domain|sender_id");
    m.kind = *k;
    if (m.value.empty()) return invalid("value: empty");
  }
  if (m.action == "label") {
    auto l = core::parse_label(label);
    if (!l || *l == core::Label::Unclear) return invalid("label: expected scam|spam|legit");
    m.label = l;
  } else if (!label.empty()) {
    return invalid("label: only for the label action");
  }
  if (auto it = j.find("ttl_ms"); it != j.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > kMaxTtlMs)
      return invalid("ttl_ms: expected 0..10 years in ms");
    m.ttl_ms = it->get<std::int64_t>();
    if (m.ttl_ms && m.action != "block" && m.action != "revoke") return invalid("a TTL is for block and revoke");
  }
  if (m.action == "revoke" && m.reason.empty()) return invalid("revoke needs a reason");
  return m;
}

core::Json to_json(const MutationResult& r) {
  core::Json j{{"outcome", to_string(r.outcome)}, {"target", r.target},   {"message", r.message},
               {"before", r.before},              {"after", r.after}};
  if (r.audit_seq) j["audit_seq"] = r.audit_seq;
  return j;
}

core::Result<MutationResult> mutation_result_from_json(const core::Json& j) {
  try {
    MutationResult r;
    const auto outcome = j.at("outcome").get<std::string>();
    bool known = false;
    for (auto o : {MutationOutcome::Applied, MutationOutcome::Unchanged, MutationOutcome::NotFound, MutationOutcome::Refused})
      if (to_string(o) == outcome) {
        r.outcome = o;
        known = true;
      }
    if (!known) return make_error(ErrorCode::InvalidArgument, "unknown outcome " + outcome);
    r.target = j.at("target").get<std::string>();
    r.message = j.value("message", "");
    r.before = j.value("before", core::Json(nullptr));
    r.after = j.value("after", core::Json(nullptr));
    r.audit_seq = j.value("audit_seq", std::uint64_t{0});
    return r;
  } catch (const std::exception& ex) {
    return make_error(ErrorCode::InvalidArgument, std::string("mutation result: ") + ex.what());
  }
}

core::Result<MutationResult> apply_mutation(storage::Store& store, const blocklist::PolicyConfig& policy,
                                            const Mutation& m, const Writer& writer, std::int64_t now_ms) {
  storage::Commit commit;
  auto res = m.report_id ? label_report(store, m, now_ms, commit) : decide_indicator(store, policy, m, now_ms, commit);
  if (!res || res->outcome != MutationOutcome::Applied) return res;
  // The audit entry goes into the same batch as the decision: neither is ever on disk alone.
  auto last = storage::last_audit(store);
  if (!last) return last.error();
  storage::AuditEntry entry;
  entry.at_ms = now_ms;
  entry.actor = m.actor;
  entry.uid = writer.uid;
  entry.via = writer.via;
  entry.action = m.label ? m.action + " " + std::string(core::to_string(*m.label)) : m.action;
  if (m.ttl_ms) entry.action += ttl_text(m.ttl_ms);
  entry.target = res->target;
  entry.before = res->before;
  entry.after = res->after;
  entry.note = m.reason.empty() ? m.note : m.note.empty() ? m.reason : m.reason + "; " + m.note;
  if (!m.category.empty()) entry.note = "category " + m.category + (entry.note.empty() ? "" : "; " + entry.note);
  res->audit_seq = storage::append_audit(commit, std::move(entry), *last).seq;
  commit.sync = true;  // an analyst's decision is acknowledged only once it is on disk
  if (auto s = store.commit(commit); !s) return s.error();
  return res;
}

std::string admin_socket_path(const Config& config) {
  const auto& configured = config.daemon.admin_socket;
  if (configured == "off") return "";
  if (!configured.empty()) return configured;
  std::string db = config.storage.path;
  while (db.size() > 1 && db.back() == '/') db.pop_back();
  return db + ".admin.sock";
}

// ---------------------------------------------------------------------------------------------
// The server.

struct AdminServer::Impl {
  Impl(asio::io_context& io, storage::Store& store, blocklist::PolicyConfig policy, const core::Clock& clock)
      : io(io), acceptor(io), store(store), policy(std::move(policy)), clock(clock) {}

  asio::io_context& io;
  local::acceptor acceptor;
  storage::Store& store;
  blocklist::PolicyConfig policy;
  const core::Clock& clock;
  std::string path;
  ino_t inode = 0;  // of the socket file we made: stop() removes only that one
  AdminStats stats;
  bool stopping = false;
  std::set<local::socket*> live;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(local::socket socket);
  core::Json handle(const std::string& line, std::int64_t peer_uid);
};

core::Json AdminServer::Impl::handle(const std::string& line, std::int64_t peer_uid) {
  auto fail = [](std::string error) { return core::Json{{"ok", false}, {"error", std::move(error)}}; };
  auto req = core::Json::parse(line, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("op") || !req["op"].is_string())
    return fail("expected a JSON object with an \"op\"");
  const auto op = req["op"].get<std::string>();
  if (op == "ping") return core::Json{{"ok", true}, {"pid", ::getpid()}};
  if (op == "backup") {
    // A checkpoint on this (the store's) thread: a flush and hard links, so it is quick; the ack
    // path writes on meanwhile.
    const auto out = req.value("out", std::string());
    if (out.empty() || out.front() != '/') return fail("backup needs \"out\": an absolute directory path");
    const auto started = std::chrono::steady_clock::now();
    if (auto st = store.checkpoint(out); !st) {
      ++stats.errors;
      core::log_error("admin_backup_failed", {{"out", out}, {"uid", peer_uid}, {"error", st.error().message()}});
      return fail(st.error().message());
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    core::log_info("admin_backup", {{"out", out}, {"uid", peer_uid}, {"ms", ms}});
    return core::Json{{"ok", true}, {"out", out}, {"ms", ms}};
  }
  if (op == "get") {
    // Point reads for smishctl lookup and report: microseconds on this thread, where opening a
    // secondary instance of a large database costs smishctl 100 ms and more.
    const auto what = req.value("what", std::string());
    // An indicator decided here, by smishd's own policy, and sent without what stays in the
    // database (the reporter pseudonyms, the first-time set, the sketch): a hot indicator's
    // reporter map alone is half a megabyte.
    auto indicator = [&](const std::string& kind_name, const std::string& value) -> core::Result<std::optional<core::Indicator>> {
      auto kind = core::parse_indicator_kind(kind_name);
      if (!kind) return core::make_error(ErrorCode::InvalidArgument, "unknown indicator kind \"" + kind_name + "\"");
      // Reporters counted while decoding: a hot indicator's map was most of a lookup's time here.
      auto ind = blocklist::read_evaluated(store, *kind, value, policy, core::to_unix_ms(clock.now()));
      if (!ind || !*ind) return ind;
      (*ind)->reporters.clear();
      (*ind)->newcomers.clear();
      (*ind)->sketch.clear();
      return ind;
    };
    if (what == "lookup") {
      // What smishctl lookup shows, in one round trip: each key's indicator and the texts of its
      // newest reports (without their PDUs).
      const auto recent = std::min<std::size_t>(req.value("recent", std::size_t{5}), 20);
      core::Json indicators = core::Json::array(), reports = core::Json::object();
      const auto keys = req.value("keys", core::Json::array());
      if (!keys.is_array() || keys.size() > 16) return fail("lookup needs \"keys\": at most 16 [kind, value] pairs");
      for (const auto& k : keys) {
        if (!k.is_array() || k.size() != 2 || !k[0].is_string() || !k[1].is_string()) return fail("a key is [kind, value]");
        auto ind = indicator(k[0].get<std::string>(), k[1].get<std::string>());
        if (!ind) return fail(ind.error().message());
        if (!*ind) continue;
        indicators.push_back(core::to_hex(core::encode_binary(core::to_json(**ind))));
        const auto& ids = (*ind)->recent_reports;
        for (std::size_t i = 0; i < ids.size() && i < recent; ++i) {
          const auto id = ids[ids.size() - 1 - i];
          if (reports.contains(std::to_string(id))) continue;  // a host's reports are its domain's too
          auto r = store.get_report(id);
          if (!r) return fail(r.error().message());
          if (!*r) continue;
          (*r)->raw_pdus.clear();
          reports[std::to_string(id)] = core::to_hex(core::encode_binary(core::to_json(**r)));
        }
      }
      return core::Json{{"ok", true}, {"indicators", std::move(indicators)}, {"reports", std::move(reports)}};
    }
    std::optional<std::string> bytes;
    if (what == "indicator") {
      auto ind = indicator(req.value("kind", std::string()), req.value("value", std::string()));
      if (!ind) return fail(ind.error().message());
      if (*ind) bytes = core::encode_binary(core::to_json(**ind));
    } else if (what == "report") {
      auto r = store.get_report(req.value("id", std::uint64_t{0}));
      if (!r) return fail(r.error().message());
      if (*r) bytes = core::encode_binary(core::to_json(**r));
    } else {
      return fail("get needs \"what\": indicator, report or lookup");
    }
    core::Json out{{"ok", true}, {"found", bytes.has_value()}};
    if (bytes) out["value"] = core::to_hex(*bytes);
    return out;
  }
  if (op == "forget") {
    const auto pseudonym = req.value("pseudonym", std::string());
    const auto actor = req.value("actor", std::string());
    if (pseudonym.empty() || actor.empty()) return fail("forget needs \"pseudonym\" and \"actor\"");
    auto res = forget_reporter(store, pseudonym, actor, Writer{peer_uid, "smishd"}, core::to_unix_ms(clock.now()));
    if (!res) {
      ++stats.errors;
      core::log_error("admin_forget_failed", {{"actor", actor}, {"uid", peer_uid}, {"error", res.error().message()}});
      return fail(res.error().message());
    }
    ++stats.mutations;
    core::log_info("admin_forget", {{"actor", actor}, {"uid", peer_uid}, {"reports", res->reports},
                                    {"indicators", res->indicators}, {"remaining", res->remaining}, {"audit_seq", res->audit_seq}});
    return core::Json{{"ok", true}, {"result", to_json(*res)}};
  }
  if (op != "mutate") return fail("unknown op \"" + op + "\"");
  auto m = mutation_from_json(req.value("mutation", core::Json()));
  if (!m) return fail(m.error().detail);
  ++stats.mutations;
  auto res = apply_mutation(store, policy, *m, Writer{peer_uid, "smishd"}, core::to_unix_ms(clock.now()));
  if (!res) {
    ++stats.errors;
    core::log_error("admin_mutation_failed", {{"action", m->action}, {"actor", m->actor}, {"error", res.error().message()}});
    return fail(res.error().message());
  }
  const std::string shown = m->report_id || m->kind != core::IndicatorKind::Number
                                ? res->target
                                : "number:" + core::redact_number(m->value);
  core::log_info("admin_mutation", {{"action", m->action}, {"target", shown}, {"actor", m->actor}, {"uid", peer_uid},
                                    {"outcome", to_string(res->outcome)}, {"audit_seq", res->audit_seq}});
  return core::Json{{"ok", true}, {"result", to_json(*res)}};
}

asio::awaitable<void> AdminServer::Impl::session(local::socket socket) {
  live.insert(&socket);
  struct Unregister {
    std::set<local::socket*>& live;
    local::socket* s;
    ~Unregister() { live.erase(s); }
  } unregister{live, &socket};
  boost::system::error_code ec;
  // The socket is 0600 already; the peer's uid is checked as well (and recorded in the audit log).
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    ++stats.errors;
    co_return;
  }
  if (cred.uid != ::geteuid() && cred.uid != 0) {
    ++stats.refused_peers;
    core::log_warn("admin_peer_refused", {{"uid", cred.uid}});
    co_return;
  }
  asio::steady_timer deadline(io);
  std::string buffer;
  for (int served = 0; served < kMaxRequestsPerConnection && !stopping; ++served) {
    deadline.expires_after(kIdleTimeout);
    deadline.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) socket.cancel();  // the wait was not cancelled: the client is idle too long
    });
    const std::size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxLine), '\n',
                                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::not_found) {  // longer than kMaxLine: answer once, then close
        const std::string too_long = R"({"ok":false,"error":"request line too long"})" "\n";
        co_await asio::async_write(socket, asio::buffer(too_long), asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    std::string line = buffer.substr(0, n - 1);
    buffer.erase(0, n);
    ++stats.requests;
    std::string out = handle(line, cred.uid).dump(-1, ' ', false, core::Json::error_handler_t::replace) + "\n";
    deadline.expires_after(kIdleTimeout);
    deadline.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) socket.cancel();
    });
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  deadline.cancel();
  socket.close(ec);
}

asio::awaitable<void> AdminServer::Impl::accept_loop() {
  while (!stopping) {
    boost::system::error_code ec;
    local::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      ++stats.errors;
      core::log_warn("admin_accept_failed", {{"error", ec.message()}});
      asio::steady_timer backoff(io, std::chrono::milliseconds(100));  // EMFILE and the like
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (live.size() >= kMaxConnections) {
      ++stats.errors;
      socket.close(ec);
      continue;
    }
    ++stats.connections;
    asio::co_spawn(io, session(std::move(socket)), [this](std::exception_ptr e) {
      if (!e) return;
      ++stats.errors;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        core::log_error("admin_session_crashed", {{"error", ex.what()}});
      }
    });
  }
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() {
  struct stat st {};
  if (impl_->inode && ::lstat(impl_->path.c_str(), &st) == 0 && st.st_ino == impl_->inode) ::unlink(impl_->path.c_str());
}

core::Result<std::unique_ptr<AdminServer>> AdminServer::create(asio::io_context& io, const std::string& path,
                                                               storage::Store& store, blocklist::PolicyConfig policy,
                                                               const core::Clock& clock) {
  if (path.empty()) return make_error(ErrorCode::InvalidArgument, "admin socket: empty path");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("admin socket {}: longer than {} octets (set daemon.admin_socket)", path,
                                  sizeof(sockaddr_un{}.sun_path) - 1));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(ErrorCode::InvalidArgument, "admin socket " + path + ": exists and is not a socket");
    auto probe = admin_request(path, core::Json{{"op", "ping"}}, std::chrono::milliseconds(500));
    if (probe || probe.error().code != ErrorCode::Unavailable)
      return make_error(ErrorCode::InvalidArgument, "admin socket " + path + ": another process serves it");
    ::unlink(path.c_str());  // stale: left by a smishd that was killed
  }
  auto impl = std::make_unique<Impl>(io, store, std::move(policy), clock);
  impl->path = path;
  boost::system::error_code ec;
  impl->acceptor.open(local(), ec);
  if (!ec) impl->acceptor.bind(local::endpoint(path), ec);
  // Connecting needs write permission on the socket file: 0600 leaves smishd's user (and root).
  if (!ec && ::chmod(path.c_str(), 0600) != 0) ec.assign(errno, boost::system::system_category());
  if (!ec) impl->acceptor.listen(static_cast<int>(kMaxConnections), ec);
  if (ec) {
    ::unlink(path.c_str());
    return make_error(ErrorCode::IoError, "admin socket " + path + ": " + ec.message());
  }
  if (::lstat(path.c_str(), &st) == 0) impl->inode = st.st_ino;
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

void AdminServer::start() {
  core::log_info("admin_listening", {{"path", impl_->path}});
  asio::co_spawn(impl_->io, impl_->accept_loop(), [this](std::exception_ptr e) {
    if (!e) return;
    ++impl_->stats.errors;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      core::log_error("admin_accept_crashed", {{"error", ex.what()}});
    }
  });
}

void AdminServer::stop() {
  impl_->stopping = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  for (auto* s : impl_->live) s->close(ec);
  struct stat st {};
  if (impl_->inode && ::lstat(impl_->path.c_str(), &st) == 0 && st.st_ino == impl_->inode) ::unlink(impl_->path.c_str());
  impl_->inode = 0;
}

void AdminServer::set_policy(blocklist::PolicyConfig policy) { impl_->policy = std::move(policy); }

const AdminStats& AdminServer::stats() const { return impl_->stats; }

// ---------------------------------------------------------------------------------------------
// The client: plain blocking POSIX calls with a deadline.

core::Result<core::Json> admin_request(const std::string& path, const core::Json& request,
                                       std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error(ErrorCode::InvalidArgument, "admin socket path \"" + path + "\" does not fit a sockaddr_un");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::IoError, std::string("socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    // Nothing listens: no file, a stale file, or a directory we may not enter.
    const bool nobody = err == ENOENT || err == ECONNREFUSED || err == ENOTDIR;
    return make_error(nobody ? ErrorCode::Unavailable : ErrorCode::IoError,
                      fmt::format("admin socket {}: {}", path, std::strerror(err)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait_for = [&](short events) -> core::Status {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return make_error(ErrorCode::IoError, "admin socket " + path + ": no answer in time");
      pollfd p{fd, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return {};
      if (r < 0 && errno != EINTR) return make_error(ErrorCode::IoError, std::string("poll: ") + std::strerror(errno));
    }
  };
  const std::string line = request.dump(-1, ' ', false, core::Json::error_handler_t::replace) + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    if (auto s = wait_for(POLLOUT); !s) return s.error();
    const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN)
      return make_error(ErrorCode::IoError, fmt::format("admin socket {}: {}", path, std::strerror(errno)));
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[4096];
  while (in.find('\n') == std::string::npos) {
    if (in.size() > kMaxAnswer) return make_error(ErrorCode::IoError, "admin socket " + path + ": answer too long");
    if (auto s = wait_for(POLLIN); !s) return s.error();
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return make_error(ErrorCode::IoError, "admin socket " + path + ": closed without an answer");
    if (n < 0 && errno != EINTR && errno != EAGAIN)
      return make_error(ErrorCode::IoError, fmt::format("admin socket {}: {}", path, std::strerror(errno)));
    if (n > 0) in.append(buf, static_cast<std::size_t>(n));
  }
  auto j = core::Json::parse(in.substr(0, in.find('\n')), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorCode::IoError, "admin socket " + path + ": not a JSON answer");
  return j;
}

}  // namespace smish::app
