// The daemon's ReportSink: durable inbox on the ack path, then reassembly, classification and
// indicator updates after the acknowledgements.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "smish/app/replies.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/classifier/campaign.hpp"
#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/report_sink.hpp"
#include "smish/gateway/session.hpp"
#include "smish/gateway/text.hpp"
#include "smish/storage/pseudonym.hpp"
#include "smish/storage/store.hpp"

namespace smish::app {

/// What the pipeline needs besides its collaborators.
struct PipelineOptions {
  std::map<std::string, gateway::text::TextOptions> text_by_smsc;  ///< how each SMSC's data_coding 0 reads
  blocklist::PolicyConfig policy;
  std::int64_t reassembly_timeout_s = 600;
  std::int64_t max_pending_parts = 100000;     ///< bound on stored concatenation parts
  std::int64_t max_pending_bytes = 64LL << 20; ///< bound on their user-data octets
  std::string default_region = "LV";
  std::size_t batch = 256;  ///< inbox entries per processing commit
  ReplyConfig replies;
  std::shared_ptr<const ReplyTemplates> templates;   ///< null: no replies
  std::vector<std::string> service_numbers{"12250"}; ///< smishd's own numbers: never replied to
  std::int64_t raw_retention_days = 30;  ///< text and PDUs of older reports are reduced (storage.raw_retention_days)
};

/// Where replies go: the daemon hands them to a bound session on its I/O thread.
class ReplyTransport {
 public:
  virtual ~ReplyTransport() = default;
  /// Queues the parts of one reply. Each ends in one Pipeline::on_submit_result call.
  virtual void send(std::vector<gateway::Submission> parts) = 0;
};

/// Counters (read on the I/O thread).
struct PipelineStats {
  std::uint64_t accepted = 0, duplicates = 0, store_failures = 0;
  std::uint64_t reports = 0, gap_reports = 0, early_gap_reports = 0, receipts = 0, process_failures = 0;
  std::uint64_t pending_parts = 0, pending_bytes = 0;  ///< after the last sweep
  std::uint64_t replies_queued = 0, replies_sent = 0, replies_failed = 0, replies_dropped = 0, replies_retried = 0;
  std::uint64_t replies_capped = 0, replies_suppressed = 0, sender_answers = 0;
  std::uint64_t receipts_matched = 0, receipts_unmatched = 0;
  std::uint64_t outbox_depth = 0;  ///< replies in the outbox at its last scan
  std::uint64_t rate_capped = 0;          ///< reports stored without weight: the reporter was over its cap
  std::uint64_t allowlisted_reports = 0;  ///< report-indicator pairs on an allowlisted (protected) indicator
  std::uint64_t allowlist_alerts = 0;     ///< allowlisted indicators that crossed min_reporters (and each 10x after)
  std::uint64_t retention_reduced = 0;    ///< reports reduced to indicators and a fingerprint by retention
  std::map<std::string, std::uint64_t> by_label, by_category;
};

/// Extraction plus classification of one text: what `smishctl analyze` prints and what a report keeps.
struct Analysis {
  core::Extraction extraction;
  core::Verdict verdict;
};
Analysis analyze_text(const classifier::Extractor& extractor, const classifier::Classifier& classifier,
                      std::string_view text, std::string_view region);
/// The `smishctl analyze` JSON contract for one input line.
core::Json analysis_json(const core::Json& id, const Analysis& analysis);

/// The reporter's number in E.164 (TON 1 international, else parsed in `default_region`), or the
/// address as given for alphanumeric and unparseable sources.
std::string reporter_number(const core::SmppAddress& source, std::string_view default_region);

/// Decodes the user data of a whole message from its parts in order: octets joined before decoding
/// (an escape or a surrogate pair may straddle parts); septet-packed GSM 7-bit is unpacked part by
/// part with the fill bits after each UDH (3GPP TS 23.040 §9.2.3.24) and the septets joined.
gateway::text::DecodedText decode_parts(const std::vector<const core::InboundSegment*>& parts,
                                        const gateway::text::TextOptions& options);

/// Not thread-safe: one thread (the daemon's storage thread) calls it.
class Pipeline final : public core::ReportSink {
 public:
  Pipeline(storage::Store& store, const storage::Pseudonymizer& pseudonymizer,
           const classifier::Extractor& extractor, const classifier::Classifier& classifier,
           PipelineOptions options, const core::Clock& clock = core::SystemClock::instance());

  std::vector<core::AcceptStatus> accept(std::span<const core::InboundSegment> segments) override;
  void process() override;
  void on_receipt(const core::InboundSegment& receipt) override;

  /// Replies leave through `transport` (may be null: replies stay in the outbox).
  void set_reply_transport(ReplyTransport* transport) { transport_ = transport; }
  /// The outcome of one reply part (the session's on_submit_result, posted to this thread).
  void on_submit_result(const gateway::SubmitResult& result);
  /// A delivery receipt: matched to the reply it confirms and counted.
  void on_delivery_receipt(const gateway::Receipt& receipt);

  const PipelineStats& stats() const { return stats_; }
  /// SIGHUP: from now on, classify with these and list by `policy`; `templates` replace the reply
  /// templates when replies are on (null keeps the old ones). The caller keeps the extractor and
  /// the classifier alive while the pipeline uses them. Storage thread only, like process();
  /// accept() on the ack thread uses none of these.
  void reconfigure(const classifier::Extractor& extractor, const classifier::Classifier& classifier,
                   std::shared_ptr<const ReplyTemplates> templates, blocklist::PolicyConfig policy);

  /// A stop is coming: from `deadline` on, process() ends its batch early (after the message in
  /// hand; what it has not reached stays in the inbox, durable, for the next start). Any thread.
  void finish_by(std::chrono::steady_clock::time_point deadline) {
    finish_by_ns_ = deadline.time_since_epoch().count();
  }

  /// True when the last process() left whole messages waiting (it handles one batch per call).
  bool backlog() const { return backlog_; }

  /// Retention: reports received more than raw_retention_days before now lose their text and
  /// PDUs, keeping indicators, verdict, campaign and a text fingerprint. Incremental (a stored
  /// cursor), reading at most `limit` reports a call. Storage thread.
  struct RetentionStep {
    std::uint64_t reduced = 0;  ///< reports reduced by this call
    bool more = false;          ///< it stopped at `limit`: call again soon
  };
  core::Result<RetentionStep> sweep_retention(std::size_t limit = 10000);

 private:
  /// A report being made, with what only the processing step knows.
  struct Made {
    core::Report report;
    std::string reply_to;  ///< sealed number, from the inbox entry
  };
  struct InFlightReply {
    storage::OutboxEntry entry;
    int parts_left = 0;
    bool failed = false, retry = false;
    std::vector<std::string> message_ids;
  };
  core::Status process_singles();
  core::Status process_groups();
  core::Status commit_reports(std::vector<Made> made, std::vector<std::string> consumed);
  Made make_report(const std::vector<storage::InboxEntry>& parts, std::string text, std::uint32_t flags);
  void dispatch(const storage::OutboxEntry& entry);
  void dispatch_due();
  bool repliable(const std::string& number, const core::SmppAddress& source) const;
  core::Status load_campaigns();

  storage::Store& store_;
  const storage::Pseudonymizer& pseudonymizer_;
  const classifier::Extractor* extractor_;
  const classifier::Classifier* classifier_;
  PipelineOptions options_;
  bool replying_;  ///< replies on and templates loaded; fixed at construction (accept() reads it)
  std::atomic<std::int64_t> finish_by_ns_{std::numeric_limits<std::int64_t>::max()};  ///< steady_clock ticks
  const core::Clock& clock_;
  PipelineStats stats_;
  ReplyTransport* transport_ = nullptr;
  bool backlog_ = false;
  std::map<std::string, InFlightReply> in_flight_replies_;
  classifier::CampaignIndex campaigns_;
  bool campaigns_loaded_ = false;
  std::vector<std::pair<std::uint64_t, std::string>> new_fingerprints_;  ///< assigned since the last commit
};

}  // namespace smish::app
