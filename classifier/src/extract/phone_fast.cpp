// Fast path for the number matcher (see phone_fast.hpp). Each step below names the libphonenumber
// function (8.12, phonenumberutil.cc / phonenumbermatcher.cc) whose behaviour it reproduces for
// the one shape decided here; the differential test (extract_fast_path_test.cpp) runs both paths
// over the whole benchmark pool.
#include "extract/phone_fast.hpp"

#include <algorithm>
#include <array>
#include <list>
#include <memory>
#include <unordered_map>

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>
#include <unicode/uchar.h>

#include "extract/normalize.hpp"

// libphonenumber's compiled-in metadata: declared in its metadata.h, which Debian's
// libphonenumber-dev does not install; the library exports both functions.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
int short_metadata_size();
const void* short_metadata_get();
}  // namespace i18n::phonenumbers

namespace smish::classifier::detail {
namespace {

using i18n::phonenumbers::NumberFormat;
using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMinLengthForNsn = 2;   // PhoneNumberUtil::kMinLengthForNsn
constexpr std::size_t kMaxLengthForNsn = 17;  // PhoneNumberUtil::kMaxLengthForNsn
constexpr std::size_t kMaxLengthCountryCode = 3;

std::unique_ptr<RE2> compile(const std::string& pattern, bool& ok) {
  if (pattern.empty()) return nullptr;
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, o);
  if (!re->ok()) {
    ok = false;
    return nullptr;
  }
  return re;
}

// RegExp::Consume: a match anchored at the start; `rest` is what follows it.
bool consume(const RE2* re, std::string_view s, std::string_view* rest = nullptr) {
  if (re == nullptr) return false;
  re2::StringPiece sp(s.data(), s.size());
  if (!RE2::Consume(&sp, *re)) return false;
  if (rest != nullptr) *rest = std::string_view(sp.data(), sp.size());
  return true;
}

// RegexBasedMatcher::MatchNationalNumber(number, desc, false): an empty pattern never matches.
bool full_match(const RE2* re, std::string_view s) {
  return re != nullptr && RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *re);
}

struct Desc {
  std::vector<int> lengths;
  std::unique_ptr<RE2> pattern;

  void load(const PhoneNumberDesc& d, bool& ok) {
    lengths.assign(d.possible_length().begin(), d.possible_length().end());
    pattern = compile(d.national_number_pattern(), ok);
  }
  // PhoneNumberUtil::IsNumberMatchingDesc
  bool matches(std::string_view nsn) const {
    if (!lengths.empty() && std::find(lengths.begin(), lengths.end(), static_cast<int>(nsn.size())) == lengths.end())
      return false;
    return full_match(pattern.get(), nsn);
  }
};

struct Format {
  std::unique_ptr<RE2> leading;  // the last leading_digits_pattern, if any
  bool has_leading = false;
  std::unique_ptr<RE2> pattern;
  bool prefix_rule = false;         // national_prefix_formatting_rule not empty
  bool prefix_optional = false;     // national_prefix_optional_when_formatting
  bool first_group_only = false;    // PhoneNumberUtil::FormattingRuleHasFirstGroupOnly
};

struct Region {
  std::string id;
  int country_code = 0;
  bool ok = true;  // every pattern compiled and the metadata has what the steps below read
  std::unique_ptr<RE2> idd;
  std::unique_ptr<RE2> national_prefix_for_parsing;
  bool has_transform_rule = false;
  std::unique_ptr<RE2> leading_digits;
  bool has_leading_digits = false;
  Desc general;
  // GetNumberTypeHelper's order before fixed line and mobile.
  std::array<Desc, 8> special;
  Desc fixed_line;
  Desc mobile;
  bool same_mobile_and_fixed_line = false;
  std::vector<int> local_lengths;  // general_desc.possible_length_local_only
  std::vector<Format> formats;

  void load(const PhoneMetadata& m) {
    id = m.id();
    country_code = m.country_code();
    idd = compile(m.international_prefix(), ok);
    national_prefix_for_parsing = compile(m.national_prefix_for_parsing(), ok);
    has_transform_rule = !m.national_prefix_transform_rule().empty();
    has_leading_digits = m.has_leading_digits();
    leading_digits = compile(m.leading_digits(), ok);
    general.load(m.general_desc(), ok);
    if (general.lengths.empty()) ok = false;  // TestNumberLength reads possible_length(0)
    local_lengths.assign(m.general_desc().possible_length_local_only().begin(),
                         m.general_desc().possible_length_local_only().end());
    const PhoneNumberDesc* kinds[] = {&m.premium_rate(), &m.toll_free(), &m.shared_cost(), &m.voip(),
                                      &m.personal_number(), &m.pager(), &m.uan(), &m.voicemail()};
    for (std::size_t k = 0; k < special.size(); ++k) special[k].load(*kinds[k], ok);
    fixed_line.load(m.fixed_line(), ok);
    mobile.load(m.mobile(), ok);
    same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
    static const RE2 first_group_only(R"(\(?\$1\)?)");
    for (const NumberFormat& f : m.number_format()) {
      Format out;
      out.has_leading = f.leading_digits_pattern_size() > 0;
      if (out.has_leading) out.leading = compile(f.leading_digits_pattern(f.leading_digits_pattern_size() - 1), ok);
      out.pattern = compile(f.pattern(), ok);
      const std::string& rule = f.national_prefix_formatting_rule();
      out.prefix_rule = !rule.empty();
      out.prefix_optional = f.national_prefix_optional_when_formatting();
      out.first_group_only = rule.empty() || RE2::FullMatch(rule, first_group_only);
      formats.push_back(std::move(out));
    }
  }

  // PhoneNumberUtil::GetNumberTypeHelper(nsn, metadata) != UNKNOWN
  bool has_type(std::string_view nsn) const {
    if (!general.matches(nsn)) return false;
    for (const Desc& d : special)
      if (d.matches(nsn)) return true;
    if (fixed_line.matches(nsn)) return true;
    return !same_mobile_and_fixed_line && mobile.matches(nsn);
  }

  enum class Length { kPossible, kTooShort, kTooLong, kLocalOnly, kInvalid };
  // PhoneNumberUtil::TestNumberLength(number, metadata) (type UNKNOWN: the general description).
  Length test_length(std::string_view nsn) const {
    if (general.lengths.front() == -1) return Length::kInvalid;
    const int n = static_cast<int>(nsn.size());
    if (std::find(local_lengths.begin(), local_lengths.end(), n) != local_lengths.end()) return Length::kLocalOnly;
    if (general.lengths.front() == n) return Length::kPossible;
    if (general.lengths.front() > n) return Length::kTooShort;
    if (general.lengths.back() < n) return Length::kTooLong;
    return std::find(general.lengths.begin() + 1, general.lengths.end(), n) != general.lengths.end() ? Length::kPossible
                                                                                                     : Length::kInvalid;
  }

  enum class Strip { kNo, kStripped, kUnknown };
  // PhoneNumberUtil::MaybeStripNationalPrefixAndCarrierCode without a transform rule (kUnknown
  // with one): kStripped and `out` when the national prefix was removed.
  Strip strip_national_prefix(std::string_view number, std::string_view& out) const {
    if (number.empty() || national_prefix_for_parsing == nullptr) return Strip::kNo;
    if (has_transform_rule) return Strip::kUnknown;
    const bool viable_original = full_match(general.pattern.get(), number);
    std::string_view rest;
    if (!consume(national_prefix_for_parsing.get(), number, &rest)) return Strip::kNo;
    if (viable_original && !full_match(general.pattern.get(), rest)) return Strip::kNo;
    out = rest;
    return Strip::kStripped;
  }

  // PhoneNumberUtil::ChooseFormattingPatternForNumber over number_format.
  const Format* format_for(std::string_view nsn) const {
    for (const Format& f : formats) {
      if (f.has_leading && !consume(f.leading.get(), nsn)) continue;
      if (full_match(f.pattern.get(), nsn)) return &f;
    }
    return nullptr;
  }
};

class Registry {
 public:
  Registry() {
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    PhoneMetadataCollection all;
    if (!all.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size())) return;
    for (const PhoneMetadata& m : all.metadata()) {
      if (m.id() == "001") continue;  // non-geographic entities: left to the matcher
      auto r = std::make_unique<Region>();
      r->load(m);
      regions_.emplace(r->id, std::move(r));
    }
    // The country calling codes libphonenumber knows, with their regions in its order (main first).
    for (int cc = 1; cc < 1000; ++cc) {
      std::list<std::string> ids;
      util.GetRegionCodesForCountryCallingCode(cc, &ids);
      if (ids.empty()) continue;
      std::vector<const Region*> list;
      for (const std::string& id : ids) {
        const Region* r = region(id);
        if (r == nullptr) {  // "001" or metadata missing: not decided here
          list.clear();
          break;
        }
        list.push_back(r);
      }
      codes_.emplace(cc, std::move(list));
    }
  }

  const Region* region(const std::string& id) const {
    auto it = regions_.find(id);
    return it == regions_.end() || !it->second->ok ? nullptr : it->second.get();
  }
  // nullptr: unknown code; an empty list: known but not decided here.
  const std::vector<const Region*>* code(int cc) const {
    auto it = codes_.find(cc);
    return it == codes_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<Region>> regions_;
  std::unordered_map<int, std::vector<const Region*>> codes_;
};

const Registry& registry() {
  static const Registry r;
  return r;
}

// ShortNumberInfo's metadata for one region: emergency numbers, its general and short-code descriptions.
struct ShortRegion {
  bool ok = true;
  bool has_emergency = false;
  std::unique_ptr<RE2> emergency;
  Desc general;
  Desc short_code;
};

class ShortRegistry {
 public:
  ShortRegistry() {
    PhoneMetadataCollection all;
    if (!all.ParseFromArray(i18n::phonenumbers::short_metadata_get(), i18n::phonenumbers::short_metadata_size()))
      return;
    for (const PhoneMetadata& m : all.metadata()) {
      auto r = std::make_unique<ShortRegion>();
      r->has_emergency = m.has_emergency();
      r->emergency = compile(m.emergency().national_number_pattern(), r->ok);
      r->general.load(m.general_desc(), r->ok);
      r->short_code.load(m.short_code(), r->ok);
      regions_.emplace(m.id(), std::move(r));
    }
  }
  // nullptr: no short-number metadata for the region (ShortNumberInfo answers false).
  const ShortRegion* region(const std::string& id, bool& ok) const {
    auto it = regions_.find(id);
    if (it == regions_.end()) return nullptr;
    ok = it->second->ok;
    return it->second.get();
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<ShortRegion>> regions_;
};

const ShortRegistry& short_registry() {
  static const ShortRegistry r;
  return r;
}

// PhoneNumberMatcher::IsLatinLetter
bool is_latin_letter(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  if (!u_isalpha(cp) && u_charType(cp) != U_NON_SPACING_MARK) return false;
  const UBlockCode block = ublock_getCode(cp);
  return block == UBLOCK_BASIC_LATIN || block == UBLOCK_LATIN_1_SUPPLEMENT || block == UBLOCK_LATIN_EXTENDED_A ||
         block == UBLOCK_LATIN_EXTENDED_ADDITIONAL || block == UBLOCK_LATIN_EXTENDED_B ||
         block == UBLOCK_COMBINING_DIACRITICAL_MARKS;
}

// PhoneNumberMatcher's IsInvalidPunctuationSymbol
bool is_invalid_punctuation(char32_t c) { return c == '%' || u_charType(static_cast<UChar32>(c)) == U_CURRENCY_SYMBOL; }

// A digit token of a window: an optional '+', ASCII digits, single spaces or hyphens between groups.
struct Token {
  std::size_t begin = 0;  // at the '+' if any
  std::size_t end = 0;    // after the last digit
  bool plus = false;
  bool spaced = false;  // a space between two digit groups
  std::string digits;
};

// PhoneNumberUtil::kValidPunctuation: what the matcher's pattern accepts between digit groups.
bool is_matcher_punctuation(char32_t c) {
  switch (c) {
    case '-': case 'x': case ' ': case '(': case ')': case '.': case '[': case ']': case '/': case '~':
    case 0x00A0: case 0x00AD: case 0x200B: case 0x2060: case 0x3000: case 0x2212: case 0x30FC:
    case 0xFF08: case 0xFF09: case 0xFF3B: case 0xFF3D: case 0x2053: case 0x223C: case 0xFF5E:
      return true;
    default:
      return (c >= 0x2010 && c <= 0x2015) || (c >= 0xFF0D && c <= 0xFF0F);
  }
}

// Characters whose case-insensitive matching may differ between ICU and RE2 (full case folding,
// ligatures, fullwidth forms): a gap holding one is not decided here.
bool is_exotic(char32_t c) {
  if (c >= 0xFF00 && c <= 0xFFEF) return true;
  if (c >= 0xFB00 && c <= 0xFB06) return true;
  return c == 0x00DF || c == 0x017F || c == 0x0130 || c == 0x0131 || c == 0x212A || c == 0x1E9E;
}

// The text between two tokens keeps their candidates apart when the matcher's pattern can neither
// join them (a character that is not its punctuation) nor read the second token as an extension
// of the first (the gap is not an extension label with its separators:
// PhoneNumberUtil::GetExtnPatternsForMatching).
bool separates(std::string_view gap) {
  static const RE2 extension_prefix(
      "(?i)(?:;ext=|[ \\x{A0}\\t,]*(?:e?xt(?:ensi(?:o\\x{301}?|\\x{F3}))?n?|\\x{FF45}?\\x{FF58}\\x{FF54}\\x{FF4E}?|"
      "\\x{434}\\x{43E}\\x{431}|anexo|[x\\x{FF58}#\\x{FF03}~\\x{FF5E}]|int|\\x{FF49}\\x{FF4E}\\x{FF54})"
      "[:.\\x{FF0E}]?[ \\x{A0}\\t,-]*|[- ]+)");
  bool apart = false;
  for (std::size_t i = 0; i < gap.size();) {
    char32_t cp = 0;
    i += decode_utf8(gap, i, cp);
    if (is_exotic(cp)) return false;
    apart = apart || !is_matcher_punctuation(cp);
  }
  return apart && !RE2::FullMatch(re2::StringPiece(gap.data(), gap.size()), extension_prefix);
}

constexpr std::size_t kMaxTokens = 16;  // the matcher gives up after 32 failed candidates

bool is_lead(char32_t c) { return c == '+' || c == '(' || c == '[' || c == 0xFF0B || c == 0xFF08 || c == 0xFF3B; }

bool is_any_digit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 0x80 && u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER);
}

// Whether the matcher's pattern may start a candidate at the lead character ending at `i`, or join
// digits across it: its lead part is at most two lead characters each followed by at most four
// punctuation characters, so a digit within ten punctuation or lead characters is enough
// (a superset, on the safe side).
bool lead_reaches_digit(std::string_view w, std::size_t i) {
  for (int k = 0; k < 10 && i < w.size(); ++k) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(w, i, cp);
    if (is_any_digit(cp)) return true;
    if (!is_matcher_punctuation(cp) && !is_lead(cp)) return false;
    i += len;
  }
  return false;
}

// PhoneNumberMatcherRegExps::slash_separated_dates_
const RE2& slash_separated_dates() {
  static const RE2 re(R"((?:(?:[0-3]?\d/[01]?\d)|(?:[01]?\d/[0-3]?\d))/(?:[12]\d)?\d{2})");
  return re;
}

// The digit tokens of a window, if the window has the shape decided here: every digit belongs to a
// token, and the text between two tokens keeps their candidates apart.
std::optional<std::vector<Token>> tokens_of(std::string_view w) {
  std::vector<Token> out;
  for (std::size_t i = 0; i < w.size();) {
    const auto b = static_cast<unsigned char>(w[i]);
    const bool plus = b == '+' && i + 1 < w.size() && w[i + 1] >= '0' && w[i + 1] <= '9';
    if ((b >= '0' && b <= '9') || plus) {
      // A '+' keeps a token apart from the one before: neither digits nor an extension follow a '+'.
      if (out.size() >= kMaxTokens ||
          (!out.empty() && !plus && !separates(w.substr(out.back().end, i - out.back().end))))
        return std::nullopt;
      Token t;
      t.begin = i;
      t.plus = plus;
      if (plus) ++i;
      for (;;) {
        while (i < w.size() && w[i] >= '0' && w[i] <= '9') t.digits.push_back(w[i++]);
        if (i + 1 < w.size() && (w[i] == ' ' || w[i] == '-' || w[i] == '/' || w[i] == '.') && w[i + 1] >= '0' &&
            w[i + 1] <= '9') {
          t.spaced = t.spaced || w[i] == ' ';
          ++i;
          continue;
        }
        break;
      }
      t.end = i;
      if (t.digits.size() > kMaxLengthForNsn) return std::nullopt;
      out.push_back(std::move(t));
      continue;
    }
    char32_t cp = b;
    const std::size_t len = b < 0x80 ? 1 : decode_utf8(w, i, cp);
    // Digits of other scripts, and U+FFFD (possibly invalid UTF-8, which the matcher rejects whole).
    if (cp == 0xFFFD || (cp >= 0x80 && is_any_digit(cp))) return std::nullopt;
    // A lead character ('+' '(' '[' and fullwidth forms) could start a candidate before a token.
    if (is_lead(cp) && lead_reaches_digit(w, i + len)) return std::nullopt;
    i += len;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// A number the fast path parsed: what ParseAndKeepRawInput gives for the token.
struct Parsed {
  int country_code = 0;
  std::string_view nsn;  // national significant number (leading zeros included)
  bool from_default_country = false;
};

// PhoneNumberUtil::ParseHelper for the token's shape; nullopt when not decided here.
std::optional<Parsed> parse(const Token& t, const Region& home) {
  const Registry& reg = registry();
  Parsed p;
  std::string_view digits = t.digits;
  const Region* meta = &home;
  std::string_view national;
  if (t.plus) {  // MaybeExtractCountryCode with a plus sign: ExtractCountryCode
    if (digits.size() <= kMinLengthForNsn || digits[0] == '0') return std::nullopt;
    for (std::size_t i = 1; i <= kMaxLengthCountryCode && i <= digits.size(); ++i) {
      int cc = 0;
      for (std::size_t k = 0; k < i; ++k) cc = cc * 10 + (digits[k] - '0');
      if (reg.code(cc) != nullptr) {
        p.country_code = cc;
        national = digits.substr(i);
        break;
      }
    }
    if (p.country_code == 0) return std::nullopt;  // the parser would retry without the plus
    const auto* list = reg.code(p.country_code);
    if (list->empty()) return std::nullopt;
    meta = list->front();  // GetRegionCodeForCountryCode: the main region's metadata
  } else {
    // ParsePrefixAsIdd: an IDD prefix not followed by a 0 is stripped; nothing but a too short
    // number after it (TOO_SHORT_AFTER_IDD: no match) is decided here.
    std::string_view after_idd;
    if (consume(home.idd.get(), digits, &after_idd) && (after_idd.empty() || after_idd[0] != '0')) {
      if (after_idd.size() <= kMinLengthForNsn) return Parsed{};  // country_code 0: not a number
      return std::nullopt;
    }
    // MaybeExtractCountryCode: the home country code written without '+' is taken off when the
    // number did not fit the region before and fits after, or was too long.
    const std::string own = std::to_string(home.country_code);
    if (digits.substr(0, own.size()) == own) {
      std::string_view potential = digits.substr(own.size());
      std::string_view stripped;
      switch (home.strip_national_prefix(potential, stripped)) {
        case Region::Strip::kUnknown:
          return std::nullopt;
        case Region::Strip::kStripped:
          potential = stripped;
          break;
        case Region::Strip::kNo:
          break;
      }
      if ((!full_match(home.general.pattern.get(), digits) && full_match(home.general.pattern.get(), potential)) ||
          home.test_length(digits) == Region::Length::kTooLong) {
        const auto* list = reg.code(home.country_code);
        if (list == nullptr || list->empty()) return std::nullopt;
        p.country_code = home.country_code;
        national = potential;
        meta = list->front();  // ParseHelper: the metadata of the code's main region
      }
    }
    if (p.country_code == 0) {
      p.country_code = home.country_code;
      p.from_default_country = true;
      national = digits;
    }
  }
  if (national.size() < kMinLengthForNsn) return std::nullopt;
  std::string_view stripped;
  switch (meta->strip_national_prefix(national, stripped)) {
    case Region::Strip::kUnknown:
      return std::nullopt;
    case Region::Strip::kStripped: {
      const auto v = meta->test_length(stripped);
      if (v != Region::Length::kTooShort && v != Region::Length::kLocalOnly && v != Region::Length::kInvalid)
        national = stripped;
      break;
    }
    case Region::Strip::kNo:
      break;
  }
  if (national.size() < kMinLengthForNsn || national.size() > kMaxLengthForNsn) return std::nullopt;
  p.nsn = national;
  return p;
}

enum class Verdict { kValid, kInvalid, kUnknown };

// PhoneNumberUtil::IsValidNumber (GetRegionCodeForNumber, IsValidNumberForRegion), then the
// matcher's IsNationalPrefixPresentIfRequired. `region` is set for a valid number.
Verdict verify(const Parsed& p, const Token& t, const Region*& region) {
  const auto* list = registry().code(p.country_code);
  if (list == nullptr || list->empty()) return Verdict::kUnknown;
  region = nullptr;
  if (list->size() == 1) {
    region = list->front();
  } else {
    for (const Region* r : *list) {  // GetRegionCodeForNumberFromRegionList
      if (r->has_leading_digits ? consume(r->leading_digits.get(), p.nsn) : r->has_type(p.nsn)) {
        region = r;
        break;
      }
    }
  }
  if (region == nullptr || !region->has_type(p.nsn)) return Verdict::kInvalid;
  if (!p.from_default_country) return Verdict::kValid;
  const Region* main = list->front();
  const Format* f = main->format_for(p.nsn);
  if (f == nullptr || !f->prefix_rule || f->prefix_optional || f->first_group_only) return Verdict::kValid;
  std::string_view ignored;
  switch (main->strip_national_prefix(t.digits, ignored)) {
    case Region::Strip::kStripped:
      return Verdict::kValid;
    case Region::Strip::kNo:
      return Verdict::kInvalid;
    case Region::Strip::kUnknown:
      break;
  }
  return Verdict::kUnknown;
}

// The part [b, e) of a token (digit groups separated by single spaces or hyphens) as a token.
Token sub_token(std::string_view w, std::size_t b, std::size_t e) {
  Token t;
  t.begin = b;
  t.end = e;
  t.plus = w[b] == '+';
  for (std::size_t i = b; i < e; ++i) {
    if (w[i] >= '0' && w[i] <= '9') t.digits.push_back(w[i]);
    t.spaced = t.spaced || w[i] == ' ';
  }
  return t;
}

enum class Outcome { kMatch, kNoMatch, kUnknown };

// PhoneNumberMatcher::ParseAndVerify for a candidate that is the token `t` of window `w`.
Outcome parse_and_verify(std::string_view w, const Token& t, const Region& home, WindowMatch& m) {
  // Leniency VALID: no Latin letter, '%' or currency symbol right before (unless the candidate
  // starts with '+') or right after the candidate.
  char32_t cp = 0;
  if (!t.plus && t.begin > 0) {
    decode_utf8_before(w, t.begin, cp);
    if (is_invalid_punctuation(cp) || is_latin_letter(cp)) return Outcome::kNoMatch;
  }
  if (t.end < w.size()) {
    decode_utf8(w, t.end, cp);
    if (is_invalid_punctuation(cp) || is_latin_letter(cp)) return Outcome::kNoMatch;
  }
  // IsViablePhoneNumber: two digits alone, or three or more with punctuation between.
  if (t.digits.size() < 2 || (t.digits.size() == 2 && (t.plus || t.end - t.begin != 2))) return Outcome::kNoMatch;
  const auto p = parse(t, home);
  if (!p) return Outcome::kUnknown;
  if (p->country_code == 0) return Outcome::kNoMatch;  // a parse error
  const Region* number_region = nullptr;
  switch (verify(*p, t, number_region)) {
    case Verdict::kUnknown:
      return Outcome::kUnknown;
    case Verdict::kInvalid:
      return Outcome::kNoMatch;
    case Verdict::kValid:
      break;
  }
  m.offset = static_cast<std::uint32_t>(t.begin);
  m.length = static_cast<std::uint32_t>(t.end - t.begin);
  m.e164.reserve(1 + 3 + p->nsn.size());
  m.e164.append("+").append(std::to_string(p->country_code)).append(p->nsn);
  m.region = number_region->id;
  return Outcome::kMatch;
}

// PhoneNumberMatcherRegExps::time_stamps_ and time_stamps_suffix_
const RE2& time_stamps() {
  static const RE2 re(R"([12]\d{3}[-/]?[01]\d[-/]?[0-3]\d +[0-2]\d$)");
  return re;
}
const RE2& time_stamps_suffix() {
  static const RE2 re(R"(:[0-5]\d)");
  return re;
}

// The sub-candidates ExtractInnerMatch tries, in its order, for a candidate made of digit groups
// joined by single spaces, hyphens, slashes or dots. Of its patterns only three can apply to such
// text: "/+(.*)" (before the first slash, then all after it), "\.+\p{Z}*([^.]+)" (before the first
// dot, then each run between dots) and "\p{Z}+(\P{Z}+)" (before the first space, then each run
// between spaces); the others need brackets, a space next to a hyphen or a wide hyphen.
std::vector<std::pair<std::size_t, std::size_t>> inner_candidates(std::string_view w, std::size_t b, std::size_t e) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  const std::string_view c = w.substr(b, e - b);
  if (const std::size_t slash = c.find('/'); slash != std::string_view::npos) {
    out.emplace_back(b, b + slash);
    out.emplace_back(b + slash + 1, e);
  }
  for (const char sep : {'.', ' '}) {
    if (c.find(sep) == std::string_view::npos) continue;
    std::size_t from = b;
    for (std::size_t i = b;; ++i) {
      if (i == e || w[i] == sep) {
        out.emplace_back(from, i);
        if (i == e) break;
        from = i + 1;
      }
    }
  }
  return out;
}

constexpr int kMaxTries = 24;  // below the matcher's 32 (PhoneFinder's kMatcherMaxTries), on the safe side

// PhoneNumberMatcher::Find over one token whose candidates stay apart from the other tokens':
// ExtractMatch on the candidate from `pos` to the token's end (slash-separated dates and time
// stamps skipped, ParseAndVerify, then ExtractInnerMatch); after an inner match the search resumes
// at its end. Appends the matches; false when not decided here.
bool match_token(std::string_view w, const Token& token, const Region& home, std::vector<WindowMatch>& out,
                 int& tries) {
  std::size_t pos = token.begin;
  while (pos < token.end) {
    if (++tries > kMaxTries) return false;
    const Token cand = pos == token.begin ? token : sub_token(w, pos, token.end);
    const std::string_view text = w.substr(cand.begin, cand.end - cand.begin);
    const re2::StringPiece piece(text.data(), text.size());
    // ExtractMatch: a date or a time stamp followed by ":mm" is skipped without an inner match.
    if (text.find('/') != std::string_view::npos && RE2::PartialMatch(piece, slash_separated_dates())) return true;
    if (cand.spaced) {
      re2::StringPiece after(w.data() + cand.end, w.size() - cand.end);
      if (RE2::PartialMatch(piece, time_stamps()) && RE2::Consume(&after, time_stamps_suffix())) return true;
    }
    WindowMatch m;
    Outcome o = parse_and_verify(w, cand, home, m);
    if (o == Outcome::kUnknown) return false;
    if (o == Outcome::kMatch) {
      out.push_back(std::move(m));
      return true;  // the candidate runs to the token's end
    }
    std::size_t resume = 0;
    for (const auto& [b, e] : inner_candidates(w, cand.begin, cand.end)) {
      if (++tries > kMaxTries) return false;
      if (b == e) continue;  // ParseAndVerify("") fails
      WindowMatch inner;
      o = parse_and_verify(w, sub_token(w, b, e), home, inner);
      if (o == Outcome::kUnknown) return false;
      if (o == Outcome::kMatch) {
        out.push_back(std::move(inner));
        resume = e;
        break;
      }
    }
    if (resume == 0) return true;  // no inner match: the search goes on after the candidate
    pos = resume;
    while (pos < token.end && !(w[pos] >= '0' && w[pos] <= '9')) ++pos;  // the next group's first digit
  }
  return true;
}

}  // namespace

std::optional<std::uint8_t> fast_short_number(std::string_view digits, const std::string& region) {
  bool ok = true;
  const ShortRegion* sr = short_registry().region(region, ok);
  if (!ok) return std::nullopt;
  std::uint8_t answer = 0;
  // ShortNumberInfo::IsEmergencyNumber (MatchesEmergencyNumberHelper, no prefix match).
  if (sr != nullptr && sr->has_emergency && full_match(sr->emergency.get(), digits)) answer |= kShortEmergency;
  if ((answer & kShortEmergency) != 0 || digits.size() < 3) return answer;
  // PhoneNumberUtil::Parse(digits, region), then ShortNumberInfo::IsValidShortNumberForRegion:
  // the region dials the number's country code by construction; the national significant number
  // must fit the short-number metadata's general and short-code descriptions.
  const Region* home = registry().region(region);
  if (home == nullptr) return std::nullopt;
  Token t;
  t.begin = 0;
  t.end = digits.size();
  t.digits = std::string(digits);
  const auto p = parse(t, *home);
  if (!p) return std::nullopt;
  if (p->country_code == 0 || sr == nullptr) return answer;  // a parse error, or no metadata: not valid
  if (sr->general.matches(p->nsn) && sr->short_code.matches(p->nsn)) answer |= kShortValid;
  return answer;
}

void prepare_fast_path() {
  registry();
  short_registry();
}

FastPathCounts& fast_path_counts() {
  thread_local FastPathCounts c;
  return c;
}

std::optional<std::vector<WindowMatch>> fast_window_matches(std::string_view window, const std::string& region) {
  auto decide = [&]() -> std::optional<std::vector<WindowMatch>> {
    const Region* home = registry().region(region);
    if (home == nullptr) return std::nullopt;
    const auto tokens = tokens_of(window);
    if (!tokens) return std::nullopt;
    std::vector<WindowMatch> out;
    int tries = 0;
    for (const Token& t : *tokens) {
      if (!match_token(window, t, *home, out, tries)) return std::nullopt;
    }
    return out;
  };
  auto out = decide();
  FastPathCounts& c = fast_path_counts();
  ++(out ? c.decided : c.fell_back);
  return out;
}

}  // namespace smish::classifier::detail
