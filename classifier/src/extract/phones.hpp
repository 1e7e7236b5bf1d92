// Phone-number finder: context exclusions (amounts, dates, codes, order numbers), libphonenumber, short codes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extract/normalize.hpp"
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

/// What PhoneFinder::find needs besides the text.
struct PhoneQuery {
  std::vector<std::string> regions;           ///< reporter's region first, then the fallbacks; non-empty
  const std::vector<std::string>* service_numbers = nullptr;  ///< flagged "service_number"; may be null
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
  /// libphonenumber matcher (only when a run of >= 6 digits remains) for each region and checks
  /// standalone 2-6 digit tokens as short codes. Hits are sorted by position, unique by e164.
  std::vector<NumberHit> find(std::string& masked, const NormalizedText& nt, const PhoneQuery& query) const;

 private:
  const i18n::phonenumbers::PhoneNumberUtil& util_;
  std::unique_ptr<i18n::phonenumbers::ShortNumberInfo> short_info_;
};

/// True for a word that names a one-time code, PIN or password (kods, код, code, PIN, parole, ...),
/// compared case-insensitively.
bool is_code_word(std::string_view word);

/// Blanks (replaces with spaces) the excluded number contexts in `text`; exposed for tests.
void mask_non_numbers(std::string& text);

/// E.164 of a number as written ("+371 2000 0001", "0037120000001", "20000001" with region "LV"),
/// nullopt unless libphonenumber finds it a possible number. `region` "" means unknown.
std::optional<std::string> parse_e164(std::string_view raw, std::string_view region);
/// ISO 3166 region of an E.164 number, "" when unknown.
std::string region_of_e164(std::string_view e164);

}  // namespace smish::classifier::detail
