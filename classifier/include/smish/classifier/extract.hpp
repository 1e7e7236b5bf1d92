// Indicator extraction: phone numbers (libphonenumber, E.164), URLs and registrable domains (libpsl).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/types.hpp"

namespace smish::classifier {

/// Extraction settings (config section `classifier`).
struct ExtractConfig {
  std::string default_region = "LV";              ///< Default: LV. Used when the reporter's region is unknown.
  std::vector<std::string> fallback_regions;      ///< Default: none. Tried after the reporter's region.
  std::vector<std::string> service_numbers{"12250"};  ///< Default: 12250. The report number itself; never an indicator.
};

/// Finds numbers, URLs and domains in a text. Immutable after construction; thread-safe.
class Extractor {
 public:
  explicit Extractor(ExtractConfig config);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  /// `region`: ISO 3166 country of the reporter ("LV"), or "" to use the default.
  /// URLs are found first and their spans masked before numbers are looked for. Never throws.
  core::Extraction extract(std::string_view text, std::string_view region) const;

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
