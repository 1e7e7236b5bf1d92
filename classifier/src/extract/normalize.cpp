// Text normalisation for extraction: one pass over the input, keeping a byte map to the original.
#include "extract/normalize.hpp"

#include <algorithm>

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
    for (char c : bytes) {
      n_.text.push_back(c);
      n_.src_begin.push_back(static_cast<std::uint32_t>(b));
      n_.src_end.push_back(static_cast<std::uint32_t>(e));
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
  for (std::string_view w : {"https", "http", "hxxps", "hxxp"}) {
    if (out.size() < w.size()) continue;
    if (ieq_ascii(out, out.size() - w.size(), w)) return true;
  }
  return false;
}

}  // namespace

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
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

std::size_t decode_utf8_before(std::string_view s, std::size_t i, char32_t& cp) {
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

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_letter_cp(char32_t c) {
  if (c < 0x80) return is_ascii_alpha(c);
  const auto t = u_charType(static_cast<UChar32>(c));
  return u_isalpha(static_cast<UChar32>(c)) || t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK ||
         t == U_ENCLOSING_MARK;
}

bool is_word_cp(char32_t c) {
  if (c < 0x80) return is_ascii_alnum(c);
  return is_letter_cp(c) || u_isdigit(static_cast<UChar32>(c));
}

bool is_cjk(char32_t c) {
  return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xA960 && c <= 0xA97F) ||
         (c >= 0xAC00 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

std::u32string fold(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    i += decode_utf8(s, i, cp);
    out.push_back(static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT)));
  }
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

NormalizedText normalize(std::string_view text) {
  NormalizedText n;
  n.original = text;
  n.text.reserve(text.size());
  n.src_begin.reserve(text.size());
  n.src_end.reserve(text.size());
  Builder out{n};
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(text, i, cp);
    const std::size_t next = i + len;
    if (is_invisible(cp)) {
      n.removed_at.push_back(static_cast<std::uint32_t>(n.text.size()));
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
