// Word-level indicators: requests for codes, brand names, sender IDs named in the text, IBANs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extract/brands.hpp"

namespace smish::classifier::detail {

/// An IBAN with its span in the scanned text.
struct IbanHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string iban;  ///< upper case, no spaces
};

/// A sender ID named after a marker ("From: SWEDBANK", "Отправитель: \"Tele2 LV\"").
struct SenderHit {
  std::string id;                     ///< as written, quotes removed
  int brand = -1;                     ///< the brand that registered it, or -1
  std::vector<Lookalike> lookalikes;  ///< brands it imitates (when brand == -1)
};

/// What one pass over the words of a text found.
struct WordScan {
  bool asks_for_code = false;             ///< a word for a one-time code, PIN or password
  std::vector<std::size_t> brands_named;  ///< indices of brands named in the text, unique, in order
  std::vector<SenderHit> senders;         ///< unique by id, in order
  std::vector<IbanHit> ibans;             ///< unique, in order
};

/// At most this many sender IDs and IBANs each per text (a real SMS names one or two).
constexpr std::size_t kMaxWordIndicators = 16;

/// One linear pass over `text` (normalised, URL spans blanked). `brands` may be empty.
WordScan scan_words(std::string_view text, const BrandIndex& brands);

/// ISO 13616 check: the country's registered length and MOD 97-10 (ISO 7064) == 1. `compact` is
/// upper case without spaces.
bool valid_iban(std::string_view compact);

/// Registered IBAN length for a country code ("LV" -> 21), 0 when the country has no IBAN.
std::size_t iban_length(std::string_view country);

}  // namespace smish::classifier::detail
