// Text normalisation for extraction: one pass over the input, keeping a byte map to the original.
#include "extract/normalize.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include <unicode/uchar.h>

namespace smish::classifier::detail {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_invisible(char32_t c) {
  return (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF ||  // zero-width
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);  // bidi controls
}

bool is_space_variant(char32_t c) { return c == 0x00A0 || c == 0x2009 || c == 0x202F; }

bool is_wide_dot(char32_t c) { return c == 0x3002 || c == 0xFF0E || c == 0xFF61; }

char32_t fullwidth_number_char(char32_t c);

// A non-ASCII code point (decoded from `len` bytes) that normalisation copies unchanged.
inline bool is_plain_cp(char32_t c, std::size_t len) {
  // Below U+2009 (Latin, Cyrillic, Greek, Arabic, Thai) only NBSP and the two Arabic digit ranges
  // change; every other rule below is about higher code points.
  if (c < 0x2009) return c != 0x00A0 && !(c >= 0x0660 && c <= 0x0669) && !(c >= 0x06F0 && c <= 0x06F9);
  if (c == 0xFFFD && len == 1) return false;  // an invalid byte: replaced
  return !is_invisible(c) && !is_space_variant(c) && !is_wide_dot(c) && fullwidth_number_char(c) == 0 &&
         !(c >= 0x0660 && c <= 0x0669) && !(c >= 0x06F0 && c <= 0x06F9);
}

// Fullwidth digits and number punctuation (U+FF0B + U+FF08/09 ( ) U+FF0D -, U+3000 space) as
// ASCII, so that "＋３７１ ２０００ ０００１" is found like "+371 2000 0001"; 0 when not one of them.
char32_t fullwidth_number_char(char32_t c) {
  if (c >= 0xFF10 && c <= 0xFF19) return U'0' + (c - 0xFF10);
  switch (c) {
    case 0xFF0B: return U'+';
    case 0xFF08: return U'(';
    case 0xFF09: return U')';
    case 0xFF0D: return U'-';
    case 0x3000: return U' ';
    default: return 0;
  }
}

bool ieq_ascii(std::string_view s, std::size_t i, std::string_view lit) {
  if (i + lit.size() > s.size()) return false;
  for (std::size_t k = 0; k < lit.size(); ++k) {
    char a = s[i + k];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != lit[k]) return false;
  }
  return true;
}

// Length of an obfuscated dot at s[i] ("[.]", "(dot)", ...), 0 when there is none.
std::size_t obfuscated_dot_len(std::string_view s, std::size_t i) {
  static constexpr std::string_view kForms[] = {"[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}"};
  for (std::string_view f : kForms)
    if (ieq_ascii(s, i, f)) return f.size();
  return 0;
}

class Builder {
 public:
  explicit Builder(NormalizedText& n) : n_(n) {}
  void emit(std::string_view bytes, std::size_t b, std::size_t e) {
    for (char c : bytes) {  // one to four bytes: a loop beats insert()
      n_.text.push_back(c);
      n_.src_begin.push_back(static_cast<std::uint32_t>(b));
      n_.src_end.push_back(static_cast<std::uint32_t>(e));
    }
  }
  // Copies text[b, e), whole well-formed code points that normalisation leaves alone; each byte
  // maps to the code point it belongs to.
  void emit_run(std::string_view text, std::size_t b, std::size_t e, bool ascii = false) {
    n_.text.append(text.substr(b, e - b));
    // Sized once and written through pointers: push_back per byte was most of the copy's cost.
    const std::size_t at = n_.src_begin.size();
    n_.src_begin.resize(at + (e - b));
    n_.src_end.resize(at + (e - b));
    std::uint32_t* sb = n_.src_begin.data() + at;
    std::uint32_t* se = n_.src_end.data() + at;
    if (ascii) {  // the caller saw only ASCII bytes: each byte is its own code point
      for (std::size_t k = b; k < e; ++k) {
        *sb++ = static_cast<std::uint32_t>(k);
        *se++ = static_cast<std::uint32_t>(k + 1);
      }
      return;
    }
    std::uint32_t begin = static_cast<std::uint32_t>(b), end = begin;
    for (std::size_t k = b; k < e; ++k) {
      const auto c = static_cast<unsigned char>(text[k]);
      if (c < 0x80) {  // ASCII: one byte, its own extent
        begin = static_cast<std::uint32_t>(k);
        end = begin + 1;
      } else if ((c & 0xC0) != 0x80) {  // a lead byte: the code point's extent
        begin = static_cast<std::uint32_t>(k);
        end = begin + (c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4);
      }
      *sb++ = begin;
      *se++ = end;
    }
  }
  void emit_cp(char32_t cp, std::size_t b, std::size_t e) {
    std::string tmp;
    append_utf8(tmp, cp);
    emit(tmp, b, e);
  }
  void pop() {
    n_.text.pop_back();
    n_.src_begin.pop_back();
    n_.src_end.pop_back();
  }

 private:
  NormalizedText& n_;
};

char last_byte(const std::string& s) { return s.empty() ? '\0' : s.back(); }

bool scheme_word_before(const std::string& out) {
  for (std::string_view w : {"https", "http", "hxxps", "hxxp", "h**ps", "h**p"}) {
    if (out.size() < w.size()) continue;
    if (ieq_ascii(out, out.size() - w.size(), w)) return true;
  }
  return false;
}

}  // namespace

std::size_t decode_utf8_multibyte(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  // Fast paths for well-formed 2- and 3-byte sequences (Cyrillic, Arabic, Thai, CJK).
  if (b0 >= 0xC2 && b0 < 0xE0 && i + 1 < s.size()) {
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b1 & 0xC0) == 0x80) {
      cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | (b1 & 0x3F);
      return 2;
    }
  } else if (b0 >= 0xE0 && b0 < 0xF0 && i + 2 < s.size()) {
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    // Unicode §3.9 Table 3-7: E0 needs A0..BF (no overlong forms), ED needs 80..9F (no surrogates).
    const bool second_ok = b0 == 0xE0 ? b1 >= 0xA0 && b1 <= 0xBF : b0 == 0xED ? b1 >= 0x80 && b1 <= 0x9F
                                                                             : (b1 & 0xC0) == 0x80;
    if (second_ok && (b2 & 0xC0) == 0x80) {
      cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(b1 & 0x3F) << 6) | (b2 & 0x3F);
      return 3;
    }
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    cp = kReplacement;
    return 1;
  }
  if (i + len > s.size()) {
    cp = kReplacement;
    return 1;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      cp = kReplacement;
      return 1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = kReplacement;
    return 1;
  }
  return len;
}

std::size_t decode_utf8_before_multibyte(std::string_view s, std::size_t i, char32_t& cp) {
  std::size_t start = i - 1;
  // Walk back over at most three continuation bytes.
  while (start > 0 && i - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  const std::size_t len = decode_utf8(s, start, cp);
  if (start + len != i) {
    cp = kReplacement;
    return 1;
  }
  return len;
}


namespace {

bool icu_letter(char32_t c) {
  const auto t = u_charType(static_cast<UChar32>(c));
  return u_isalpha(static_cast<UChar32>(c)) || t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK ||
         t == U_ENCLOSING_MARK;
}

bool icu_word(char32_t c) { return icu_letter(c) || u_isdigit(static_cast<UChar32>(c)); }

}  // namespace

// Two ICU property look-ups per character were a tenth of the extraction time on Cyrillic, Thai,
// Arabic: the BMP's classes are computed once.
const std::uint8_t* build_bmp_classes() {
  static const auto table = [] {
    auto t = std::make_unique<std::array<std::uint8_t, 0x10000>>();
    for (char32_t c = 0; c < 0x10000; ++c)
      (*t)[c] = static_cast<std::uint8_t>(
          (icu_letter(c) ? 1 : 0) | (icu_word(c) ? 2 : 0) |
          (u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT) == static_cast<UChar32>(c) ? 4 : 0));
    return t;
  }();
  return table->data();
}

bool is_letter_cp_astral(char32_t c) { return icu_letter(c); }

bool is_word_cp_astral(char32_t c) { return icu_word(c); }

void fold_into(std::string_view s, std::u32string& out) {
  // At most one code point per byte: size once, write through a pointer, trim (push_back per
  // character was half the cost of folding a word).
  out.resize(s.size());
  char32_t* o = out.data();
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {  // ASCII folds to lower case; no ICU call
      o[n++] = b >= 'A' && b <= 'Z' ? static_cast<char32_t>(b - 'A' + 'a') : static_cast<char32_t>(b);
      ++i;
      continue;
    }
    char32_t cp = 0;
    i += decode_utf8(s, i, cp);
    // Scripts without case (Arabic, Thai, Han, ...) fold to themselves: the table says so.
    o[n++] = cp < 0x10000 && (bmp_classes()[cp] & 4) != 0
                 ? cp
                 : static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
  }
  out.resize(n);
}

std::u32string fold(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  fold_into(s, out);
  return out;
}

std::string NormalizedText::raw(std::size_t begin, std::size_t end) const {
  if (begin >= end || end > text.size()) return {};
  const std::size_t b = src_begin[begin];
  const std::size_t e = src_end[end - 1];
  return std::string(original.substr(b, e - b));
}

bool NormalizedText::removed_inside(std::size_t begin, std::size_t end) const {
  auto it = std::upper_bound(removed_at.begin(), removed_at.end(), static_cast<std::uint32_t>(begin));
  return it != removed_at.end() && *it < end;
}

bool NormalizedText::deobfuscated_inside(std::size_t begin, std::size_t end) const {
  auto it = std::lower_bound(deobfuscated_at.begin(), deobfuscated_at.end(), static_cast<std::uint32_t>(begin));
  return it != deobfuscated_at.end() && *it < end;
}

namespace {

constexpr std::size_t kMaxSpacedHostBytes = 253;  // RFC 1035 §2.3.4: longer is no host, stop looking
constexpr std::size_t kMaxLabelBytes = 63;        // RFC 1035 §2.3.4
constexpr std::size_t kMinSpacedAlnum = 4;        // "x . e e" is too little to tell from initials

// TLDs that no sentence ends in, so "evil . com" is a host even without a path or a digit.
constexpr std::string_view kSpacedDotTlds[] = {"com", "org", "info", "biz", "lv", "ee", "lt", "ru", "om",
                                               "xyz", "top", "icu", "su", "online", "site"};

bool is_label_byte(char c) { return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '-'; }

bool one_case_letters(std::string_view s) {
  bool lower = false, upper = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else return false;
  }
  return !s.empty() && !(lower && upper);
}

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Checks a dotted host (no spaces) for the spaced forms: labels well formed, the last a known TLD
// written in one case. Sets `strong` when the host has a digit or '-' in a label.
bool plausible_host(std::string_view host, const TldPredicate& is_tld, bool& strong) {
  if (host.empty() || host.size() > kMaxSpacedHostBytes || host.find('.') == std::string_view::npos) return false;
  strong = false;
  std::size_t start = 0;
  std::string_view last;
  for (std::size_t k = 0; k <= host.size(); ++k) {
    if (k < host.size() && host[k] != '.') continue;
    const std::string_view label = host.substr(start, k - start);
    if (label.empty() || label.size() > kMaxLabelBytes || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_label_byte(c)) return false;
      strong = strong || c == '-' || is_ascii_digit(static_cast<unsigned char>(c));
    }
    last = label;
    start = k + 1;
  }
  return one_case_letters(last) && is_tld(lower_copy(last));
}

// Characters a letter-spaced host is spelled with.
bool is_spaced_char(char c) { return is_label_byte(c) || c == '.' || c == '/'; }

// Does a one-character token at s[p] end at p + 1 (space, end, closing punctuation, sentence end)?
bool single_char_token(std::string_view s, std::size_t p) {
  if (p + 1 >= s.size()) return true;
  const char n = s[p + 1];
  if (n == ' ' || n == '\n' || n == '\r' || n == '\t' || n == ',' || n == ';' || n == '!' || n == '?' || n == ')' ||
      n == ']' || n == '"' || n == '\'')
    return true;
  return n == '.' && (p + 2 >= s.size() || s[p + 2] == ' ' || s[p + 2] == '\n');
}

bool opens_token(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '(' || c == '[' || c == '"' || c == '\'' || c == ':';
}

}  // namespace

NormalizedText normalize(std::string_view text, const TldPredicate* is_tld) {
  NormalizedText n;
  n.original = text;
  n.text.reserve(text.size());
  n.src_begin.reserve(text.size());
  n.src_end.reserve(text.size());
  Builder out{n};
  // High-water marks that keep the look-ahead scans linear: no new scan starts before them.
  std::size_t letter_scan_until = 0;
  std::size_t chain_until = 0;
  bool chain_ok = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    // Letter-spaced host: "t e l e 2 . l v".
    if (is_tld != nullptr && i >= letter_scan_until && is_ascii_alnum(byte) && i + 2 < text.size() &&
        text[i + 1] == ' ' && (n.text.empty() || opens_token(n.text.back()))) {
      std::string joined;
      std::vector<std::size_t> at;
      std::size_t p = i;
      while (p < text.size() && is_spaced_char(text[p]) && single_char_token(text, p) &&
             joined.size() <= kMaxSpacedHostBytes) {
        joined.push_back(text[p]);
        at.push_back(p);
        if (p + 2 >= text.size() || text[p + 1] != ' ') break;
        p += 2;
      }
      const std::size_t seq_end = at.back() + 1;
      letter_scan_until = seq_end;
      std::size_t alnum = 0;
      for (char c : joined) alnum += is_ascii_alnum(static_cast<unsigned char>(c)) ? 1 : 0;
      const std::string_view host = std::string_view(joined).substr(0, joined.find('/'));
      bool strong = false;
      if (at.size() >= 3 && alnum >= kMinSpacedAlnum && plausible_host(host, *is_tld, strong) &&
          host.find('.') >= 2) {
        for (std::size_t k = 0; k < joined.size(); ++k) {
          n.deobfuscated_at.push_back(static_cast<std::uint32_t>(n.text.size()));
          out.emit(std::string_view(&joined[k], 1), at[k], at[k] + 1);
        }
        i = seq_end;
        continue;
      }
    }
    auto plain_ascii = [](unsigned char b) { return b < 0x80 && b != '.' && b != '[' && b != '(' && b != '{'; };
    if (byte == ' ') {
      out.emit_run(text, i, i + 1);
      ++i;
      continue;
    }
    char32_t cp = 0;
    std::size_t len = 1;
    if (byte >= 0x80) len = decode_utf8(text, i, cp);
    if (plain_ascii(byte) || (byte >= 0x80 && is_plain_cp(cp, len))) {
      // A run of characters normalisation leaves alone, copied in one go. It goes on over a
      // space unless a letter-spaced host could start after it (a letter or digit followed by a
      // space): there the loop above must look, so the run stops before that space.
      std::size_t j = i + len;
      bool ascii = byte < 0x80;
      while (j < text.size()) {
        const auto b = static_cast<unsigned char>(text[j]);
        if (b == ' ') {
          if (j + 2 < text.size() && text[j + 2] == ' ' && is_ascii_alnum(static_cast<unsigned char>(text[j + 1])))
            break;
          ++j;
          continue;
        }
        if (b < 0x80) {
          if (!plain_ascii(b)) break;
          ++j;
          continue;
        }
        char32_t c = 0;
        const std::size_t l = decode_utf8(text, j, c);
        if (!is_plain_cp(c, l)) break;
        ascii = false;
        j += l;
      }
      out.emit_run(text, i, j, ascii);
      i = j;
      continue;
    }
    len = decode_utf8(text, i, cp);
    const std::size_t next = i + len;
    if (is_invisible(cp)) {
      n.removed_at.push_back(static_cast<std::uint32_t>(n.text.size()));
    } else if (cp == '.' && is_tld != nullptr && n.text.size() >= 2 && n.text.back() == ' ' &&
               is_label_byte(n.text[n.text.size() - 2]) && i + 2 < text.size() && text[i + 1] == ' ' &&
               is_ascii_alnum(static_cast<unsigned char>(text[i + 2]))) {
      // Spaced dot: "evil . com". The whole chain is judged once, at its first dot.
      if (i >= chain_until) {
        std::size_t lb = n.text.size() - 1;
        while (lb > 0 && n.text.size() - 1 - lb <= kMaxSpacedHostBytes &&
               (is_label_byte(n.text[lb - 1]) || n.text[lb - 1] == '.'))
          --lb;
        while (lb < n.text.size() - 1 && n.text[lb] == '.') ++lb;  // a sentence's full stop is no label
        const bool left_bounded =
            lb == 0 || !(is_label_byte(n.text[lb - 1]) || static_cast<unsigned char>(n.text[lb - 1]) >= 0x80);
        std::string host = n.text.substr(lb, n.text.size() - 1 - lb);
        std::size_t q = i;
        // Labels joined by " . " or by plain dots, up to the end of the host.
        while (q < text.size() && host.size() <= kMaxSpacedHostBytes) {
          std::size_t label_begin = 0;
          if (q + 2 < text.size() && text[q] == '.' && text[q + 1] == ' ' && is_ascii_alnum(static_cast<unsigned char>(text[q + 2]))) {
            label_begin = q + 2;
          } else if (q + 1 < text.size() && text[q] == ' ' && q + 3 < text.size() && text[q + 1] == '.' &&
                     text[q + 2] == ' ' && is_ascii_alnum(static_cast<unsigned char>(text[q + 3]))) {
            label_begin = q + 3;
          } else if (q + 1 < text.size() && text[q] == '.' && is_ascii_alnum(static_cast<unsigned char>(text[q + 1]))) {
            label_begin = q + 1;
          } else {
            break;
          }
          std::size_t e = label_begin;
          while (e < text.size() && is_label_byte(text[e]) && e - label_begin <= kMaxLabelBytes) ++e;
          host += '.';
          host.append(text.substr(label_begin, e - label_begin));
          q = e;
        }
        chain_until = q;
        bool strong = false;
        const bool ends_clean = q >= text.size() || static_cast<unsigned char>(text[q]) < 0x80;
        chain_ok = left_bounded && ends_clean && host.find('.') >= 2 && plausible_host(host, *is_tld, strong);
        if (chain_ok && !(q < text.size() && text[q] == '/') && !strong) {
          // Neither a path nor a digit or '-': only a TLD no sentence ends in, and one case throughout
          // ("Riga . LV" is a sentence, "evil . com" and "EVIL . COM" are hosts).
          const std::string tld = lower_copy(std::string_view(host).substr(host.rfind('.') + 1));
          std::string letters;
          for (char c : host)
            if (c != '.') letters.push_back(c);
          chain_ok = one_case_letters(letters) &&
                     std::find(std::begin(kSpacedDotTlds), std::end(kSpacedDotTlds), tld) != std::end(kSpacedDotTlds);
        }
      }
      if (chain_ok) {
        const std::size_t b = n.src_begin.back();
        out.pop();
        n.deobfuscated_at.push_back(static_cast<std::uint32_t>(n.text.size()));
        out.emit(".", b, i + 2);
        i += 2;
        continue;
      }
      out.emit(".", i, next);
    } else if (is_space_variant(cp)) {
      out.emit(" ", i, next);
    } else if (const char32_t ascii = fullwidth_number_char(cp); ascii != 0) {
      out.emit_cp(ascii, i, next);
    } else if (cp >= 0x0660 && cp <= 0x0669) {
      out.emit_cp(U'0' + (cp - 0x0660), i, next);
    } else if (cp >= 0x06F0 && cp <= 0x06F9) {
      out.emit_cp(U'0' + (cp - 0x06F0), i, next);
    } else if (is_wide_dot(cp)) {
      char32_t after = 0;
      const bool between = is_ascii_alnum(static_cast<unsigned char>(last_byte(n.text))) && next < text.size() &&
                           (decode_utf8(text, next, after), is_ascii_alnum(after));
      if (between) {
        n.deobfuscated_at.push_back(static_cast<std::uint32_t>(n.text.size()));
        out.emit(".", i, next);
      } else {
        out.emit(text.substr(i, len), i, next);
      }
    } else if (cp == '[' || cp == '(' || cp == '{') {
      // "[.]" and friends count only between host-like characters, optionally with one space on
      // each side ("example [.] com"); elsewhere brackets are ordinary text.
      const std::size_t dot_len = obfuscated_dot_len(text, i);
      bool done = false;
      if (dot_len > 0) {
        const bool space_before = last_byte(n.text) == ' ' && n.text.size() >= 2 &&
                                  is_ascii_alnum(static_cast<unsigned char>(n.text[n.text.size() - 2]));
        const bool alnum_before = is_ascii_alnum(static_cast<unsigned char>(last_byte(n.text)));
        std::size_t after = i + dot_len;
        const bool space_after = after + 1 < text.size() && text[after] == ' ' &&
                                 is_ascii_alnum(static_cast<unsigned char>(text[after + 1]));
        const bool alnum_after = after < text.size() && is_ascii_alnum(static_cast<unsigned char>(text[after]));
        if ((alnum_before || space_before) && (alnum_after || space_after)) {
          std::size_t b = i;
          if (!alnum_before) {
            b = n.src_begin.back();
            out.pop();
          }
          if (!alnum_after) ++after;
          n.deobfuscated_at.push_back(static_cast<std::uint32_t>(n.text.size()));
          out.emit(".", b, after);
          i = after;
          done = true;
        }
      } else if (cp == '[' && ieq_ascii(text, i, "[:]") && scheme_word_before(n.text)) {
        n.deobfuscated_at.push_back(static_cast<std::uint32_t>(n.text.size()));
        out.emit(":", i, i + 3);
        i += 3;
        done = true;
      }
      if (!done) {
        out.emit(text.substr(i, 1), i, next);
        i = next;
      }
      continue;
    } else if (cp == kReplacement && len == 1) {
      out.emit_cp(kReplacement, i, next);
    } else {
      out.emit(text.substr(i, len), i, next);
    }
    i = next;
  }
  return n;
}

}  // namespace smish::classifier::detail
