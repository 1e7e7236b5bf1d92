// UTF-8 scanning for the rules engine on ICU character properties: folding, words, scripts.
#include "smish/core/utf8.hpp"
#include "rules/text_scan.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cctype>

namespace smish::classifier::rules {
namespace {


bool is_word_char(UChar32 c) {
  if (u_isalnum(c)) return true;
  // Arabic harakat and other combining marks belong to the word they sit on.
  const auto type = u_charType(c);
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
}

// A whitespace-separated chunk that is a link or a domain: its letters say nothing about the
// language of the message around it.
bool looks_like_link(std::string_view chunk) {
  if (chunk.find("://") != std::string_view::npos) return true;
  if (chunk.find("www.") != std::string_view::npos || chunk.find("WWW.") != std::string_view::npos)
    return true;
  for (std::size_t i = 0; i + 1 < chunk.size(); ++i) {
    const unsigned char next = static_cast<unsigned char>(chunk[i + 1]);
    // "name.tld" with an ASCII letter right after the dot; "end.Next" without a space is rare in
    // SMS and costs only a few letters of evidence.
    if (chunk[i] == '.' && i > 0 && next < 0x80 && std::isalpha(next)) return true;
    if (chunk[i] == '/' && i > 0) return true;
  }
  return false;
}

template <typename Fn>
void for_each_code_point(std::string_view text, Fn&& fn) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (c >= 0) fn(c);
  }
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_code_point(text,
                      [&](UChar32 c) { core::append_utf8(out, static_cast<char32_t>(u_foldCase(c, U_FOLD_CASE_DEFAULT))); });
  return out;
}

std::vector<std::string> fold_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for_each_code_point(text, [&](UChar32 c) {
    if (is_word_char(c)) {
      core::append_utf8(current, static_cast<char32_t>(u_foldCase(c, U_FOLD_CASE_DEFAULT)));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  });
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

ScriptCounts count_scripts(std::string_view text) {
  ScriptCounts counts;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find_first_of(" \t\r\n", pos);
    const std::string_view chunk =
        text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (chunk.empty() || looks_like_link(chunk)) continue;
    for_each_code_point(chunk, [&](UChar32 c) {
      if (!u_isalpha(c)) return;
      UErrorCode status = U_ZERO_ERROR;
      const UScriptCode script = uscript_getScript(c, &status);
      if (U_FAILURE(status)) return;
      switch (script) {
        case USCRIPT_LATIN:
          ++counts.latin;
          break;
        case USCRIPT_CYRILLIC:
          ++counts.cyrillic;
          break;
        case USCRIPT_ARABIC:
          ++counts.arabic;
          break;
        default:
          ++counts.other;
          break;
      }
    });
  }
  return counts;
}

std::vector<char32_t> code_points(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for_each_code_point(text, [&](UChar32 c) { out.push_back(static_cast<char32_t>(c)); });
  return out;
}

}  // namespace smish::classifier::rules
