// The ESME session: coroutines for connect/bind, the read loop, one writer and the keepalive on the
// I/O thread; the sink (storage) on its own executor, fed in merged batches (group commit).
#include "smish/gateway/session.hpp"

#include <boost/asio/ssl.hpp>

#include <random>
#include <vector>

#include "smish/core/clock.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/segment.hpp"

namespace smish::gateway {

using asio::awaitable;
using asio::use_awaitable;
using namespace smpp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

std::string_view to_string(BindMode mode) {
  switch (mode) {
    case BindMode::Transceiver: return "transceiver";
    case BindMode::Receiver: return "receiver";
    case BindMode::Transmitter: return "transmitter";
  }
  return "transceiver";
}

std::optional<Receipt> parse_receipt(const SmBody& body) {
  // SMPP 3.4 Appendix B: "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
  // date:YYMMDDhhmm stat:DDDDDDD err:E text: . . ." in short_message; receipted_message_id
  // (§5.3.2.12) and message_state (§5.3.2.35) TLVs where the SMSC sends them.
  Receipt r;
  auto field = [&](std::string_view text, std::string_view name) -> std::string {
    auto pos = text.find(name);
    if (pos == std::string_view::npos) return {};
    pos += name.size();
    auto end = text.find(' ', pos);
    return std::string(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  };
  if (const auto* id = body.find_tlv(kTagReceiptedMessageId)) {
    r.message_id = id->value;
    while (!r.message_id.empty() && r.message_id.back() == '\0') r.message_id.pop_back();
  }
  std::string_view text = body.short_message;
  if (text.empty())
    if (const auto* payload = body.find_tlv(kTagMessagePayload)) text = payload->value;
  if (r.message_id.empty()) r.message_id = field(text, "id:");
  r.state = field(text, "stat:");
  if (r.state.empty())
    if (const auto* st = body.find_tlv(kTagMessageState); st && st->value.size() == 1) {
      static const char* const kStates[] = {"SCHEDULED", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED",
                                            "UNDELIV",   "ACCEPTD", "UNKNOWN", "REJECTD", "SKIPPED"};
      const auto v = static_cast<unsigned char>(st->value[0]);
      if (v < std::size(kStates)) r.state = kStates[v];
    }
  if (r.message_id.empty()) return std::nullopt;
  return r;
}

/// One connection's state: shared by the reader, the writer, the keepalive and sink callbacks.
struct Session::Conn {
  explicit Conn(asio::io_context& io, std::uint32_t max_pdu)
      : socket(io), framer(max_pdu), signal(io), probe_timer(io), unbind_timer(io), submit_signal(io) {
    signal.expires_at(asio::steady_timer::time_point::max());
    submit_signal.expires_at(asio::steady_timer::time_point::max());
  }
  asio::ip::tcp::socket socket;
  std::unique_ptr<asio::ssl::context> tls_context;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls;
  PduFramer framer;
  std::deque<std::string> out;        // encoded PDUs waiting for the writer
  asio::steady_timer signal;          // cancelled to wake the writer
  asio::steady_timer probe_timer;     // keepalive
  asio::steady_timer unbind_timer;    // bounds the wait for unbind_resp on stop
  asio::steady_timer submit_signal;   // wakes the submitter
  Clock::time_point last_rx = Clock::now();
  bool closed = false;
  bool close_after_flush = false;
  bool awaiting_enquire_resp = false;
  bool unbinding = false;
  std::vector<std::string> pending;   // PDUs framed with the bind_resp, handled once bound

  awaitable<std::size_t> read_some(asio::mutable_buffer buf, error_code& ec) {
    if (tls) co_return co_await tls->async_read_some(buf, asio::redirect_error(use_awaitable, ec));
    co_return co_await socket.async_read_some(buf, asio::redirect_error(use_awaitable, ec));
  }
  awaitable<void> write_all(asio::const_buffer buf, error_code& ec) {
    if (tls) co_await asio::async_write(*tls, buf, asio::redirect_error(use_awaitable, ec));
    else co_await asio::async_write(socket, buf, asio::redirect_error(use_awaitable, ec));
  }
  void close() {
    if (closed) return;
    closed = true;
    error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
    signal.cancel();
    probe_timer.cancel();
    unbind_timer.cancel();
    submit_signal.cancel();
  }
};

/// One socket read's deliver_sm on their way to the sink and back.
struct Session::Pending {
  std::shared_ptr<Conn> conn;  // touched on the I/O thread only
  std::vector<core::InboundSegment> batch;
  std::vector<std::uint32_t> seqs;
  std::vector<core::AcceptStatus> statuses;
  std::chrono::steady_clock::time_point received;  // when the socket read that brought them ended
};

void SessionStats::observe_ack_latency(double seconds) {
  std::size_t i = 0;
  while (i < kAckLatencyBounds.size() && seconds > kAckLatencyBounds[i]) ++i;
  ++ack_latency_buckets[i];
  ack_latency_sum_s += seconds;
}

namespace {

/// Cancels `socket` unless disarmed before `timeout` passes: a deadline for one async operation
/// (Asio 1.18 has no cancellation slots).
class Watchdog {
 public:
  Watchdog(asio::io_context& io, asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout)
      : timer_(std::make_shared<asio::steady_timer>(io, timeout)) {
    timer_->async_wait([&socket, fired = fired_](const error_code& ec) {
      if (!ec) {
        *fired = true;
        error_code ignored;
        socket.cancel(ignored);
      }
    });
  }
  ~Watchdog() { timer_->cancel(); }
  bool fired() const { return *fired_; }

 private:
  std::shared_ptr<asio::steady_timer> timer_;
  std::shared_ptr<bool> fired_ = std::make_shared<bool>(false);
};

void log_exception(std::exception_ptr e, std::string_view what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    core::log_error("coroutine_failed", {{"what", what}, {"error", ex.what()}});
  }
}

/// "host:port" -> (host, port); the config loader has validated the form.
std::pair<std::string, int> split_endpoint(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  return {endpoint.substr(0, colon), std::atoi(endpoint.c_str() + colon + 1)};
}

}  // namespace

Session::Session(asio::io_context& io, SmscConfig config, core::ReportSink& sink, asio::any_io_executor sink_executor,
                 int index)
    : io_(io), config_(std::move(config)), sink_(sink), sink_exec_(std::move(sink_executor)), index_(index),
      stop_timer_(io) {}

Session::~Session() { *alive_ = false; }

std::string Session::tag() const { return config_.binds > 1 ? config_.name + "#" + std::to_string(index_) : config_.name; }

std::chrono::milliseconds Session::next_backoff() {
  // Exponential backoff with full jitter: a fleet of ESMEs does not reconnect in lockstep.
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int shift = std::min(backoff_attempt_++, 16);
  const std::int64_t ceiling = std::min<std::int64_t>(static_cast<std::int64_t>(config_.reconnect_min_ms) << shift,
                                                      config_.reconnect_max_ms);
  std::uniform_int_distribution<std::int64_t> dist(config_.reconnect_min_ms / 2, std::max<std::int64_t>(ceiling, 1));
  return std::chrono::milliseconds(dist(rng));
}

awaitable<void> Session::run() {
  while (!stopping_) {
    std::string host = config_.host;
    int port = config_.port;
    if (!config_.endpoints.empty()) std::tie(host, port) = split_endpoint(config_.endpoints[endpoint_ % config_.endpoints.size()]);
    auto conn = std::make_shared<Conn>(io_, static_cast<std::uint32_t>(config_.max_pdu_size));
    conn_ = conn;
    if (co_await connect_and_bind(conn, host, port)) {
      backoff_attempt_ = 0;
      bound_ = true;
      if (on_bind_state) on_bind_state(true);
      co_await serve(conn);
      bound_ = false;
      if (on_bind_state) on_bind_state(false);
      if (!stopping_) {
        ++stats_.connection_losses;
        core::log_warn("smpp_link_lost", {{"smsc", tag()}, {"host", host}, {"port", port}});
      }
    } else {
      ++endpoint_;  // fail over to the next endpoint, if any
    }
    conn->close();
    conn_.reset();
    if (stopping_) break;
    auto delay = next_backoff();
    core::log_info("smpp_reconnect_wait", {{"smsc", tag()}, {"delay_ms", delay.count()}});
    stop_timer_.expires_after(delay);
    error_code ec;
    co_await stop_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  fail_pending_submits();
  core::log_info("smpp_session_stopped", {{"smsc", tag()}});
}

awaitable<bool> Session::connect_and_bind(std::shared_ptr<Conn> conn, const std::string& host, int port) {
  error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  auto endpoints = co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(use_awaitable, ec));
  if (ec) {
    ++stats_.connect_failures;
    core::log_warn("smpp_resolve_failed", {{"smsc", tag()}, {"host", host}, {"error", ec.message()}});
    co_return false;
  }
  {
    Watchdog dog(io_, conn->socket, std::chrono::milliseconds(config_.response_timeout_ms));
    co_await asio::async_connect(conn->socket, endpoints, asio::redirect_error(use_awaitable, ec));
  }
  if (ec) {
    ++stats_.connect_failures;
    core::log_warn("smpp_connect_failed", {{"smsc", tag()}, {"host", host}, {"port", port}, {"error", ec.message()}});
    co_return false;
  }
  conn->socket.set_option(asio::ip::tcp::no_delay(true), ec);

  if (config_.tls) {
    conn->tls_context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    conn->tls_context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                                   asio::ssl::context::no_tlsv1_1);
    if (config_.tls_ca_file.empty()) conn->tls_context->set_default_verify_paths(ec);
    else conn->tls_context->load_verify_file(config_.tls_ca_file, ec);
    if (ec) {
      core::log_error("smpp_tls_ca_failed", {{"smsc", tag()}, {"ca_file", config_.tls_ca_file}, {"error", ec.message()}});
      co_return false;
    }
    conn->tls = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(conn->socket, *conn->tls_context);
    const std::string server_name = config_.tls_server_name.empty() ? host : config_.tls_server_name;
    conn->tls->set_verify_mode(asio::ssl::verify_peer);
    conn->tls->set_verify_callback(asio::ssl::host_name_verification(server_name));
    SSL_set_tlsext_host_name(conn->tls->native_handle(), server_name.c_str());  // SNI
    Watchdog dog(io_, conn->socket, std::chrono::milliseconds(config_.response_timeout_ms));
    co_await conn->tls->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      ++stats_.connect_failures;
      core::log_error("smpp_tls_handshake_failed", {{"smsc", tag()}, {"host", host}, {"port", port},
                                                     {"error", dog.fired() ? std::string("timeout") : ec.message()}});
      co_return false;
    }
  }

  BindBody body;
  body.system_id = config_.system_id;
  body.password = config_.password;
  body.system_type = config_.system_type;
  const std::uint32_t bind_cmd = config_.bind_mode == BindMode::Transceiver ? kBindTransceiver
                                 : config_.bind_mode == BindMode::Receiver  ? kBindReceiver
                                                                            : kBindTransmitter;
  const std::uint32_t seq = next_seq_++;
  auto pdu = encode::bind(bind_cmd, seq, body);
  if (!pdu) {
    core::log_error("smpp_bind_encode_failed", {{"smsc", tag()}, {"error", pdu.error().detail}});
    co_return false;
  }
  co_await conn->write_all(asio::buffer(*pdu), ec);
  if (ec) co_return false;

  // Read until the bind response arrives, bounded by the response timeout.
  Watchdog dog(io_, conn->socket, std::chrono::milliseconds(config_.response_timeout_ms));
  std::array<char, 4096> buf{};
  while (true) {
    std::size_t n = co_await conn->read_some(asio::buffer(buf), ec);
    if (ec) {
      ++stats_.connection_losses;
      core::log_warn("smpp_bind_no_response", {{"smsc", tag()}, {"host", host}, {"port", port},
                                               {"error", dog.fired() ? std::string("timeout") : ec.message()}});
      co_return false;
    }
    std::vector<std::string> pdus;
    auto st = conn->framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { pdus.emplace_back(p); });
    if (!st) {
      core::log_warn("smpp_bind_bad_frame", {{"smsc", tag()}, {"error", st.error().detail}});
      co_return false;
    }
    for (std::size_t i = 0; i < pdus.size(); ++i) {
      const auto header = read_header(pdus[i]);
      if (header.command_id == (bind_cmd | kRespBit) && header.sequence_number == seq) {
        if (header.command_status != kEsmeRok) {
          // Told apart from a lost connection: the SMSC answered and said no.
          ++stats_.bind_failures;
          core::log_error("smpp_bind_refused", {{"smsc", tag()}, {"system_id", config_.system_id},
                                                {"status", status_name(header.command_status)}});
          co_return false;
        }
        ++stats_.binds;
        core::log_info("smpp_bound", {{"smsc", tag()}, {"host", host}, {"port", port},
                                      {"mode", to_string(config_.bind_mode)}, {"tls", config_.tls},
                                      {"system_id", config_.system_id}});
        conn->pending.assign(pdus.begin() + static_cast<long>(i) + 1, pdus.end());
        co_return true;
      }
      if (header.command_id == kGenericNack) {
        ++stats_.bind_failures;
        core::log_error("smpp_bind_nacked", {{"smsc", tag()}, {"status", status_name(header.command_status)}});
        co_return false;
      }
      // Anything else before the bind completes is out of sequence (SMPP 3.4 §2.3): refuse requests.
      if (!(header.command_id & kRespBit)) {
        auto nack = header.command_id == kDeliverSm ? encode::sm_resp(kDeliverSmResp, kEsmeRinvbndsts, header.sequence_number, "")
                                                    : encode::header_only(kGenericNack, kEsmeRinvbndsts, header.sequence_number);
        if (nack) co_await conn->write_all(asio::buffer(*nack), ec);
      }
    }
  }
}

awaitable<void> Session::serve(std::shared_ptr<Conn> conn) {
  asio::co_spawn(io_, writer(conn), [](std::exception_ptr e) { log_exception(e, "smpp writer"); });
  asio::co_spawn(io_, keepalive(conn), [](std::exception_ptr e) { log_exception(e, "smpp keepalive"); });
  if (config_.bind_mode != BindMode::Receiver)
    asio::co_spawn(io_, submitter(conn), [](std::exception_ptr e) { log_exception(e, "smpp submitter"); });
  if (!conn->pending.empty()) {
    auto early = std::move(conn->pending);  // PDUs that came in the same read as bind_resp
    conn->pending.clear();
    handle_pdus(conn, early);
  }
  std::vector<char> buf(64 * 1024);
  while (!conn->closed) {
    error_code ec;
    std::size_t n = co_await conn->read_some(asio::buffer(buf), ec);
    if (ec) break;
    conn->last_rx = Clock::now();
    std::vector<std::string> pdus;
    auto framed = conn->framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { pdus.emplace_back(p); });
    handle_pdus(conn, pdus);
    if (!framed) {
      // The stream cannot be resynchronised after a bad command_length (SMPP 3.4 §3.2).
      core::log_error("smpp_framing_error", {{"smsc", tag()}, {"error", framed.error().detail}});
      ++stats_.generic_nacks_sent;
      send(*conn, encode::header_only(kGenericNack, kEsmeRinvcmdlen, 0), "generic_nack");
      conn->close_after_flush = true;
      conn->signal.cancel_one();  // the writer flushes the nack, then closes; the read then ends
    }
  }
  conn->close();
  // Submissions without a response go back to the front of the queue, for the next bind.
  for (auto it = submit_pending_.rbegin(); it != submit_pending_.rend(); ++it)
    submit_queue_.push_front(std::move(it->second.submission));
  submit_pending_.clear();
}

void Session::send(Conn& conn, core::Result<std::string> pdu, std::string_view what) {
  if (!pdu) {
    core::log_error("smpp_encode_failed", {{"smsc", tag()}, {"pdu", what}, {"error", pdu.error().detail}});
    return;
  }
  if (conn.closed) return;
  conn.out.push_back(std::move(*pdu));
  conn.signal.cancel_one();
}

void Session::handle_pdus(const std::shared_ptr<Conn>& conn_ptr, const std::vector<std::string>& pdus) {
  Conn& conn = *conn_ptr;
  std::vector<core::InboundSegment> batch;
  std::vector<std::uint32_t> batch_seq;
  const std::int64_t now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  for (const auto& raw : pdus) {
    auto decoded = decode_pdu(raw);
    const auto& h = decoded.pdu.header;
    if (!decoded.ok()) {
      ++stats_.decode_errors;
      core::log_warn("smpp_decode_error", {{"smsc", tag()}, {"seq", h.sequence_number},
                                           {"command", command_name(h.command_id)}, {"error", decoded.error.detail}});
      if (decoded.error.generic_nack) {
        ++stats_.generic_nacks_sent;
        send(conn, encode::header_only(kGenericNack, decoded.error.command_status, h.sequence_number), "generic_nack");
      } else if (h.command_id == kDeliverSm) {
        ++stats_.acked_perm;
        send(conn, encode::sm_resp(kDeliverSmResp, decoded.error.command_status, h.sequence_number, ""), "deliver_sm_resp");
      } else if (h.command_id == kDataSm) {
        send(conn, encode::sm_resp(kDataSmResp, decoded.error.command_status, h.sequence_number, ""), "data_sm_resp");
      } else if (!(h.command_id & kRespBit)) {
        ++stats_.generic_nacks_sent;
        send(conn, encode::header_only(kGenericNack, decoded.error.command_status, h.sequence_number), "generic_nack");
      }
      continue;
    }
    switch (h.command_id) {
      case kDeliverSm: {
        ++stats_.deliver_sm;
        const auto& body = std::get<SmBody>(decoded.pdu.body);
        if (stopping_) {  // shutting down: the SMSC keeps it and retries later
          ++stats_.acked_temp;
          send(conn, encode::sm_resp(kDeliverSmResp, config_.temp_error_status, h.sequence_number, ""), "deliver_sm_resp");
          break;
        }
        auto seg = make_segment(body, raw, config_.name, now_ms);
        if (!seg) {
          ++stats_.acked_perm;
          core::log_warn("smpp_bad_deliver_sm", {{"smsc", tag()}, {"seq", h.sequence_number}, {"error", seg.error().detail}});
          send(conn, encode::sm_resp(kDeliverSmResp, config_.perm_error_status, h.sequence_number, ""), "deliver_sm_resp");
          break;
        }
        if (core::is_delivery_receipt(body.esm_class)) {
          // A receipt for one of smishd's own replies: never a report.
          ++stats_.receipts;
          send(conn, encode::sm_resp(kDeliverSmResp, kEsmeRok, h.sequence_number, ""), "deliver_sm_resp");
          if (auto r = parse_receipt(body); r && on_receipt) on_receipt(*r);
          break;
        }
        if (in_flight_ + static_cast<int>(batch.size()) >= config_.max_in_flight) {
          // Bounded memory: beyond the limit the SMSC keeps the message and retries it.
          ++stats_.overload_temp;
          ++stats_.acked_temp;
          send(conn, encode::sm_resp(kDeliverSmResp, config_.temp_error_status, h.sequence_number, ""), "deliver_sm_resp");
          break;
        }
        batch.push_back(std::move(*seg));
        batch_seq.push_back(h.sequence_number);
        break;
      }
      case kEnquireLink:
        ++stats_.enquire_links_answered;
        send(conn, encode::header_only(kEnquireLinkResp, kEsmeRok, h.sequence_number), "enquire_link_resp");
        break;
      case kEnquireLinkResp:
        conn.awaiting_enquire_resp = false;
        break;
      case kUnbind:
        core::log_info("smpp_unbind_by_smsc", {{"smsc", tag()}});
        send(conn, encode::header_only(kUnbindResp, kEsmeRok, h.sequence_number), "unbind_resp");
        conn.close_after_flush = true;
        break;
      case kUnbindResp:
        core::log_info("smpp_unbound", {{"smsc", tag()}});
        conn.close_after_flush = true;
        conn.signal.cancel_one();
        break;
      case kGenericNack:
        core::log_warn("smpp_generic_nack", {{"smsc", tag()}, {"seq", h.sequence_number},
                                             {"status", status_name(h.command_status)}});
        break;
      case kSubmitSmResp: {
        auto it = submit_pending_.find(h.sequence_number);
        if (it == submit_pending_.end()) break;  // late, after a timeout: already retried
        Submission sub = std::move(it->second.submission);
        submit_pending_.erase(it);
        if (h.command_status == kEsmeRthrottled || h.command_status == kEsmeRmsgqful) {
          // The SMSC asks us to slow down: keep the reply, pause, retry (SMPP 3.4 §5.1.3).
          ++stats_.submits_throttled;
          const int shift = std::min(throttle_streak_++, 6);
          submit_paused_until_ = Clock::now() + std::chrono::milliseconds(std::min(config_.throttle_backoff_ms << shift, 60000));
          core::log_info("smpp_submit_throttled", {{"smsc", tag()}, {"seq", h.sequence_number},
                                                   {"status", status_name(h.command_status)}});
          submit_queue_.push_front(std::move(sub));
        } else {
          throttle_streak_ = 0;
          SubmitResult r;
          r.key = std::move(sub.key);
          r.status = h.command_status;
          if (h.command_status == kEsmeRok) {
            ++stats_.submits_ok;
            if (const auto* b = std::get_if<SmRespBody>(&decoded.pdu.body)) r.message_id = b->message_id;
          } else {
            ++stats_.submits_failed;
            core::log_warn("smpp_submit_failed", {{"smsc", tag()}, {"seq", h.sequence_number},
                                                  {"status", status_name(h.command_status)}});
          }
          if (on_submit_result) on_submit_result(r);
        }
        conn.submit_signal.cancel_one();
        break;
      }
      default:
        if (!(h.command_id & kRespBit)) {
          // A request an ESME does not serve (submit_sm, bind, ...) in the bound state.
          ++stats_.generic_nacks_sent;
          send(conn, encode::header_only(kGenericNack, kEsmeRinvcmdid, h.sequence_number), "generic_nack");
        }
        break;
    }
  }
  if (!batch.empty()) submit_to_sink(conn_ptr, std::move(batch), std::move(batch_seq));
}

void Session::submit_to_sink(const std::shared_ptr<Conn>& conn, std::vector<core::InboundSegment> batch,
                             std::vector<std::uint32_t> seqs) {
  auto p = std::make_shared<Pending>();
  p->conn = conn;
  p->batch = std::move(batch);
  p->seqs = std::move(seqs);
  p->received = std::chrono::steady_clock::now();
  in_flight_ += static_cast<int>(p->seqs.size());
  bool schedule = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(p);
    if (!drain_scheduled_) drain_scheduled_ = schedule = true;
  }
  if (schedule) asio::post(sink_exec_, [this, alive = alive_] {
    if (*alive) drain_sink_queue();
  });
}

void Session::drain_sink_queue() {
  // Runs on the sink executor. Every batch queued while the previous write was on its way to the
  // disk is merged into the next one: one synced write for all of them (group commit).
  while (true) {
    std::vector<std::shared_ptr<Pending>> taken;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        drain_scheduled_ = false;
        return;
      }
      taken.assign(queue_.begin(), queue_.end());
      queue_.clear();
    }
    std::vector<core::InboundSegment> all;
    for (auto& p : taken)
      for (auto& s : p->batch) all.push_back(std::move(s));
    auto statuses = sink_.accept(all);
    std::size_t k = 0;
    for (auto& p : taken) {
      p->statuses.reserve(p->seqs.size());
      for (std::size_t i = 0; i < p->seqs.size(); ++i, ++k)
        p->statuses.push_back(k < statuses.size() ? statuses[k] : core::AcceptStatus::TemporaryFailure);
      p->batch.clear();
    }
    asio::post(io_, [this, alive = alive_, taken = std::move(taken)] {
      if (!*alive) return;
      ++stats_.store_batches;
      const auto answered = std::chrono::steady_clock::now();
      for (const auto& p : taken) {
        const double latency = std::chrono::duration<double>(answered - p->received).count();
        in_flight_ -= static_cast<int>(p->seqs.size());
        for (std::size_t i = 0; i < p->seqs.size(); ++i) {
          std::uint32_t status = kEsmeRok;
          switch (p->statuses[i]) {
            case core::AcceptStatus::Stored:
            case core::AcceptStatus::Duplicate: ++stats_.acked_ok; break;
            case core::AcceptStatus::TemporaryFailure: status = config_.temp_error_status; ++stats_.acked_temp; break;
            case core::AcceptStatus::PermanentFailure: status = config_.perm_error_status; ++stats_.acked_perm; break;
          }
          // If the link dropped meanwhile the response is lost; the SMSC redelivers and the
          // de-duplication recognises the message.
          if (!p->conn->closed) {
            send(*p->conn, encode::sm_resp(kDeliverSmResp, status, p->seqs[i], ""), "deliver_sm_resp");
            stats_.observe_ack_latency(latency);
          }
        }
      }
    });
    // Classification and indicators: after the acknowledgements are on their way.
    sink_.process();
  }
}

void Session::submit(Submission submission) {
  submit_queue_.push_back(std::move(submission));
  if (conn_) conn_->submit_signal.cancel_one();
}

awaitable<void> Session::submitter(std::shared_ptr<Conn> conn) {
  const auto timeout = std::chrono::milliseconds(config_.response_timeout_ms);
  while (!conn->closed) {
    const auto now = Clock::now();
    // A submit_sm without a response in time is given up on this link and retried later.
    for (auto it = submit_pending_.begin(); it != submit_pending_.end();) {
      if (now - it->second.sent < timeout) { ++it; continue; }
      core::log_warn("smpp_submit_timeout", {{"smsc", tag()}, {"seq", it->first}});
      submit_queue_.push_front(std::move(it->second.submission));
      it = submit_pending_.erase(it);
    }
    const bool paused = now < submit_paused_until_;
    if (!paused && !stopping_) {
      while (!submit_queue_.empty() && static_cast<int>(submit_pending_.size()) < config_.submit_window) {
        Submission sub = std::move(submit_queue_.front());
        submit_queue_.pop_front();
        const std::uint32_t seq = next_seq_++;
        auto pdu = encode::sm(kSubmitSm, seq, sub.body);
        if (!pdu) {
          ++stats_.submits_failed;
          core::log_error("smpp_submit_encode_failed", {{"smsc", tag()}, {"error", pdu.error().detail}});
          if (on_submit_result) on_submit_result(SubmitResult{sub.key, kEsmeRsyserr, "", false});
          continue;
        }
        ++stats_.submits_sent;
        submit_pending_.emplace(seq, InFlightSubmit{std::move(sub), now});
        send(*conn, std::move(pdu), "submit_sm");
      }
    }
    // Sleep until woken (a new submission, a response) or until the next deadline.
    auto wake = Clock::now() + timeout;
    if (paused) wake = std::min(wake, submit_paused_until_);
    conn->submit_signal.expires_at(wake);
    error_code ec;
    co_await conn->submit_signal.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void Session::fail_pending_submits() {
  // The session is over: whatever was not sent stays in the sink's outbox for the next start.
  for (auto& [seq, p] : submit_pending_) submit_queue_.push_front(std::move(p.submission));
  submit_pending_.clear();
  while (!submit_queue_.empty()) {
    auto sub = std::move(submit_queue_.front());
    submit_queue_.pop_front();
    if (on_submit_result) on_submit_result(SubmitResult{sub.key, kEsmeRsyserr, "", true});
  }
}

awaitable<void> Session::writer(std::shared_ptr<Conn> conn) {
  while (!conn->closed) {
    while (!conn->out.empty() && !conn->closed) {
      error_code ec;
      co_await conn->write_all(asio::buffer(conn->out.front()), ec);
      if (ec) {
        conn->close();
        co_return;
      }
      conn->out.pop_front();
    }
    if (conn->close_after_flush) {
      conn->close();
      co_return;
    }
    error_code ec;
    co_await conn->signal.async_wait(asio::redirect_error(use_awaitable, ec));
    conn->signal.expires_at(asio::steady_timer::time_point::max());
  }
}

awaitable<void> Session::keepalive(std::shared_ptr<Conn> conn) {
  const auto interval = std::chrono::seconds(config_.enquire_link_interval_s);
  while (!conn->closed) {
    // Probe only an idle link: any PDU from the SMSC proves it alive.
    error_code ec;
    conn->probe_timer.expires_at(conn->last_rx + interval);
    co_await conn->probe_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (conn->closed) co_return;
    if (Clock::now() - conn->last_rx < interval) continue;
    conn->awaiting_enquire_resp = true;
    ++stats_.enquire_links_sent;
    send(*conn, encode::header_only(kEnquireLink, kEsmeRok, next_seq_++), "enquire_link");
    conn->probe_timer.expires_after(std::chrono::milliseconds(config_.response_timeout_ms));
    co_await conn->probe_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (conn->closed) co_return;
    if (conn->awaiting_enquire_resp) {
      core::log_warn("smpp_link_dead", {{"smsc", tag()}, {"reason", "no enquire_link_resp"}});
      conn->close();
      co_return;
    }
  }
}

awaitable<void> Session::drain_and_unbind(std::shared_ptr<Conn> conn) {
  // Wait (bounded) until what the SMSC sent is stored and answered, then unbind.
  asio::steady_timer t(io_);
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
  while (in_flight_ > 0 && !conn->closed && Clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(5));
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (in_flight_ > 0) core::log_warn("smpp_drain_timeout", {{"smsc", tag()}, {"in_flight", in_flight_}});
  if (conn->closed) co_return;
  conn->unbinding = true;
  send(*conn, encode::header_only(kUnbind, kEsmeRok, next_seq_++), "unbind");
  // Bounded wait for unbind_resp: close regardless after the response timeout.
  conn->unbind_timer.expires_after(std::chrono::milliseconds(config_.response_timeout_ms));
  error_code ec;
  co_await conn->unbind_timer.async_wait(asio::redirect_error(use_awaitable, ec));
  if (!ec) {
    core::log_warn("smpp_unbind_timeout", {{"smsc", tag()}});
    conn->close();
  }
}

void Session::stop() {
  if (stopping_) return;
  stopping_ = true;
  stop_timer_.cancel();
  auto conn = conn_;
  if (!conn || conn->closed) return;
  if (!bound_) {
    conn->close();
    return;
  }
  asio::co_spawn(io_, drain_and_unbind(conn), [](std::exception_ptr e) { log_exception(e, "smpp unbind"); });
}

}  // namespace smish::gateway
