// smsc-sim corpus: JSONL lines to validated messages, and messages to deliver_sm bodies (codings, splits).
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "smish/gateway/text.hpp"
#include "smish/sim/simulator.hpp"

namespace smish::sim {
namespace {

using gateway::smpp::SmBody;
using gateway::smpp::Tlv;
using gateway::text::Charset;

// One SMS holds 140 octets of user data (3GPP TS 23.040 §9.2.3.16): 160 septets, 140 Latin-1
// octets, 70 UCS2 units.
std::size_t single_limit(Charset c) {
  switch (c) {
    case Charset::Gsm7: return 160;
    case Charset::Latin1: return 140;
    default: return 70;
  }
}

// Units per part. A concatenation UDH costs 6 octets (IEI 0x00) or 7 (IEI 0x08) of the 140;
// SAR carries the facts in TLVs, so a part is a whole SMS.
std::size_t part_limit(SplitMode split, Charset c) {
  const std::size_t udh = split == SplitMode::Udh8 ? 6 : split == SplitMode::Udh16 ? 7 : 0;
  switch (c) {
    case Charset::Gsm7: return ((140 - udh) * 8) / 7;  // 153 / 152 / 160 septets
    case Charset::Latin1: return 140 - udh;            // 134 / 133 / 140
    default: return (140 - udh) / 2;                   // 67 / 66 / 70
  }
}

std::size_t units_of(Charset c, std::size_t octets) { return c == Charset::Ucs2 ? octets / 2 : octets; }

std::uint8_t data_coding_of(Charset c) {
  switch (c) {
    case Charset::Gsm7: return 0x00;    // SMPP 3.4 §5.2.19: SMSC default alphabet (unpacked here)
    case Charset::Latin1: return 0x03;  // ISO-8859-1
    default: return 0x08;               // UCS2
  }
}

core::Error line_error(std::size_t line, std::string_view field, std::string_view why) {
  return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("line {}: {}: {}", line, field, why));
}

std::optional<std::string> encode_as(Charset c, std::string_view utf8) {
  switch (c) {
    case Charset::Gsm7: return gateway::text::encode_gsm7(utf8);
    case Charset::Latin1: return gateway::text::encode_latin1(utf8);
    default: return gateway::text::encode_ucs2(utf8);
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

struct Address {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string addr;
};

// SMPP 3.4 §5.2.5 TON 1 = international, 5 = alphanumeric; §5.2.6 NPI 1 = E.164.
core::Result<Address> map_address(std::string_view value, std::size_t line, std::string_view field) {
  Address a;
  if (!value.empty() && value.front() == '+') {
    a = Address{1, 1, std::string(value.substr(1))};
    if (!all_digits(a.addr)) return line_error(line, field, "digits must follow '+'");
  } else if (all_digits(value)) {
    a = Address{0, 1, std::string(value)};
  } else {
    a = Address{5, 0, std::string(value)};
  }
  if (a.addr.empty()) return line_error(line, field, "empty address");
  // SMPP 3.4 §4.6.1: source_addr and destination_addr are C-octet strings of at most 21 (20 + NUL).
  if (a.addr.size() > 20) return line_error(line, field, "longer than 20 characters");
  return a;
}

std::string be16(std::uint16_t v) {
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}

// The encoded chunks of one message after choosing the split.
struct Plan {
  SplitMode split = SplitMode::None;
  std::string encoded;
  std::vector<std::string> chunks;
};

core::Result<Plan> plan(const CorpusMessage& msg, std::string_view text, bool split_blind) {
  auto encoded = encode_as(msg.coding, text);
  if (!encoded)
    return line_error(msg.line, "coding",
                      fmt::format("text is not encodable in {}", gateway::text::to_string(msg.coding)));
  Plan p;
  p.encoded = std::move(*encoded);
  const std::size_t units = units_of(msg.coding, p.encoded.size());
  const bool fits = units <= single_limit(msg.coding);
  p.split = msg.split_given ? msg.split : (fits ? SplitMode::None : SplitMode::Udh8);
  switch (p.split) {
    case SplitMode::None:
      if (!fits)
        return line_error(msg.line, "split",
                          fmt::format("text needs {} units, more than one SMS ({}), but split is none", units,
                                      single_limit(msg.coding)));
      p.chunks.push_back(p.encoded);
      break;
    case SplitMode::Payload:
      // SMPP 3.4 §5.3.2.32: message_payload length is a 16-bit field.
      if (p.encoded.size() > 0xFFFF) return line_error(msg.line, "text", "longer than 65535 octets");
      p.chunks.push_back(p.encoded);
      break;
    default:
      p.chunks = gateway::text::split_encoded(msg.coding, p.encoded, part_limit(p.split, msg.coding), !split_blind);
      if (p.chunks.empty()) p.chunks.emplace_back();
      // 3GPP TS 23.040 §9.2.3.24.1 / SMPP 3.4 §5.3.2.23: at most 255 parts.
      if (p.chunks.size() > 255)
        return line_error(msg.line, "text", fmt::format("needs {} parts, more than 255", p.chunks.size()));
      break;
  }
  return p;
}

}  // namespace

std::string_view to_string(SplitMode mode) {
  switch (mode) {
    case SplitMode::None: return "none";
    case SplitMode::Udh8: return "udh8";
    case SplitMode::Udh16: return "udh16";
    case SplitMode::Sar: return "sar";
    case SplitMode::Payload: return "payload";
  }
  return "unknown";
}

std::optional<SplitMode> parse_split_mode(std::string_view name) {
  for (SplitMode m : {SplitMode::None, SplitMode::Udh8, SplitMode::Udh16, SplitMode::Sar, SplitMode::Payload})
    if (to_string(m) == name) return m;
  return std::nullopt;
}

core::Result<CorpusMessage> parse_corpus_line(std::string_view line, std::size_t line_no) {
  const core::Json j = core::Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return line_error(line_no, "json", "not valid JSON (or not UTF-8)");
  if (!j.is_object()) return line_error(line_no, "json", "not a JSON object");

  CorpusMessage msg;
  msg.line = line_no;
  for (auto [field, out] : {std::pair<const char*, std::string*>{"src", &msg.src}, {"dst", &msg.dst},
                            {"text", &msg.text}}) {
    auto it = j.find(field);
    if (it == j.end()) return line_error(line_no, field, "missing");
    if (!it->is_string()) return line_error(line_no, field, "not a string");
    *out = it->get_ref<const std::string&>();
  }
  if (auto r = map_address(msg.src, line_no, "src"); !r) return r.error();
  if (auto r = map_address(msg.dst, line_no, "dst"); !r) return r.error();

  if (auto it = j.find("coding"); it != j.end()) {
    if (!it->is_string()) return line_error(line_no, "coding", "not a string");
    const auto& name = it->get_ref<const std::string&>();
    if (name == "gsm7") msg.coding = Charset::Gsm7;
    else if (name == "latin1") msg.coding = Charset::Latin1;
    else if (name == "ucs2") msg.coding = Charset::Ucs2;
    else return line_error(line_no, "coding", fmt::format("\"{}\" is not gsm7, latin1 or ucs2", name));
    msg.coding_given = true;
  } else {
    msg.coding = gateway::text::encode_gsm7(msg.text) ? Charset::Gsm7 : Charset::Ucs2;
  }

  if (auto it = j.find("split"); it != j.end()) {
    if (!it->is_string()) return line_error(line_no, "split", "not a string");
    const auto& name = it->get_ref<const std::string&>();
    auto mode = parse_split_mode(name);
    if (!mode) return line_error(line_no, "split", fmt::format("\"{}\" is not none, udh8, udh16, sar or payload", name));
    msg.split = *mode;
    msg.split_given = true;
  }

  auto p = plan(msg, msg.text, false);
  if (!p) return p.error();
  if (!msg.split_given) msg.split = p->split;
  return msg;
}

core::Result<std::vector<CorpusMessage>> parse_corpus(std::string_view jsonl, std::size_t max_suffix) {
  std::vector<CorpusMessage> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= jsonl.size()) {
    const std::size_t end = std::min(jsonl.find('\n', pos), jsonl.size());
    std::string_view line = jsonl.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto msg = parse_corpus_line(line, line_no);
    if (!msg) return msg.error();
    if (max_suffix > 0) {
      // --vary appends " #<n>": the longest suffix must fit as well (digits encode in every coding).
      auto p = plan(*msg, msg->text + std::string(max_suffix, '0'), false);
      if (!p) return p.error();
    }
    out.push_back(std::move(*msg));
  }
  return out;
}

core::Result<std::vector<CorpusMessage>> load_corpus(const std::string& path, std::size_t max_suffix) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(core::ErrorCode::IoError, fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return core::make_error(core::ErrorCode::IoError, fmt::format("{}: read error", path));
  auto r = parse_corpus(ss.str(), max_suffix);
  if (!r) return core::make_error(r.error().code, fmt::format("{}: {}", path, r.error().detail));
  return r;
}

core::Result<std::vector<SmBody>> build_deliver_parts(const CorpusMessage& msg, const BuildOptions& options) {
  const std::string text = msg.text + options.text_suffix;
  auto p = plan(msg, text, options.split_blind);
  if (!p) return p.error();
  auto src = map_address(msg.src, msg.line, "src");
  if (!src) return src.error();
  auto dst = map_address(msg.dst, msg.line, "dst");
  if (!dst) return dst.error();

  SmBody base;
  base.source_addr_ton = src->ton;
  base.source_addr_npi = src->npi;
  base.source_addr = src->addr;
  base.dest_addr_ton = dst->ton;
  base.dest_addr_npi = dst->npi;
  base.destination_addr = dst->addr;
  base.data_coding = data_coding_of(msg.coding);

  std::vector<SmBody> parts;
  const auto total = static_cast<std::uint8_t>(p->chunks.size());
  for (std::size_t i = 0; i < p->chunks.size(); ++i) {
    SmBody b = base;
    const auto seq = static_cast<std::uint8_t>(i + 1);
    switch (p->split) {
      case SplitMode::None:
        b.short_message = p->chunks[i];
        break;
      case SplitMode::Payload:
        b.tlvs.push_back(Tlv{gateway::smpp::kTagMessagePayload, p->chunks[i]});
        break;
      case SplitMode::Udh8:
      case SplitMode::Udh16: {
        core::ConcatInfo info;
        info.source = p->split == SplitMode::Udh8 ? core::ConcatSource::Udh8 : core::ConcatSource::Udh16;
        info.ref = p->split == SplitMode::Udh8 ? static_cast<std::uint16_t>(options.ref & 0xFF) : options.ref;
        info.total = total;
        info.seq = seq;
        b.esm_class = gateway::smpp::kEsmClassUdhi;
        b.short_message = gateway::text::make_concat_udh(info) + p->chunks[i];
        break;
      }
      case SplitMode::Sar:
        b.short_message = p->chunks[i];
        b.tlvs.push_back(Tlv{gateway::smpp::kTagSarMsgRefNum, be16(options.ref)});
        b.tlvs.push_back(Tlv{gateway::smpp::kTagSarTotalSegments, std::string(1, static_cast<char>(total))});
        b.tlvs.push_back(Tlv{gateway::smpp::kTagSarSegmentSeqnum, std::string(1, static_cast<char>(seq))});
        break;
    }
    parts.push_back(std::move(b));
  }
  return parts;
}

}  // namespace smish::sim
