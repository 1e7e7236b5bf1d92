// Phone-number finder: context exclusions (amounts, dates, codes, order numbers), libphonenumber, short codes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize.hpp"  // relative: the tests include this header from outside src/
#include "smish/core/types.hpp"

namespace i18n::phonenumbers {
class PhoneNumberUtil;
class ShortNumberInfo;
}  // namespace i18n::phonenumbers

namespace smish::classifier::detail {

/// A number with its span in the normalised text.
struct NumberHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  core::ExtractedNumber number;
};

class BrandIndex;

/// At most this many libphonenumber matcher windows per text: each costs ~15-25 µs of ICU regex
/// work; a real SMS names one to three numbers, so 8 leave room while bounding hostile texts.
constexpr std::size_t kMaxMatcherWindows = 8;
/// At most this many short-code candidates are checked per text (~2 µs of metadata regex per region each).
constexpr std::size_t kMaxShortCodeChecks = 16;
/// At most this many numbers are reported per text (short codes included).
constexpr std::size_t kMaxNumbers = 64;

/// What PhoneFinder::find needs besides the text.
struct PhoneQuery {
  std::vector<std::string> regions;           ///< reporter's region first, then the fallbacks; non-empty
  const std::vector<std::string>* service_numbers = nullptr;  ///< flagged "service_number"; may be null
  const BrandIndex* brands = nullptr;         ///< brand short codes are short codes too; may be null
  std::size_t cache_entries = 0;              ///< per-thread matcher result cache size; 0: no cache
  bool fast_path = true;                      ///< decide plain windows without the matcher (fast_window_matches)
};

/// Finds phone numbers and short codes. Immutable after construction; thread-safe.
class PhoneFinder {
 public:
  PhoneFinder();
  ~PhoneFinder();
  PhoneFinder(const PhoneFinder&) = delete;
  PhoneFinder& operator=(const PhoneFinder&) = delete;

  /// `masked` is the normalised text of `nt` with URL spans replaced by spaces (same length).
  /// Blanks dates, times, amounts, one-time codes and order numbers in `masked`, then runs the
  /// libphonenumber matcher (leniency VALID) for each region, only on windows around runs of
  /// >= 6 digits (kMaxMatcherWindows at most), and checks standalone 2-6 digit tokens as short
  /// codes. Hits are sorted by position, unique by e164; `truncated` is set when a limit was hit.
  std::vector<NumberHit> find(std::string& masked, const NormalizedText& nt, const PhoneQuery& query,
                              bool& truncated) const;

 private:
  const i18n::phonenumbers::PhoneNumberUtil& util_;
  std::unique_ptr<i18n::phonenumbers::ShortNumberInfo> short_info_;
};

/// True for a case-folded word (detail::fold) that names a one-time code, PIN or password (kods,
/// код, code, pin, parole, slaptažodis, رمز, ...).
bool is_code_word_folded(std::u32string_view folded_word);
/// The whole words is_code_word_folded accepts (it also accepts a few prefixes).
const std::vector<std::string_view>& code_words();

/// Hash for u32string keys that also takes u32string_view (heterogeneous lookup).
struct U32Hash {
  using is_transparent = void;
  std::size_t operator()(std::u32string_view s) const { return std::hash<std::u32string_view>{}(s); }
};

/// Blanks (replaces with spaces) the excluded number contexts in `text`; exposed for tests.
void mask_non_numbers(std::string& text);

/// A span of `text` worth the number matcher: >= 6 digits joined by spaces or a few separators.
struct DigitSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
};
/// The spans, in order; linear. Exposed for tests.
std::vector<DigitSpan> digit_spans(std::string_view text);

/// E.164 of a number as written ("+371 2000 0001", "0037120000001", "20000001" with region "LV"),
/// nullopt unless libphonenumber finds it a possible number. `region` "" means unknown.
std::optional<std::string> parse_e164(std::string_view raw, std::string_view region);
/// ISO 3166 region of an E.164 number, "" when unknown.
std::string region_of_e164(std::string_view e164);

}  // namespace smish::classifier::detail
