// The gateway's only view of what happens to a message after it is received.
#pragma once

#include <span>
#include <vector>

#include "smish/core/types.hpp"

namespace smish::core {

/// What the sink did with one segment; decides the deliver_sm_resp command_status.
enum class AcceptStatus {
  Stored,            ///< durable now: acknowledge with ESME_ROK
  Duplicate,         ///< a redelivery of something already durable: acknowledge with ESME_ROK
  TemporaryFailure,  ///< storage failed or is overloaded: answer the configured temporary status
  PermanentFailure,  ///< the content can never be stored: answer a permanent error
};

/// Receives what the SMSC delivers. All calls come from the gateway's I/O thread.
class ReportSink {
 public:
  virtual ~ReportSink() = default;

  /// Makes `segments` (all deliver_sm of one socket read) durable, in one synced write when it can.
  /// Returns one status per segment, in order. Must not throw.
  virtual std::vector<AcceptStatus> accept(std::span<const InboundSegment> segments) = 0;

  /// Work that may follow the acknowledgements: reassembly, classification, indicators.
  virtual void process() = 0;

  /// A delivery receipt (never a report): matched to smishd's own replies where it can be.
  virtual void on_receipt(const InboundSegment& receipt) { (void)receipt; }
};

}  // namespace smish::core
