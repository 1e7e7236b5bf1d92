// Fast path for the number matcher: decides the common, unambiguous windows from libphonenumber's own
// metadata with RE2 instead of running PhoneNumberMatcher (ICU regexes) on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smish::classifier::detail {

/// A number found in a matcher window, relative to the window start.
struct WindowMatch {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::string e164;
  std::string region;  ///< "" when unknown or non-geographic (+800, +882)
};

/// Exactly what `PhoneNumberMatcher(window, region, VALID)` followed by Format(E164) and
/// GetRegionCodeForNumber returns for `window`, or nullopt when the window is not of a shape this
/// function decides (then the caller runs the matcher).
///
/// Decided: windows whose digits (any script) all stand in tokens — an optional '+' then ASCII
/// digits, single spaces, hyphens, dots or slashes between digit groups, at most 17 digits —
/// separated by text that the matcher's pattern can neither join (a character that is not its
/// punctuation, or a '+' token) nor read as an extension label, with no '(' '[' '+' (nor their
/// fullwidth forms) leading to a digit and no invalid UTF-8. In such a window the matcher's
/// candidates are exactly the tokens, so its result follows from the steps of
/// PhoneNumberMatcher::Find that can apply to them: the slash-date and time-stamp skips, the VALID
/// context check, PhoneNumberUtil::ParseAndKeepRawInput (IDD, country code, national prefix),
/// IsValidNumber with the number's region, the national-prefix-required check, and the inner
/// matches split at '/', '.' and spaces. These are computed here from the same metadata
/// (libphonenumber's compiled-in PhoneMetadataCollection) with RE2. Anything unusual on the way
/// (an IDD prefix before a number, a national-prefix transform rule, a non-geographic code, a
/// metadata pattern RE2 does not take, more than a few candidates) returns nullopt.
/// Why hand-written: the matcher costs 15–25 µs a window and IsValidNumber alone up to 15 µs for a
/// GB mobile (an ICU regex per metadata pattern); RE2 on the same patterns takes about 0.5 µs.
std::optional<std::vector<WindowMatch>> fast_window_matches(std::string_view window, const std::string& region);

/// Bits of a short-code answer.
constexpr std::uint8_t kShortEmergency = 1;  ///< ShortNumberInfo::IsEmergencyNumber(digits, region)
constexpr std::uint8_t kShortValid = 2;      ///< IsValidShortNumberForRegion(Parse(digits, region), region)

/// For a standalone token of 2–6 ASCII digits: kShortEmergency when ShortNumberInfo finds it an
/// emergency number of `region`, else (3 digits or more) kShortValid when the parsed number is a
/// valid short number there — the same answer PhoneFinder gets from ShortNumberInfo and Parse,
/// from the same metadata with RE2 — or nullopt when not decided here (an IDD prefix, the region's
/// country code, a national-prefix transform rule, a metadata pattern RE2 does not take).
std::optional<std::uint8_t> fast_short_number(std::string_view digits, const std::string& region);

/// Reads libphonenumber's metadata and compiles its patterns (tens of milliseconds, once per
/// process), so that the first message does not pay for it; PhoneFinder's constructor calls it.
void prepare_fast_path();

/// Per-thread counts of windows the fast path decided and left to the matcher (for tests and benches).
struct FastPathCounts {
  std::size_t decided = 0;
  std::size_t fell_back = 0;
};
FastPathCounts& fast_path_counts();

}  // namespace smish::classifier::detail
