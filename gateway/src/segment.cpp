// deliver_sm body -> InboundSegment: user data, UDH and SAR concatenation facts.
#include "smish/gateway/segment.hpp"

#include "smish/gateway/text.hpp"

namespace smish::gateway {

core::Result<core::InboundSegment> make_segment(const smpp::SmBody& body, std::string_view raw_pdu,
                                                std::string_view smsc, std::int64_t received_ms) {
  using core::ErrorCode;
  core::InboundSegment seg;
  seg.smsc = std::string(smsc);
  seg.source = {body.source_addr_ton, body.source_addr_npi, body.source_addr};
  seg.dest = {body.dest_addr_ton, body.dest_addr_npi, body.destination_addr};
  seg.esm_class = body.esm_class;
  seg.protocol_id = body.protocol_id;
  seg.data_coding = body.data_coding;
  seg.raw_pdu = std::string(raw_pdu);
  seg.received_ms = received_ms;

  // SMPP 3.4 §5.3.2.32: message_payload carries the user data when sm_length is 0.
  std::string_view user_data = body.short_message;
  if (const auto* payload = body.find_tlv(smpp::kTagMessagePayload); payload && body.short_message.empty())
    user_data = payload->value;

  if (body.esm_class & smpp::kEsmClassUdhi) {
    if (user_data.empty()) return core::make_error(ErrorCode::InvalidArgument, "UDHI set on an empty message");
    auto ud = text::split_udh(user_data);
    if (!ud) return ud.error();
    seg.user_data = std::move(ud->payload);
    seg.udh_length = static_cast<std::uint8_t>(ud->udh.size());
    seg.concat = ud->concat;
  } else {
    seg.user_data = std::string(user_data);
  }

  // SMPP 3.4 §5.3.2.22-24: the SAR TLVs come as a triple.
  const auto* ref = body.find_tlv(smpp::kTagSarMsgRefNum);
  const auto* total = body.find_tlv(smpp::kTagSarTotalSegments);
  const auto* seq = body.find_tlv(smpp::kTagSarSegmentSeqnum);
  if (ref || total || seq) {
    if (!(ref && total && seq) || ref->value.size() != 2 || total->value.size() != 1 || seq->value.size() != 1)
      return core::make_error(ErrorCode::InvalidArgument, "incomplete or malformed SAR TLVs");
    core::ConcatInfo c;
    c.source = core::ConcatSource::Sar;
    c.ref = static_cast<std::uint16_t>(static_cast<unsigned char>(ref->value[0]) << 8 |
                                       static_cast<unsigned char>(ref->value[1]));
    c.total = static_cast<std::uint8_t>(total->value[0]);
    c.seq = static_cast<std::uint8_t>(seq->value[0]);
    if (c.total == 0 || c.seq == 0 || c.seq > c.total)
      return core::make_error(ErrorCode::InvalidArgument, "SAR segment number out of range");
    if (!seg.concat) seg.concat = c;  // a UDH concatenation IE wins over SAR when both are present
  }
  // A one-part "concatenation" is a whole message.
  if (seg.concat && seg.concat->total == 1) seg.concat.reset();
  return seg;
}

}  // namespace smish::gateway
