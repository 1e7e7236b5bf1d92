// The built-in extraction features the classifier can weigh; their weights come from features.yaml.
#pragma once

#include <array>
#include <string_view>

namespace smish::classifier::rules {

/// A feature computed from the Extraction (never from the rules files): its name as written under
/// `features:` in configs/rules/features.yaml and what it means, for the reason string.
struct FeatureInfo {
  std::string_view name;
  std::string_view description;
};

/// Every feature name a rules file may weigh. An unknown name under `features:` is a load error,
/// so a typo cannot silently switch a feature off.
inline constexpr std::array<FeatureInfo, 11> kFeatures{{
    {"has_url", "message carries a link"},
    {"url_no_scheme", "link written without http(s)://"},
    {"url_lookalike", "link whose host imitates a brand"},
    {"shortener", "URL shortener"},
    {"ip_literal", "link to a bare IP address"},
    {"obfuscated", "link or number disguised (spaces, [.], hxxp)"},
    {"idn", "internationalised (punycode) host"},
    {"zero_width", "invisible characters inside an indicator"},
    {"asks_for_code", "asks the reader to pass on a code"},
    {"has_number", "asks the reader to call or write to a number"},
    {"foreign_number", "number from another country than the reporter"},
}};

inline bool is_known_feature(std::string_view name) {
  for (const auto& f : kFeatures)
    if (f.name == name) return true;
  return false;
}

}  // namespace smish::classifier::rules
