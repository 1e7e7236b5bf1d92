// One pass over the words: code requests, brand names, sender IDs after markers, IBANs.
#include "extract/indicators.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "extract/normalize.hpp"
#include "extract/phones.hpp"

namespace smish::classifier::detail {
namespace {

constexpr std::size_t kMaxSenderIdChars =
    11;  // 3GPP TS 23.040 §9.1.2.5: alphanumeric address <= 11 characters
constexpr std::size_t kMaxQuotedBytes =
    64;  // a quoted sender ID longer than this is a quotation, not an ID
constexpr std::size_t kMaxIbanBytes = 34;  // ISO 13616-1: at most 34 characters
constexpr std::size_t kMaxWordBytes = 64;  // longer "words" are not on any of our lists

// ISO 13616 IBAN lengths by country (SWIFT IBAN registry). Countries absent here have no IBAN.
constexpr std::pair<std::string_view, std::size_t> kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27},
    {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15},
    {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25},
    {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_quote_open(char32_t c) {
  return c == '"' || c == '\'' || c == U'«' || c == U'„' || c == U'“' || c == U'‘';
}
bool is_quote_close(char32_t c) {
  return c == '"' || c == '\'' || c == U'»' || c == U'“' || c == U'”' || c == U'’';
}

bool is_sender_byte(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == '&';
}

// The sender ID after a marker word ending at `e`: optional "ID", then ':' and/or a quote.
std::optional<std::string> sender_after(std::string_view t, std::size_t e) {
  std::size_t i = e;
  auto skip_spaces = [&] {
    for (int k = 0; k < 2 && i < t.size() && t[i] == ' '; ++k) ++i;
  };
  skip_spaces();
  if (i + 1 < t.size() && (t[i] | 0x20) == 'i' && (t[i + 1] | 0x20) == 'd' &&
      (i + 2 == t.size() || !is_ascii_alnum(static_cast<unsigned char>(t[i + 2])))) {
    i += 2;  // "Sender ID:"
    skip_spaces();
  }
  bool colon = false;
  if (i < t.size() && t[i] == ':') {
    colon = true;
    ++i;
    skip_spaces();
  }
  if (i >= t.size()) return std::nullopt;
  char32_t cp = 0;
  const std::size_t len = decode_utf8(t, i, cp);
  std::string id;
  if (is_quote_open(cp)) {
    std::size_t k = i + len;
    const std::size_t limit = std::min(t.size(), k + kMaxQuotedBytes);
    while (k < limit) {
      char32_t c = 0;
      const std::size_t l = decode_utf8(t, k, c);
      if (is_quote_close(c)) break;
      k += l;
    }
    if (k >= limit) return std::nullopt;
    id = std::string(t.substr(i + len, k - i - len));
  } else if (colon) {
    std::size_t k = i;
    while (k < t.size() && k - i <= kMaxSenderIdChars && is_sender_byte(t[k])) ++k;
    if (k < t.size() && static_cast<unsigned char>(t[k]) >= 0x80)
      return std::nullopt;  // a word in another script
    id = std::string(t.substr(i, k - i));
    while (!id.empty() && (id.back() == '.' || id.back() == '-'))
      id.pop_back();  // sentence punctuation
  } else {
    return std::nullopt;
  }
  std::size_t chars = 0;
  bool letter = false;
  for (std::size_t k = 0; k < id.size();) {
    char32_t c = 0;
    k += decode_utf8(id, k, c);
    ++chars;
    letter = letter || is_letter_cp(c);
  }
  // A number ("From: +371 ...") is the number finder's; IDs have a letter and 2..11 characters.
  if (!letter || chars < 2 || chars > kMaxSenderIdChars) return std::nullopt;
  return id;
}

// An IBAN starting at t[i] (two capitals, two digits, then the BBAN, optionally in groups
// separated by single spaces); sets `end`.
std::optional<std::string> iban_at(std::string_view t, std::size_t i, std::size_t& end) {
  if (i + 4 > t.size() || !is_upper(t[i]) || !is_upper(t[i + 1]) || !is_digit(t[i + 2]) ||
      !is_digit(t[i + 3]))
    return std::nullopt;
  const std::size_t want = iban_length(t.substr(i, 2));
  if (want == 0) return std::nullopt;
  std::string compact;
  std::size_t k = i;
  while (k < t.size() && compact.size() < want) {
    const char c = t[k];
    if (is_upper(c) || is_digit(c)) {
      compact.push_back(c);
      ++k;
    } else if (c == ' ' && k > i && k + 1 < t.size() &&
               (is_upper(t[k + 1]) || is_digit(t[k + 1]))) {
      ++k;
    } else {
      break;
    }
  }
  if (compact.size() != want || (k < t.size() && is_ascii_alnum(static_cast<unsigned char>(t[k]))))
    return std::nullopt;
  if (!valid_iban(compact)) return std::nullopt;
  end = k;
  return compact;
}

}  // namespace

std::size_t iban_length(std::string_view country) {
  // A 26 x 26 table: this runs at every capitalised word.
  static const std::array<std::uint8_t, 26 * 26> kTable = [] {
    std::array<std::uint8_t, 26 * 26> t{};
    for (const auto& [c, n] : kIbanLengths)
      t[static_cast<std::size_t>((c[0] - 'A') * 26 + (c[1] - 'A'))] = static_cast<std::uint8_t>(n);
    return t;
  }();
  if (country.size() != 2 || !is_upper(country[0]) || !is_upper(country[1])) return 0;
  return kTable[static_cast<std::size_t>((country[0] - 'A') * 26 + (country[1] - 'A'))];
}

bool valid_iban(std::string_view s) {
  if (s.size() < 5 || s.size() > kMaxIbanBytes || iban_length(s.substr(0, 2)) != s.size())
    return false;
  // ISO 7064 MOD 97-10 over BBAN + country + check digits, letters as 10..35.
  unsigned remainder = 0;
  for (std::size_t n = 0; n < s.size(); ++n) {
    const char c = s[(n + 4) % s.size()];
    if (is_digit(c)) {
      remainder = (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
    } else if (is_upper(c)) {
      const unsigned v = static_cast<unsigned>(c - 'A') + 10;
      remainder = (remainder * 100 + v) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

WordScan scan_words(std::string_view t, const BrandIndex& brands) {
  WordScan out;
  // Arabic attaches prefixes to words (الرمز, برمز): a substring test is the honest one.
  // (U+0631 U+0645 U+0632 is D8 B1 D9 85 D8 B2; only texts with Arabic letters look.)
  out.asks_for_code =
      std::memchr(t.data(), 0xD8, t.size()) != nullptr && t.find("رمز") != std::string_view::npos;
  thread_local std::u32string buf;  // keeps its capacity between texts
  std::size_t i = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (is_upper(c) && (i == 0 || !is_ascii_alnum(static_cast<unsigned char>(t[i - 1]))) &&
        out.ibans.size() < kMaxWordIndicators) {
      std::size_t end = 0;
      if (auto iban = iban_at(t, i, end)) {
        const bool seen = std::any_of(out.ibans.begin(), out.ibans.end(),
                                      [&](const IbanHit& h) { return h.iban == *iban; });
        if (!seen) out.ibans.push_back(IbanHit{i, end, std::move(*iban)});
        i = end;
        continue;
      }
    }
    char32_t cp = 0;
    std::size_t len = decode_utf8(t, i, cp);
    if (!is_word_cp(cp)) {
      i += len;
      continue;
    }
    const std::size_t b = i;
    bool ascii = true;   // letters and digits a-z A-Z 0-9 only
    bool digit = false;  // an ASCII digit among them
    while (i < t.size()) {
      const auto byte = static_cast<unsigned char>(t[i]);
      if (byte < 0x80) {
        if (!is_ascii_alnum(byte)) break;
        digit = digit || is_ascii_digit(byte);
        ++i;
        continue;
      }
      ascii = false;
      len = decode_utf8(t, i, cp);
      if (!is_word_cp(cp)) break;
      i += len;
    }
    const std::string_view word = t.substr(b, i - b);
    if (word.size() > kMaxWordBytes) continue;
    // Most words are short ASCII letters in no brand, code or marker entry: such a word is
    // "plain" below and its bits are 0, so nothing happens for it; skip folding and hashing it.
    if (ascii && !digit && word.size() < 9 && !brands.ascii_word_may_have_bits(word)) continue;
    fold_into(word, buf);  // reuses buf's capacity: no allocation once warm
    const std::uint8_t bits = brands.word_bits(buf);
    if ((bits & BrandIndex::kCodeWord) != 0) out.asks_for_code = true;
    // Code words are letters only: "PIN1" asks for PIN 1. Folding keeps letters letters; the
    // prefix forms ("slaptažodį") are long.
    const bool plain = buf.size() < 9 && std::all_of(buf.begin(), buf.end(),
                                                     [](char32_t c) { return is_letter_cp(c); });
    for (std::size_t k = 0; !plain && k < buf.size() && !out.asks_for_code;) {
      if (!is_letter_cp(buf[k])) {
        ++k;
        continue;
      }
      const std::size_t wb = k;
      while (k < buf.size() && is_letter_cp(buf[k])) ++k;
      out.asks_for_code = is_code_word_folded(std::u32string_view(buf).substr(wb, k - wb));
    }
    if ((bits & BrandIndex::kNameStart) != 0) {
      std::size_t brand = 0;
      if (brands.name_at(buf, t.substr(i), brand) > 0 &&
          std::find(out.brands_named.begin(), out.brands_named.end(), brand) ==
              out.brands_named.end())
        out.brands_named.push_back(brand);
    }
    if (out.senders.size() < kMaxWordIndicators && (bits & BrandIndex::kSenderMarker) != 0) {
      if (auto id = sender_after(t, i)) {
        const bool seen = std::any_of(out.senders.begin(), out.senders.end(),
                                      [&](const SenderHit& s) { return s.id == *id; });
        if (!seen) {
          SenderHit s;
          s.id = *id;
          s.brand = brands.owner_of_sender_id(*id);
          if (s.brand < 0 && !brands.empty()) {
            std::string label;
            for (char ch : *id) {
              const char lc = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
              label.push_back(lc == ' ' || lc == '.' || lc == '&' ? '-' : lc);
            }
            s.lookalikes = brands.lookalikes({label});
          }
          out.senders.push_back(std::move(s));
        }
      }
    }
  }
  return out;
}

}  // namespace smish::classifier::detail
