// SMPP 3.4 encoder for what smishd and smsc-sim send: a spec-exact big-endian writer, with
// libsmpp34's smpp34_pack used for the PDUs it can express safely. The only file that includes
// libsmpp34 (its headers #define generic names and have no extern "C").
//
// How one PDU is encoded:
//   1. every string is length-checked against SMPP 3.4 (InvalidArgument, never truncation);
//   2. our own writer produces the spec encoding;
//   3. decode_pdu() must accept it: smishd never sends what it would refuse to receive (this is
//      where TLV lengths, duplicates, the TLV limit and short_message/message_payload exclusivity
//      are enforced for outgoing PDUs);
//   4. when libsmpp34 can express the PDU (see the lib_can_* predicates), smpp34_pack encodes it
//      and its output must equal step 2 byte for byte, otherwise ErrorCode::Internal. This keeps
//      libsmpp34's pack pitfalls (silent truncation, TLV lengths written verbatim, fixed-width
//      known TLVs) off the wire.
// Where libsmpp34 cannot express a valid PDU, step 2's bytes are sent; each predicate says why.
// libsmpp34 keeps global state (smpp34_strerror): one thread at a time, as codec.hpp says.
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "smish/gateway/codec.hpp"

#include <stdint.h>  // NOLINT(modernize-deprecated-headers): libsmpp34 needs it first
extern "C" {
#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
}

namespace smish::gateway::smpp::encode {
namespace {

using core::ErrorCode;
using core::make_error;
using core::Result;
using core::Status;

// SMPP 3.4 §4.1.1, §4.4.1, §4.4.2: C-octet string maxima, NUL excluded.
constexpr std::size_t kMaxSystemIdChars = 15;
constexpr std::size_t kMaxPasswordChars = 8;
constexpr std::size_t kMaxSystemTypeChars = 12;
constexpr std::size_t kMaxAddressRangeChars = 40;
constexpr std::size_t kMaxServiceTypeChars = 5;
constexpr std::size_t kMaxAddrChars = 20;
constexpr std::size_t kMaxMessageIdChars = 64;
// SMPP 3.4 §7.1.1: a time is empty or exactly 16 characters.
constexpr std::size_t kTimeChars = 16;
// SMPP 3.4 §5.2.21: sm_length 0..254.
constexpr std::size_t kMaxShortMessage = 254;
// SMPP 3.4 §3.2.4.1: TLV length is 16 bits.
constexpr std::size_t kMaxTlvValue = 0xFFFF;
// SMPP 3.4 §5.2.4: interface_version 0x34 = SMPP 3.4.
constexpr std::uint8_t kInterfaceVersion34 = 0x34;

// libsmpp34 limits (libsmpp34.md): more TLVs overflow its 2048-octet trace buffer (finding 1;
// ~540 octets of fields plus ~54 per TLV, so 16 leaves room for the longest addresses);
// message_payload above MAX_TLV_SIZE (1024) and sm_length 254 are refused by smpp34_pack.
constexpr std::size_t kLibMaxTlvs = 16;
constexpr std::size_t kLibMaxTlvValue = MAX_TLV_SIZE;
constexpr std::size_t kLibMaxShortMessage = 253;

/// Big-endian PDU writer; command_length is patched in by finish().
class Writer {
 public:
  Writer(std::uint32_t command_id, std::uint32_t command_status, std::uint32_t sequence_number) {
    u32(0);
    u32(command_id);
    u32(command_status);
    u32(sequence_number);
  }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void cstr(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
  }
  void raw(std::string_view s) { out_.append(s); }
  void tlv(const Tlv& t) {
    u16(t.tag);
    u16(static_cast<std::uint16_t>(t.value.size()));
    raw(t.value);
  }
  std::string finish() && {
    const auto len = static_cast<std::uint32_t>(out_.size());
    for (int i = 0; i < 4; ++i) out_[i] = static_cast<char>(len >> (24 - 8 * i));
    return std::move(out_);
  }

 private:
  std::string out_;
};

Status check_cstr(const char* field, std::string_view v, std::size_t max_chars) {
  if (v.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::InvalidArgument, fmt::format("{} contains a NUL octet", field));
  }
  if (v.size() > max_chars) {
    return make_error(
        ErrorCode::InvalidArgument,
        fmt::format("{} is {} octets, SMPP 3.4 allows at most {}", field, v.size(), max_chars));
  }
  return {};
}

Status check_time(const char* field, std::string_view v) {
  if (auto st = check_cstr(field, v, kTimeChars); !st) return st;
  if (!v.empty() && v.size() != kTimeChars) {
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("{} is {} characters, must be 0 or 16", field, v.size()));
  }
  return {};
}

/// Step 3: the PDU must pass our own decoder.
Status self_check(const std::string& pdu) {
  DecodeResult r = decode_pdu(pdu);
  if (r.ok()) return {};
  return make_error(ErrorCode::InvalidArgument,
                    fmt::format("refusing to send a PDU smishd would reject: {}", r.error.detail));
}

// ---------------------------------------------------------------- libsmpp34 side

// The values of libsmpp34's def_list/command_status.list (= the codes SMPP 3.4 §5.1.3 defines);
// str_command_status makes smpp34_pack refuse anything else (vendor codes 0x400-0x4FF).
constexpr std::array<std::uint32_t, 48> kLibStatuses{
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x11,
    0x13, 0x14, 0x15, 0x33, 0x34, 0x40, 0x42, 0x43, 0x44, 0x45, 0x48, 0x49, 0x50, 0x51, 0x53, 0x54,
    0x55, 0x58, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xFE, 0xFF};
// libsmpp34's def_list/addr_ton.list and addr_npi.list (SMPP 3.4 §5.2.5, §5.2.6).
constexpr std::uint8_t kLibMaxTon = 6;
constexpr std::array<std::uint8_t, 10> kLibNpis{0, 1, 3, 4, 6, 8, 9, 10, 14, 18};

bool lib_status_ok(std::uint32_t s) {
  for (std::uint32_t v : kLibStatuses) {
    if (v == s) return true;
  }
  return false;
}
bool lib_addr_ok(std::uint8_t ton, std::uint8_t npi) {
  if (ton > kLibMaxTon) return false;
  for (std::uint8_t v : kLibNpis) {
    if (v == npi) return true;
  }
  return false;
}
/// test_sequence_number refuses 0 on pack (a generic_nack for an unparseable PDU uses 0).
bool lib_header_ok(std::uint32_t status, std::uint32_t seq) {
  return seq != 0 && lib_status_ok(status);
}

/// TLVs libsmpp34 packs from their wire length: it writes known tags with its own fixed width
/// (finding 7), so only tags whose width we know it gets right are handed to it.
bool lib_tlv_ok(const Tlv& t) {
  switch (t.tag) {
    case kTagSarMsgRefNum:
      return t.value.size() == 2;
    case kTagSarTotalSegments:
    case kTagSarSegmentSeqnum:
      return t.value.size() == 1;
    case kTagMessagePayload:
      return t.value.size() <= kLibMaxTlvValue;
    default:
      // SMPP 3.4 §5.3.2: 0x1400-0x3FFF vendor-specific, and reserved tags above; copied as octets.
      return t.tag >= 0x1400 && t.tag < 0xFFFF && !t.value.empty() &&
             t.value.size() <= kLibMaxTlvValue;
  }
}

/// Owns a libsmpp34 TLV list (build_tlv heap-copies); freed on every path.
class LibTlvList {
 public:
  LibTlvList() = default;
  ~LibTlvList() {
    if (head_ != nullptr) destroy_tlv(head_);
  }
  LibTlvList(const LibTlvList&) = delete;
  LibTlvList& operator=(const LibTlvList&) = delete;

  /// build_tlv prepends, so TLVs must be added last first to come out in wire order.
  bool prepend(const Tlv& t) {
    tlv_t v;
    std::memset(&v, 0, sizeof v);
    v.tag = t.tag;
    v.length = static_cast<std::uint16_t>(t.value.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(t.value.data());
    if (t.tag == kTagSarMsgRefNum) {
      v.value.val16 = static_cast<std::uint16_t>(p[0] << 8 | p[1]);  // host order; lib swaps
    } else if (t.tag == kTagSarTotalSegments || t.tag == kTagSarSegmentSeqnum ||
               t.tag == kTagScInterfaceVersion) {
      v.value.val08 = p[0];
    } else {
      if (t.value.size() > sizeof v.value.octet) return false;
      std::memcpy(v.value.octet, t.value.data(), t.value.size());
    }
    return build_tlv(&head_, &v) == 0;
  }
  tlv_t* head() const { return head_; }

 private:
  tlv_t* head_ = nullptr;
};

/// Copies a string already checked to fit (with its NUL) into a libsmpp34 array.
template <std::size_t N>
void put_cstr(std::uint8_t (&dst)[N], std::string_view s) {
  const std::size_t n = s.size() < N ? s.size() : N - 1;  // never more: checked by the caller
  std::memcpy(dst, s.data(), n);
  dst[n] = 0;
}

template <typename T>
void lib_header(T& p, std::uint32_t id, std::uint32_t status, std::uint32_t seq) {
  std::memset(&p, 0, sizeof p);
  p.command_id = id;
  p.command_status = status;
  p.sequence_number = seq;
}

/// smpp34_pack into a buffer one octet larger than needed (its bounds checks use >=, finding 8),
/// then compare with our own encoding.
template <typename T>
Result<std::string> lib_pack(std::uint32_t type, T& pdu, std::string own) {
  std::vector<std::uint8_t> buf(own.size() + 1);
  int len = 0;
  if (smpp34_pack(type, buf.data(), static_cast<int>(buf.size()), &len, &pdu) != 0) {
    // smpp34_strerror is a field-by-field trace with phone numbers: it stays out of the error.
    return make_error(ErrorCode::Internal,
                      fmt::format("libsmpp34 refused to pack {}", command_name(type)));
  }
  if (static_cast<std::size_t>(len) != own.size() ||
      std::memcmp(buf.data(), own.data(), own.size()) != 0) {
    return make_error(
        ErrorCode::Internal,
        fmt::format("libsmpp34 encoding of {} differs from SMPP 3.4", command_name(type)));
  }
  return own;
}

template <typename T>
Result<std::string> lib_bind(std::uint32_t id, std::uint32_t seq, const BindBody& b,
                             std::string own) {
  T p;
  lib_header(p, id, kEsmeRok, seq);
  put_cstr(p.system_id, b.system_id);
  put_cstr(p.password, b.password);
  put_cstr(p.system_type, b.system_type);
  p.interface_version = b.interface_version;
  p.addr_ton = b.addr_ton;
  p.addr_npi = b.addr_npi;
  put_cstr(p.address_range, b.address_range);
  return lib_pack(id, p, std::move(own));
}

template <typename T>
Result<std::string> lib_bind_resp(std::uint32_t id, std::uint32_t seq, const BindRespBody& b,
                                  std::string own) {
  T p;
  lib_header(p, id, kEsmeRok, seq);
  put_cstr(p.system_id, b.system_id);
  LibTlvList tlvs;
  if (b.sc_interface_version &&
      !tlvs.prepend(Tlv{kTagScInterfaceVersion,
                        std::string(1, static_cast<char>(*b.sc_interface_version))})) {
    return make_error(ErrorCode::Internal, "libsmpp34 build_tlv failed");
  }
  p.tlv = tlvs.head();
  return lib_pack(id, p, std::move(own));
}

template <typename T>
Result<std::string> lib_header_only(std::uint32_t id, std::uint32_t status, std::uint32_t seq,
                                    std::string own) {
  T p;
  lib_header(p, id, status, seq);
  return lib_pack(id, p, std::move(own));
}

template <typename T>
Result<std::string> lib_sm(std::uint32_t id, std::uint32_t seq, const SmBody& s, std::string own) {
  T p;
  lib_header(p, id, kEsmeRok, seq);
  put_cstr(p.service_type, s.service_type);
  p.source_addr_ton = s.source_addr_ton;
  p.source_addr_npi = s.source_addr_npi;
  put_cstr(p.source_addr, s.source_addr);
  p.dest_addr_ton = s.dest_addr_ton;
  p.dest_addr_npi = s.dest_addr_npi;
  put_cstr(p.destination_addr, s.destination_addr);
  p.esm_class = s.esm_class;
  p.protocol_id = s.protocol_id;
  p.priority_flag = s.priority_flag;
  put_cstr(p.schedule_delivery_time, s.schedule_delivery_time);
  put_cstr(p.validity_period, s.validity_period);
  p.registered_delivery = s.registered_delivery;
  p.replace_if_present_flag = s.replace_if_present_flag;
  p.data_coding = s.data_coding;
  p.sm_default_msg_id = s.sm_default_msg_id;
  p.sm_length = static_cast<std::uint8_t>(s.short_message.size());
  std::memcpy(p.short_message, s.short_message.data(), s.short_message.size());
  LibTlvList tlvs;
  for (auto it = s.tlvs.rbegin(); it != s.tlvs.rend(); ++it) {
    if (!tlvs.prepend(*it)) return make_error(ErrorCode::Internal, "libsmpp34 build_tlv failed");
  }
  p.tlv = tlvs.head();
  return lib_pack(id, p, std::move(own));
}

template <typename T>
Result<std::string> lib_sm_resp(std::uint32_t id, std::uint32_t status, std::uint32_t seq,
                                std::string_view message_id, std::string own) {
  T p;
  lib_header(p, id, status, seq);
  put_cstr(p.message_id, message_id);
  return lib_pack(id, p, std::move(own));
}

bool is_bind(std::uint32_t id) {
  return id == kBindTransmitter || id == kBindReceiver || id == kBindTransceiver;
}
bool is_bind_resp(std::uint32_t id) {
  return id == kBindTransmitterResp || id == kBindReceiverResp || id == kBindTransceiverResp;
}

core::Error bad_command(const char* fn, std::uint32_t id) {
  return make_error(ErrorCode::InvalidArgument,
                    fmt::format("encode::{} cannot encode {}", fn, command_name(id)));
}

}  // namespace

Result<std::string> bind(std::uint32_t command_id, std::uint32_t sequence_number,
                         const BindBody& body) {
  if (!is_bind(command_id)) return bad_command("bind", command_id);
  for (auto st : {check_cstr("system_id", body.system_id, kMaxSystemIdChars),
                  check_cstr("password", body.password, kMaxPasswordChars),
                  check_cstr("system_type", body.system_type, kMaxSystemTypeChars),
                  check_cstr("address_range", body.address_range, kMaxAddressRangeChars)}) {
    if (!st) return st.error();
  }
  Writer w(command_id, kEsmeRok, sequence_number);
  w.cstr(body.system_id);
  w.cstr(body.password);
  w.cstr(body.system_type);
  w.u8(body.interface_version);
  w.u8(body.addr_ton);
  w.u8(body.addr_npi);
  w.cstr(body.address_range);
  std::string own = std::move(w).finish();
  if (auto st = self_check(own); !st) return st.error();

  // Own encoding: sequence_number 0; interface_version other than 0x34 (bind_transmitter and
  // bind_transceiver refuse it in libsmpp34); TON/NPI outside its lists.
  if (!lib_header_ok(kEsmeRok, sequence_number) || body.interface_version != kInterfaceVersion34 ||
      !lib_addr_ok(body.addr_ton, body.addr_npi)) {
    return own;
  }
  switch (command_id) {
    case kBindTransmitter:
      return lib_bind<bind_transmitter_t>(command_id, sequence_number, body, std::move(own));
    case kBindReceiver:
      return lib_bind<bind_receiver_t>(command_id, sequence_number, body, std::move(own));
    default:
      return lib_bind<bind_transceiver_t>(command_id, sequence_number, body, std::move(own));
  }
}

Result<std::string> bind_resp(std::uint32_t command_id, std::uint32_t command_status,
                              std::uint32_t sequence_number, const BindRespBody& body) {
  if (!is_bind_resp(command_id)) return bad_command("bind_resp", command_id);
  if (auto st = check_cstr("system_id", body.system_id, kMaxSystemIdChars); !st) return st.error();
  Writer w(command_id, command_status, sequence_number);
  // SMPP 3.4 §4.1.2: "The body portion of the SMPP bind_transmitter_resp PDU is not returned if
  // the command_status field contains a non-zero value" (same for the other binds).
  const bool header_only = command_status != kEsmeRok;
  if (!header_only) {
    w.cstr(body.system_id);
    if (body.sc_interface_version) {
      w.tlv(Tlv{kTagScInterfaceVersion,
                std::string(1, static_cast<char>(*body.sc_interface_version))});
    }
  }
  std::string own = std::move(w).finish();
  if (auto st = self_check(own); !st) return st.error();

  // Own encoding: a header-only error bind_resp (libsmpp34 requires system_id), sequence 0.
  if (header_only || !lib_header_ok(command_status, sequence_number)) return own;
  switch (command_id) {
    case kBindTransmitterResp:
      return lib_bind_resp<bind_transmitter_resp_t>(command_id, sequence_number, body,
                                                    std::move(own));
    case kBindReceiverResp:
      return lib_bind_resp<bind_receiver_resp_t>(command_id, sequence_number, body, std::move(own));
    default:
      return lib_bind_resp<bind_transceiver_resp_t>(command_id, sequence_number, body,
                                                    std::move(own));
  }
}

Result<std::string> header_only(std::uint32_t command_id, std::uint32_t command_status,
                                std::uint32_t sequence_number) {
  if (command_id != kEnquireLink && command_id != kEnquireLinkResp && command_id != kUnbind &&
      command_id != kUnbindResp && command_id != kGenericNack) {
    return bad_command("header_only", command_id);
  }
  std::string own = Writer(command_id, command_status, sequence_number).finish();

  // Own encoding: sequence_number 0 (generic_nack answering an unparseable PDU) and statuses
  // libsmpp34 does not list (vendor codes).
  if (!lib_header_ok(command_status, sequence_number)) return own;
  switch (command_id) {
    case kEnquireLink:
      return lib_header_only<enquire_link_t>(command_id, command_status, sequence_number,
                                             std::move(own));
    case kEnquireLinkResp:
      return lib_header_only<enquire_link_resp_t>(command_id, command_status, sequence_number,
                                                  std::move(own));
    case kUnbind:
      return lib_header_only<unbind_t>(command_id, command_status, sequence_number, std::move(own));
    case kUnbindResp:
      return lib_header_only<unbind_resp_t>(command_id, command_status, sequence_number,
                                            std::move(own));
    default:
      return lib_header_only<generic_nack_t>(command_id, command_status, sequence_number,
                                             std::move(own));
  }
}

Result<std::string> sm(std::uint32_t command_id, std::uint32_t sequence_number,
                       const SmBody& body) {
  if (command_id != kSubmitSm && command_id != kDeliverSm) return bad_command("sm", command_id);
  for (auto st : {check_cstr("service_type", body.service_type, kMaxServiceTypeChars),
                  check_cstr("source_addr", body.source_addr, kMaxAddrChars),
                  check_cstr("destination_addr", body.destination_addr, kMaxAddrChars),
                  check_time("schedule_delivery_time", body.schedule_delivery_time),
                  check_time("validity_period", body.validity_period)}) {
    if (!st) return st.error();
  }
  if (body.short_message.size() > kMaxShortMessage) {
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("short_message is {} octets, SMPP 3.4 allows at most {}",
                                  body.short_message.size(), kMaxShortMessage));
  }
  for (const Tlv& t : body.tlvs) {
    if (t.value.size() > kMaxTlvValue) {
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("TLV 0x{:04x} is {} octets, the length field allows {}", t.tag,
                                    t.value.size(), kMaxTlvValue));
    }
  }
  Writer w(command_id, kEsmeRok, sequence_number);
  w.cstr(body.service_type);
  w.u8(body.source_addr_ton);
  w.u8(body.source_addr_npi);
  w.cstr(body.source_addr);
  w.u8(body.dest_addr_ton);
  w.u8(body.dest_addr_npi);
  w.cstr(body.destination_addr);
  w.u8(body.esm_class);
  w.u8(body.protocol_id);
  w.u8(body.priority_flag);
  w.cstr(body.schedule_delivery_time);
  w.cstr(body.validity_period);
  w.u8(body.registered_delivery);
  w.u8(body.replace_if_present_flag);
  w.u8(body.data_coding);
  w.u8(body.sm_default_msg_id);
  w.u8(static_cast<std::uint8_t>(body.short_message.size()));
  w.raw(body.short_message);
  for (const Tlv& t : body.tlvs) w.tlv(t);
  std::string own = std::move(w).finish();
  if (auto st = self_check(own); !st) return st.error();

  // Own encoding: sequence 0; TON/NPI outside libsmpp34's lists; sm_length 254 (it packs 253 at
  // most); more TLVs than the overflow guard; message_payload > 1024 octets or a TLV whose width
  // libsmpp34 would rewrite; a deliver_sm with schedule/validity set (it declares them 1 octet).
  bool lib = lib_header_ok(kEsmeRok, sequence_number) &&
             lib_addr_ok(body.source_addr_ton, body.source_addr_npi) &&
             lib_addr_ok(body.dest_addr_ton, body.dest_addr_npi) &&
             body.short_message.size() <= kLibMaxShortMessage && body.tlvs.size() <= kLibMaxTlvs;
  for (const Tlv& t : body.tlvs) lib = lib && lib_tlv_ok(t);
  if (command_id == kDeliverSm) {
    lib = lib && body.schedule_delivery_time.empty() && body.validity_period.empty();
  }
  if (!lib) return own;
  if (command_id == kSubmitSm)
    return lib_sm<submit_sm_t>(command_id, sequence_number, body, std::move(own));
  return lib_sm<deliver_sm_t>(command_id, sequence_number, body, std::move(own));
}

Result<std::string> sm_resp(std::uint32_t command_id, std::uint32_t command_status,
                            std::uint32_t sequence_number, std::string_view message_id) {
  if (command_id != kSubmitSmResp && command_id != kDeliverSmResp && command_id != kDataSmResp) {
    return bad_command("sm_resp", command_id);
  }
  if (auto st = check_cstr("message_id", message_id, kMaxMessageIdChars); !st) return st.error();
  // SMPP 3.4 §4.6.2: deliver_sm_resp message_id "unused" and set to NULL.
  if (command_id == kDeliverSmResp && !message_id.empty()) {
    return make_error(ErrorCode::InvalidArgument, "deliver_sm_resp message_id must be empty");
  }
  // SMPP 3.4 §4.4.2: "The submit_sm_resp PDU Body is not returned if the command_status field
  // contains a non-zero value." A message_id given with an error would be dropped: refuse it.
  const bool header_only = command_id == kSubmitSmResp && command_status != kEsmeRok;
  if (header_only && !message_id.empty()) {
    return make_error(ErrorCode::InvalidArgument,
                      "submit_sm_resp with an error status carries no message_id");
  }
  Writer w(command_id, command_status, sequence_number);
  if (!header_only) w.cstr(message_id);
  std::string own = std::move(w).finish();
  if (auto st = self_check(own); !st) return st.error();

  // Own encoding: header-only error submit_sm_resp, sequence 0, vendor statuses, and an empty
  // submit_sm_resp message_id (libsmpp34 declares it optional and would omit the NUL).
  if (header_only || !lib_header_ok(command_status, sequence_number)) return own;
  switch (command_id) {
    case kSubmitSmResp:
      if (message_id.empty()) return own;
      return lib_sm_resp<submit_sm_resp_t>(command_id, command_status, sequence_number, message_id,
                                           std::move(own));
    case kDeliverSmResp:
      return lib_sm_resp<deliver_sm_resp_t>(command_id, command_status, sequence_number, message_id,
                                            std::move(own));
    default:
      return lib_sm_resp<data_sm_resp_t>(command_id, command_status, sequence_number, message_id,
                                         std::move(own));
  }
}

}  // namespace smish::gateway::smpp::encode
