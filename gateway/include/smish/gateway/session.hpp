// The SMPP 3.4 ESME session: connect (TCP or TLS), bind, receive deliver_sm, acknowledge after the
// sink made them durable, keep the link alive, fail over and reconnect with backoff, unbind on stop.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "smish/core/asio.hpp"
#include "smish/core/report_sink.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/text.hpp"

namespace smish::gateway {

/// How to bind. A transmitter bind only sends replies (beside a receiver bind).
enum class BindMode { Transceiver, Receiver, Transmitter };
std::string_view to_string(BindMode mode);

/// One SMSC (config section `smsc`).
struct SmscConfig {
  std::string name = "main";              ///< Default: main. Names the SMSC in logs and reports.
  std::string host = "127.0.0.1";         ///< Default: 127.0.0.1.
  int port = 2775;                        ///< Default: 2775 (the IANA SMPP port).
  std::vector<std::string> endpoints;     ///< Default: none. "host:port" list tried in turn (failover); empty: host and port.
  int binds = 1;                          ///< Default: 1. Concurrent binds (sessions) to this SMSC.
  std::string system_id = "smishd";       ///< Default: smishd. <= 15 characters (SMPP 3.4 §4.1.1).
  std::string password;                   ///< Default: empty. <= 8 characters; never logged. Prefer password_file.
  std::string system_type;                ///< Default: empty. <= 12 characters.
  BindMode bind_mode = BindMode::Transceiver;  ///< Default: transceiver.
  bool tls = false;                       ///< Default: false. SMPP over TLS, server certificate always verified.
  std::string tls_ca_file;                ///< Default: none (system trust store). CA bundle for the SMSC's certificate.
  std::string tls_server_name;            ///< Default: the endpoint's host. Name the certificate must carry.
  int enquire_link_interval_s = 30;       ///< Default: 30. Probe after this long without any PDU from the SMSC.
  int response_timeout_ms = 5000;         ///< Default: 5000. Wait for bind_resp, enquire_link_resp, unbind_resp.
  int reconnect_min_ms = 500;             ///< Default: 500. First reconnect delay; doubles up to the max, with jitter.
  int reconnect_max_ms = 30000;           ///< Default: 30000.
  int max_pdu_size = 70000;               ///< Default: 70000. command_length above it: generic_nack and reconnect.
  int max_in_flight = 2000;               ///< Default: 2000. deliver_sm awaiting storage; beyond it, the temporary status.
  int drain_timeout_ms = 3000;            ///< Default: 3000. On stop, how long to wait for in-flight storage before unbinding.
  std::uint32_t temp_error_status = 0x64; ///< Default: 0x64 ESME_RX_T_APPN. Status for "store failed, retry later".
  std::uint32_t perm_error_status = 0x65; ///< Default: 0x65 ESME_RX_P_APPN. Status for a malformed message.
  int submit_window = 10;                 ///< Default: 10. submit_sm awaiting their response at once.
  int throttle_backoff_ms = 1000;         ///< Default: 1000. Pause after ESME_RTHROTTLED/ESME_RMSGQFUL; doubles to 60 s.
  text::TextOptions text;                 ///< gsm7_packed, dcs0_override (keys gsm7_packed, dcs0_charset).
};

/// A reply to send (submit_sm), identified by its outbox key.
struct Submission {
  std::string key;         ///< the outbox entry it comes from
  smpp::SmBody body;       ///< one part; a long reply is several submissions
};

/// The outcome of one submission: command_status of submit_sm_resp (or kEsmeRsyserr when the
/// link dropped before it), and the SMSC's message_id on success.
struct SubmitResult {
  std::string key;
  std::uint32_t status = 0;
  std::string message_id;
  bool retryable = false;  ///< the submission may be tried again later (link lost, timeout)
};

/// A delivery receipt for one of smishd's replies (SMPP 3.4 Appendix B).
struct Receipt {
  std::string message_id;  ///< receipted_message_id TLV, else "id:" in the text
  std::string state;       ///< "DELIVRD", "UNDELIV", ... ("stat:" in the text)
};
/// Parses a receipt deliver_sm's user data and TLVs; nullopt when it names no message id.
std::optional<Receipt> parse_receipt(const smpp::SmBody& body);

/// Counters a session keeps. Read on the I/O thread.
struct SessionStats {
  std::uint64_t binds = 0, bind_failures = 0, connect_failures = 0, connection_losses = 0;
  std::uint64_t deliver_sm = 0, acked_ok = 0, acked_temp = 0, acked_perm = 0, receipts = 0;
  std::uint64_t overload_temp = 0;  ///< temporary status because max_in_flight was reached
  std::uint64_t generic_nacks_sent = 0, decode_errors = 0, enquire_links_sent = 0, enquire_links_answered = 0;
  std::uint64_t store_batches = 0;  ///< synced writes; fewer than socket reads under load (group commit)
  std::uint64_t submits_sent = 0, submits_ok = 0, submits_throttled = 0, submits_failed = 0;
  /// Acknowledgement latency: from the socket read that brought a deliver_sm to its
  /// deliver_sm_resp being queued for sending (the synced write is most of it). Upper bounds in
  /// seconds; `ack_latency_buckets[i]` counts acks in (bound[i-1], bound[i]], the last one +Inf.
  static constexpr std::array<double, 12> kAckLatencyBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,  0.5,   1.0,  2.5};
  std::array<std::uint64_t, kAckLatencyBounds.size() + 1> ack_latency_buckets{};
  double ack_latency_sum_s = 0;
  void observe_ack_latency(double seconds);
};

/// One ESME bind to one SMSC, run as a coroutine on a single-threaded io_context (the I/O thread).
/// The sink runs on `sink_executor` (a storage thread), so a slow disk never delays
/// enquire_link_resp; batches that queue up while it writes are merged into one synced write.
/// Not thread-safe: call everything on the I/O thread.
class Session {
 public:
  Session(asio::io_context& io, SmscConfig config, core::ReportSink& sink, asio::any_io_executor sink_executor,
          int index = 0);
  ~Session();

  /// Connects, binds and serves until stop(); on any failure tries the next endpoint after a
  /// backoff. Returns after stop() once unbound (or after the bounded waits).
  asio::awaitable<void> run();

  /// Stops taking new messages (they get the temporary status), waits up to drain_timeout_ms for
  /// in-flight storage, unbinds, waits for unbind_resp (bounded by response_timeout_ms) and makes
  /// run() return.
  void stop();

  bool bound() const { return bound_; }
  const SmscConfig& config() const { return config_; }
  int index() const { return index_; }
  const SessionStats& stats() const { return stats_; }
  /// Segments handed to the sink and not yet answered.
  int in_flight() const { return in_flight_; }

  /// Queues a submit_sm. Sent while bound as transceiver or transmitter, at most submit_window at
  /// once; ESME_RTHROTTLED and ESME_RMSGQFUL put it back in the queue and pause sending with a
  /// doubling backoff. Every submission ends in exactly one on_submit_result call.
  void submit(Submission submission);
  /// Submissions queued or awaiting their response.
  std::size_t submit_backlog() const { return submit_queue_.size() + submit_pending_.size(); }
  /// True when this bind sends replies (transceiver or transmitter); can_submit() when also bound.
  bool submits() const { return config_.bind_mode != BindMode::Receiver; }
  bool can_submit() const { return bound_ && submits(); }

  /// Called with true when a bind succeeds and false when the link is lost.
  std::function<void(bool)> on_bind_state;
  /// Called on the I/O thread with each submission's outcome.
  std::function<void(const SubmitResult&)> on_submit_result;
  /// Called on the I/O thread with each delivery receipt (after it was acknowledged).
  std::function<void(const Receipt&)> on_receipt;

 private:
  struct Conn;
  struct Pending;
  asio::awaitable<bool> connect_and_bind(std::shared_ptr<Conn> conn, const std::string& host, int port);
  asio::awaitable<void> serve(std::shared_ptr<Conn> conn);
  asio::awaitable<void> writer(std::shared_ptr<Conn> conn);
  asio::awaitable<void> keepalive(std::shared_ptr<Conn> conn);
  asio::awaitable<void> drain_and_unbind(std::shared_ptr<Conn> conn);
  asio::awaitable<void> submitter(std::shared_ptr<Conn> conn);
  void fail_pending_submits();
  void handle_pdus(const std::shared_ptr<Conn>& conn, const std::vector<std::string>& pdus);
  void submit_to_sink(const std::shared_ptr<Conn>& conn, std::vector<core::InboundSegment> batch,
                      std::vector<std::uint32_t> seqs);
  void drain_sink_queue();  // runs on the sink executor
  void send(Conn& conn, core::Result<std::string> pdu, std::string_view what);
  std::chrono::milliseconds next_backoff();
  std::string tag() const;

  asio::io_context& io_;
  SmscConfig config_;
  core::ReportSink& sink_;
  asio::any_io_executor sink_exec_;
  int index_;
  std::shared_ptr<Conn> conn_;
  asio::steady_timer stop_timer_;
  std::uint32_t next_seq_ = 1;
  bool stopping_ = false;
  bool bound_ = false;
  int backoff_attempt_ = 0;
  std::size_t endpoint_ = 0;
  int in_flight_ = 0;
  SessionStats stats_;

  // Replies: queued, then in flight by sequence number (I/O thread only).
  std::deque<Submission> submit_queue_;
  struct InFlightSubmit {
    Submission submission;
    std::chrono::steady_clock::time_point sent;
  };
  std::map<std::uint32_t, InFlightSubmit> submit_pending_;
  std::chrono::steady_clock::time_point submit_paused_until_{};
  int throttle_streak_ = 0;

  // Batches waiting for the sink executor; shared between the two threads under mutex_.
  std::mutex mutex_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool drain_scheduled_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace smish::gateway
