// Unicode TR39 helpers for hosts: confusable skeletons and mixed-script detection (ICU uspoof).
#pragma once

#include <array>
#include <string>
#include <string_view>

struct USpoofChecker;

namespace smish::classifier::detail {

/// Wraps one ICU USpoofChecker configured once (restriction level HIGHLY_RESTRICTIVE,
/// UTS #39 §5.2). Immutable after construction; ICU allows concurrent checks on an unmodified
/// checker, so one instance serves every thread (spoof()).
class Spoof {
 public:
  Spoof();
  ~Spoof();
  Spoof(const Spoof&) = delete;
  Spoof& operator=(const Spoof&) = delete;

  /// The TR39 confusable skeleton of a UTF-8 label (UTS #39 §4), ASCII letters lowercased
  /// afterwards so that "0" (skeleton "O") meets "o". Pure ASCII input takes a table built from
  /// ICU at construction (same result, no ICU call). Invalid UTF-8 is skeletonised as U+FFFD.
  std::string skeleton(std::string_view label) const;

  /// True when a label mixes scripts beyond what UTS #39 "highly restrictive" allows (Latin with
  /// Han and Kana, or Han and Hangul, are allowed; Latin with Cyrillic or Greek is not).
  /// ASCII labels are never mixed.
  bool mixed_script(std::string_view label) const;

 private:
  std::string icu_skeleton(std::string_view utf8) const;

  USpoofChecker* checker_ = nullptr;
  std::array<std::string, 128> ascii_;  // skeleton of each ASCII character
};

/// The process-wide instance (built on first use; thread-safe initialisation).
const Spoof& spoof();

}  // namespace smish::classifier::detail
