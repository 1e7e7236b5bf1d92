// The ESME session: coroutines for connect/bind, the read loop, one writer, and the keepalive.
#include "smish/gateway/session.hpp"

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

std::string_view to_string(BindMode mode) {
  return mode == BindMode::Transceiver ? "transceiver" : "receiver";
}

/// One TCP connection's state; shared by the reader, the writer and the keepalive coroutines.
struct Session::Conn {
  explicit Conn(asio::io_context& io, std::uint32_t max_pdu)
      : socket(io), framer(max_pdu), signal(io), probe_timer(io), unbind_timer(io) {
    signal.expires_at(asio::steady_timer::time_point::max());
  }
  asio::ip::tcp::socket socket;
  PduFramer framer;
  std::deque<std::string> out;        // encoded PDUs waiting for the writer
  asio::steady_timer signal;          // cancelled to wake the writer
  asio::steady_timer probe_timer;     // keepalive
  asio::steady_timer unbind_timer;    // bounds the wait for unbind_resp on stop
  bool closed = false;
  bool close_after_flush = false;
  bool awaiting_enquire_resp = false;
  std::vector<std::string> pending;   // PDUs framed but not handled yet

  void close() {
    if (closed) return;
    closed = true;
    error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
    signal.cancel();
    probe_timer.cancel();
    unbind_timer.cancel();
  }
};

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

}  // namespace

Session::Session(asio::io_context& io, SmscConfig config, core::ReportSink& sink)
    : io_(io), config_(std::move(config)), sink_(sink), stop_timer_(io) {}

Session::~Session() = default;

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
    auto conn = std::make_shared<Conn>(io_, static_cast<std::uint32_t>(config_.max_pdu_size));
    conn_ = conn;
    if (co_await connect_and_bind(*conn)) {
      backoff_attempt_ = 0;
      bound_ = true;
      if (on_bind_state) on_bind_state(true);
      co_await serve(*conn);
      bound_ = false;
      if (on_bind_state) on_bind_state(false);
      if (!stopping_) {
        ++stats_.connection_losses;
        core::log_warn("smpp_link_lost", {{"smsc", config_.name}});
      }
    }
    conn->close();
    conn_.reset();
    if (stopping_) break;
    auto delay = next_backoff();
    core::log_info("smpp_reconnect_wait", {{"smsc", config_.name}, {"delay_ms", delay.count()}});
    stop_timer_.expires_after(delay);
    error_code ec;
    co_await stop_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  core::log_info("smpp_session_stopped", {{"smsc", config_.name}});
}

awaitable<bool> Session::connect_and_bind(Conn& conn) {
  error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  auto endpoints = co_await resolver.async_resolve(config_.host, std::to_string(config_.port),
                                                   asio::redirect_error(use_awaitable, ec));
  if (ec) {
    core::log_warn("smpp_resolve_failed", {{"smsc", config_.name}, {"host", config_.host}, {"error", ec.message()}});
    co_return false;
  }
  {
    Watchdog dog(io_, conn.socket, std::chrono::milliseconds(config_.response_timeout_ms));
    co_await asio::async_connect(conn.socket, endpoints, asio::redirect_error(use_awaitable, ec));
  }
  if (ec) {
    core::log_warn("smpp_connect_failed", {{"smsc", config_.name}, {"host", config_.host}, {"port", config_.port},
                                           {"error", ec.message()}});
    co_return false;
  }
  conn.socket.set_option(asio::ip::tcp::no_delay(true), ec);

  BindBody body;
  body.system_id = config_.system_id;
  body.password = config_.password;
  body.system_type = config_.system_type;
  const std::uint32_t bind_cmd = config_.bind_mode == BindMode::Transceiver ? kBindTransceiver : kBindReceiver;
  const std::uint32_t seq = next_seq_++;
  auto pdu = encode::bind(bind_cmd, seq, body);
  if (!pdu) {
    core::log_error("smpp_bind_encode_failed", {{"smsc", config_.name}, {"error", pdu.error().detail}});
    co_return false;
  }
  co_await asio::async_write(conn.socket, asio::buffer(*pdu), asio::redirect_error(use_awaitable, ec));
  if (ec) co_return false;

  // Read until the bind response arrives, bounded by the response timeout.
  Watchdog dog(io_, conn.socket, std::chrono::milliseconds(config_.response_timeout_ms));
  std::array<char, 4096> buf{};
  while (true) {
    std::size_t n = co_await conn.socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      core::log_warn("smpp_bind_no_response", {{"smsc", config_.name},
                                               {"error", dog.fired() ? std::string("timeout") : ec.message()}});
      co_return false;
    }
    std::vector<std::string> pdus;
    auto st = conn.framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { pdus.emplace_back(p); });
    if (!st) {
      core::log_warn("smpp_bind_bad_frame", {{"smsc", config_.name}, {"error", st.error().detail}});
      co_return false;
    }
    for (std::size_t i = 0; i < pdus.size(); ++i) {
      const auto header = read_header(pdus[i]);
      if (header.command_id == (bind_cmd | kRespBit) && header.sequence_number == seq) {
        if (header.command_status != kEsmeRok) {
          ++stats_.bind_failures;
          core::log_error("smpp_bind_refused", {{"smsc", config_.name}, {"system_id", config_.system_id},
                                                {"status", status_name(header.command_status)}});
          co_return false;
        }
        ++stats_.binds;
        core::log_info("smpp_bound", {{"smsc", config_.name}, {"mode", to_string(config_.bind_mode)},
                                      {"system_id", config_.system_id}});
        conn.pending.assign(pdus.begin() + static_cast<long>(i) + 1, pdus.end());
        co_return true;
      }
      if (header.command_id == kGenericNack) {
        ++stats_.bind_failures;
        core::log_error("smpp_bind_nacked", {{"smsc", config_.name}, {"status", status_name(header.command_status)}});
        co_return false;
      }
    }
  }
}

awaitable<void> Session::serve(Conn& conn) {
  auto self = conn_;
  asio::co_spawn(io_, writer(self), [](std::exception_ptr e) { log_exception(e, "smpp writer"); });
  asio::co_spawn(io_, keepalive(self), [](std::exception_ptr e) { log_exception(e, "smpp keepalive"); });
  if (!conn.pending.empty()) {
    auto early = std::move(conn.pending);  // PDUs that came in the same read as bind_resp
    conn.pending.clear();
    handle_pdus(conn, early);
  }
  std::vector<char> buf(64 * 1024);
  while (!conn.closed) {
    error_code ec;
    std::size_t n = co_await conn.socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    std::vector<std::string> pdus;
    auto framed = conn.framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { pdus.emplace_back(p); });
    handle_pdus(conn, pdus);
    if (!framed) {
      // The stream cannot be resynchronised after a bad command_length (SMPP 3.4 §3.2).
      core::log_error("smpp_framing_error", {{"smsc", config_.name}, {"error", framed.error().detail}});
      ++stats_.generic_nacks_sent;
      send(conn, encode::header_only(kGenericNack, kEsmeRinvcmdlen, 0), "generic_nack");
      conn.close_after_flush = true;
      conn.signal.cancel_one();  // the writer flushes the nack, then closes; the read then ends
    }
  }
  conn.close();
}

void Session::send(Conn& conn, core::Result<std::string> pdu, std::string_view what) {
  if (!pdu) {
    core::log_error("smpp_encode_failed", {{"smsc", config_.name}, {"pdu", what}, {"error", pdu.error().detail}});
    return;
  }
  if (conn.closed) return;
  conn.out.push_back(std::move(*pdu));
  conn.signal.cancel_one();
}

void Session::handle_pdus(Conn& conn, const std::vector<std::string>& pdus) {
  std::vector<core::InboundSegment> batch;
  std::vector<std::uint32_t> batch_seq;
  const std::int64_t now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  for (const auto& raw : pdus) {
    auto decoded = decode_pdu(raw);
    const auto& h = decoded.pdu.header;
    if (!decoded.ok()) {
      ++stats_.decode_errors;
      core::log_warn("smpp_decode_error", {{"smsc", config_.name}, {"seq", h.sequence_number},
                                           {"command", command_name(h.command_id)}, {"error", decoded.error.detail}});
      if (decoded.error.generic_nack) {
        ++stats_.generic_nacks_sent;
        send(conn, encode::header_only(kGenericNack, decoded.error.command_status, h.sequence_number), "generic_nack");
      } else if (h.command_id == kDeliverSm) {
        ++stats_.acked_perm;
        send(conn, encode::sm_resp(kDeliverSmResp, decoded.error.command_status, h.sequence_number, ""), "deliver_sm_resp");
      } else if (!(h.command_id & kRespBit)) {
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
          core::log_warn("smpp_bad_deliver_sm", {{"smsc", config_.name}, {"seq", h.sequence_number},
                                                 {"error", seg.error().detail}});
          send(conn, encode::sm_resp(kDeliverSmResp, config_.perm_error_status, h.sequence_number, ""), "deliver_sm_resp");
          break;
        }
        if (core::is_delivery_receipt(body.esm_class)) {
          ++stats_.receipts;
          sink_.on_receipt(*seg);
          send(conn, encode::sm_resp(kDeliverSmResp, kEsmeRok, h.sequence_number, ""), "deliver_sm_resp");
          break;
        }
        batch.push_back(std::move(*seg));
        batch_seq.push_back(h.sequence_number);
        break;
      }
      case kEnquireLink:
        send(conn, encode::header_only(kEnquireLinkResp, kEsmeRok, h.sequence_number), "enquire_link_resp");
        break;
      case kEnquireLinkResp:
        conn.awaiting_enquire_resp = false;
        break;
      case kUnbind:
        core::log_info("smpp_unbind_by_smsc", {{"smsc", config_.name}});
        send(conn, encode::header_only(kUnbindResp, kEsmeRok, h.sequence_number), "unbind_resp");
        conn.close_after_flush = true;
        break;
      case kUnbindResp:
        core::log_info("smpp_unbound", {{"smsc", config_.name}});
        conn.close_after_flush = true;
        conn.signal.cancel_one();
        break;
      case kGenericNack:
        core::log_warn("smpp_generic_nack", {{"smsc", config_.name}, {"seq", h.sequence_number},
                                             {"status", status_name(h.command_status)}});
        break;
      case kSubmitSmResp:
        break;  // replies to reporters are fire-and-forget in this version
      default:
        if (!(h.command_id & kRespBit)) {
          // A request an ESME receiver does not serve (submit_sm, bind, ...) in the bound state.
          send(conn, encode::header_only(kGenericNack, kEsmeRinvcmdid, h.sequence_number), "generic_nack");
        }
        break;
    }
  }

  if (!batch.empty()) {
    // Acknowledge only what the sink made durable (one synced write for the whole read).
    auto statuses = sink_.accept(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto st = i < statuses.size() ? statuses[i] : core::AcceptStatus::TemporaryFailure;
      std::uint32_t status = kEsmeRok;
      if (st == core::AcceptStatus::TemporaryFailure) { status = config_.temp_error_status; ++stats_.acked_temp; }
      else if (st == core::AcceptStatus::PermanentFailure) { status = config_.perm_error_status; ++stats_.acked_perm; }
      else ++stats_.acked_ok;
      send(conn, encode::sm_resp(kDeliverSmResp, status, batch_seq[i], ""), "deliver_sm_resp");
    }
    // Classification and indicators run after the responses are on their way.
    asio::post(io_, [this] { sink_.process(); });
  }
}

awaitable<void> Session::writer(std::shared_ptr<Conn> conn) {
  while (!conn->closed) {
    while (!conn->out.empty() && !conn->closed) {
      error_code ec;
      co_await asio::async_write(conn->socket, asio::buffer(conn->out.front()), asio::redirect_error(use_awaitable, ec));
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
  while (!conn->closed) {
    error_code ec;
    conn->probe_timer.expires_after(std::chrono::seconds(config_.enquire_link_interval_s));
    co_await conn->probe_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (conn->closed) co_return;
    conn->awaiting_enquire_resp = true;
    send(*conn, encode::header_only(kEnquireLink, kEsmeRok, next_seq_++), "enquire_link");
    conn->probe_timer.expires_after(std::chrono::milliseconds(config_.response_timeout_ms));
    co_await conn->probe_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (conn->closed) co_return;
    if (conn->awaiting_enquire_resp) {
      core::log_warn("smpp_link_dead", {{"smsc", config_.name}, {"reason", "no enquire_link_resp"}});
      conn->close();
      co_return;
    }
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
  send(*conn, encode::header_only(kUnbind, kEsmeRok, next_seq_++), "unbind");
  // Bounded wait for unbind_resp: close regardless after the response timeout.
  conn->unbind_timer.expires_after(std::chrono::milliseconds(config_.response_timeout_ms));
  conn->unbind_timer.async_wait([conn](const error_code& ec) {
    if (!ec) conn->close();
  });
}

}  // namespace smish::gateway
