// Log names for SMPP 3.4 command_id and command_status values, and SmBody::find_tlv.
#include <cstdio>
#include <string>

#include "smish/gateway/pdu.hpp"

namespace smish::gateway::smpp {
namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

std::string command_name(std::uint32_t command_id) {
  // SMPP 3.4 §5.1.2.1, including the commands smishd does not implement (for readable logs).
  switch (command_id) {
    case kGenericNack:
      return "generic_nack";
    case kBindReceiver:
      return "bind_receiver";
    case kBindReceiverResp:
      return "bind_receiver_resp";
    case kBindTransmitter:
      return "bind_transmitter";
    case kBindTransmitterResp:
      return "bind_transmitter_resp";
    case kQuerySm:
      return "query_sm";
    case 0x80000003:
      return "query_sm_resp";
    case kSubmitSm:
      return "submit_sm";
    case kSubmitSmResp:
      return "submit_sm_resp";
    case kDeliverSm:
      return "deliver_sm";
    case kDeliverSmResp:
      return "deliver_sm_resp";
    case kUnbind:
      return "unbind";
    case kUnbindResp:
      return "unbind_resp";
    case 0x00000007:
      return "replace_sm";
    case 0x80000007:
      return "replace_sm_resp";
    case 0x00000008:
      return "cancel_sm";
    case 0x80000008:
      return "cancel_sm_resp";
    case kBindTransceiver:
      return "bind_transceiver";
    case kBindTransceiverResp:
      return "bind_transceiver_resp";
    case kOutbind:
      return "outbind";
    case kEnquireLink:
      return "enquire_link";
    case kEnquireLinkResp:
      return "enquire_link_resp";
    case 0x00000021:
      return "submit_multi";
    case 0x80000021:
      return "submit_multi_resp";
    case 0x00000102:
      return "alert_notification";
    case kDataSm:
      return "data_sm";
    case kDataSmResp:
      return "data_sm_resp";
    default:
      return hex32(command_id);
  }
}

std::string status_name(std::uint32_t command_status) {
  // SMPP 3.4 §5.1.3. Vendor codes (0x400-0x4FF) and reserved values print as hex.
  switch (command_status) {
    case kEsmeRok:
      return "ESME_ROK";
    case kEsmeRinvmsglen:
      return "ESME_RINVMSGLEN";
    case kEsmeRinvcmdlen:
      return "ESME_RINVCMDLEN";
    case kEsmeRinvcmdid:
      return "ESME_RINVCMDID";
    case kEsmeRinvbndsts:
      return "ESME_RINVBNDSTS";
    case kEsmeRalybnd:
      return "ESME_RALYBND";
    case 0x00000006:
      return "ESME_RINVPRTFLG";
    case 0x00000007:
      return "ESME_RINVREGDLVFLG";
    case kEsmeRsyserr:
      return "ESME_RSYSERR";
    case kEsmeRinvsrcadr:
      return "ESME_RINVSRCADR";
    case kEsmeRinvdstadr:
      return "ESME_RINVDSTADR";
    case 0x0000000C:
      return "ESME_RINVMSGID";
    case kEsmeRbindfail:
      return "ESME_RBINDFAIL";
    case kEsmeRinvpaswd:
      return "ESME_RINVPASWD";
    case kEsmeRinvsysid:
      return "ESME_RINVSYSID";
    case 0x00000011:
      return "ESME_RCANCELFAIL";
    case 0x00000013:
      return "ESME_RREPLACEFAIL";
    case kEsmeRmsgqful:
      return "ESME_RMSGQFUL";
    case 0x00000015:
      return "ESME_RINVSERTYP";
    case 0x00000033:
      return "ESME_RINVNUMDESTS";
    case 0x00000034:
      return "ESME_RINVDLNAME";
    case 0x00000040:
      return "ESME_RINVDESTFLAG";
    case 0x00000042:
      return "ESME_RINVSUBREP";
    case kEsmeRinvesmclass:
      return "ESME_RINVESMCLASS";
    case 0x00000044:
      return "ESME_RCNTSUBDL";
    case 0x00000045:
      return "ESME_RSUBMITFAIL";
    case 0x00000048:
      return "ESME_RINVSRCTON";
    case 0x00000049:
      return "ESME_RINVSRCNPI";
    case 0x00000050:
      return "ESME_RINVDSTTON";
    case 0x00000051:
      return "ESME_RINVDSTNPI";
    case 0x00000053:
      return "ESME_RINVSYSTYP";
    case 0x00000054:
      return "ESME_RINVREPFLAG";
    case 0x00000055:
      return "ESME_RINVNUMMSGS";
    case kEsmeRthrottled:
      return "ESME_RTHROTTLED";
    case 0x00000061:
      return "ESME_RINVSCHED";
    case 0x00000062:
      return "ESME_RINVEXPIRY";
    case 0x00000063:
      return "ESME_RINVDFTMSGID";
    case kEsmeRxTAppn:
      return "ESME_RX_T_APPN";
    case kEsmeRxPAppn:
      return "ESME_RX_P_APPN";
    case kEsmeRxRAppn:
      return "ESME_RX_R_APPN";
    case 0x00000067:
      return "ESME_RQUERYFAIL";
    case kEsmeRinvoptparstream:
      return "ESME_RINVOPTPARSTREAM";
    case kEsmeRoptparnotallwd:
      return "ESME_ROPTPARNOTALLWD";
    case kEsmeRinvparlen:
      return "ESME_RINVPARLEN";
    case kEsmeRmissingoptparam:
      return "ESME_RMISSINGOPTPARAM";
    case kEsmeRinvoptparamval:
      return "ESME_RINVOPTPARAMVAL";
    case 0x000000FE:
      return "ESME_RDELIVERYFAILURE";
    case kEsmeRunknownerr:
      return "ESME_RUNKNOWNERR";
    default:
      return hex32(command_status);
  }
}

const Tlv* SmBody::find_tlv(std::uint16_t tag) const {
  for (const Tlv& t : tlvs) {
    if (t.tag == tag) return &t;
  }
  return nullptr;
}

}  // namespace smish::gateway::smpp
