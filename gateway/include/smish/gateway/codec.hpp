// SMPP 3.4 wire codec: a sans-I/O framer, a bounds-checked decoder for what smishd receives, and
// an encoder (libsmpp34 underneath where it is safe) for what smishd and smsc-sim send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "smish/core/result.hpp"
#include "smish/gateway/pdu.hpp"

namespace smish::gateway::smpp {

/// SMPP 3.4 §3.2: the smallest PDU is the 16-octet header.
inline constexpr std::uint32_t kHeaderSize = 16;
/// Default cap on command_length: a 64 KiB message_payload plus the largest deliver_sm body.
inline constexpr std::uint32_t kDefaultMaxPduSize = 70000;

/// Reads big-endian header fields from at least 16 octets. Precondition: bytes.size() >= 16.
PduHeader read_header(std::string_view bytes);

/// Splits a TCP byte stream into whole PDUs. Sans-I/O: bytes in, PDUs out; no sockets, no timers.
/// Not thread-safe; one per connection.
class PduFramer {
 public:
  /// `max_pdu_size`: command_length above it is a framing error (checked before any allocation).
  explicit PduFramer(std::uint32_t max_pdu_size = kDefaultMaxPduSize);

  /// Appends `bytes` and calls `on_pdu` with each complete PDU (header included), in order.
  /// Returns an InvalidArgument error when a command_length is < 16 or > the cap: the stream
  /// cannot be resynchronised and the connection should get generic_nack(ESME_RINVCMDLEN) and close.
  /// After an error the framer stays failed and ignores further input.
  core::Status feed(std::span<const std::uint8_t> bytes, const std::function<void(std::string_view)>& on_pdu);
  core::Status feed(std::string_view bytes, const std::function<void(std::string_view)>& on_pdu);

  /// Octets buffered for an incomplete PDU.
  std::size_t buffered() const { return buf_.size(); }
  bool failed() const { return failed_; }

 private:
  std::uint32_t max_;
  std::string buf_;
  bool failed_ = false;
};

/// Limits the decoder enforces on what a peer sends.
struct DecodeLimits {
  std::size_t max_tlvs = 64;  ///< more TLVs than this: ESME_RINVOPTPARSTREAM
};

/// Why a PDU could not be decoded, and what to answer.
struct DecodeError {
  std::uint32_t command_status = kEsmeRsyserr;  ///< the status for the response
  bool generic_nack = false;  ///< true: answer generic_nack (bad header, unknown command_id)
  std::string detail;
};

/// Decodes one whole PDU (as emitted by PduFramer) sent by a peer. Never throws, never reads
/// outside `bytes`. Known commands: the binds and their responses, submit_sm, deliver_sm and
/// their responses, enquire_link, unbind, their responses, generic_nack, and data_sm_resp.
/// A body that breaks the spec (C-octet string without NUL or over its maximum, sm_length past
/// the end, TLV length overrun, short_message and message_payload both set, ...) gives a
/// DecodeError with the status for the command's _resp; an unknown command_id gives generic_nack.
struct DecodeResult {
  bool ok() const { return error.detail.empty(); }
  Pdu pdu;            ///< header always filled when bytes.size() >= 16
  DecodeError error;  ///< meaningful when !ok()
};
DecodeResult decode_pdu(std::string_view bytes, const DecodeLimits& limits = {});

/// Encodes PDUs to send. Uses libsmpp34 where it can express the PDU and hand-written encoding
/// where it cannot (sequence_number 0, vendor command_status, message_payload > 1024 octets,
/// header-only error responses). Every function validates field lengths first and returns
/// InvalidArgument rather than truncating. Must only be used from one thread at a time in the
/// whole process (libsmpp34 keeps global state); smishd and smsc-sim call it from their I/O thread.
namespace encode {
core::Result<std::string> bind(std::uint32_t command_id, std::uint32_t sequence_number, const BindBody& body);
core::Result<std::string> bind_resp(std::uint32_t command_id, std::uint32_t command_status,
                                    std::uint32_t sequence_number, const BindRespBody& body);
/// enquire_link, enquire_link_resp, unbind, unbind_resp, generic_nack.
core::Result<std::string> header_only(std::uint32_t command_id, std::uint32_t command_status,
                                      std::uint32_t sequence_number);
/// submit_sm or deliver_sm.
core::Result<std::string> sm(std::uint32_t command_id, std::uint32_t sequence_number, const SmBody& body);
/// submit_sm_resp, deliver_sm_resp, data_sm_resp. deliver_sm_resp's message_id is empty (SMPP 3.4 §4.6.2).
core::Result<std::string> sm_resp(std::uint32_t command_id, std::uint32_t command_status,
                                  std::uint32_t sequence_number, std::string_view message_id);
}  // namespace encode

}  // namespace smish::gateway::smpp
