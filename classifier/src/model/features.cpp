// Model features: hashed character and word n-grams of the masked text, rule hits, extraction flags.
#include <unicode/uchar.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "model/model_impl.hpp"

namespace smish::classifier {
namespace {

using model_detail::fnv1a;
using model_detail::kFnvOffset;
using model_detail::kFnvPrime;
using model_detail::mix64;

// Stands for a link or an e-mail address in the text: a private-use code point no message carries.
constexpr char32_t kLinkPoint = 0xE000;

// Seeds keep the blocks apart: the character n-gram "ab" and the word "ab" are different features.
constexpr std::uint64_t kCharSeed = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kWordSeed = 0xc2b2ae3d27d4eb4fULL;
constexpr std::uint64_t kMetaSeed = 0x165667b19e3779f9ULL;

// Per-thread scratch: featurize() is called once per message on the hot path.
struct Scratch {
  std::vector<char32_t> points;
  std::vector<std::pair<std::size_t, std::size_t>> masked;  // byte ranges of links and e-mails
  std::vector<std::uint64_t> words;                          // word hashes
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Fibonacci hashing: the multiply carries every bit of the FNV state into the high bits kept.
std::uint32_t bucket(std::uint64_t h, int bits) {
  return static_cast<std::uint32_t>(((h ^ (h >> 29)) * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

// Decodes one UTF-8 code point at `i`; malformed input yields U+FFFD and moves one byte.
char32_t next_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t c = b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    c = (c << 6) | (b & 0x3F);
  }
  i += static_cast<std::size_t>(len);
  return c;
}

bool is_word_point(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || c == '0';  // already folded and masked
  if (c == kLinkPoint) return false;
  const auto type = u_charType(static_cast<UChar32>(c));
  return u_isalnum(static_cast<UChar32>(c)) || type == U_NON_SPACING_MARK ||
         type == U_COMBINING_SPACING_MARK;
}

// Byte ranges of `text` holding the links and e-mail addresses extraction found, as written.
void find_masked(std::string_view text, const core::Extraction* e,
                 std::vector<std::pair<std::size_t, std::size_t>>& out) {
  out.clear();
  if (e == nullptr) return;
  auto add = [&](std::string_view needle) {
    if (needle.empty()) return;
    for (std::size_t at = text.find(needle); at != std::string_view::npos;
         at = text.find(needle, at + needle.size()))
      out.emplace_back(at, at + needle.size());
  };
  for (const auto& u : e->urls) add(u.raw.empty() ? std::string_view(u.url) : std::string_view(u.raw));
  for (const auto& m : e->emails) add(m);
  std::sort(out.begin(), out.end());
}

// Case-folded code points with links as kLinkPoint, digits as '0', whitespace runs as one space,
// one space before and after. Also counts letters and capitals.
void normalise(std::string_view text, const core::Extraction* e, Scratch& s, int& letters,
               int& capitals) {
  find_masked(text, e, s.masked);
  s.points.clear();
  s.points.push_back(' ');
  letters = capitals = 0;
  std::size_t next_mask = 0;
  std::size_t i = 0;
  auto push = [&](char32_t c) {
    if (c == ' ' && s.points.back() == ' ') return;
    s.points.push_back(c);
  };
  while (i < text.size()) {
    while (next_mask < s.masked.size() && s.masked[next_mask].second <= i) ++next_mask;
    if (next_mask < s.masked.size() && s.masked[next_mask].first <= i) {
      push(kLinkPoint);
      i = s.masked[next_mask].second;
      continue;
    }
    char32_t c = next_point(text, i);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') {
        ++letters, ++capitals;
        c += 'a' - 'A';
      } else if (c >= 'a' && c <= 'z') {
        ++letters;
      } else if (c >= '0' && c <= '9') {
        c = '0';
      } else if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        c = ' ';
      }
      push(c);
      continue;
    }
    const auto u = static_cast<UChar32>(c);
    if (u_isalpha(u)) {
      ++letters;
      if (u_isupper(u)) ++capitals;
      push(static_cast<char32_t>(u_foldCase(u, U_FOLD_CASE_DEFAULT)));
    } else if (u_isdigit(u)) {
      push('0');
    } else if (u_isUWhiteSpace(u) || c == 0xFFFD) {
      push(' ');
    } else {
      push(c);
    }
  }
  push(' ');
}

class Emitter {
 public:
  Emitter(const FeatureSpec& spec, SparseFeatures& out) : bits_(spec.hash_bits), out_(out) {}
  // A flag "kind:detail" (brand_domain:tele2, lookalike_of:swedbank) counts as itself and as its
  // kind, so what is learnt for one brand carries over to brands the training set lacks.
  void flag(std::string_view kind, std::string_view value) {
    meta(kind, value);
    if (const auto colon = value.find(':'); colon != std::string_view::npos)
      meta(kind, value.substr(0, colon));
  }
  void add(std::uint64_t h, float v) {
    out_.index.push_back(bucket(h, bits_));
    out_.value.push_back(v);
  }
  void meta(std::string_view kind, std::string_view value = {}) {
    std::uint64_t h = fnv1a(kind, kMetaSeed);
    h = fnv1a(":", h);
    add(fnv1a(value, h), 1.0f);
  }
  // Sets the value of the entries from `from` on to 1/sqrt(count): a block of n-grams weighs the
  // same in a short message and a long one.
  void scale_from(std::size_t from) {
    const std::size_t n = out_.value.size() - from;
    if (n == 0) return;
    const float v = 1.0f / std::sqrt(static_cast<float>(n));
    std::fill(out_.value.begin() + static_cast<std::ptrdiff_t>(from), out_.value.end(), v);
  }
  std::size_t size() const { return out_.index.size(); }

 private:
  int bits_;
  SparseFeatures& out_;
};

const char* length_bucket(std::size_t points) {
  if (points < 20) return "0";
  if (points < 60) return "1";
  if (points < 120) return "2";
  if (points < 200) return "3";
  return "4";
}

}  // namespace

ModelInput model_input(const RuleSet& rules, std::string_view text, const core::Extraction& extraction) {
  ModelInput in;
  in.text = text;
  in.extraction = &extraction;
  const auto& all = rules.rules();
  for (std::size_t index : rules.match(text)) in.rule_ids.emplace_back(all[index].id);
  // Not a view of a temporary: detect_language returns one of a few fixed codes.
  static const std::string kLanguages[] = {"lv", "ru", "et", "lt", "ar", "en", ""};
  const std::string language = rules.detect_language(text);
  for (const auto& l : kLanguages)
    if (l == language) in.language = l;
  return in;
}

void featurize(const ModelInput& in, const FeatureSpec& spec, SparseFeatures& out) {
  out.clear();
  Scratch& s = scratch();
  int letters = 0, capitals = 0;
  normalise(in.text, in.extraction, s, letters, capitals);
  Emitter emit(spec, out);
  // Raw pointers: writing to `out` would otherwise make the compiler reload the scratch vectors.
  const char32_t* p = s.points.data();
  const std::size_t np = s.points.size();
  const int bits = spec.hash_bits;

  // Character n-grams: each one's FNV chain runs backwards from its last code point, so the
  // n-grams ending at one position share the work. Written in place, all with one value.
  const std::size_t char_start = out.index.size();
  const auto cmin = static_cast<std::size_t>(spec.char_min);
  const auto cmax = static_cast<std::size_t>(spec.char_max);
  out.index.resize(char_start + np * (cmax - cmin + 1));
  std::uint32_t* idx = out.index.data() + char_start;
  std::size_t k = 0;
  for (std::size_t end = 0; end < np; ++end) {
    std::uint64_t h = kCharSeed;
    for (std::size_t len = 1; len <= cmax && len <= end + 1; ++len) {
      h = (h ^ p[end + 1 - len]) * kFnvPrime;
      if (len >= cmin) idx[k++] = bucket(h + len, bits);
    }
  }
  out.index.resize(char_start + k);
  out.value.resize(char_start + k, k ? 1.0f / std::sqrt(static_cast<float>(k)) : 0.0f);

  // Word n-grams over runs of letters and digits; a link is a word of its own.
  const std::size_t word_start = emit.size();
  s.words.clear();
  for (std::size_t i = 0; i < np;) {
    if (p[i] == kLinkPoint) {
      s.words.push_back(mix64(kWordSeed ^ kLinkPoint));
      ++i;
      continue;
    }
    if (!is_word_point(p[i])) {
      ++i;
      continue;
    }
    std::uint64_t h = kWordSeed;
    while (i < np && is_word_point(p[i])) h = (h ^ p[i++]) * kFnvPrime;
    s.words.push_back(h);
  }
  const auto wmax = static_cast<std::size_t>(spec.word_max);
  for (std::size_t i = 0; i < s.words.size(); ++i) {
    std::uint64_t h = s.words[i];
    emit.add(h, 1.0f);
    for (std::size_t n = 2; n <= wmax && n <= i + 1; ++n) {
      h = mix64(h + n) ^ s.words[i + 1 - n];
      emit.add(h * kFnvPrime, 1.0f);
    }
  }
  emit.scale_from(word_start);

  // Evidence the rules and the extraction found, one feature each.
  for (auto id : in.rule_ids) emit.meta("rule", id);
  emit.meta("lang", in.language);
  emit.meta("len", length_bucket(np));
  if (letters >= 10) {
    const int share = capitals * 10 / letters;
    emit.meta("caps", share < 1 ? "0" : share < 3 ? "1" : share < 6 ? "2" : "3");
  }
  if (const core::Extraction* e = in.extraction) {
    for (const auto& u : e->urls) {
      emit.meta("url");
      const auto dot = u.host.rfind('.');
      if (dot != std::string::npos) emit.meta("tld", std::string_view(u.host).substr(dot + 1));
      for (const auto& f : u.flags) emit.flag("url_flag", f);
    }
    if (e->urls.size() > 1) emit.meta("urls", e->urls.size() > 2 ? "3+" : "2");
    for (const auto& n : e->numbers) {
      emit.meta("number");
      for (const auto& f : n.flags) emit.flag("number_flag", f);
    }
    if (!e->emails.empty()) emit.meta("email");
    for (const auto& f : e->flags) emit.flag("flag", f);
  }
}

}  // namespace smish::classifier
