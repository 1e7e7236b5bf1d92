// libFuzzer target: decode_pdu on one whole PDU, make_segment on every deliver_sm it accepts, and
// a re-encode round trip for what it accepts, under ASan/UBSan.
//
// Invariants:
//   * decode_pdu never reads outside the input (ASan) and always fills the header of a >=16-octet
//     input; an error has a detail and leaves no body;
//   * deliver_sm / submit_sm: encode::sm accepts every body decode_pdu accepted, its bytes equal
//     the input (command_status aside: encode::sm always writes 0), and decoding them gives the
//     same fields; the bind, header-only and response PDUs round-trip field by field too;
//   * make_segment: the raw PDU is kept as given; user data is short_message, or message_payload
//     when sm_length is 0, minus the UDH when esm_class has UDHI; a concatenation has
//     2 <= total and 1 <= seq <= total; without UDHI and without SAR TLVs it never fails; the
//     segment's text decodes to valid UTF-8 in both GSM 7-bit packing modes.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_support.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/segment.hpp"
#include "smish/gateway/text.hpp"

namespace {

using namespace smish::gateway::smpp;
namespace text = smish::gateway::text;

[[noreturn]] void violated(const char* what) { smish::fuzz::violated("fuzz_deliver_sm", what); }

bool same_tlvs(const SmBody& a, const SmBody& b) {
  if (a.tlvs.size() != b.tlvs.size()) return false;
  for (std::size_t i = 0; i < a.tlvs.size(); ++i) {
    if (a.tlvs[i].tag != b.tlvs[i].tag || a.tlvs[i].value != b.tlvs[i].value) return false;
  }
  return true;
}

bool same_sm(const SmBody& a, const SmBody& b) {
  return a.service_type == b.service_type && a.source_addr_ton == b.source_addr_ton &&
         a.source_addr_npi == b.source_addr_npi && a.source_addr == b.source_addr &&
         a.dest_addr_ton == b.dest_addr_ton && a.dest_addr_npi == b.dest_addr_npi &&
         a.destination_addr == b.destination_addr && a.esm_class == b.esm_class &&
         a.protocol_id == b.protocol_id && a.priority_flag == b.priority_flag &&
         a.schedule_delivery_time == b.schedule_delivery_time &&
         a.validity_period == b.validity_period && a.registered_delivery == b.registered_delivery &&
         a.replace_if_present_flag == b.replace_if_present_flag && a.data_coding == b.data_coding &&
         a.sm_default_msg_id == b.sm_default_msg_id && a.short_message == b.short_message &&
         same_tlvs(a, b);
}

bool same_bind(const BindBody& a, const BindBody& b) {
  return a.system_id == b.system_id && a.password == b.password && a.system_type == b.system_type &&
         a.interface_version == b.interface_version && a.addr_ton == b.addr_ton &&
         a.addr_npi == b.addr_npi && a.address_range == b.address_range;
}

/// Decodes `encoded` (which smishd would send) and checks the header against `h`.
DecodeResult redecode(const std::string& encoded, const PduHeader& h, bool keep_status) {
  DecodeResult r = decode_pdu(encoded);
  if (!r.ok()) violated("an encoded PDU does not decode");
  const PduHeader& g = r.pdu.header;
  if (g.command_length != encoded.size() || g.command_id != h.command_id ||
      g.sequence_number != h.sequence_number ||
      (keep_status && g.command_status != h.command_status)) {
    violated("the re-encoded header differs");
  }
  return r;
}

void round_trip(std::string_view input, const DecodeResult& r) {
  const PduHeader& h = r.pdu.header;
  const std::uint32_t id = h.command_id;
  if (id == kDeliverSm || id == kSubmitSm) {
    const auto& body = std::get<SmBody>(r.pdu.body);
    auto enc = encode::sm(id, h.sequence_number, body);
    if (!enc) {
      smish::fuzz::violated(
          "fuzz_deliver_sm",
          ("encode::sm refused a PDU decode_pdu accepted: " + enc.error().detail).c_str());
    }
    // Byte for byte, apart from command_status (octets 8..11), which encode::sm sets to 0.
    if (enc->size() != input.size() || enc->compare(0, 8, input.substr(0, 8)) != 0 ||
        enc->compare(12, std::string::npos, input.substr(12)) != 0 ||
        enc->compare(8, 4, std::string(4, '\0')) != 0) {
      violated("encode::sm does not reproduce the decoded PDU byte for byte");
    }
    DecodeResult again = redecode(*enc, h, false);
    if (!same_sm(body, std::get<SmBody>(again.pdu.body))) violated("sm fields do not round-trip");
  } else if (id == kBindTransceiver || id == kBindTransmitter || id == kBindReceiver) {
    const auto& body = std::get<BindBody>(r.pdu.body);
    auto enc = encode::bind(id, h.sequence_number, body);
    if (!enc) violated("encode::bind refused a bind decode_pdu accepted");
    DecodeResult again = redecode(*enc, h, false);
    if (!same_bind(body, std::get<BindBody>(again.pdu.body)))
      violated("bind fields do not round-trip");
  } else if (id == kEnquireLink || id == kEnquireLinkResp || id == kUnbind || id == kUnbindResp ||
             id == kGenericNack) {
    auto enc = encode::header_only(id, h.command_status, h.sequence_number);
    if (!enc) violated("encode::header_only refused a header decode_pdu accepted");
    if (*enc != input) violated("a header-only PDU does not round-trip byte for byte");
  } else if ((id == kBindTransceiverResp || id == kBindTransmitterResp ||
              id == kBindReceiverResp) &&
             h.command_status == kEsmeRok) {
    // TLVs other than sc_interface_version are ignored by the decoder: fields, not bytes.
    const auto& body = std::get<BindRespBody>(r.pdu.body);
    auto enc = encode::bind_resp(id, h.command_status, h.sequence_number, body);
    if (!enc) violated("encode::bind_resp refused a bind_resp decode_pdu accepted");
    DecodeResult again = redecode(*enc, h, true);
    const auto& b2 = std::get<BindRespBody>(again.pdu.body);
    if (b2.system_id != body.system_id || b2.sc_interface_version != body.sc_interface_version) {
      violated("bind_resp fields do not round-trip");
    }
  } else if ((id == kSubmitSmResp || id == kDeliverSmResp || id == kDataSmResp) &&
             std::holds_alternative<SmRespBody>(r.pdu.body)) {
    // The encoder refuses, by design, a deliver_sm_resp message_id and a submit_sm_resp error
    // with a body; whatever it does encode must read back the same.
    const auto& body = std::get<SmRespBody>(r.pdu.body);
    auto enc = encode::sm_resp(id, h.command_status, h.sequence_number, body.message_id);
    if (!enc) return;
    DecodeResult again = redecode(*enc, h, true);
    // A header-only answer (an error submit_sm_resp: SMPP 3.4 §4.4.2) may only drop an empty id.
    const auto* b2 = std::get_if<SmRespBody>(&again.pdu.body);
    const std::string got = b2 != nullptr ? b2->message_id : std::string();
    if (got != body.message_id) violated("sm_resp fields do not round-trip");
  }
}

void check_segment(std::string_view input, const SmBody& body) {
  auto seg = smish::gateway::make_segment(body, input, "fuzz", 0);
  const bool udhi = (body.esm_class & kEsmClassUdhi) != 0;
  const bool any_sar = body.find_tlv(kTagSarMsgRefNum) || body.find_tlv(kTagSarTotalSegments) ||
                       body.find_tlv(kTagSarSegmentSeqnum);
  if (!seg) {
    if (!udhi && !any_sar) violated("make_segment failed without UDHI and without SAR TLVs");
    if (seg.error().detail.empty()) violated("make_segment error without a detail");
    return;
  }
  if (seg->raw_pdu != input) violated("raw_pdu is not the PDU as received");
  std::string_view source = body.short_message;
  if (const Tlv* p = body.find_tlv(kTagMessagePayload);
      p != nullptr && body.short_message.empty()) {
    source = p->value;
  }
  if (udhi) {
    if (source.empty()) violated("UDHI on empty user data was accepted");
    const std::size_t udh = 1 + static_cast<std::uint8_t>(source[0]);
    if (udh > source.size() || seg->user_data != source.substr(udh))
      violated("UDH not removed exactly");
  } else if (seg->user_data != source) {
    violated("user data is not short_message / message_payload");
  }
  if (seg->concat) {
    const auto& c = *seg->concat;
    if (c.total < 2 || c.seq < 1 || c.seq > c.total) violated("implausible concatenation facts");
  }
  for (bool packed : {false, true}) {
    text::TextOptions opts;
    opts.gsm7_packed = packed;
    auto t = text::decode(seg->data_coding, seg->user_data, opts);
    if (!smish::fuzz::valid_utf8(t.utf8)) violated("segment text is not valid UTF-8");
  }
  (void)seg->fingerprint();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodeResult r = decode_pdu(input);
  if (!r.ok()) {
    if (r.error.detail.empty()) violated("an error without a detail");
    if (!std::holds_alternative<std::monostate>(r.pdu.body)) violated("an error left a body");
    return 0;
  }
  if (input.size() < kHeaderSize || r.pdu.header.command_length != input.size()) {
    violated("accepted a PDU whose command_length is not its size");
  }
  round_trip(input, r);
  if (r.pdu.header.command_id == kDeliverSm) check_segment(input, std::get<SmBody>(r.pdu.body));
  return 0;
}
