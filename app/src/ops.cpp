// Operating smishd: the metrics and health state, and the loopback HTTP server that serves them.
#include "smish/app/ops.hpp"

#include <chrono>
#include <thread>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "smish/blocklist/pull_server.hpp"  // parse_listen
#include "smish/core/asio.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/log.hpp"

namespace smish::app {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Limits of the HTTP server, each with its reason:
constexpr std::size_t kMaxConnections = 16;              // a Prometheus server and a probe or two
constexpr auto kIoTimeout = std::chrono::seconds(10);     // a request and its answer, both small
constexpr std::uint32_t kMaxHeaderBytes = 8192;

/// Builds the families of one exposition, in the order they are first named.
class Families {
 public:
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    for (auto& f : families_)
      if (f.name == name) return f;
    families_.push_back(MetricFamily{name, help, type, {}});
    return families_.back();
  }
  void counter(const std::string& name, const std::string& help, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    family(name, help, MetricType::Counter).metric.push_back(std::move(m));
  }
  void gauge(const std::string& name, const std::string& help, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    family(name, help, MetricType::Gauge).metric.push_back(std::move(m));
  }
  void histogram(const std::string& name, const std::string& help, Labels labels, ClientMetric::Histogram h) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram = std::move(h);
    family(name, help, MetricType::Histogram).metric.push_back(std::move(m));
  }
  std::string text() const { return prometheus::TextSerializer().Serialize(families_); }

 private:
  std::vector<MetricFamily> families_;
};

Labels with(Labels base, std::initializer_list<ClientMetric::Label> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

void render_binds(Families& f, const std::vector<BindSnapshot>& binds) {
  for (const auto& b : binds) {
    const Labels l{{"smsc", b.smsc}, {"bind", b.bind}};
    const auto& s = b.stats;
    f.gauge("smishd_smpp_bound", "1 while the bind is bound to its SMSC", with(l, {{"mode", b.mode}}), b.bound ? 1 : 0);
    f.counter("smishd_smpp_binds_total", "successful binds (a reconnect binds again)", l, double(s.binds));
    f.counter("smishd_smpp_bind_failures_total", "bind_resp with an error status", l, double(s.bind_failures));
    f.counter("smishd_smpp_connect_failures_total", "TCP or TLS connects that failed", l, double(s.connect_failures));
    f.counter("smishd_smpp_connection_losses_total", "bound links that were lost", l, double(s.connection_losses));
    const char* pdus = "smishd_smpp_pdus_total";
    const char* pdus_help = "PDUs by direction, command and command_status (\"-\" for requests)";
    auto pdu = [&](const char* dir, const char* cmd, const char* status, std::uint64_t n) {
      f.counter(pdus, pdus_help, with(l, {{"direction", dir}, {"command", cmd}, {"status", status}}), double(n));
    };
    pdu("in", "deliver_sm", "-", s.deliver_sm);
    pdu("in", "invalid", "-", s.decode_errors);
    pdu("in", "enquire_link_resp", "ok", s.enquire_links_answered);
    pdu("in", "submit_sm_resp", "ok", s.submits_ok);
    pdu("in", "submit_sm_resp", "throttled", s.submits_throttled);
    pdu("in", "submit_sm_resp", "error", s.submits_failed);
    pdu("out", "deliver_sm_resp", "ok", s.acked_ok);
    pdu("out", "deliver_sm_resp", "temporary", s.acked_temp);
    pdu("out", "deliver_sm_resp", "permanent", s.acked_perm);
    pdu("out", "enquire_link", "-", s.enquire_links_sent);
    pdu("out", "submit_sm", "-", s.submits_sent);
    pdu("out", "generic_nack", "-", s.generic_nacks_sent);
    f.counter("smishd_smpp_delivery_receipts_total", "deliver_sm that were delivery receipts, not reports", l,
              double(s.receipts));
    f.counter("smishd_smpp_overload_temporary_total", "deliver_sm answered with the temporary status because the window was full",
              l, double(s.overload_temp));
    f.counter("smishd_store_batches_total", "synced inbox writes (group commit: fewer than deliver_sm under load)", l,
              double(s.store_batches));
    f.gauge("smishd_smpp_in_flight", "deliver_sm being stored, not yet answered", l, b.in_flight);
    f.gauge("smishd_smpp_submit_backlog", "replies queued on the bind or awaiting submit_sm_resp", l,
            double(b.submit_backlog));
    ClientMetric::Histogram h;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < gateway::SessionStats::kAckLatencyBounds.size(); ++i) {
      cumulative += s.ack_latency_buckets[i];
      h.bucket.push_back({cumulative, gateway::SessionStats::kAckLatencyBounds[i]});
    }
    cumulative += s.ack_latency_buckets.back();
    h.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
    h.sample_count = cumulative;
    h.sample_sum = s.ack_latency_sum_s;
    f.histogram("smishd_ack_latency_seconds", "deliver_sm read to deliver_sm_resp queued (the synced write is most of it)",
                l, std::move(h));
  }
}

void render_storage(Families& f, const StorageSnapshot& st, std::int64_t now_ms) {
  const auto& p = st.pipeline;
  f.counter("smishd_segments_accepted_total", "deliver_sm stored durably (then acknowledged)", {}, double(p.accepted));
  f.counter("smishd_dedup_hits_total", "deliver_sm recognised as redeliveries of stored ones", {}, double(p.duplicates));
  f.counter("smishd_store_failures_total", "deliver_sm that could not be stored (answered with the temporary status)", {},
            double(p.store_failures));
  f.counter("smishd_process_failures_total", "processing steps that failed (retried from the inbox)", {},
            double(p.process_failures));
  f.counter("smishd_reports_made_total", "reports made from whole messages", {{"kind", "complete"}}, double(p.reports - p.gap_reports));
  f.counter("smishd_reports_made_total", "reports made from whole messages", {{"kind", "with_gap"}}, double(p.gap_reports));
  for (const auto& [label, n] : p.by_label)
    f.counter("smishd_reports_total", "reports by the classifier's label", {{"label", label}}, double(n));
  for (const auto& [category, n] : p.by_category)
    f.counter("smishd_reports_by_category_total", "reports by the classifier's category", {{"category", category}}, double(n));
  f.gauge("smishd_pending_concatenation_parts", "parts of concatenated messages waiting for the rest", {},
          double(p.pending_parts));
  f.gauge("smishd_pending_concatenation_bytes", "bytes of those parts", {}, double(p.pending_bytes));
  f.gauge("smishd_outbox_depth", "replies in the persisted outbox (queued, in flight or waiting to retry)", {},
          double(p.outbox_depth));
  const std::pair<const char*, std::uint64_t> replies[] = {
      {"queued", p.replies_queued},   {"sent", p.replies_sent},       {"failed", p.replies_failed},
      {"dropped", p.replies_dropped}, {"retried", p.replies_retried}, {"capped", p.replies_capped},
      {"suppressed", p.replies_suppressed}};
  for (const auto& [outcome, n] : replies)
    f.counter("smishd_replies_total", "replies to reporters by outcome", {{"outcome", outcome}}, double(n));
  f.counter("smishd_reply_receipts_total", "delivery receipts of replies", {{"matched", "true"}}, double(p.receipts_matched));
  f.counter("smishd_reply_receipts_total", "delivery receipts of replies", {{"matched", "false"}}, double(p.receipts_unmatched));
  f.counter("smishd_sender_answers_total", "two-step answers that named the scammer's sender", {}, double(p.sender_answers));
  f.counter("smishd_reports_rate_capped_total", "reports stored without weight: their reporter was over its hourly or daily cap",
            {}, double(p.rate_capped));
  f.counter("smishd_allowlisted_reports_total", "report-indicator pairs naming an allowlisted (protected) value", {},
            double(p.allowlisted_reports));
  f.counter("smishd_allowlist_alerts_total", "allowlisted values reported by min_reporters distinct reporters (and each tenfold)",
            {}, double(p.allowlist_alerts));
  f.counter("smishd_retention_reduced_total", "reports reduced to indicators and a text fingerprint by retention", {},
            double(p.retention_reduced));

  for (const auto& e : st.engine) {
    const std::string name = "smishd_rocksdb_" + e.name;
    const bool counter = e.name.ends_with("_total");
    Labels l;
    if (!e.column_family.empty()) l.push_back({"column_family", e.column_family});
    const std::string help = "RocksDB property (" + e.name + ")";
    if (counter) f.counter(name, help, std::move(l), e.value);
    else f.gauge(name, help, std::move(l), e.value);
  }

  f.gauge("smishd_export_serial", "the current blocklist serial (0: none published yet)", {}, double(st.export_serial));
  if (st.export_published_ms > 0)
    f.gauge("smishd_export_age_seconds", "seconds since the current serial was published", {},
            double(now_ms - st.export_published_ms) / 1000.0);
  const std::pair<const char*, std::uint64_t> exports[] = {{"published", st.exports.published},
                                                           {"unchanged", st.exports.unchanged},
                                                           {"refused", st.exports.refused},
                                                           {"failed", st.exports.failed}};
  for (const auto& [outcome, n] : exports)
    f.counter("smishd_exports_total", "export runs by outcome (refused: the circuit breaker)", {{"outcome", outcome}}, double(n));
  for (const auto& [list, n] : st.listed)
    f.gauge("smishd_blocklist_entries", "entries of the last export by list", {{"list", list}}, double(n));
  for (const auto& [status, n] : st.by_status)
    f.gauge("smishd_indicators", "indicators by listing status, as of the last export's scan", {{"status", status}}, double(n));
}

}  // namespace

void OpsState::set_binds(std::vector<BindSnapshot> binds) {
  std::lock_guard lock(mutex_);
  binds_ = std::move(binds);
}

void OpsState::set_storage(StorageSnapshot snapshot) {
  std::lock_guard lock(mutex_);
  storage_ = std::move(snapshot);
}

void OpsState::set_inbox_write(bool ok, const std::string& why) {
  std::lock_guard lock(mutex_);
  inbox_ok_ = ok;
  inbox_error_ = ok ? "" : why;
}

void OpsState::set_ready(bool ready) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  if (ready && started_ms_ == 0) started_ms_ = core::to_unix_ms(core::SystemClock::instance().now());
}

void OpsState::count_reload(bool ok) {
  std::lock_guard lock(mutex_);
  ++(ok ? reloads_ok_ : reloads_failed_);
}

OpsState::Answer OpsState::health() const {
  std::lock_guard lock(mutex_);
  int bound = 0;
  for (const auto& b : binds_) bound += b.bound ? 1 : 0;
  std::vector<std::string> problems;
  if (bound == 0) problems.push_back("not bound to any SMSC");
  if (!inbox_ok_) problems.push_back("storage not writable: " + inbox_error_);
  for (const auto& e : storage_.engine) {
    if (e.name == "write_stopped" && e.value > 0) problems.push_back("storage not writable: RocksDB stopped writes");
    if (e.name == "background_errors_total" && e.value > 0) problems.push_back("storage not writable: RocksDB background error");
  }
  core::Json body{{"status", problems.empty() ? "ok" : "unhealthy"}, {"bound", bound},
                  {"binds", binds_.size()}, {"problems", problems}};
  return {problems.empty() ? 200 : 503, body.dump() + "\n"};
}

OpsState::Answer OpsState::ready() const {
  std::lock_guard lock(mutex_);
  core::Json body{{"status", ready_ ? "ready" : "not ready"}};
  return {ready_ ? 200 : 503, body.dump() + "\n"};
}

std::string OpsState::render_metrics(std::int64_t now_ms) const {
  Families f;
  std::lock_guard lock(mutex_);
  f.gauge("smishd_up", "1 while smishd runs; ready says whether it takes traffic", {{"ready", ready_ ? "true" : "false"}}, 1);
  if (started_ms_ > 0) f.gauge("smishd_start_time_seconds", "when start-up finished, Unix time", {}, double(started_ms_) / 1000.0);
  f.counter("smishd_config_reloads_total", "SIGHUP reloads by result (failed: the old configuration stays)",
            {{"result", "ok"}}, double(reloads_ok_));
  f.counter("smishd_config_reloads_total", "SIGHUP reloads by result (failed: the old configuration stays)",
            {{"result", "failed"}}, double(reloads_failed_));
  f.gauge("smishd_storage_writable", "0 when the last synced inbox write failed or RocksDB stopped writes", {},
          inbox_ok_ ? 1 : 0);
  render_binds(f, binds_);
  render_storage(f, storage_, now_ms);
  return f.text();
}

// ---- the HTTP server ---------------------------------------------------------------------------

struct OpsServer::Impl {
  const OpsState& state;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::size_t connections = 0;
  std::thread thread;

  explicit Impl(const OpsState& s) : state(s) {}

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "smishd");
    res.set(http::field::cache_control, "no-store");
    const std::string_view target(req.target().data(), req.target().size());
    const auto path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "GET or HEAD\n";
    } else if (path == "/metrics") {
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = state.render_metrics(core::to_unix_ms(core::SystemClock::instance().now()));
    } else if (path == "/health" || path == "/ready") {
      const auto a = path == "/health" ? state.health() : state.ready();
      res.result(static_cast<http::status>(a.status));
      res.set(http::field::content_type, "application/json");
      res.body() = a.body;
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "not found: /metrics, /health, /ready\n";
    }
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();
    return res;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (int served = 0; served < 100; ++served) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(0);  // requests have no body
      stream.expires_after(kIoTimeout);
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      auto res = answer(parser.get());
      const bool keep = res.keep_alive();
      stream.expires_after(kIoTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --connections;
  }

  asio::awaitable<void> accept_loop() {
    while (acceptor.is_open()) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) break;
      if (ec) {  // EMFILE and the like: back off instead of spinning
        asio::steady_timer backoff(io, std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections >= kMaxConnections) continue;  // the socket closes as it goes out of scope
      ++connections;
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

OpsServer::OpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpsServer::~OpsServer() {
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t OpsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

core::Result<std::unique_ptr<OpsServer>> OpsServer::create(const std::string& listen, const OpsState& state) {
  std::string host;
  std::uint16_t port = 0;
  if (!blocklist::parse_listen(listen, host, port))
    return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{:?}: expected host:port", listen));
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("{:?}: not an IP address", host));
  auto impl = std::make_unique<Impl>(state);
  const tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return core::make_error(core::ErrorCode::IoError, fmt::format("{}: {}", listen, ec.message()));
  if (!address.is_loopback())
    core::log_warn("ops_listening_beyond_loopback", {{"listen", listen}, {"note", "metrics and health carry no secrets but reveal traffic"}});
  asio::co_spawn(impl->io, impl->accept_loop(), asio::detached);
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  core::log_info("ops_listening", {{"host", host}, {"port", raw->acceptor.local_endpoint().port()}});
  return std::unique_ptr<OpsServer>(new OpsServer(std::move(impl)));
}

}  // namespace smish::app
