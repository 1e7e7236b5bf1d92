// Phone-number finder: blank non-numbers by context, run libphonenumber only when needed, then short codes.
#include "extract/phones.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>

#include <unicode/uchar.h>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

#include "extract/brands.hpp"
#include "extract/phone_fast.hpp"

namespace smish::classifier::detail {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMinMatcherDigits = 6;   // shorter runs cannot be a subscriber number anywhere we serve
constexpr std::size_t kWindowContextBytes = 16;  // the matcher looks at the characters around a candidate
constexpr std::size_t kMaxWindowSpanBytes = 96;  // a number with separators and an extension is < 40 bytes
constexpr std::size_t kWindowOverlapBytes = 40;  // so a number cut by a window edge is whole in the next
constexpr int kMatcherMaxTries = 32;             // candidates per window; a window holds a few at most
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
    // To the next candidate start, one table look-up per byte.
    static constexpr auto kStart = [] {
      std::array<bool, 256> table{};
      for (char c = '0'; c <= '9'; ++c) table[static_cast<unsigned char>(c)] = true;
      table['+'] = true;
      return table;
    }();
    while (i < t.size() && !kStart[static_cast<unsigned char>(t[i])]) ++i;
    if (i == t.size()) break;
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

// Up to three word or symbol tokens ending before `pos` within `window` bytes, nearest first;
// stops at another digit.
struct Tokens {
  std::array<Token, 3> items{};
  std::size_t size = 0;
};

Tokens tokens_before(std::string_view t, std::size_t pos, std::size_t window) {
  Tokens out;
  const std::size_t limit = pos > window ? pos - window : 0;
  std::size_t i = pos;
  while (i > limit && out.size < out.items.size()) {
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
      out.items[out.size++] = Token{t.substr(i, end - i), end < t.size() && t[end] == '.'};
    } else if (cp == U'№' || cp == '#') {
      out.items[out.size++] = Token{t.substr(i - len, len), false};
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
using FoldedSet = std::unordered_set<std::u32string, U32Hash, std::equal_to<>>;

FoldedList folded_list(std::initializer_list<std::string_view> words) {
  FoldedList out;
  for (std::string_view w : words) out.push_back(fold(w));
  return out;
}

constexpr std::size_t kMaxWordBytes = 48;  // longer "words" are not on any of our lists

// The case-folded word in a per-thread buffer (no allocation per word).
const std::u32string& folded(std::string_view word) {
  thread_local std::u32string buf;
  fold_into(word, buf);
  return buf;
}

// What a word next to a digit run says about it; one fold per word.
enum WordClass : unsigned {
  kCurrency = 1,  // "EUR", "руб", "€": the run is an amount
  kOrder = 2,     // "pasūtījums", "заказ": an order, parcel, contract or invoice number
  kPhone = 4,     // "tālr.", "телефон": a phone number, whatever else is around
  kMarker = 8,    // "Nr.", "№", "#", "No.": a number of something
  kCode = 16,     // "kods", "PIN": a one-time code
};

// The word lists, case-folded once and indexed by their first two code points: most tokens next
// to a digit run match no entry and are classified without folding them or comparing anything.
class WordIndex {
 public:
  static constexpr unsigned kNoWithDot = 32;  // "No." (with its dot) is a marker; "no" alone is a word
  WordIndex() {
    add({"€", "$", "£", "₽", "₸", "₴", "р", "ls", "lt"}, kCurrency, false);
    add({"eur", "eiro", "евро", "usd", "dollar", "доллар", "долл", "gbp", "rub", "руб", "omr", "rial", "ريال", "ر.ع",
         "pln", "zł", "uah", "грн", "sek", "nok", "dkk", "chf", "lats", "latu", "latų", "lit"},
        kCurrency, true);
    add({"pasūtījum", "sūtījum", "līgum", "rēķin", "order", "parcel", "package", "shipment", "tracking", "contract",
         "invoice", "заказ", "посыл", "отправлени", "договор", "tellimus", "saadetis", "leping", "užsakym", "siunt",
         "sutart", "طلب", "شحن", "طرد", "عقد"},
        kOrder, true);
    add({"tel", "tālr", "телефон", "тел", "phone", "hotline", "zvan", "звон"}, kPhone, true);
    add({"nr", "№", "#"}, kMarker, false);
    add({"no"}, kNoWithDot, false);
    for (std::string_view w : code_words()) add({w}, kCode, false);
    add({"slaptažod", "رمز", "الرمز"}, kCode, true);
  }

  unsigned classify(const Token& tok) const {
    if (tok.text.empty() || tok.text.size() > kMaxWordBytes) return 0;
    char32_t first = 0, second = 0;
    const std::size_t l1 = decode_utf8(tok.text, 0, first);
    if (l1 < tok.text.size()) decode_utf8(tok.text, l1, second);
    first = fold_cp(first);
    second = fold_cp(second);
    const auto* two = find(key(first, second));
    const auto* one = find(key(first, 0));
    if (two == nullptr && one == nullptr) return 0;
    const std::u32string& w = folded(tok.text);
    unsigned c = 0;
    for (const auto* list : {two, one}) {
      if (list == nullptr) continue;
      for (const Entry& e : *list) {
        const bool hit = e.prefix ? w.size() >= e.word.size() && w.compare(0, e.word.size(), e.word) == 0 : w == e.word;
        if (hit) c |= e.cls;
      }
    }
    if ((c & kNoWithDot) != 0) c = (c & ~kNoWithDot) | (tok.dot_after ? static_cast<unsigned>(kMarker) : 0u);
    return c;
  }

 private:
  struct Entry {
    std::u32string word;
    unsigned cls = 0;
    bool prefix = false;
  };
  static std::uint64_t key(char32_t a, char32_t b) { return (static_cast<std::uint64_t>(a) << 21) | b; }
  static char32_t fold_cp(char32_t c) {
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
  }
  const std::vector<Entry>* find(std::uint64_t k) const {
    auto it = index_.find(k);
    return it == index_.end() ? nullptr : &it->second;
  }
  void add(std::initializer_list<std::string_view> words, unsigned cls, bool prefix) {
    for (std::string_view w : words) {
      Entry e{fold(w), cls, prefix};
      const char32_t second = e.word.size() > 1 ? e.word[1] : 0;
      index_[key(e.word[0], second)].push_back(std::move(e));
    }
  }
  std::unordered_map<std::uint64_t, std::vector<Entry>> index_;
};

unsigned word_class(const Token& tok) {
  static const WordIndex kIndex;
  return kIndex.classify(tok);
}

// A '#' right after a digit (one space allowed) introduces an extension, not an order number.
bool extension_hash(std::string_view t, const Token& hash) {
  std::size_t i = static_cast<std::size_t>(hash.text.data() - t.data());
  if (i > 0 && t[i - 1] == ' ') --i;
  return i > 0 && is_digit(t[i - 1]);
}

// Order, parcel, contract numbers and one-time codes: decided from the words before the run.
bool code_or_order_context(std::string_view t, const Run& r) {
  const Tokens toks = tokens_before(t, r.begin, kCodeWindowBytes);
  const bool may_be_code = !r.plus && r.digits >= 4 && r.digits <= 8;
  const bool may_be_order = !r.plus && !(r.end - r.begin >= 2 && t[r.begin] == '0' && t[r.begin + 1] == '0');
  bool marker = false;
  bool phone = false;
  for (std::size_t k = 0; k < toks.size; ++k) {
    const Token& tok = toks.items[k];
    const unsigned c = word_class(tok);
    if (may_be_code && (c & kCode) != 0) return true;
    // The order rule looks at the two nearest tokens within kOrderWindowBytes.
    const auto end = static_cast<std::size_t>(tok.text.data() - t.data()) + tok.text.size();
    if (k >= 2 || r.begin - end >= kOrderWindowBytes) continue;
    if ((c & kPhone) != 0) phone = true;  // "tālr. nr. 20000001" is a phone number
    if ((c & (kMarker | kOrder)) != 0) marker = true;
    if (tok.text == "#" && extension_hash(t, tok)) phone = true;  // "03 3316005 #3456" is an extension
  }
  return may_be_order && marker && !phone;
}

// The part of a run that an adjacent currency makes an amount: the space-free chunk next to the
// currency ("$20 415-666-7777" blanks "20" only), or nothing.
std::pair<std::size_t, std::size_t> amount_span(std::string_view t, const Run& r) {
  if (r.plus) return {0, 0};
  if ((word_class(token_before(t, r.begin)) & kCurrency) != 0) {
    const std::size_t space = t.substr(r.begin, r.end - r.begin).find(' ');
    return {r.begin, space == std::string_view::npos ? r.end : r.begin + space};
  }
  if ((word_class(token_after(t, r.end)) & kCurrency) != 0) {
    const std::size_t space = t.substr(r.begin, r.end - r.begin).rfind(' ');
    return {space == std::string_view::npos ? r.begin : r.begin + space + 1, r.end};
  }
  return {0, 0};
}

}  // namespace

const std::vector<std::string_view>& code_words() {
  static const std::vector<std::string_view> kWords = {
      "kods", "kodu", "koda",   "kodas",  "kodą",   "kodo",    "kood",   "koodi",  "код", "кода",     "коду",    "code",
      "codes", "pin", "parole", "paroli", "parool", "parooli", "пароль", "пароля", "otp", "passcode", "password"};
  return kWords;
}

bool is_code_word_folded(std::u32string_view w) {
  static const FoldedSet kWords = [] {
    FoldedSet out;
    for (std::string_view word : code_words()) out.insert(fold(word));
    return out;
  }();
  static const FoldedList kPrefixes = folded_list({"slaptažod", "رمز", "الرمز"});
  if (kWords.find(w) != kWords.end()) return true;
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](const std::u32string& p) { return w.size() >= p.size() && w.compare(0, p.size(), p) == 0; });
}

void mask_non_numbers(std::string& text) {
  mask_dates_and_times(text);
  for (const Run& r : find_runs(text)) {
    if (r.digits < 2) continue;  // one digit is neither a number nor a short code
    if (code_or_order_context(text, r)) {
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

std::vector<DigitSpan> digit_spans(std::string_view t) {
  // >= kMinMatcherDigits digits with only separators between them: any number of spaces
  // ("0 3   3 3 1   6 0 0 5"), at most kMaxSeparatorRun other separator characters in a row.
  constexpr std::size_t kMaxSeparatorRun = 4;
  std::vector<DigitSpan> out;
  std::size_t digits = 0, separators = 0, begin = 0, last_end = 0;
  auto close = [&] {
    if (digits >= kMinMatcherDigits) out.push_back(DigitSpan{begin, last_end});
    digits = 0;
    separators = 0;
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (digits == 0) {
      // Outside a span nothing but a digit changes the state: go straight to the next one.
      while (i < t.size() && !is_digit(t[i])) ++i;
      if (i == t.size()) break;
    }
    const char c = t[i];
    if (is_digit(c)) {
      if (digits == 0) begin = i > 0 && t[i - 1] == '+' ? i - 1 : i;
      ++digits;
      separators = 0;
      last_end = i + 1;
      continue;
    }
    if (c == ' ' && digits > 0) continue;
    if (digits > 0 && (is_separator(c) || c == '+') && separators < kMaxSeparatorRun) {
      ++separators;
      continue;
    }
    close();
  }
  close();
  return out;
}

namespace {

// Per-thread cache of matcher results keyed by regions + window text, and of short-code answers.
// Scam campaigns repeat: the crowd reports the same text, so the same number in the same words,
// many times (that is what the listing policy counts on). When full it is cleared: bounded memory
// with no eviction bookkeeping on the hot path.
class MatchCache {
 public:
  const std::vector<WindowMatch>* find(const std::string& key) const {
    auto it = windows_.find(key);
    return it == windows_.end() ? nullptr : &it->second;
  }
  void put(std::string key, std::vector<WindowMatch> v, std::size_t capacity) {
    if (windows_.size() + shorts_.size() >= capacity) clear();
    windows_.emplace(std::move(key), std::move(v));
  }
  const std::uint8_t* find_short(const std::string& key) const {
    auto it = shorts_.find(key);
    return it == shorts_.end() ? nullptr : &it->second;
  }
  void put_short(std::string key, std::uint8_t v, std::size_t capacity) {
    if (windows_.size() + shorts_.size() >= capacity) clear();
    shorts_.emplace(std::move(key), v);
  }

 private:
  void clear() {
    windows_.clear();
    shorts_.clear();
  }
  std::unordered_map<std::string, std::vector<WindowMatch>> windows_;
  std::unordered_map<std::string, std::uint8_t> shorts_;
};

MatchCache& cache() {
  thread_local MatchCache c;
  return c;
}

std::size_t snap_back(std::string_view t, std::size_t i) {
  while (i > 0 && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) --i;
  return i;
}

std::size_t snap_forward(std::string_view t, std::size_t i) {
  while (i < t.size() && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// Windows of `t` for the matcher: each digit span with context, long spans cut into overlapping
// pieces, overlapping windows merged while they stay short.
std::vector<DigitSpan> matcher_windows(std::string_view t, bool& truncated) {
  std::vector<DigitSpan> pieces;
  for (const DigitSpan& s : digit_spans(t)) {
    for (std::size_t b = s.begin;; b += kMaxWindowSpanBytes - kWindowOverlapBytes) {
      const std::size_t e = std::min(s.end, b + kMaxWindowSpanBytes);
      pieces.push_back(DigitSpan{snap_back(t, b > kWindowContextBytes ? b - kWindowContextBytes : 0),
                                 snap_forward(t, std::min(t.size(), e + kWindowContextBytes))});
      if (e >= s.end) break;
      if (pieces.size() > kMaxMatcherWindows) break;
    }
    if (pieces.size() > kMaxMatcherWindows) {
      truncated = true;
      break;
    }
  }
  std::vector<DigitSpan> windows;
  for (const DigitSpan& p : pieces) {
    if (!windows.empty() && p.begin <= windows.back().end &&
        p.end - windows.back().begin <= kMaxWindowSpanBytes + 2 * kWindowContextBytes) {
      windows.back().end = std::max(windows.back().end, p.end);
    } else {
      windows.push_back(p);
    }
  }
  if (windows.size() > kMaxMatcherWindows) {
    windows.resize(kMaxMatcherWindows);
    truncated = true;
  }
  return windows;
}

}  // namespace

PhoneFinder::PhoneFinder()
    : util_(phone_util()), short_info_(std::make_unique<i18n::phonenumbers::ShortNumberInfo>()) {
  prepare_fast_path();
}

PhoneFinder::~PhoneFinder() = default;

std::vector<NumberHit> PhoneFinder::find(std::string& masked, const NormalizedText& nt, const PhoneQuery& query,
                                         bool& truncated) const {
  std::vector<NumberHit> hits;
  if (std::none_of(masked.begin(), masked.end(), is_digit)) return hits;  // most texts: nothing to do
  mask_non_numbers(masked);
  std::vector<char> covered;  // bytes of `masked` inside a hit
  std::vector<std::string> known;  // E.164 of the hits; at most kMaxNumbers, so a linear look-up
  auto is_known = [&](const std::string& e164) { return std::find(known.begin(), known.end(), e164) != known.end(); };
  auto overlaps = [&](std::size_t b, std::size_t e) {
    if (covered.empty()) return false;
    for (std::size_t k = b; k < e; ++k)
      if (covered[k] != 0) return true;
    return false;
  };
  auto cover = [&](std::size_t b, std::size_t e) {
    if (covered.empty()) covered.assign(masked.size(), 0);
    std::fill(covered.begin() + static_cast<std::ptrdiff_t>(b), covered.begin() + static_cast<std::ptrdiff_t>(e), 1);
  };
  std::string regions_key;  // the cache's key prefix; not built when the cache is off
  if (query.cache_entries > 0)
    for (const auto& r : query.regions) regions_key += r + ",";

  // The matcher costs ~15-25 µs a window (ICU regexes): only windows around digit runs.
  for (const DigitSpan& w : matcher_windows(masked, truncated)) {
    const std::string_view window = std::string_view(masked).substr(w.begin, w.end - w.begin);
    std::string key;
    const std::vector<WindowMatch>* cached = nullptr;
    if (query.cache_entries > 0) {
      key.reserve(regions_key.size() + window.size() + 1);
      key.append(regions_key).append("|").append(window);
      cached = cache().find(key);
    }
    std::vector<WindowMatch> fresh;
    if (cached == nullptr) {
      std::string window_text;  // the matcher's copy, made only when a window reaches it
      std::vector<char> taken(window.size(), 0);
      for (const std::string& region : query.regions) {
        // Most windows hold one plain number (or one that is not valid): decided from the metadata
        // with RE2 in well under a microsecond, with exactly the matcher's result.
        if (query.fast_path) {
          if (auto decided = fast_window_matches(window, region)) {
            for (WindowMatch& m : *decided) {
              const std::size_t b = m.offset;
              const std::size_t e = b + m.length;
              if (std::any_of(taken.begin() + static_cast<std::ptrdiff_t>(b), taken.begin() + static_cast<std::ptrdiff_t>(e),
                              [](char c) { return c != 0; }))
                continue;
              std::fill(taken.begin() + static_cast<std::ptrdiff_t>(b), taken.begin() + static_cast<std::ptrdiff_t>(e), 1);
              fresh.push_back(std::move(m));
            }
            continue;
          }
        }
        if (window_text.empty()) window_text.assign(window);
        PhoneNumberMatcher matcher(util_, window_text, region, PhoneNumberMatcher::VALID, kMatcherMaxTries);
        PhoneNumberMatch match;
        while (matcher.HasNext() && matcher.Next(&match)) {
          const auto b = static_cast<std::size_t>(match.start());
          const std::size_t e = b + static_cast<std::size_t>(match.length());
          if (e > window.size() || std::any_of(taken.begin() + static_cast<std::ptrdiff_t>(b),
                                               taken.begin() + static_cast<std::ptrdiff_t>(e), [](char c) { return c != 0; }))
            continue;
          std::fill(taken.begin() + static_cast<std::ptrdiff_t>(b), taken.begin() + static_cast<std::ptrdiff_t>(e), 1);
          WindowMatch m;
          m.offset = static_cast<std::uint32_t>(b);
          m.length = static_cast<std::uint32_t>(e - b);
          util_.Format(match.number(), PhoneNumberUtil::E164, &m.e164);
          util_.GetRegionCodeForNumber(match.number(), &m.region);
          if (m.region == "ZZ" || m.region == "001") m.region.clear();  // 001: non-geographic (+800, +882)
          fresh.push_back(std::move(m));
        }
      }
      std::sort(fresh.begin(), fresh.end(), [](const WindowMatch& a, const WindowMatch& b) { return a.offset < b.offset; });
      if (query.cache_entries > 0) cache().put(std::move(key), fresh, query.cache_entries);
      cached = &fresh;
    }
    for (const WindowMatch& m : *cached) {
      const std::size_t b = w.begin + m.offset;
      const std::size_t e = b + m.length;
      if (overlaps(b, e) || is_known(m.e164)) continue;
      if (hits.size() >= kMaxNumbers) {
        truncated = true;
        break;
      }
      NumberHit hit;
      hit.begin = b;
      hit.end = e;
      hit.number.e164 = m.e164;
      hit.number.region = m.region;
      hit.number.raw = nt.raw(b, e);
      if (nt.removed_inside(b, e)) hit.number.flags.emplace_back("zero_width");
      known.push_back(m.e164);
      cover(b, e);
      hits.push_back(std::move(hit));
    }
  }

  // Short codes and emergency numbers: standalone tokens, flagged so nothing blocklists them.
  std::size_t checked = 0;
  for (const Run& r : find_runs(masked)) {
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
    if (is_known(digits) || (len == 2 && digits[0] != '0')) continue;  // 2 digits: only 01..09 emergency
    if (hits.size() >= kMaxNumbers || checked >= kMaxShortCodeChecks) {
      truncated = true;
      break;
    }
    ++checked;
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
      known.push_back(digits);
      hits.push_back(std::move(hit));
      continue;
    }
    for (const std::string& region : query.regions) {
      constexpr std::uint8_t kEmergency = kShortEmergency, kValid = kShortValid;
      std::uint8_t answer = 0;
      std::string key;  // not built when the cache is off
      if (query.cache_entries > 0) key = "S" + region + ":" + digits;
      const std::uint8_t* cached = query.cache_entries > 0 ? cache().find_short(key) : nullptr;
      if (cached != nullptr) {
        answer = *cached;
      } else if (auto fast = query.fast_path ? fast_short_number(digits, region) : std::nullopt)  {
        answer = *fast;  // the same bits, from the metadata with RE2
        if (query.cache_entries > 0) cache().put_short(key, answer, query.cache_entries);
      } else {
        if (short_info_->IsEmergencyNumber(digits, region)) answer |= kEmergency;
        if ((answer & kEmergency) == 0 && len >= 3) {
          PhoneNumber pn;
          if (util_.Parse(digits, region, &pn) == PhoneNumberUtil::NO_PARSING_ERROR &&
              short_info_->IsValidShortNumberForRegion(pn, region))
            answer |= kValid;
        }
        if (query.cache_entries > 0) cache().put_short(key, answer, query.cache_entries);
      }
      const bool brand = query.brands != nullptr && query.brands->owner_of_short_code(digits, region) >= 0;
      if (answer == 0 && !brand) continue;
      hit.number.region = region;
      hit.number.flags = {"short_code"};
      if ((answer & kEmergency) != 0) hit.number.flags.emplace_back("emergency");
      known.push_back(digits);
      hits.push_back(std::move(hit));
      break;
    }
  }
  std::sort(hits.begin(), hits.end(), [](const NumberHit& a, const NumberHit& b) { return a.begin < b.begin; });
  return hits;
}

}  // namespace smish::classifier::detail
