// User data header (3GPP TS 23.040 §9.2.3.24): split it off and read the concatenation IEs; build one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"

namespace smish::gateway::text {
namespace {

// TS 23.040 §9.2.3.24.1 "Concatenated short messages, 8-bit reference number": ref, total, seq.
constexpr std::uint8_t kIeiConcat8 = 0x00;
constexpr std::uint8_t kConcat8Length = 3;
// TS 23.040 §9.2.3.24.8 "Concatenated short messages, 16-bit reference number": ref (2), total, seq.
constexpr std::uint8_t kIeiConcat16 = 0x08;
constexpr std::uint8_t kConcat16Length = 4;

std::uint8_t octet(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// Total 0, seq 0 and seq > total are to be ignored by the receiver (TS 23.040 §9.2.3.24.1).
bool plausible(std::uint8_t total, std::uint8_t seq) { return total != 0 && seq != 0 && seq <= total; }

std::string hex_octet(std::uint8_t v) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return {'0', 'x', kDigits[v >> 4], kDigits[v & 0x0F]};
}

}  // namespace

core::Result<UserData> split_udh(std::string_view short_message) {
  if (short_message.empty()) {
    return core::make_error(core::ErrorCode::InvalidArgument, "UDHI set on an empty short_message");
  }
  const std::size_t udhl = octet(short_message, 0);  // TS 23.040 §9.2.3.24: UDHL excludes itself
  const std::size_t end = 1 + udhl;
  if (end > short_message.size()) {
    return core::make_error(core::ErrorCode::InvalidArgument,
                            "UDHL " + std::to_string(udhl) + " runs past the " +
                                std::to_string(short_message.size()) + "-octet short_message");
  }
  UserData out;
  for (std::size_t pos = 1; pos < end;) {
    if (end - pos < 2) {
      return core::make_error(core::ErrorCode::InvalidArgument,
                              "UDH IE at offset " + std::to_string(pos) + " has no length octet");
    }
    const std::uint8_t iei = octet(short_message, pos);
    const std::size_t length = octet(short_message, pos + 1);
    const std::size_t data = pos + 2;
    if (length > end - data) {
      return core::make_error(core::ErrorCode::InvalidArgument,
                              "UDH IE " + hex_octet(iei) + " at offset " + std::to_string(pos) +
                                  " runs past the " + std::to_string(udhl) + "-octet header");
    }
    // A concatenation IE of the wrong length is skipped like an unknown IE (TS 23.040 §9.2.3.24:
    // a receiver ignores IEs it cannot interpret). A repeated IE: the last valid one wins.
    if (iei == kIeiConcat8 && length == kConcat8Length) {
      const std::uint8_t total = octet(short_message, data + 1);
      const std::uint8_t seq = octet(short_message, data + 2);
      if (plausible(total, seq)) {
        out.concat = core::ConcatInfo{core::ConcatSource::Udh8, octet(short_message, data), total, seq};
      }
    } else if (iei == kIeiConcat16 && length == kConcat16Length) {
      const auto ref = static_cast<std::uint16_t>((octet(short_message, data) << 8) | octet(short_message, data + 1));
      const std::uint8_t total = octet(short_message, data + 2);
      const std::uint8_t seq = octet(short_message, data + 3);
      if (plausible(total, seq)) out.concat = core::ConcatInfo{core::ConcatSource::Udh16, ref, total, seq};
    }
    pos = data + length;
  }
  out.udh = std::string(short_message.substr(0, end));
  out.payload = std::string(short_message.substr(end));
  return out;
}

std::string make_concat_udh(const core::ConcatInfo& info) {
  std::string udh;
  // An 8-bit reference only when the source says so and the value fits; SAR refs are 16-bit.
  if (info.source == core::ConcatSource::Udh8 && info.ref <= 0xFF) {
    udh = {static_cast<char>(5), static_cast<char>(kIeiConcat8), static_cast<char>(kConcat8Length),
           static_cast<char>(info.ref), static_cast<char>(info.total), static_cast<char>(info.seq)};
  } else {
    udh = {static_cast<char>(6), static_cast<char>(kIeiConcat16), static_cast<char>(kConcat16Length),
           static_cast<char>(info.ref >> 8), static_cast<char>(info.ref & 0xFF),
           static_cast<char>(info.total), static_cast<char>(info.seq)};
  }
  return udh;
}

}  // namespace smish::gateway::text
