// Indicator extraction: phone numbers (libphonenumber, E.164), URLs and registrable domains (libpsl).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::classifier {

/// A protected brand (configs/brands.yaml): what is legitimately its own, and the marks that
/// look-alikes imitate. Values are normalised when loaded (lowercase punycode domains, upper-case
/// regions, E.164 numbers).
struct Brand {
  std::string id;                        ///< short, lowercase; appears in flags: "lookalike_of:<id>"
  std::string name;                      ///< display name, "Tele2"
  std::vector<std::string> countries;    ///< ISO 3166 regions it serves, "LV"
  std::vector<std::string> domains;      ///< legitimate domains; their subdomains are legitimate too
  std::vector<std::string> sender_ids;   ///< legitimate alphanumeric sender IDs, as registered
  std::map<std::string, std::vector<std::string>> short_codes;  ///< region -> its short numbers
  std::vector<std::string> numbers;      ///< legitimate full numbers, E.164
  std::vector<std::string> names;        ///< how texts name it ("Tele2", "Сбербанк"); whole words
  std::vector<std::string> keywords;     ///< marks checked for homoglyphs, typos and prefix/suffix use
  std::vector<std::string> exact_keywords;  ///< short marks ("seb", "lmt"): whole labels or tokens only
};

/// All protected brands.
struct BrandSet {
  std::vector<Brand> brands;
};

/// Extraction settings (config section `classifier`).
struct ExtractConfig {
  std::string default_region = "LV";              ///< Default: LV. Used when the reporter's region is unknown.
  std::vector<std::string> fallback_regions;      ///< Default: none. Tried after the reporter's region.
  std::vector<std::string> service_numbers{"12250"};  ///< Default: 12250. The report number itself; never an indicator.
  std::string brands_file{};  ///< Default: none. Protected brands (configs/brands.yaml); unreadable = no brands.
  /// Default: none. Brands already loaded (Extractor::load_brands); when set, brands_file is not read.
  std::shared_ptr<const BrandSet> brands{};
  /// Default: 4096. Per-thread cache of number-matcher results (a campaign repeats the same
  /// number in the same words); 0 disables it. Bounded: cleared when full.
  std::size_t number_cache_entries = 4096;
  /// Default: true. Windows holding one plain number are decided from libphonenumber's metadata
  /// (RE2) with exactly the matcher's result, the rest by PhoneNumberMatcher; false sends every
  /// window to the matcher (for differential tests).
  bool number_fast_path = true;
};

/// Finds numbers, URLs and domains in a text. Immutable after construction; thread-safe.
class Extractor {
 public:
  /// Never fails: when `config.brands` is unset and `config.brands_file` cannot be loaded, the
  /// extractor works without brands and brands_error() says why.
  explicit Extractor(ExtractConfig config);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  /// `region`: ISO 3166 country of the reporter ("LV"), or "" to use the default.
  /// URLs are found first and their spans masked before numbers are looked for. Never throws.
  /// Bounded: at most 64 URLs, 64 numbers and 8 number-matcher windows per text (the message flag
  /// `indicator_limit` says a limit was reached); linear in the text length.
  core::Extraction extract(std::string_view text, std::string_view region) const;

  /// Reads and validates a brands file (schema in configs/brands.yaml). Errors name the file, the
  /// line and the key ("configs/brands.yaml:12: brands[2].domains[0]: not a domain"), one per
  /// line. For start-up: call it, fail with the error, then pass the result in ExtractConfig::brands.
  static core::Result<BrandSet> load_brands(const std::string& path);
  /// The same from YAML text; `name` stands for the file in errors.
  static core::Result<BrandSet> parse_brands(std::string_view yaml, std::string_view name);

  /// The brands in use (empty when none were configured or loading failed).
  const BrandSet& brands() const;
  /// Why config.brands_file could not be loaded; "" when it was, or when none was configured.
  const std::string& brands_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// E.164 form of a number as an SMSC or a subscriber wrote it ("0037120000001", "20000001" with
/// region LV, "+371 2000 0001"); nullopt when libphonenumber cannot parse it as a possible number.
std::optional<std::string> to_e164(std::string_view raw, std::string_view region);

/// ISO 3166 region of an E.164 number ("+37120000001" -> "LV"), "" when unknown.
std::string region_of(std::string_view e164);

}  // namespace smish::classifier
