// Bounds-checked SMPP 3.4 decoder for every PDU smishd and smsc-sim receive (libsmpp34 is never
// used on input: see ../shared/reference/libsmpp34.md).
//
// Error policy: what goes wrong -> the status for the answer (the command's _resp unless said).
//   * fewer than 16 octets, command_length != octets given -> generic_nack ESME_RINVCMDLEN
//   * unknown command_id; known commands smishd does not implement (query_sm, replace_sm,
//     cancel_sm, submit_multi, outbind, alert_notification, their _resp) -> generic_nack
//     ESME_RINVCMDID
//   * data_sm: known, not decoded yet -> ESME_RINVCMDID with generic_nack=false: the header is
//     sound, so the SMSC gets a data_sm_resp it can correlate rather than a generic_nack
//   * C-octet string without NUL within its SMPP 3.4 maximum or before the PDU end -> the
//     field's own status (ESME_RINVSYSID, ESME_RINVSRCADR, ...), ESME_RINVMSGLEN if it has none
//   * fixed-size field cut off by the PDU end, octets after the last field of a PDU that takes
//     no TLVs, a body on a header-only PDU -> ESME_RINVCMDLEN
//   * sm_length > 254 or past the end of the body -> ESME_RINVMSGLEN
//   * TLV header or value overrunning the PDU, more than limits.max_tlvs TLVs, a known TLV
//     twice, short_message and message_payload both present -> ESME_RINVOPTPARSTREAM
//   * known TLV with the wrong length -> ESME_RINVPARLEN
// Absent response bodies (header-only bind_resp, submit_sm_resp or data_sm_resp with a non-zero
// status, any header-only deliver_sm_resp) decode to std::monostate.
#include <array>
#include <utility>

#include <fmt/format.h>

#include "smish/gateway/codec.hpp"

namespace smish::gateway::smpp {
namespace {

// SMPP 3.4 §5.1.3 statuses without a named constant in pdu.hpp.
constexpr std::uint32_t kEsmeRinvmsgid = 0x0000000C;
constexpr std::uint32_t kEsmeRinvsertyp = 0x00000015;
constexpr std::uint32_t kEsmeRinvsystyp = 0x00000053;
constexpr std::uint32_t kEsmeRinvsched = 0x00000061;
constexpr std::uint32_t kEsmeRinvexpiry = 0x00000062;

// SMPP 3.4 §4.1.1, §4.4.1, §4.6.1, §4.4.2: C-octet string maxima, NUL included.
constexpr std::size_t kMaxSystemId = 16;
constexpr std::size_t kMaxPassword = 9;
constexpr std::size_t kMaxSystemType = 13;
constexpr std::size_t kMaxAddressRange = 41;
constexpr std::size_t kMaxServiceType = 6;
constexpr std::size_t kMaxAddr = 21;
constexpr std::size_t kMaxTime = 17;
constexpr std::size_t kMaxMessageId = 65;
// SMPP 3.4 §7.1.1: an absolute or relative time is exactly 16 characters (YYMMDDhhmmsstnnp).
constexpr std::size_t kTimeChars = 16;
// SMPP 3.4 §5.2.21: sm_length is 0..254.
constexpr std::size_t kMaxSmLength = 254;
// SMPP 3.4 §3.2.4.1: a TLV is tag (2) + length (2) + value.
constexpr std::size_t kTlvHeaderSize = 4;

/// Known TLVs: checked for length and for duplicates. Others are kept untouched, in wire order.
struct KnownTlv {
  std::uint16_t tag;
  std::uint16_t min_len;
  std::uint16_t max_len;
  const char* name;
};
constexpr std::array kKnownTlvs{
    KnownTlv{kTagReceiptedMessageId, 1, 65, "receipted_message_id"},  // §5.3.2.12: C-octet, <= 65
    KnownTlv{kTagSarMsgRefNum, 2, 2, "sar_msg_ref_num"},              // §5.3.2.22: Integer 2
    KnownTlv{kTagSarTotalSegments, 1, 1, "sar_total_segments"},       // §5.3.2.23: Integer 1
    KnownTlv{kTagSarSegmentSeqnum, 1, 1, "sar_segment_seqnum"},       // §5.3.2.24: Integer 1
    KnownTlv{kTagScInterfaceVersion, 1, 1, "sc_interface_version"},   // §5.3.2.25: Integer 1
    KnownTlv{kTagMessagePayload, 0, 0xFFFF, "message_payload"},       // §5.3.2.32: 0..64K
    KnownTlv{kTagMessageState, 1, 1, "message_state"},                // §5.3.2.35: Integer 1
};

/// Reads big-endian fields from a PDU body; every read is bounded by the PDU end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}

  std::size_t left() const { return b_.size() - pos_; }
  bool done() const { return pos_ == b_.size(); }

  bool u8(std::uint8_t& v) {
    if (left() < 1) return false;
    v = static_cast<std::uint8_t>(b_[pos_++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<std::uint16_t>(byte(0) << 8 | byte(1));
    pos_ += 2;
    return true;
  }
  bool bytes(std::size_t n, std::string& out) {
    if (left() < n) return false;
    out.assign(b_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  /// A C-octet string of at most `max_with_nul` octets including the NUL. False when no NUL is
  /// found within that many octets or before the end.
  bool cstr(std::size_t max_with_nul, std::string& out) {
    const std::size_t scan = std::min(max_with_nul, left());
    const std::string_view window = b_.substr(pos_, scan);
    const std::size_t nul = window.find('\0');
    if (nul == std::string_view::npos) return false;
    out.assign(window.substr(0, nul));
    pos_ += nul + 1;
    return true;
  }

 private:
  unsigned byte(std::size_t i) const { return static_cast<std::uint8_t>(b_[pos_ + i]); }

  std::string_view b_;
  std::size_t pos_ = 0;
};

/// Decodes one PDU body into `r.pdu.body`; on the first error fills `r.error` and stops.
class BodyDecoder {
 public:
  BodyDecoder(DecodeResult& r, std::string_view body, const DecodeLimits& limits)
      : r_(r), in_(body), limits_(limits) {}

  bool fail(std::uint32_t status, std::string detail) {
    r_.error.command_status = status;
    r_.error.generic_nack = false;
    r_.error.detail = fmt::format("{}: {}", command_name(r_.pdu.header.command_id), detail);
    return false;
  }

  bool u8(std::uint8_t& v, const char* field) {
    return in_.u8(v) || fail(kEsmeRinvcmdlen, fmt::format("{} cut off by the PDU end", field));
  }

  bool cstr(std::string& out, std::size_t max_with_nul, const char* field, std::uint32_t status) {
    if (in_.cstr(max_with_nul, out)) return true;
    return fail(status, fmt::format("{} has no NUL within {} octets or before the PDU end", field,
                                    max_with_nul));
  }

  /// SMPP 3.4 §7.1.1: empty, or exactly 16 characters.
  bool time(std::string& out, const char* field, std::uint32_t status) {
    if (!cstr(out, kMaxTime, field, status)) return false;
    if (out.empty() || out.size() == kTimeChars) return true;
    return fail(status, fmt::format("{} is {} characters, must be 0 or 16", field, out.size()));
  }

  bool no_trailing_bytes() {
    if (in_.done()) return true;
    return fail(kEsmeRinvcmdlen, fmt::format("{} octets after the last field", in_.left()));
  }

  /// Walks the TLV area up to the PDU end (SMPP 3.4 §3.2.4): every TLV by its wire length.
  bool tlvs(std::vector<Tlv>& out) {
    std::array<bool, kKnownTlvs.size()> seen{};
    while (!in_.done()) {
      if (in_.left() < kTlvHeaderSize) {
        return fail(kEsmeRinvoptparstream,
                    fmt::format("{} octets left, too few for a TLV header", in_.left()));
      }
      if (out.size() >= limits_.max_tlvs) {
        return fail(kEsmeRinvoptparstream, fmt::format("more than {} TLVs", limits_.max_tlvs));
      }
      Tlv t;
      std::uint16_t len = 0;
      (void)in_.u16(t.tag);  // cannot fail: 4 octets checked above
      (void)in_.u16(len);
      if (!in_.bytes(len, t.value)) {
        return fail(kEsmeRinvoptparstream,
                    fmt::format("TLV 0x{:04x} length {} overruns the PDU by {} octets", t.tag, len,
                                len - in_.left()));
      }
      for (std::size_t i = 0; i < kKnownTlvs.size(); ++i) {
        const KnownTlv& k = kKnownTlvs[i];
        if (k.tag != t.tag) continue;
        if (len < k.min_len || len > k.max_len) {
          return fail(kEsmeRinvparlen, fmt::format("{} has length {}, expected {}..{}", k.name, len,
                                                   k.min_len, k.max_len));
        }
        // SMPP 3.4 does not define what a repeated optional parameter means; taking either copy
        // would let two stacks read two different messages, so a repeated known TLV is refused.
        // Unknown (vendor) TLVs may repeat: they are kept as they came.
        if (seen[i]) return fail(kEsmeRinvoptparstream, fmt::format("{} appears twice", k.name));
        seen[i] = true;
      }
      out.push_back(std::move(t));
    }
    return true;
  }

  bool bind(BindBody& b) {
    return cstr(b.system_id, kMaxSystemId, "system_id", kEsmeRinvsysid) &&
           cstr(b.password, kMaxPassword, "password", kEsmeRinvpaswd) &&
           cstr(b.system_type, kMaxSystemType, "system_type", kEsmeRinvsystyp) &&
           u8(b.interface_version, "interface_version") && u8(b.addr_ton, "addr_ton") &&
           u8(b.addr_npi, "addr_npi") &&
           cstr(b.address_range, kMaxAddressRange, "address_range", kEsmeRinvmsglen) &&
           no_trailing_bytes();  // SMPP 3.4 §4.1.1: binds take no TLVs
  }

  bool bind_resp(BindRespBody& b) {
    std::vector<Tlv> tl;
    if (!cstr(b.system_id, kMaxSystemId, "system_id", kEsmeRinvsysid) || !tlvs(tl)) return false;
    for (const Tlv& t : tl) {
      // SMPP 3.4 §4.1.2: sc_interface_version is the only TLV of a bind_resp; others are ignored.
      if (t.tag == kTagScInterfaceVersion) {
        b.sc_interface_version = static_cast<std::uint8_t>(t.value[0]);
      }
    }
    return true;
  }

  bool sm(SmBody& s) {
    std::uint8_t sm_length = 0;
    if (!(cstr(s.service_type, kMaxServiceType, "service_type", kEsmeRinvsertyp) &&
          u8(s.source_addr_ton, "source_addr_ton") && u8(s.source_addr_npi, "source_addr_npi") &&
          cstr(s.source_addr, kMaxAddr, "source_addr", kEsmeRinvsrcadr) &&
          u8(s.dest_addr_ton, "dest_addr_ton") && u8(s.dest_addr_npi, "dest_addr_npi") &&
          cstr(s.destination_addr, kMaxAddr, "destination_addr", kEsmeRinvdstadr) &&
          u8(s.esm_class, "esm_class") && u8(s.protocol_id, "protocol_id") &&
          u8(s.priority_flag, "priority_flag") &&
          // SMPP 3.4 §4.6.1 wants both times NULL in a deliver_sm, but some SMSCs fill in
          // validity_period; a well-formed time is accepted in either PDU.
          time(s.schedule_delivery_time, "schedule_delivery_time", kEsmeRinvsched) &&
          time(s.validity_period, "validity_period", kEsmeRinvexpiry) &&
          u8(s.registered_delivery, "registered_delivery") &&
          u8(s.replace_if_present_flag, "replace_if_present_flag") &&
          u8(s.data_coding, "data_coding") && u8(s.sm_default_msg_id, "sm_default_msg_id") &&
          u8(sm_length, "sm_length"))) {
      return false;
    }
    if (sm_length > kMaxSmLength) {
      return fail(kEsmeRinvmsglen, fmt::format("sm_length {} > {}", sm_length, kMaxSmLength));
    }
    if (!in_.bytes(sm_length, s.short_message)) {
      return fail(kEsmeRinvmsglen,
                  fmt::format("sm_length {} but only {} octets left", sm_length, in_.left()));
    }
    if (!tlvs(s.tlvs)) return false;
    // SMPP 3.4 §5.3.2.32: message_payload and short_message are mutually exclusive; with both,
    // the text is ambiguous. The error is in the optional part, hence ESME_RINVOPTPARSTREAM.
    if (!s.short_message.empty() && s.find_tlv(kTagMessagePayload) != nullptr) {
      return fail(kEsmeRinvoptparstream, "short_message and message_payload both present");
    }
    return true;
  }

  bool message_id(SmRespBody& b) {
    return cstr(b.message_id, kMaxMessageId, "message_id", kEsmeRinvmsgid);
  }

  bool done() const { return in_.done(); }

 private:
  DecodeResult& r_;
  Reader in_;
  const DecodeLimits& limits_;
};

bool is_bind(std::uint32_t id) {
  return id == kBindTransmitter || id == kBindReceiver || id == kBindTransceiver;
}
bool is_bind_resp(std::uint32_t id) {
  return id == kBindTransmitterResp || id == kBindReceiverResp || id == kBindTransceiverResp;
}
bool is_header_only(std::uint32_t id) {
  return id == kEnquireLink || id == kEnquireLinkResp || id == kUnbind || id == kUnbindResp ||
         id == kGenericNack;
}

void nack(DecodeResult& r, std::uint32_t status, std::string detail) {
  r.error.command_status = status;
  r.error.generic_nack = true;
  r.error.detail = std::move(detail);
}

}  // namespace

DecodeResult decode_pdu(std::string_view bytes, const DecodeLimits& limits) {
  DecodeResult r;
  if (bytes.size() < kHeaderSize) {
    nack(r, kEsmeRinvcmdlen,
         fmt::format("PDU of {} octets, shorter than the header", bytes.size()));
    return r;
  }
  PduHeader& h = r.pdu.header;
  h = read_header(bytes);
  if (h.command_length != bytes.size()) {
    nack(r, kEsmeRinvcmdlen,
         fmt::format("command_length {} but {} octets given", h.command_length, bytes.size()));
    return r;
  }

  const std::uint32_t id = h.command_id;
  const bool error_status = h.command_status != kEsmeRok;
  BodyDecoder d(r, bytes.substr(kHeaderSize), limits);
  bool ok = false;

  if (is_header_only(id)) {
    ok = d.done() || d.fail(kEsmeRinvcmdlen, "header-only PDU carries a body");
  } else if (is_bind(id)) {
    ok = d.bind(r.pdu.body.emplace<BindBody>());
  } else if (is_bind_resp(id)) {
    // SMPP 3.4 §4.1.2: the body is not returned with a non-zero command_status.
    ok = (error_status && d.done()) || d.bind_resp(r.pdu.body.emplace<BindRespBody>());
  } else if (id == kSubmitSm || id == kDeliverSm) {
    ok = d.sm(r.pdu.body.emplace<SmBody>());
  } else if (id == kSubmitSmResp) {
    // SMPP 3.4 §4.4.2: the body is not returned with a non-zero command_status.
    ok = (error_status && d.done()) ||
         (d.message_id(r.pdu.body.emplace<SmRespBody>()) && d.no_trailing_bytes());
  } else if (id == kDeliverSmResp) {
    // SMPP 3.4 §4.6.2: message_id is unused (NULL); several SMSC stacks omit it entirely.
    ok = d.done() || (d.message_id(r.pdu.body.emplace<SmRespBody>()) && d.no_trailing_bytes());
  } else if (id == kDataSmResp) {
    // SMPP 3.4 §4.7.2: message_id then TLVs. The TLVs are validated but not kept (SmRespBody has
    // no place for them; nothing in smishd reads them yet).
    std::vector<Tlv> ignored;
    ok = (error_status && d.done()) ||
         (d.message_id(r.pdu.body.emplace<SmRespBody>()) && d.tlvs(ignored));
  } else if (id == kDataSm) {
    // TODO(codec): decode data_sm (SMPP 3.4 §4.7.1) once the session handles it. Until then the
    // SMSC gets a data_sm_resp it can correlate, not a generic_nack for a command that exists.
    ok = d.fail(kEsmeRinvcmdid, "data_sm is not supported yet");
  } else {
    nack(r, kEsmeRinvcmdid, fmt::format("unsupported command_id {}", command_name(id)));
  }

  if (!ok) {
    r.pdu.body = std::monostate{};
    if (r.error.detail.empty()) r.error.detail = "decode failed";  // ok() must be false
  }
  return r;
}

}  // namespace smish::gateway::smpp
