// The daemon's ReportSink: durable inbox on the ack path, then reassembly, classification and
// indicator updates after the acknowledgements.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "smish/blocklist/policy.hpp"
#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/report_sink.hpp"
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
};

/// Counters (read on the I/O thread).
struct PipelineStats {
  std::uint64_t accepted = 0, duplicates = 0, store_failures = 0;
  std::uint64_t reports = 0, gap_reports = 0, early_gap_reports = 0, receipts = 0, process_failures = 0;
  std::uint64_t pending_parts = 0, pending_bytes = 0;  ///< after the last sweep
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

  const PipelineStats& stats() const { return stats_; }

 private:
  core::Status process_singles();
  core::Status process_groups();
  core::Status commit_reports(std::vector<core::Report> reports, std::vector<std::string> consumed);
  core::Report make_report(const std::vector<storage::InboxEntry>& parts, std::string text, std::uint32_t flags);

  storage::Store& store_;
  const storage::Pseudonymizer& pseudonymizer_;
  const classifier::Extractor& extractor_;
  const classifier::Classifier& classifier_;
  PipelineOptions options_;
  const core::Clock& clock_;
  PipelineStats stats_;
};

}  // namespace smish::app
