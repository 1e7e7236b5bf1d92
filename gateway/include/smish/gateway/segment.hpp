// Turns a decoded deliver_sm into the InboundSegment the ack path stores (UDH, SAR, message_payload).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/pdu.hpp"

namespace smish::gateway {

/// Builds the segment for `body` (a deliver_sm received on SMSC `smsc` as the bytes `raw_pdu`):
/// user data from short_message or message_payload, the UDH parsed and removed when esm_class has
/// UDHI, concatenation facts from UDH IEI 0x00/0x08 or the SAR TLVs. An InvalidArgument error
/// (answer with a permanent status) for a malformed UDH, an incomplete SAR triple, or sm_length 0
/// with UDHI and no message_payload.
core::Result<core::InboundSegment> make_segment(const smpp::SmBody& body, std::string_view raw_pdu,
                                                std::string_view smsc, std::int64_t received_ms);

}  // namespace smish::gateway
