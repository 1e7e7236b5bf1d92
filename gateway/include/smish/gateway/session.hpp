// The SMPP 3.4 ESME session: connect, bind, receive deliver_sm, acknowledge after the sink made
// them durable, keep the link alive, reconnect with backoff, unbind on stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smish/core/asio.hpp"
#include "smish/core/report_sink.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/text.hpp"

namespace smish::gateway {

/// How to bind.
enum class BindMode { Transceiver, Receiver };
std::string_view to_string(BindMode mode);

/// One SMSC endpoint (config section `smsc`).
struct SmscConfig {
  std::string name = "main";              ///< Default: main. Names the endpoint in logs and reports.
  std::string host = "127.0.0.1";         ///< Default: 127.0.0.1.
  int port = 2775;                        ///< Default: 2775 (the IANA SMPP port).
  std::string system_id = "smishd";       ///< Default: smishd. <= 15 characters (SMPP 3.4 §4.1.1).
  std::string password;                   ///< Default: empty. <= 8 characters; never logged. Prefer password_file.
  std::string system_type;                ///< Default: empty. <= 12 characters.
  BindMode bind_mode = BindMode::Transceiver;  ///< Default: transceiver.
  int enquire_link_interval_s = 30;       ///< Default: 30. Idle probe interval.
  int response_timeout_ms = 5000;         ///< Default: 5000. Wait for bind_resp, enquire_link_resp, unbind_resp.
  int reconnect_min_ms = 500;             ///< Default: 500. First reconnect delay; doubles up to the max, with jitter.
  int reconnect_max_ms = 30000;           ///< Default: 30000.
  int max_pdu_size = 70000;               ///< Default: 70000. command_length above it: generic_nack and reconnect.
  std::uint32_t temp_error_status = 0x64; ///< Default: 0x64 ESME_RX_T_APPN. Status for "store failed, retry later".
  std::uint32_t perm_error_status = 0x65; ///< Default: 0x65 ESME_RX_P_APPN. Status for a malformed message.
  text::TextOptions text;                 ///< gsm7_packed, dcs0_override (keys gsm7_packed, dcs0_charset).
};

/// Counters a session keeps (read on the I/O thread).
struct SessionStats {
  std::uint64_t binds = 0, bind_failures = 0, connection_losses = 0;
  std::uint64_t deliver_sm = 0, acked_ok = 0, acked_temp = 0, acked_perm = 0, receipts = 0;
  std::uint64_t generic_nacks_sent = 0, decode_errors = 0;
};

/// One ESME connection to one SMSC, run as a coroutine on a single-threaded io_context.
/// Not thread-safe: every call on the io_context's thread.
class Session {
 public:
  Session(asio::io_context& io, SmscConfig config, core::ReportSink& sink);
  ~Session();

  /// Connects, binds and serves until stop(); reconnects with backoff on any failure.
  asio::awaitable<void> run();

  /// Stops taking new messages (temporary status), unbinds, waits for unbind_resp (bounded by
  /// response_timeout_ms) and makes run() return.
  void stop();

  bool bound() const { return bound_; }
  const SessionStats& stats() const { return stats_; }

  /// Called with true when a bind succeeds and false when the link is lost.
  std::function<void(bool)> on_bind_state;

 private:
  struct Conn;
  asio::awaitable<bool> connect_and_bind(Conn& conn);
  asio::awaitable<void> serve(Conn& conn);
  asio::awaitable<void> writer(std::shared_ptr<Conn> conn);
  asio::awaitable<void> keepalive(std::shared_ptr<Conn> conn);
  void handle_pdus(Conn& conn, const std::vector<std::string>& pdus);
  void send(Conn& conn, core::Result<std::string> pdu, std::string_view what);
  std::chrono::milliseconds next_backoff();

  asio::io_context& io_;
  SmscConfig config_;
  core::ReportSink& sink_;
  std::shared_ptr<Conn> conn_;
  asio::steady_timer stop_timer_;
  std::uint32_t next_seq_ = 1;
  bool stopping_ = false;
  bool bound_ = false;
  int backoff_attempt_ = 0;
  SessionStats stats_;
};

}  // namespace smish::gateway
