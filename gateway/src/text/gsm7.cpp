// GSM 03.38 (3GPP TS 23.038 §6.2.1) default alphabet and extension table: decode, encode, septet packing.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smish/core/types.hpp"
#include "smish/gateway/text.hpp"
#include "text/utf8.hpp"

namespace smish::gateway::text {
namespace {

// 3GPP TS 23.038 §6.2.1 "GSM 7 bit default alphabet", indexed by septet value. 0x1B is the
// escape to the extension table; it only appears here as a space because TS 23.038 §6.2.1
// note 1 tells a receiver that cannot interpret the escape to display a space.
constexpr std::array<char16_t, 128> kDefault = {
    // 0x00..0x0F: @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
    u'@', 0x00A3, u'$', 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    0x00F2, 0x00C7, u'\n', 0x00D8, 0x00F8, u'\r', 0x00C5, 0x00E5,
    // 0x10..0x1F: Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ESC Æ æ ß É
    0x0394, u'_', 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, u' ', 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    // 0x20..0x2F: SP ! " # ¤ % & ' ( ) * + , - . /
    u' ', u'!', u'"', u'#', 0x00A4, u'%', u'&', u'\'', u'(', u')', u'*', u'+', u',', u'-', u'.', u'/',
    // 0x30..0x3F
    u'0', u'1', u'2', u'3', u'4', u'5', u'6', u'7', u'8', u'9', u':', u';', u'<', u'=', u'>', u'?',
    // 0x40..0x4F: ¡ A..O
    0x00A1, u'A', u'B', u'C', u'D', u'E', u'F', u'G', u'H', u'I', u'J', u'K', u'L', u'M', u'N', u'O',
    // 0x50..0x5F: P..Z Ä Ö Ñ Ü §
    u'P', u'Q', u'R', u'S', u'T', u'U', u'V', u'W', u'X', u'Y', u'Z', 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    // 0x60..0x6F: ¿ a..o
    0x00BF, u'a', u'b', u'c', u'd', u'e', u'f', u'g', u'h', u'i', u'j', u'k', u'l', u'm', u'n', u'o',
    // 0x70..0x7F: p..z ä ö ñ ü à
    u'p', u'q', u'r', u's', u't', u'u', u'v', u'w', u'x', u'y', u'z', 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

// TS 23.038 §6.2.1.1 "GSM 7 bit default alphabet extension table": 0x1B followed by the code.
constexpr std::uint8_t kEscape = 0x1B;
struct Extension {
  std::uint8_t code;
  char16_t cp;
};
constexpr std::array<Extension, 10> kExtension = {{
    {0x0A, 0x000C},  // FORM FEED (page break)
    {0x14, u'^'},
    {0x28, u'{'},
    {0x29, u'}'},
    {0x2F, u'\\'},
    {0x3C, u'['},
    {0x3D, u'~'},
    {0x3E, u']'},
    {0x40, u'|'},
    {0x65, 0x20AC},  // EURO SIGN
}};

// Extension table by code; 0 = not defined (no extension character is U+0000).
constexpr std::array<char16_t, 128> kExtensionByCode = [] {
  std::array<char16_t, 128> t{};
  for (const auto& e : kExtension) t[e.code] = e.cp;
  return t;
}();

// Reverse lookup for encode_gsm7. Every character of both tables except the euro sign is below
// U+0400 (Greek capitals end at U+03A9), so a flat table covers them: the septet, with
// kViaEscape set for extension characters, or kAbsent.
constexpr std::uint16_t kAbsent = 0xFFFF;
constexpr std::uint16_t kViaEscape = 0x100;
constexpr char32_t kReverseLimit = 0x400;
constexpr std::array<std::uint16_t, kReverseLimit> kReverse = [] {
  std::array<std::uint16_t, kReverseLimit> t{};
  for (auto& v : t) v = kAbsent;
  for (std::uint16_t code = 0; code < 128; ++code) {
    if (code == kEscape) continue;  // its display form (space) is 0x20's character
    t[kDefault[code]] = code;
  }
  for (const auto& e : kExtension) {
    if (e.cp < kReverseLimit) t[e.cp] = static_cast<std::uint16_t>(e.code | kViaEscape);
  }
  return t;
}();
constexpr std::uint8_t kEuroCode = 0x65;

}  // namespace

namespace detail {

std::uint32_t append_gsm7(std::string& out, std::string_view septets) {
  std::uint32_t flags = 0;
  out.reserve(out.size() + septets.size() * 2);
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const auto c = static_cast<std::uint8_t>(septets[i]);
    if (c >= 0x80) {  // unpacked mode: one septet per octet, so the top bit must be clear
      append_utf8(out, kReplacement);
      flags |= core::kTextUndecodable;
      continue;
    }
    if (c != kEscape) {
      append_utf8(out, kDefault[c]);
      continue;
    }
    if (i + 1 == septets.size()) {
      // A lone trailing escape: TS 23.038 §6.2.1 note 1 says display a space. Not flagged, since
      // nothing was replaced; a receiver rejoins parts before decoding, so a split escape pair
      // never lands here.
      append_utf8(out, u' ');
      continue;
    }
    const auto next = static_cast<std::uint8_t>(septets[++i]);
    if (next >= 0x80) {  // the escape and its invalid octet are one bad character
      append_utf8(out, kReplacement);
      flags |= core::kTextUndecodable;
    } else if (next == kEscape) {
      // TS 23.038 §6.2.1.1: 0x1B 0x1B is reserved for a further extension table; "a receiving
      // entity shall display a space until another extension table is defined".
      append_utf8(out, u' ');
    } else if (kExtensionByCode[next] != 0) {
      append_utf8(out, kExtensionByCode[next]);
    } else {
      // TS 23.038 §6.2.1.1: an escape to an undefined extension code displays the character of
      // the default table for that code.
      append_utf8(out, kDefault[next]);
    }
  }
  return flags;
}

std::uint32_t append_gsm7_packed(std::string& out, std::string_view octets, std::size_t septets) {
  const std::size_t available = octets.size() * 8 / 7;
  std::uint32_t flags = 0;
  std::size_t count = septets;
  bool truncated = false;
  if (count == 0) {
    count = available;
    // TS 23.038 §6.1.2.1.1: a message of 8n-1 septets leaves 7 spare bits in its last octet,
    // which the derived count reads as one more septet. The spec asks senders to fill them with
    // <CR>; many fill with zeros, which would read as '@'. When the octets end exactly on a
    // septet boundary the last septet is therefore ambiguous: a genuine 8n-th character or
    // padding. We drop it when it is 0x00 or 0x0D: a real trailing '@' at exactly 8n septets is
    // rarer than zero padding, and for <CR> the spec has senders double a wanted final <CR>, so
    // dropping one keeps the text. Give `septets` (sm_length for packed data) to avoid guessing.
    if (count > 0 && (octets.size() * 8) % 7 == 0) {
      const auto last = static_cast<std::uint8_t>(static_cast<std::uint8_t>(octets.back()) >> 1);
      if (last == 0x00 || last == 0x0D) --count;
    }
  } else if (count > available) {
    count = available;  // the declared count runs past the octets: decode what is there
    truncated = true;
  }
  flags |= append_gsm7(out, unpack_septets(octets, count));
  if (truncated) {
    append_utf8(out, kReplacement);
    flags |= core::kTextUndecodable;
  }
  return flags;
}

}  // namespace detail

std::optional<std::string> encode_gsm7(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    const char32_t cp = detail::next_code_point(utf8, pos);
    std::uint16_t code = kAbsent;
    if (cp < kReverseLimit) {
      code = kReverse[cp];
    } else if (cp == 0x20AC) {
      code = kEuroCode | kViaEscape;
    }
    if (code == kAbsent) return std::nullopt;  // also covers detail::kInvalid
    if (code & kViaEscape) out.push_back(static_cast<char>(kEscape));
    out.push_back(static_cast<char>(code & 0x7F));
  }
  return out;
}

// TS 23.038 §6.1.2.1.1: septet i occupies bits fill + 7i .. fill + 7i + 6 of the octet stream,
// counting from bit 0 (least significant) of the first octet. Fill bits are zero.
std::string pack_septets(std::string_view septets, int fill_bits) {
  const std::size_t fill = static_cast<std::size_t>(std::clamp(fill_bits, 0, 6));
  const std::size_t total_bits = fill + septets.size() * 7;
  std::string out((total_bits + 7) / 8, '\0');
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const unsigned value = static_cast<unsigned>(static_cast<std::uint8_t>(septets[i]) & 0x7F);
    const std::size_t bit = fill + i * 7;
    const std::size_t byte = bit / 8;
    const unsigned shift = static_cast<unsigned>(bit % 8);
    out[byte] = static_cast<char>(static_cast<std::uint8_t>(out[byte]) | ((value << shift) & 0xFF));
    if (shift > 1) {  // the septet spills into the next octet
      out[byte + 1] = static_cast<char>(static_cast<std::uint8_t>(out[byte + 1]) | (value >> (8 - shift)));
    }
  }
  return out;
}

std::string unpack_septets(std::string_view octets, std::size_t count, int fill_bits) {
  const std::size_t fill = static_cast<std::size_t>(std::clamp(fill_bits, 0, 6));
  const std::size_t bits = octets.size() * 8;
  const std::size_t available = bits > fill ? (bits - fill) / 7 : 0;
  count = std::min(count, available);  // never read past the octets
  std::string out(count, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t bit = fill + i * 7;
    const std::size_t byte = bit / 8;
    const unsigned shift = static_cast<unsigned>(bit % 8);
    unsigned value = static_cast<std::uint8_t>(octets[byte]) >> shift;
    if (shift > 1) value |= static_cast<unsigned>(static_cast<std::uint8_t>(octets[byte + 1])) << (8 - shift);
    out[i] = static_cast<char>(value & 0x7F);
  }
  return out;
}

}  // namespace smish::gateway::text
