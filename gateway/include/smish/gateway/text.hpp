// SMS text: data_coding to UTF-8 (GSM 03.38, IA5, Latin-1, UCS2), encoders for replies and the
// simulator, and the user data header (3GPP TS 23.040 §9.2.3.24). Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::gateway::text {

/// How the octets of a message are to be read.
enum class Charset { Gsm7, Ia5, Latin1, Ucs2, Utf8, Binary };
std::string_view to_string(Charset c);
/// "gsm7|ia5|latin1|ucs2|utf8|binary"
std::optional<Charset> parse_charset(std::string_view name);

/// Per-SMSC reading options.
struct TextOptions {
  bool gsm7_packed = false;                 ///< is data_coding 0 septet-packed on this SMSC? Default: no.
  std::optional<Charset> dcs0_override;     ///< read data_coding 0 as Latin-1 or UTF-8 instead of GSM 03.38
};

/// The charset for an SMPP data_coding (SMPP 3.4 §5.2.19; GSM 03.38 §4 general data coding group
/// for 0xF0..0xFF and 0x00..0x3F with class bits). Unknown or reserved values read as Binary.
Charset charset_for(std::uint8_t data_coding, const TextOptions& options);

/// UTF-8 text plus core::TextFlags.
struct DecodedText {
  std::string utf8;
  std::uint32_t flags = 0;
};

/// Decodes the user data (UDH already removed) of one whole message. Never throws: invalid
/// octets become U+FFFD and set kTextUndecodable. Trailing NUL octets that some SMSCs append are
/// dropped with kTextTrailingNul in IA5, Latin-1, UTF-8 and UCS2 (a lone odd trailing 0x00, or
/// 0x0000 units at the end); in GSM 03.38 0x00 is '@' and is kept. Binary data_coding gives empty
/// text with kTextBinary.
/// For packed GSM 7-bit, `septets` gives the septet count when known (0: derive from the length).
DecodedText decode(std::uint8_t data_coding, std::string_view octets, const TextOptions& options,
                   std::size_t septets = 0);
DecodedText decode_as(Charset charset, std::string_view octets, bool gsm7_packed = false,
                      std::size_t septets = 0);

// ---- Encoders: for replies (submit_sm) and for smsc-sim. ----

/// UTF-8 to GSM 03.38 default alphabet septets, one per octet (unpacked), extension characters as
/// 0x1B escapes. nullopt when a character is not in the alphabet or its extension table.
std::optional<std::string> encode_gsm7(std::string_view utf8);
/// UTF-8 to UTF-16BE (UCS2 with surrogate pairs for characters outside the BMP).
std::string encode_ucs2(std::string_view utf8);
/// UTF-8 to ISO-8859-1; nullopt when a character is outside Latin-1.
std::optional<std::string> encode_latin1(std::string_view utf8);

/// Packs septets (values 0..127, one per octet) into octets, 3GPP TS 23.038 §6.1.2.1.1.
/// `fill_bits` (0..6) are left free at the start, for alignment after a UDH.
std::string pack_septets(std::string_view septets, int fill_bits = 0);
/// Unpacks `count` septets from packed octets, skipping `fill_bits` at the start.
std::string unpack_septets(std::string_view octets, std::size_t count, int fill_bits = 0);

// ---- User data header ----

/// short_message split into its UDH and the rest.
struct UserData {
  std::optional<core::ConcatInfo> concat;  ///< from IEI 0x00 (8-bit ref) or 0x08 (16-bit ref)
  std::string udh;                         ///< the whole header, UDHL octet included
  std::string payload;                     ///< octets after the header
};

/// Parses the UDH at the start of `short_message` (only call when esm_class has UDHI). Walks the
/// information elements by their lengths; an element running past the header, or a header longer
/// than the message, is an InvalidArgument error. A concatenation IE with total 0 or seq 0 or
/// seq > total is ignored (3GPP TS 23.040 §9.2.3.24.1).
core::Result<UserData> split_udh(std::string_view short_message);

/// A 6-octet (IEI 0x00) or 7-octet (IEI 0x08) UDH for one part.
std::string make_concat_udh(const core::ConcatInfo& info);

/// Splits an encoded message into parts of at most `max_units` characters' worth of octets: one
/// octet per septet for unpacked GSM 7-bit (an escape pair is kept together), one per Latin-1 or
/// IA5 character, two per UCS2 unit (a surrogate pair kept together). Used by the simulator
/// and for replies; `keep_characters_whole` false splits blindly by octets (for tests of
/// receivers that must rejoin octets before decoding).
std::vector<std::string> split_encoded(Charset charset, std::string_view encoded, std::size_t max_units,
                                       bool keep_characters_whole = true);

}  // namespace smish::gateway::text
