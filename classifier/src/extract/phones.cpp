// Phone-number finder: blank non-numbers by context, run libphonenumber only when needed, then short codes.
#include "extract/phones.hpp"

#include <algorithm>
#include <array>
#include <climits>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

namespace smish::classifier::detail {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMinMatcherDigits = 6;   // shorter runs cannot be a subscriber number anywhere we serve
constexpr std::size_t kCodeWindowBytes = 40;   // "код подтверждения: 4839" — a code word and up to 2 words
constexpr std::size_t kOrderWindowBytes = 24;  // "pasūtījums Nr. 20240312": marker right before the digits

// The singleton, with libphonenumber's stderr logging silenced once (bad input is expected here).
const PhoneNumberUtil& phone_util() {
  static PhoneNumberUtil* const util = [] {
    PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());
    return u;
  }();
  return *util;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void blank(std::string& t, std::size_t b, std::size_t e) { std::fill(t.begin() + static_cast<std::ptrdiff_t>(b), t.begin() + static_cast<std::ptrdiff_t>(e), ' '); }

// A run of digits joined by at most two separator characters ("+7 (912) 345-67-89", "20 000 001").
struct Run {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t digits = 0;
  std::size_t groups = 0;
  bool plus = false;
};

bool is_separator(char c) { return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == ','; }

std::vector<Run> find_runs(std::string_view t) {
  std::vector<Run> runs;
  std::size_t i = 0;
  while (i < t.size()) {
    const bool plus = t[i] == '+' && i + 1 < t.size() && is_digit(t[i + 1]);
    if (!is_digit(t[i]) && !plus) {
      ++i;
      continue;
    }
    Run r;
    r.begin = i;
    r.plus = plus;
    if (plus) ++i;
    for (;;) {
      ++r.groups;
      while (i < t.size() && is_digit(t[i])) ++r.digits, ++i;
      std::size_t j = i;
      std::size_t seps = 0;
      std::size_t spaces = 0;
      bool comma = false;
      while (j < t.size() && seps < 2 && is_separator(t[j])) {
        comma = comma || t[j] == ',';
        spaces += t[j] == ' ' ? 1 : 0;
        ++j, ++seps;
      }
      if (seps > 0 && j < t.size() && is_digit(t[j]) && spaces <= 1 && !(comma && seps > 1)) {
        i = j;
        continue;
      }
      break;
    }
    r.end = i;
    runs.push_back(r);
  }
  return runs;
}

// The matcher pre-filter: >= kMinMatcherDigits digits with only separators (any number of
// spaces, up to kMaxSeparatorRun other separator characters) between them: "0 3   3 3 1   6 0 0 5".
bool has_long_digit_run(std::string_view t) {
  constexpr std::size_t kMaxSeparatorRun = 4;
  std::size_t digits = 0;
  std::size_t separators = 0;
  for (char c : t) {
    if (is_digit(c)) {
      if (++digits >= kMinMatcherDigits) return true;
      separators = 0;
      continue;
    }
    if (c == ' ') continue;  // any number of spaces keeps a run going
    if (digits > 0 && (is_separator(c) || c == '+') && separators < kMaxSeparatorRun) {
      ++separators;
      continue;
    }
    digits = 0;
    separators = 0;
  }
  return false;
}

// Parses up to `max` digits at t[i]; returns how many were read.
std::size_t read_digits(std::string_view t, std::size_t i, std::size_t max, int& value) {
  std::size_t k = 0;
  value = 0;
  while (i + k < t.size() && k < max + 1 && is_digit(t[i + k])) value = value * 10 + (t[i + k] - '0'), ++k;
  return k;
}

// dd.mm.yyyy, dd/mm/yy, dd-mm-yyyy, yyyy-mm-dd and hh:mm[:ss] are never numbers.
void mask_dates_and_times(std::string& t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!is_digit(t[i]) || (i > 0 && (is_digit(t[i - 1]) || t[i - 1] == ':'))) continue;
    int a = 0, b = 0, c = 0;
    const std::size_t la = read_digits(t, i, 4, a);
    std::size_t p = i + la;
    if (p + 1 < t.size() && t[p] == ':' && la <= 2) {  // time
      const std::size_t lb = read_digits(t, p + 1, 2, b);
      if (lb == 2 && a <= 24 && b <= 59) {
        std::size_t e = p + 1 + lb;
        if (e + 2 < t.size() && t[e] == ':' && read_digits(t, e + 1, 2, c) == 2 && c <= 59) e += 3;
        if (e >= t.size() || !is_digit(t[e])) blank(t, i, e);
      }
      continue;
    }
    if (p >= t.size() || (t[p] != '.' && t[p] != '/' && t[p] != '-')) continue;
    const char sep = t[p];
    const std::size_t lb = read_digits(t, p + 1, 2, b);
    const std::size_t q = p + 1 + lb;
    if (lb == 0 || lb > 2 || q >= t.size() || t[q] != sep) continue;
    const std::size_t lc = read_digits(t, q + 1, 4, c);
    const std::size_t e = q + 1 + lc;
    if (e < t.size() && is_digit(t[e])) continue;
    bool date = false;
    auto plausible_year = [](int y) { return y >= 1900 && y <= 2099; };
    if (la <= 2 && ((lc == 4 && plausible_year(c)) || (lc == 2 && sep != '-'))) {
      date = a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
    } else if (la == 4 && plausible_year(a) && lc >= 1 && lc <= 2) {
      date = b >= 1 && b <= 12 && c >= 1 && c <= 31;
    }
    if (date) blank(t, i, e);
  }
}

struct Token {
  std::string_view text;
  bool dot_after = false;
};

// Up to `max` word or symbol tokens ending before `pos`, nearest first; stops at another digit.
std::vector<Token> tokens_before(std::string_view t, std::size_t pos, std::size_t window, std::size_t max) {
  std::vector<Token> out;
  const std::size_t limit = pos > window ? pos - window : 0;
  std::size_t i = pos;
  while (i > limit && out.size() < max) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8_before(t, i, cp);
    if (is_letter_cp(cp)) {
      const std::size_t end = i;
      while (i > 0) {
        char32_t c2 = 0;
        const std::size_t l2 = decode_utf8_before(t, i, c2);
        if (!is_letter_cp(c2)) break;
        i -= l2;
      }
      out.push_back(Token{t.substr(i, end - i), end < t.size() && t[end] == '.'});
    } else if (cp == U'№' || cp == '#') {
      out.push_back(Token{t.substr(i - len, len), false});
      i -= len;
    } else if (is_ascii_digit(cp)) {
      break;
    } else {
      i -= len;
    }
  }
  return out;
}

// The first word or symbol after `pos`, skipping at most one space.
Token token_after(std::string_view t, std::size_t pos) {
  std::size_t i = pos;
  if (i < t.size() && t[i] == ' ') ++i;
  if (i >= t.size()) return {};
  char32_t cp = 0;
  std::size_t len = decode_utf8(t, i, cp);
  if (!is_letter_cp(cp)) return Token{t.substr(i, len), false};
  std::size_t e = i;
  while (e < t.size()) {
    len = decode_utf8(t, e, cp);
    if (!is_letter_cp(cp)) break;
    e += len;
  }
  return Token{t.substr(i, e - i), e < t.size() && t[e] == '.'};
}

// The symbol or word right before `pos`, skipping at most one space.
Token token_before(std::string_view t, std::size_t pos) {
  std::size_t i = pos;
  if (i > 0 && t[i - 1] == ' ') --i;
  if (i == 0) return {};
  char32_t cp = 0;
  std::size_t len = decode_utf8_before(t, i, cp);
  if (!is_letter_cp(cp)) return Token{t.substr(i - len, len), false};
  const std::size_t end = i;
  while (i > 0) {
    len = decode_utf8_before(t, i, cp);
    if (!is_letter_cp(cp)) break;
    i -= len;
  }
  return Token{t.substr(i, end - i), false};
}

using FoldedList = std::vector<std::u32string>;

FoldedList folded_list(std::initializer_list<std::string_view> words) {
  FoldedList out;
  for (std::string_view w : words) out.push_back(fold(w));
  return out;
}

constexpr std::size_t kMaxWordBytes = 48;  // longer "words" are not on any of our lists

bool folded_in(std::string_view word, const FoldedList& list) {
  if (word.size() > kMaxWordBytes) return false;
  const std::u32string w = fold(word);
  return std::find(list.begin(), list.end(), w) != list.end();
}

bool folded_starts_with(std::string_view word, const FoldedList& prefixes) {
  if (word.size() > kMaxWordBytes) return false;
  const std::u32string w = fold(word);
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::u32string& p) { return w.size() >= p.size() && w.compare(0, p.size(), p) == 0; });
}

bool is_currency(const Token& tok) {
  static const FoldedList kSymbols = folded_list({"€", "$", "£", "₽", "₸", "₴", "р", "ls", "lt"});
  static const FoldedList kWords =
      folded_list({"eur", "eiro", "евро", "usd", "dollar", "доллар", "долл", "gbp", "rub", "руб", "omr", "rial",
                   "ريال", "ر.ع", "pln", "zł", "uah", "грн", "sek", "nok", "dkk", "chf", "lats", "latu", "latų", "lit"});
  if (tok.text.empty()) return false;
  return folded_in(tok.text, kSymbols) || folded_starts_with(tok.text, kWords);
}

bool is_order_word(std::string_view word) {
  static const FoldedList kPrefixes =
      folded_list({"pasūtījum", "sūtījum", "līgum", "rēķin", "order", "parcel", "package", "shipment", "tracking",
                   "contract", "invoice", "заказ", "посыл", "отправлени", "договор", "tellimus", "saadetis",
                   "leping", "užsakym", "siunt", "sutart", "طلب", "شحن", "طرد", "عقد"});
  return folded_starts_with(word, kPrefixes);
}

bool is_phone_word(std::string_view word) {
  static const FoldedList kPrefixes = folded_list({"tel", "tālr", "телефон", "тел", "phone", "hotline", "zvan", "звон"});
  return folded_starts_with(word, kPrefixes);
}

bool is_number_marker(const Token& tok) {
  static const FoldedList kNr = folded_list({"nr", "№", "#"});
  static const FoldedList kNo = folded_list({"no"});
  return folded_in(tok.text, kNr) || (tok.dot_after && folded_in(tok.text, kNo));
}

// A '#' right after a digit (one space allowed) introduces an extension, not an order number.
bool extension_hash(std::string_view t, const Token& hash) {
  std::size_t i = static_cast<std::size_t>(hash.text.data() - t.data());
  if (i > 0 && t[i - 1] == ' ') --i;
  return i > 0 && is_digit(t[i - 1]);
}

bool order_context(std::string_view t, const Run& r) {
  if (r.plus || (r.end - r.begin >= 2 && t[r.begin] == '0' && t[r.begin + 1] == '0')) return false;
  const auto toks = tokens_before(t, r.begin, kOrderWindowBytes, 2);
  bool marker = false;
  for (const Token& tok : toks) {
    if (is_phone_word(tok.text)) return false;  // "tālr. nr. 20000001" is a phone number
    if (is_number_marker(tok) || is_order_word(tok.text)) marker = true;
    if (tok.text == "#" && extension_hash(t, tok)) return false;  // "03 3316005 #3456" is an extension
  }
  return marker;
}

bool code_context(std::string_view t, const Run& r) {
  if (r.plus || r.digits < 4 || r.digits > 8) return false;
  for (const Token& tok : tokens_before(t, r.begin, kCodeWindowBytes, 3))
    if (is_code_word(tok.text)) return true;
  return false;
}

// The part of a run that an adjacent currency makes an amount: the space-free chunk next to the
// currency ("$20 415-666-7777" blanks "20" only), or nothing.
std::pair<std::size_t, std::size_t> amount_span(std::string_view t, const Run& r) {
  if (r.plus) return {0, 0};
  if (is_currency(token_before(t, r.begin))) {
    const std::size_t space = t.substr(r.begin, r.end - r.begin).find(' ');
    return {r.begin, space == std::string_view::npos ? r.end : r.begin + space};
  }
  if (is_currency(token_after(t, r.end))) {
    const std::size_t space = t.substr(r.begin, r.end - r.begin).rfind(' ');
    return {space == std::string_view::npos ? r.begin : r.begin + space + 1, r.end};
  }
  return {0, 0};
}

}  // namespace

bool is_code_word(std::string_view word) {
  static const FoldedList kWords =
      folded_list({"kods", "kodu", "koda", "kodas", "kodą", "kodo", "kood", "koodi", "код", "кода", "коду", "code",
                   "codes", "pin", "parole", "paroli", "parool", "parooli", "пароль", "пароля", "otp", "passcode",
                   "password"});
  static const FoldedList kPrefixes = folded_list({"slaptažod", "رمز", "الرمز"});
  return folded_in(word, kWords) || folded_starts_with(word, kPrefixes);
}

void mask_non_numbers(std::string& text) {
  mask_dates_and_times(text);
  for (const Run& r : find_runs(text)) {
    if (code_context(text, r) || order_context(text, r)) {
      blank(text, r.begin, r.end);
    } else if (const auto [b, e] = amount_span(text, r); e > b) {
      blank(text, b, e);
    }
  }
}

std::optional<std::string> parse_e164(std::string_view raw, std::string_view region) {
  const PhoneNumberUtil& util = phone_util();
  std::string number(raw);
  std::string reg = region.empty() ? std::string("ZZ") : std::string(region);
  std::size_t k = 0;
  while (k < number.size() && number[k] == ' ') ++k;
  // Without a region libphonenumber cannot know the IDD prefix; 00 is the ITU recommendation.
  if (reg == "ZZ" && number.compare(k, 2, "00") == 0) number.replace(k, 2, "+");
  PhoneNumber pn;
  if (util.Parse(number, reg, &pn) != PhoneNumberUtil::NO_PARSING_ERROR) return std::nullopt;
  if (!util.IsPossibleNumber(pn)) return std::nullopt;
  std::string out;
  util.Format(pn, PhoneNumberUtil::E164, &out);
  return out;
}

std::string region_of_e164(std::string_view e164) {
  const PhoneNumberUtil& util = phone_util();
  PhoneNumber pn;
  if (util.Parse(std::string(e164), "ZZ", &pn) != PhoneNumberUtil::NO_PARSING_ERROR) return {};
  std::string region;
  util.GetRegionCodeForNumber(pn, &region);
  return region == "ZZ" || region == "001" ? std::string() : region;  // 001: non-geographic (+800, +882)
}

PhoneFinder::PhoneFinder()
    : util_(phone_util()), short_info_(std::make_unique<i18n::phonenumbers::ShortNumberInfo>()) {}

PhoneFinder::~PhoneFinder() = default;

std::vector<NumberHit> PhoneFinder::find(std::string& masked, const NormalizedText& nt,
                                         const PhoneQuery& query) const {
  std::vector<NumberHit> hits;
  mask_non_numbers(masked);
  const std::vector<Run> runs = find_runs(masked);
  auto overlaps = [&](std::size_t b, std::size_t e) {
    return std::any_of(hits.begin(), hits.end(), [&](const NumberHit& h) { return b < h.end && h.begin < e; });
  };
  auto known = [&](const std::string& e164) {
    return std::any_of(hits.begin(), hits.end(), [&](const NumberHit& h) { return h.number.e164 == e164; });
  };

  // The matcher costs ~77 µs a text: only run it when some digit run could be a full number.
  const bool worth_matching = has_long_digit_run(masked);
  if (worth_matching) {
    for (const std::string& region : query.regions) {
      PhoneNumberMatcher matcher(util_, masked, region, PhoneNumberMatcher::VALID, INT_MAX);
      PhoneNumberMatch match;
      while (matcher.HasNext() && matcher.Next(&match)) {
        const auto b = static_cast<std::size_t>(match.start());
        const std::size_t e = b + static_cast<std::size_t>(match.length());
        if (e > masked.size() || overlaps(b, e)) continue;
        NumberHit hit;
        hit.begin = b;
        hit.end = e;
        util_.Format(match.number(), PhoneNumberUtil::E164, &hit.number.e164);
        if (known(hit.number.e164)) continue;
        util_.GetRegionCodeForNumber(match.number(), &hit.number.region);
        if (hit.number.region == "ZZ" || hit.number.region == "001") hit.number.region.clear();
        hit.number.raw = nt.raw(b, e);
        hits.push_back(std::move(hit));
      }
    }
  }

  // Short codes and emergency numbers: standalone tokens, flagged so nothing blocklists them.
  for (const Run& r : runs) {
    const std::size_t len = r.end - r.begin;
    if (r.plus || r.groups != 1 || len < 2 || len > 6 || overlaps(r.begin, r.end)) continue;
    if (r.begin > 0) {
      char32_t prev = 0;
      decode_utf8_before(masked, r.begin, prev);
      if (is_word_cp(prev) || prev == '+') continue;
    }
    if (r.end < masked.size()) {
      char32_t next = 0;
      decode_utf8(masked, r.end, next);
      if (is_word_cp(next)) continue;
    }
    const std::string digits = masked.substr(r.begin, len);
    if (known(digits) || (len == 2 && digits[0] != '0')) continue;  // 2 digits: only 01..09 emergency
    NumberHit hit;
    hit.begin = r.begin;
    hit.end = r.end;
    hit.number.e164 = digits;
    hit.number.raw = nt.raw(r.begin, r.end);
    const bool service = query.service_numbers != nullptr &&
                         std::find(query.service_numbers->begin(), query.service_numbers->end(), digits) !=
                             query.service_numbers->end();
    if (service) {
      hit.number.region = query.regions.front();
      hit.number.flags = {"short_code", "service_number"};
      hits.push_back(std::move(hit));
      continue;
    }
    for (const std::string& region : query.regions) {
      const bool emergency = short_info_->IsEmergencyNumber(digits, region);
      bool valid = false;
      if (!emergency && len >= 3) {
        PhoneNumber pn;
        valid = util_.Parse(digits, region, &pn) == PhoneNumberUtil::NO_PARSING_ERROR &&
                short_info_->IsValidShortNumberForRegion(pn, region);
      }
      if (!emergency && !valid) continue;
      hit.number.region = region;
      hit.number.flags = {"short_code"};
      if (emergency) hit.number.flags.emplace_back("emergency");
      hits.push_back(std::move(hit));
      break;
    }
  }
  std::sort(hits.begin(), hits.end(), [](const NumberHit& a, const NumberHit& b) { return a.begin < b.begin; });
  return hits;
}

}  // namespace smish::classifier::detail
