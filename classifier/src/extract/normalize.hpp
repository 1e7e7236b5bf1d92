// Text normalisation for extraction: invisible characters, digit forms, obfuscated dots, offset maps.
#pragma once

#include "smish/core/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace smish::classifier::detail {

/// A normalised copy of a text with a map back to the original bytes.
/// Normalisation: zero-width and bidi controls removed; U+00A0/U+2009/U+202F become ' ';
/// Arabic-Indic, Eastern Arabic-Indic and fullwidth digits (and fullwidth + ( ) -, U+3000) become ASCII; `[.]` `(.)` `{.}` `(dot)` `[dot]`
/// `{dot}` and fullwidth/ideographic dots between ASCII letters or digits become '.'; `[:]` after
/// a scheme word becomes ':'; invalid UTF-8 bytes become U+FFFD.
struct NormalizedText {
  std::string text;                          ///< the normalised UTF-8 text
  std::vector<std::uint32_t> src_begin;      ///< per byte of `text`: original offset of its source
  std::vector<std::uint32_t> src_end;        ///< per byte of `text`: original offset after its source
  std::vector<std::uint32_t> removed_at;     ///< offsets in `text` where invisible characters were dropped
  std::vector<std::uint32_t> deobfuscated_at;  ///< offsets in `text` of characters that replaced an obfuscation
  std::string_view original;                 ///< the input; must outlive this object

  /// The original text behind `text[begin, end)`; empty when the span is empty.
  std::string raw(std::size_t begin, std::size_t end) const;
  /// True when invisible characters were removed strictly inside `text[begin, end)`.
  bool removed_inside(std::size_t begin, std::size_t end) const;
  /// True when a de-obfuscated character lies in `text[begin, end)`.
  bool deobfuscated_inside(std::size_t begin, std::size_t end) const;
};

/// Answers whether a lowercase ASCII label is a known top-level domain (the URL finder's PSL).
using TldPredicate = std::function<bool(std::string_view)>;

/// Normalises `text` as described on NormalizedText. With `is_tld`, two more obfuscations are
/// undone where they are unambiguous (never in ordinary sentences):
/// - a spaced dot, "evil . com/x" or "tele2-lv . com": one space each side, the last label a known
///   TLD written in one case, and either a path follows, or the host has a digit or '-', or the
///   TLD is one no sentence ends in (com, lv, ru, ...);
/// - a letter-spaced host, "t e l e 2 . l v": single characters separated by single spaces, at
///   least four letters or digits, a dot, and a known TLD written in one case at the end.
/// Linear in the text length; never throws on any input bytes.
NormalizedText normalize(std::string_view text, const TldPredicate* is_tld = nullptr);

inline bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
inline bool is_ascii_alpha(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool is_ascii_alnum(char32_t c) { return is_ascii_digit(c) || is_ascii_alpha(c); }

/// Out-of-line part of decode_utf8 for non-ASCII lead bytes.
std::size_t decode_utf8_multibyte(std::string_view s, std::size_t i, char32_t& cp);

/// Decodes one UTF-8 code point at `s[i]` (i < s.size()); returns its byte length (>= 1).
/// Invalid or truncated sequences decode as U+FFFD with length 1.
inline std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  if (b >= 0xC2 && b < 0xE0 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
    cp = (static_cast<char32_t>(b & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
    return 2;  // Latin, Cyrillic, Greek, Arabic, Hebrew
  }
  if (b >= 0xE0 && b < 0xF0 && i + 2 < s.size()) {  // Thai, CJK, punctuation: inline too
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    // Unicode §3.9 Table 3-7: E0 needs A0..BF (no overlong forms), ED needs 80..9F (no surrogates).
    const bool second_ok = b == 0xE0 ? b1 >= 0xA0 && b1 <= 0xBF : b == 0xED ? b1 >= 0x80 && b1 <= 0x9F
                                                                           : (b1 & 0xC0) == 0x80;
    if (second_ok && (b2 & 0xC0) == 0x80) {
      cp = (static_cast<char32_t>(b & 0x0F) << 12) | (static_cast<char32_t>(b1 & 0x3F) << 6) | (b2 & 0x3F);
      return 3;
    }
  }
  return decode_utf8_multibyte(s, i, cp);
}

/// Out-of-line part of decode_utf8_before for non-ASCII bytes.
std::size_t decode_utf8_before_multibyte(std::string_view s, std::size_t i, char32_t& cp);

/// The code point that ends just before `s[i]` (i > 0); returns its byte length.
inline std::size_t decode_utf8_before(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i - 1]);
  if (b < 0x80) {  // ASCII: no continuation bytes to walk back over
    cp = b;
    return 1;
  }
  return decode_utf8_before_multibyte(s, i, cp);
}

using core::append_utf8;

/// Classes of every BMP code point (bit 0 letter, bit 1 word, bit 2 case-folds to itself), built
/// once from ICU.
const std::uint8_t* build_bmp_classes();
/// The same table, looked up inline (the classes are asked for every non-ASCII character).
inline const std::uint8_t* bmp_classes() {
  static const std::uint8_t* const table = build_bmp_classes();
  return table;
}
/// Non-BMP parts of is_letter_cp and is_word_cp (ICU properties).
bool is_letter_cp_astral(char32_t c);
bool is_word_cp_astral(char32_t c);

/// Non-ASCII parts of is_letter_cp and is_word_cp (ICU properties).
inline bool is_letter_cp_icu(char32_t c) { return c < 0x10000 ? (bmp_classes()[c] & 1) != 0 : is_letter_cp_astral(c); }
inline bool is_word_cp_icu(char32_t c) { return c < 0x10000 ? (bmp_classes()[c] & 2) != 0 : is_word_cp_astral(c); }

/// Letters, digits and combining marks of any script (ICU properties).
inline bool is_word_cp(char32_t c) { return c < 0x80 ? is_ascii_alnum(c) : is_word_cp_icu(c); }
/// Letters and combining marks only (no digits).
inline bool is_letter_cp(char32_t c) { return c < 0x80 ? is_ascii_alpha(c) : is_letter_cp_icu(c); }
/// Scripts written without spaces (Han, Kana, Hangul) and the CJK/fullwidth punctuation blocks.
/// Inline, with the common answer (everything below U+1100: Latin, Cyrillic, Arabic, Thai) first.
inline bool is_cjk(char32_t c) {
  if (c < 0x1100) return false;
  return c <= 0x11FF || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xA960 && c <= 0xA97F) ||
         (c >= 0xAC00 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

/// Simple case fold of a UTF-8 string (ICU default folding, code point by code point).
std::u32string fold(std::string_view s);
/// The same into `out` (cleared first), so that a caller can reuse one buffer.
void fold_into(std::string_view s, std::u32string& out);

}  // namespace smish::classifier::detail
