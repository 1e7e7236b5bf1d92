// smsc-sim: an SMPP 3.4 SMSC simulator (corpus, delivery tracker, server) for loopback tests and benchmarks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smish/core/asio.hpp"
#include "smish/core/json.hpp"
#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/pdu.hpp"
#include "smish/gateway/text.hpp"

namespace smish::sim {

// ---------------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------------

/// How a corpus message is cut into deliver_sm PDUs.
enum class SplitMode {
  None,     ///< one PDU; a text that does not fit one SMS is an error
  Udh8,     ///< UDH IEI 0x00 (8-bit ref), esm_class 0x40; 153 septets / 134 latin1 / 67 UCS2 units per part
  Udh16,    ///< UDH IEI 0x08 (16-bit ref), esm_class 0x40; 152 / 133 / 66
  Sar,      ///< SMPP 3.4 §5.3.2.22-24 sar_* TLVs; 160 / 140 / 70 per part
  Payload,  ///< whole message in message_payload (SMPP 3.4 §5.3.2.32), sm_length 0
};
std::string_view to_string(SplitMode mode);
/// "none|udh8|udh16|sar|payload"
std::optional<SplitMode> parse_split_mode(std::string_view name);

/// One corpus line, validated.
struct CorpusMessage {
  std::size_t line = 0;                 ///< 1-based line number in the corpus file
  std::string src;                      ///< as written, "+37120000001"
  std::string dst;                      ///< as written, "12250"
  std::string text;                     ///< UTF-8
  gateway::text::Charset coding = gateway::text::Charset::Gsm7;  ///< Gsm7, Latin1 or Ucs2
  bool coding_given = false;            ///< false: chosen (gsm7 if encodable, else ucs2)
  SplitMode split = SplitMode::None;
  bool split_given = false;             ///< false: none if it fits one SMS, else udh8
};

/// Parses one JSONL line (`line_no` is 1-based, used in errors). Fields: src, dst, text (strings,
/// required), coding "gsm7|latin1|ucs2" (optional: gsm7 if encodable else ucs2), split
/// "none|udh8|udh16|sar|payload" (optional: none if it fits one SMS else udh8); other fields are
/// ignored. Errors are InvalidArgument with "line N: <field>: <why>" (including an explicit
/// split "none" for a text that does not fit one SMS, or a text that needs more than 255 parts).
/// Pure; any thread.
core::Result<CorpusMessage> parse_corpus_line(std::string_view line, std::size_t line_no);

/// Parses a whole JSONL corpus; blank lines are skipped. `max_suffix` is the longest text that
/// --vary may append (" #<n>"): every line must still fit with it. Stops at the first bad line.
core::Result<std::vector<CorpusMessage>> parse_corpus(std::string_view jsonl, std::size_t max_suffix = 0);
/// Reads and parses a corpus file; IoError when it cannot be read.
core::Result<std::vector<CorpusMessage>> load_corpus(const std::string& path, std::size_t max_suffix = 0);

/// Options for turning a message into PDUs.
struct BuildOptions {
  std::uint16_t ref = 0;        ///< concatenation reference (udh8 uses the low 8 bits)
  bool split_blind = false;     ///< split by octets without keeping GSM escapes / surrogate pairs whole
  std::string text_suffix;      ///< appended to the text first (--vary)
};

/// Builds the deliver_sm bodies for one message (one per part, in order). Addresses: a "+" source
/// or destination is sent without the "+" as TON 1 (international) NPI 1; all-digit addresses as
/// TON 0 NPI 1; anything else (an alphanumeric sender) as TON 5 NPI 0. Short codes are therefore
/// TON 0 NPI 1. GSM 7-bit is unpacked (data_coding 0), Latin-1 data_coding 3, UCS2 data_coding 8.
/// Errors (InvalidArgument, naming the line): text not encodable in the coding, split none for a
/// text that does not fit, more than 255 parts. Pure; any thread.
core::Result<std::vector<gateway::smpp::SmBody>> build_deliver_parts(const CorpusMessage& msg,
                                                                    const BuildOptions& options);

// ---------------------------------------------------------------------------------------------
// Delivery tracker (sans-I/O: time is passed in)
// ---------------------------------------------------------------------------------------------

using SteadyTime = std::chrono::steady_clock::time_point;

/// Final status recorded for a PDU (and message) that never got an answer after all retries.
inline constexpr std::uint32_t kStatusNoResponse = 0xFFFFFFFF;
/// "NO_RESPONSE" for kStatusNoResponse, else gateway::smpp::status_name.
std::string final_status_name(std::uint32_t status);

/// Delivery policy. Defaults match the smsc-sim command line.
struct TrackerConfig {
  std::size_t window = 10;                                ///< outstanding deliver_sm. Default: 10
  double rate_msgs_per_s = 0;                             ///< new messages per second; 0 = unlimited
  std::uint32_t rate_burst = 16;                          ///< token bucket size for --rate. Default: 16
  std::vector<std::uint32_t> temp_statuses{0x64, 0x14, 0x58, 0x08};  ///< redelivered on these
  std::chrono::milliseconds resp_timeout{5000};           ///< no deliver_sm_resp: redeliver. Default: 5000
  std::chrono::milliseconds retry_delay{200};             ///< wait before a redelivery. Default: 200
  std::uint32_t max_retries = 10;                         ///< then the PDU fails. Default: 10
};

/// What a response did.
enum class ResponseOutcome { Unknown, Completed, Retry, Failed };

/// Statistics the summary is built from.
struct TrackerStats {
  std::uint64_t messages_added = 0;
  std::uint64_t messages_sent = 0;    ///< messages with at least one part sent
  std::uint64_t messages_final = 0;
  std::uint64_t pdus_sent = 0;        ///< every deliver_sm sent, redeliveries included
  std::uint64_t retried = 0;          ///< redeliveries (temporary error, timeout, connection drop)
  std::uint64_t timeouts = 0;
  std::map<std::uint32_t, std::uint64_t> final_by_status;  ///< per message: ROK or the failing status
  std::vector<std::int64_t> latency_us;  ///< per PDU with a final response: last send to response
  std::optional<SteadyTime> first_send;
  std::optional<SteadyTime> last_final;
};

/// Window, retries and timeouts for deliver_sm, driven by explicit `now` values (no clock, no I/O).
/// Messages are added as whole lists of parts; each part is sent, answered, retried independently.
/// A message is final when all its parts are final; its status is ROK when all parts were ROK,
/// else the first failing part's final status. Not thread-safe; the server uses it on its I/O thread.
class DeliveryTracker {
 public:
  using PartId = std::uint64_t;

  /// `expected_messages`: how many messages the run delivers in total (for done()).
  DeliveryTracker(TrackerConfig config, std::uint64_t expected_messages);

  /// True when another message may be added now: fewer than `expected` added, nothing waiting
  /// unsent, window not full, and the rate allows it.
  bool wants_message(SteadyTime now) const;
  /// Adds a message (at least one part). Advances the rate schedule.
  void add_message(std::vector<gateway::smpp::SmBody> parts, SteadyTime now);
  /// Counts a message that could not be built as final with `status` (it is never sent).
  void add_failed_message(std::uint32_t status, SteadyTime now);

  /// A part ready to send now (window not full, retry delay passed), or nullopt.
  std::optional<PartId> next_ready(SteadyTime now) const;
  const gateway::smpp::SmBody& body(PartId id) const;
  /// Records that `id` was sent with `sequence_number` at `now`.
  void mark_sent(PartId id, std::uint32_t sequence_number, SteadyTime now);

  /// A deliver_sm_resp (or generic_nack) for `sequence_number`. Unknown: not an outstanding
  /// deliver_sm of this tracker (late, a receipt, or garbage).
  ResponseOutcome on_response(std::uint32_t sequence_number, std::uint32_t command_status, SteadyTime now);
  /// Outstanding PDUs sent at or before now - resp_timeout are retried (or failed). Returns how many.
  std::size_t expire(SteadyTime now);
  /// The connection dropped: every outstanding PDU is pending again, ready at once (does not count
  /// against max_retries).
  void on_disconnect(SteadyTime now);

  /// The earliest time something may change without input (retry ready, timeout, rate), if any.
  std::optional<SteadyTime> next_deadline(SteadyTime now) const;

  std::size_t in_flight() const { return in_flight_.size(); }
  std::size_t pending() const { return pending_.size(); }
  bool done() const { return stats_.messages_final >= expected_; }
  bool all_ok() const;
  const TrackerStats& stats() const { return stats_; }
  const TrackerConfig& config() const { return config_; }

 private:
  struct Part {
    std::uint64_t message = 0;
    gateway::smpp::SmBody body;
    std::uint32_t retries = 0;
    SteadyTime ready_at{};
    SteadyTime sent_at{};
    std::uint32_t last_status = kStatusNoResponse;
  };
  struct Message {
    std::size_t parts_left = 0;
    std::uint32_t status = gateway::smpp::kEsmeRok;
    bool sent = false;
  };
  bool is_temporary(std::uint32_t status) const;
  void retry_or_fail(PartId id, std::uint32_t status, SteadyTime now);
  void finish(PartId id, std::uint32_t status);

  TrackerConfig config_;
  std::uint64_t expected_;
  std::uint64_t next_part_ = 0;
  std::uint64_t next_message_ = 0;
  std::unordered_map<PartId, Part> parts_;
  std::unordered_map<std::uint64_t, Message> messages_;
  std::deque<PartId> pending_;                       ///< not outstanding, waiting to be (re)sent
  std::unordered_map<std::uint32_t, PartId> in_flight_;  ///< by sequence_number
  SteadyTime next_new_at_{};
  TrackerStats stats_;
};

/// Nearest-rank percentile (p in [0, 100]) of `values`; 0 when empty. Sorts a copy.
double percentile(std::vector<std::int64_t> values, double p);

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/// Everything the command line sets. Defaults are the command-line defaults.
struct SimConfig {
  std::string corpus_path;               ///< --corpus FILE (JSONL); empty: no messages to deliver
  std::string listen_host = "127.0.0.1"; ///< --listen HOST:PORT. Default: 127.0.0.1:0 (any free port)
  std::uint16_t listen_port = 0;
  std::string port_file;                 ///< --port-file FILE: the bound port (temp + rename)
  std::string system_id = "smishd";      ///< --system-id. Default: smishd
  std::string password = "secret";       ///< --password. Default: secret
  std::uint32_t enquire_link_s = 30;     ///< --enquire-link-s; 0 = never. Default: 30
  TrackerConfig tracker;                 ///< --window --rate --temp-statuses --resp-timeout-ms --retry-delay-ms --max-retries
  std::uint64_t count = 0;               ///< --count N: messages in total, cycling the corpus; 0 = corpus once
  bool vary = false;                     ///< --vary: append " #<n>" (n = 1..count) to each message
  bool split_blind = false;              ///< --split-blind
  bool receipts = false;                 ///< --receipts: a delivery receipt for every accepted submit_sm
  std::uint64_t throttle_submit = 0;     ///< --throttle-submit N: first N submit_sm get ESME_RTHROTTLED
  bool exit_when_done = false;           ///< --exit-when-done
  std::uint32_t linger_ms = 0;           ///< --linger-ms: with --exit-when-done, wait this long after the last ack
  std::uint32_t max_seconds = 600;       ///< --max-seconds: give up (exit 3). Default: 600
  std::uint32_t unbind_timeout_ms = 2000;  ///< wait for unbind_resp at exit
  std::string summary_file;              ///< --summary-file
  std::string submits_file;              ///< --submits-file: recorded submit_sm, JSONL, flushed per line
};

/// Parses argv (without running anything). Errors name the option. "--help" gives an error whose
/// detail is the usage text.
core::Result<SimConfig> parse_args(int argc, const char* const* argv);
/// The --help text.
std::string usage();

/// A submit_sm as received.
struct SubmitRecord {
  std::string message_id;
  std::string source_addr;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::string text;                      ///< text::decode of the user data (UDH removed)
  std::uint32_t text_flags = 0;
  std::optional<core::ConcatInfo> concat;  ///< from the UDH or the sar_* TLVs
  core::Json to_json() const;
};

/// The end-of-run numbers.
struct Summary {
  core::Json json;
  int exit_code = 0;
};

/// The SMSC: accepts ESMEs, delivers the corpus, answers submit_sm. All methods and all its
/// coroutines run on the thread that runs `io` (one thread). Must outlive the io_context's run.
class Simulator {
 public:
  Simulator(asio::io_context& io, SimConfig config, std::vector<CorpusMessage> corpus);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Binds the listening socket; returns the port. IoError when it cannot listen.
  core::Result<std::uint16_t> listen();
  /// Starts accepting and delivering (after listen()). `on_finished` is called once, on the I/O
  /// thread, when the run ends by itself (--exit-when-done, --max-seconds) or by stop().
  void start(std::function<void(const Summary&)> on_finished);
  /// Ends the run now (signal): closes everything, calls on_finished with exit code `exit_code`
  /// (negative: the summary's own, 0 when every message was delivered ROK, else 1). Idempotent.
  void stop(int exit_code);

  /// The summary as it is now. exit_code: 0 when every message was delivered ROK, else 1.
  Summary summary() const;
  const std::vector<SubmitRecord>& submits() const;
  const DeliveryTracker& tracker() const;
  bool finished() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The whole tool: loads the corpus, listens, writes the port file, prints the listening event,
/// runs until the end, prints the summary (last stdout line) and returns the exit code
/// (0 all ROK, 1 some failed, 2 bad arguments or startup, 3 --max-seconds).
int run_main(int argc, const char* const* argv);

}  // namespace smish::sim
