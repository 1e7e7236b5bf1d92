// Private UTF-8 helpers for the text decoders and encoders: append a code point, read one back.
#pragma once

#include "smish/core/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smish::gateway::text::detail {

using core::append_utf8;

/// U+FFFD REPLACEMENT CHARACTER (Unicode §3.9): stands in for every undecodable octet sequence.
inline constexpr char32_t kReplacement = 0xFFFD;
/// What next_code_point() returns for an ill-formed sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;


/// Reads the code point at `pos` (precondition: pos < s.size()) and advances `pos` past it.
/// Well-formed means Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF.
/// An ill-formed sequence returns kInvalid and advances past its maximal subpart (Unicode §3.9
/// "U+FFFD substitution of maximal subparts"), so every byte is consumed exactly once and callers
/// stay linear.
inline char32_t next_code_point(std::string_view s, std::size_t& pos) {
  const auto b0 = static_cast<std::uint8_t>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int trailing = 0;
  std::uint8_t lo = 0x80;  // bounds for the second octet (Table 3-7); later octets are 80..BF
  std::uint8_t hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    trailing = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    trailing = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b0 == 0xED) hi = 0x9F;  // surrogates D800..DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    trailing = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    ++pos;  // 80..C1 and F5..FF never start a sequence
    return kInvalid;
  }
  std::size_t i = pos + 1;
  for (int k = 0; k < trailing; ++k, ++i) {
    if (i >= s.size()) {
      pos = i;
      return kInvalid;
    }
    const auto b = static_cast<std::uint8_t>(s[i]);
    if (b < lo || b > hi) {
      pos = i;  // the offending octet starts the next read
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
    lo = 0x80;
    hi = 0xBF;
  }
  pos = i;
  return cp;
}

}  // namespace smish::gateway::text::detail

namespace smish::gateway::text::detail {

// GSM 03.38 decoding shared by charset.cpp and gsm7.cpp; both return core::TextFlags bits.

/// Appends the UTF-8 for unpacked GSM 03.38 septets (one per octet, 0x1B escapes).
std::uint32_t append_gsm7(std::string& out, std::string_view septets);
/// Appends the UTF-8 for septet-packed GSM 03.38 octets; `septets` 0 derives the count.
std::uint32_t append_gsm7_packed(std::string& out, std::string_view octets, std::size_t septets);

}  // namespace smish::gateway::text::detail
