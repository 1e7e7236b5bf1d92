// SMPP 3.4 PDU value types with the spec's field names. No I/O, no libsmpp34 types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smish::gateway::smpp {

// SMPP 3.4 §5.1.2.1 command_id values.
inline constexpr std::uint32_t kGenericNack = 0x80000000;
inline constexpr std::uint32_t kBindReceiver = 0x00000001;
inline constexpr std::uint32_t kBindReceiverResp = 0x80000001;
inline constexpr std::uint32_t kBindTransmitter = 0x00000002;
inline constexpr std::uint32_t kBindTransmitterResp = 0x80000002;
inline constexpr std::uint32_t kQuerySm = 0x00000003;
inline constexpr std::uint32_t kSubmitSm = 0x00000004;
inline constexpr std::uint32_t kSubmitSmResp = 0x80000004;
inline constexpr std::uint32_t kDeliverSm = 0x00000005;
inline constexpr std::uint32_t kDeliverSmResp = 0x80000005;
inline constexpr std::uint32_t kUnbind = 0x00000006;
inline constexpr std::uint32_t kUnbindResp = 0x80000006;
inline constexpr std::uint32_t kBindTransceiver = 0x00000009;
inline constexpr std::uint32_t kBindTransceiverResp = 0x80000009;
inline constexpr std::uint32_t kOutbind = 0x0000000B;
inline constexpr std::uint32_t kEnquireLink = 0x00000015;
inline constexpr std::uint32_t kEnquireLinkResp = 0x80000015;
inline constexpr std::uint32_t kDataSm = 0x00000103;
inline constexpr std::uint32_t kDataSmResp = 0x80000103;
inline constexpr std::uint32_t kRespBit = 0x80000000;

// SMPP 3.4 §5.1.3 command_status values used by smishd.
inline constexpr std::uint32_t kEsmeRok = 0x00000000;
inline constexpr std::uint32_t kEsmeRinvmsglen = 0x00000001;
inline constexpr std::uint32_t kEsmeRinvcmdlen = 0x00000002;
inline constexpr std::uint32_t kEsmeRinvcmdid = 0x00000003;
inline constexpr std::uint32_t kEsmeRinvbndsts = 0x00000004;
inline constexpr std::uint32_t kEsmeRalybnd = 0x00000005;
inline constexpr std::uint32_t kEsmeRsyserr = 0x00000008;
inline constexpr std::uint32_t kEsmeRinvsrcadr = 0x0000000A;
inline constexpr std::uint32_t kEsmeRinvdstadr = 0x0000000B;
inline constexpr std::uint32_t kEsmeRbindfail = 0x0000000D;
inline constexpr std::uint32_t kEsmeRinvpaswd = 0x0000000E;
inline constexpr std::uint32_t kEsmeRinvsysid = 0x0000000F;
inline constexpr std::uint32_t kEsmeRmsgqful = 0x00000014;
inline constexpr std::uint32_t kEsmeRinvesmclass = 0x00000043;
inline constexpr std::uint32_t kEsmeRthrottled = 0x00000058;
inline constexpr std::uint32_t kEsmeRxTAppn = 0x00000064;  // ESME receiver temporary app error
inline constexpr std::uint32_t kEsmeRxPAppn = 0x00000065;  // ESME receiver permanent app error
inline constexpr std::uint32_t kEsmeRxRAppn = 0x00000066;  // ESME receiver reject message error
inline constexpr std::uint32_t kEsmeRinvoptparstream = 0x000000C0;
inline constexpr std::uint32_t kEsmeRoptparnotallwd = 0x000000C1;
inline constexpr std::uint32_t kEsmeRinvparlen = 0x000000C2;
inline constexpr std::uint32_t kEsmeRmissingoptparam = 0x000000C3;
inline constexpr std::uint32_t kEsmeRinvoptparamval = 0x000000C4;
inline constexpr std::uint32_t kEsmeRunknownerr = 0x000000FF;

// SMPP 3.4 §5.3.2 TLV tags used by smishd.
inline constexpr std::uint16_t kTagReceiptedMessageId = 0x001E;
inline constexpr std::uint16_t kTagSarMsgRefNum = 0x020C;
inline constexpr std::uint16_t kTagSarTotalSegments = 0x020E;
inline constexpr std::uint16_t kTagSarSegmentSeqnum = 0x020F;
inline constexpr std::uint16_t kTagScInterfaceVersion = 0x0210;
inline constexpr std::uint16_t kTagMessagePayload = 0x0424;
inline constexpr std::uint16_t kTagMessageState = 0x0427;

// SMPP 3.4 §5.2.12 esm_class: 0x40 = UDHI (user data header present in short_message).
inline constexpr std::uint8_t kEsmClassUdhi = 0x40;

/// Name of a command_id for logs ("deliver_sm", "0x00000123" when unknown).
std::string command_name(std::uint32_t command_id);
/// Name of a command_status for logs ("ESME_ROK", "0x00000400" when unknown).
std::string status_name(std::uint32_t command_status);

/// SMPP 3.4 §3.2 PDU header, 16 octets.
struct PduHeader {
  std::uint32_t command_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;
};

/// One TLV as it was on the wire (SMPP 3.4 §3.2.4.1).
struct Tlv {
  std::uint16_t tag = 0;
  std::string value;  ///< exactly `length` octets
};

/// bind_transmitter / bind_receiver / bind_transceiver body (SMPP 3.4 §4.1.1).
struct BindBody {
  std::string system_id;          ///< <= 15 octets
  std::string password;           ///< <= 8 octets
  std::string system_type;        ///< <= 12 octets
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;      ///< <= 40 octets
};

/// bind_*_resp body (SMPP 3.4 §4.1.2). May be absent on an error status.
struct BindRespBody {
  std::string system_id;
  std::optional<std::uint8_t> sc_interface_version;
};

/// submit_sm / deliver_sm body (SMPP 3.4 §4.4.1, §4.6.1). data_sm is not decoded into this.
struct SmBody {
  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;        ///< <= 20 octets
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;   ///< <= 20 octets
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;      ///< sm_length octets, UDH included when esm_class has UDHI
  std::vector<Tlv> tlvs;          ///< in wire order, unknown tags kept

  /// First TLV with `tag`, or nullptr.
  const Tlv* find_tlv(std::uint16_t tag) const;
};

/// submit_sm_resp / deliver_sm_resp / data_sm_resp body: message_id, absent on some errors.
struct SmRespBody {
  std::string message_id;
};

/// A decoded PDU. Header-only PDUs (enquire_link, unbind, their responses, generic_nack) carry
/// std::monostate.
struct Pdu {
  PduHeader header;
  std::variant<std::monostate, BindBody, BindRespBody, SmBody, SmRespBody> body;
};

}  // namespace smish::gateway::smpp
