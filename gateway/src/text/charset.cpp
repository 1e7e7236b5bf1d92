// data_coding to charset (SMPP 3.4 §5.2.19, 3GPP TS 23.038 §4), octets to UTF-8, UCS2/Latin-1 encoders, splitting.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"
#include "text/utf8.hpp"

namespace smish::gateway::text {
namespace {

using detail::append_utf8;
using detail::kInvalid;
using detail::kReplacement;

// Charset of a TS 23.038 §4 "General Data Coding" group octet (bits 7..6 = 00, or 01 = the same
// marked for automatic deletion). Bit 5 set = compressed (TS 23.042), which we do not implement;
// bit 4 only says whether bits 1..0 carry a message class. Bits 3..2 are the alphabet.
Charset general_group(std::uint8_t dcs) {
  if (dcs & 0x20) return Charset::Binary;  // compressed
  switch ((dcs >> 2) & 0x03) {
    case 0: return Charset::Gsm7;
    case 1: return Charset::Binary;  // 8-bit data
    case 2: return Charset::Ucs2;
    default: return Charset::Binary;  // reserved
  }
}

// Drops trailing 0x00 octets, telling whether any were there.
std::string_view strip_trailing_nul(std::string_view s, std::uint32_t& flags) {
  std::size_t n = s.size();
  while (n > 0 && s[n - 1] == '\0') --n;
  if (n != s.size()) flags |= core::kTextTrailingNul;
  return s.substr(0, n);
}

void decode_ia5(std::string_view in, DecodedText& out) {
  for (char c : in) {
    if (static_cast<std::uint8_t>(c) < 0x80) {
      out.utf8.push_back(c);
    } else {  // IA5 (ITU-T T.50) is 7-bit
      append_utf8(out.utf8, kReplacement);
      out.flags |= core::kTextUndecodable;
    }
  }
}

void decode_latin1(std::string_view in, DecodedText& out) {
  for (char c : in) append_utf8(out.utf8, static_cast<std::uint8_t>(c));  // ISO-8859-1 = U+0000..U+00FF
}

void decode_utf8(std::string_view in, DecodedText& out) {
  for (std::size_t pos = 0; pos < in.size();) {
    const std::size_t start = pos;
    const char32_t cp = detail::next_code_point(in, pos);
    if (cp == kInvalid) {
      append_utf8(out.utf8, kReplacement);
      out.flags |= core::kTextUndecodable;
    } else {
      out.utf8.append(in.substr(start, pos - start));  // already well-formed
    }
  }
}

void decode_ucs2(std::string_view in, DecodedText& out) {
  bool odd_octet = false;  // a final octet that is not a whole UTF-16 unit, and not a NUL
  if (in.size() % 2 == 1) {
    if (in.back() == '\0') {  // a lone odd trailing NUL some SMSCs append
      out.flags |= core::kTextTrailingNul;
    } else {
      odd_octet = true;
    }
    in.remove_suffix(1);
  }
  std::size_t units = in.size() / 2;
  const auto unit_at = [&](std::size_t i) -> char16_t {
    return static_cast<char16_t>((static_cast<std::uint8_t>(in[2 * i]) << 8) | static_cast<std::uint8_t>(in[2 * i + 1]));
  };
  if (!odd_octet) {  // 0x0000 units are only trailing when nothing undecodable follows them
    const std::size_t before = units;
    while (units > 0 && unit_at(units - 1) == 0) --units;
    if (units != before) out.flags |= core::kTextTrailingNul;
  }
  for (std::size_t i = 0; i < units; ++i) {
    const char16_t u = unit_at(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      const char16_t low = unit_at(i + 1);
      if (low >= 0xDC00 && low <= 0xDFFF) {  // UTF-16 surrogate pair (RFC 2781 §2.2)
        append_utf8(out.utf8, 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) + (low - 0xDC00));
        ++i;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {  // a lone surrogate; the unit after it is read on its own
      append_utf8(out.utf8, kReplacement);
      out.flags |= core::kTextUndecodable;
      continue;
    }
    append_utf8(out.utf8, u);
  }
  if (odd_octet) {
    append_utf8(out.utf8, kReplacement);
    out.flags |= core::kTextUndecodable;
  }
}

// Octets in one indivisible character starting at `pos` of `encoded`, for split_encoded.
std::size_t character_octets(Charset charset, std::string_view encoded, std::size_t pos) {
  const std::size_t left = encoded.size() - pos;
  switch (charset) {
    case Charset::Gsm7:  // an escape pair (TS 23.038 §6.2.1.1) is one character
      return (encoded[pos] == '\x1B' && left >= 2) ? 2 : 1;
    case Charset::Ucs2: {
      if (left < 2) return left;
      const auto high = static_cast<std::uint8_t>(encoded[pos]);
      if (high >= 0xD8 && high <= 0xDB && left >= 4) {
        const auto next = static_cast<std::uint8_t>(encoded[pos + 2]);
        if (next >= 0xDC && next <= 0xDF) return 4;  // a surrogate pair
      }
      return 2;
    }
    case Charset::Utf8: {
      std::size_t end = pos;
      detail::next_code_point(encoded, end);
      return end - pos;
    }
    case Charset::Ia5:
    case Charset::Latin1:
    case Charset::Binary:
      break;
  }
  return 1;
}

}  // namespace

std::string_view to_string(Charset c) {
  switch (c) {
    case Charset::Gsm7: return "gsm7";
    case Charset::Ia5: return "ia5";
    case Charset::Latin1: return "latin1";
    case Charset::Ucs2: return "ucs2";
    case Charset::Utf8: return "utf8";
    case Charset::Binary: return "binary";
  }
  return "unknown";
}

std::optional<Charset> parse_charset(std::string_view name) {
  for (Charset c : {Charset::Gsm7, Charset::Ia5, Charset::Latin1, Charset::Ucs2, Charset::Utf8, Charset::Binary}) {
    if (name == to_string(c)) return c;
  }
  return std::nullopt;
}

Charset charset_for(std::uint8_t data_coding, const TextOptions& options) {
  // SMPP 3.4 §5.2.19 gives 0x00..0x0F its own meanings, which take precedence over the
  // TS 23.038 general group reading of the same values (e.g. 0x0A is ISO-2022-JP, not UCS2).
  switch (data_coding) {
    case 0x00: return options.dcs0_override.value_or(Charset::Gsm7);  // SMSC default alphabet
    case 0x01: return Charset::Ia5;     // IA5 (CCITT T.50) / ASCII
    case 0x02: return Charset::Binary;  // octet unspecified (8-bit binary)
    case 0x03: return Charset::Latin1;  // ISO-8859-1
    case 0x04: return Charset::Binary;  // octet unspecified (8-bit binary)
    case 0x08: return Charset::Ucs2;    // UCS2 (ISO/IEC-10646); read as UTF-16BE
    default: break;
  }
  // 0x05 JIS, 0x06 ISO-8859-5, 0x07 ISO-8859-8, 0x09 pictogram, 0x0A ISO-2022-JP, 0x0D JIS X 0212,
  // 0x0E KS C 5601 and the reserved 0x0B, 0x0C, 0x0F: no decoder here.
  if (data_coding < 0x10) return Charset::Binary;
  switch (data_coding >> 4) {
    case 0x1: case 0x2: case 0x3:  // TS 23.038 §4 00xx general data coding
    case 0x4: case 0x5: case 0x6: case 0x7:  // 01xx: the same, marked for automatic deletion
      return general_group(data_coding);
    case 0xC:  // 1100 message waiting indication, discard message: GSM 7-bit default alphabet
    case 0xD:  // 1101 message waiting indication, store message: GSM 7-bit default alphabet
      return Charset::Gsm7;
    case 0xE:  // 1110 message waiting indication, store message: UCS2
      return Charset::Ucs2;
    case 0xF:  // 1111 data coding/message class: bit 2 = 0 GSM 7-bit, 1 = 8-bit data
      return (data_coding & 0x04) ? Charset::Binary : Charset::Gsm7;
    default:  // 1000..1011 reserved coding groups
      return Charset::Binary;
  }
}

DecodedText decode(std::uint8_t data_coding, std::string_view octets, const TextOptions& options,
                   std::size_t septets) {
  return decode_as(charset_for(data_coding, options), octets, options.gsm7_packed, septets);
}

DecodedText decode_as(Charset charset, std::string_view octets, bool gsm7_packed, std::size_t septets) {
  DecodedText out;
  switch (charset) {
    case Charset::Gsm7:
      out.utf8.reserve(octets.size() * 2);
      out.flags |= gsm7_packed ? detail::append_gsm7_packed(out.utf8, octets, septets)
                               : detail::append_gsm7(out.utf8, octets);
      break;
    case Charset::Ia5:
      decode_ia5(strip_trailing_nul(octets, out.flags), out);
      break;
    case Charset::Latin1:
      out.utf8.reserve(octets.size() * 2);
      decode_latin1(strip_trailing_nul(octets, out.flags), out);
      break;
    case Charset::Utf8:
      out.utf8.reserve(octets.size());
      decode_utf8(strip_trailing_nul(octets, out.flags), out);
      break;
    case Charset::Ucs2:
      out.utf8.reserve(octets.size() * 2);
      decode_ucs2(octets, out);
      break;
    case Charset::Binary:
      out.flags |= core::kTextBinary;
      break;
  }
  return out;
}

std::string encode_ucs2(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() * 2);
  const auto put = [&out](char32_t unit) {
    out.push_back(static_cast<char>((unit >> 8) & 0xFF));
    out.push_back(static_cast<char>(unit & 0xFF));
  };
  for (std::size_t pos = 0; pos < utf8.size();) {
    char32_t cp = detail::next_code_point(utf8, pos);
    if (cp == kInvalid) cp = kReplacement;  // ill-formed input still gives well-formed UTF-16
    if (cp >= 0x10000) {  // RFC 2781 §2.1 surrogate pair
      cp -= 0x10000;
      put(0xD800 + (cp >> 10));
      put(0xDC00 + (cp & 0x3FF));
    } else {
      put(cp);
    }
  }
  return out;
}

std::optional<std::string> encode_latin1(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    const char32_t cp = detail::next_code_point(utf8, pos);
    if (cp > 0xFF) return std::nullopt;  // also covers kInvalid
    out.push_back(static_cast<char>(cp));
  }
  return out;
}

std::vector<std::string> split_encoded(Charset charset, std::string_view encoded, std::size_t max_units,
                                       bool keep_characters_whole) {
  // A part of zero units would never make progress: one unit is the smallest part.
  max_units = std::max<std::size_t>(max_units, 1);
  const std::size_t octets_per_unit = charset == Charset::Ucs2 ? 2 : 1;
  const std::size_t max_octets = max_units * octets_per_unit;
  std::vector<std::string> parts;
  if (encoded.empty()) {
    parts.emplace_back();  // an empty message is still one (empty) message
    return parts;
  }
  parts.reserve(encoded.size() / max_octets + 1);
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = std::min(start + max_octets, encoded.size());
    if (keep_characters_whole) {
      // Take whole characters while they fit. A single character larger than the budget (a
      // surrogate pair or an escape pair with max_units 1) goes alone rather than being cut.
      std::size_t pos = start;
      while (pos < encoded.size()) {
        const std::size_t len = character_octets(charset, encoded, pos);
        if (pos + len - start > max_octets && pos > start) break;
        pos += len;
        if (pos - start >= max_octets) break;
      }
      end = pos;
    }
    parts.emplace_back(encoded.substr(start, end - start));
    start = end;
  }
  return parts;
}

}  // namespace smish::gateway::text
