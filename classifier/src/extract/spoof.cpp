// TR39 skeletons and restriction-level checks through ICU's USpoofChecker, with an ASCII fast path.
#include "extract/spoof.hpp"

#include <unicode/uspoof.h>

namespace smish::classifier::detail {
namespace {

constexpr std::size_t kMaxSkeletonBytes =
    1024;  // a DNS label is <= 63 octets; its skeleton is a few times that

void lower_ascii(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

}  // namespace

Spoof::Spoof() {
  UErrorCode status = U_ZERO_ERROR;
  checker_ = uspoof_open(&status);
  if (U_FAILURE(status)) {
    checker_ = nullptr;  // ICU data missing: skeletons fall back to the input, nothing is mixed
    return;
  }
  uspoof_setRestrictionLevel(checker_, USPOOF_HIGHLY_RESTRICTIVE);
  uspoof_setChecks(checker_, USPOOF_RESTRICTION_LEVEL, &status);
  for (std::size_t c = 0; c < ascii_.size(); ++c) {
    const char ch = static_cast<char>(c);
    ascii_[c] = icu_skeleton(std::string_view(&ch, 1));
  }
}

Spoof::~Spoof() {
  if (checker_ != nullptr) uspoof_close(checker_);
}

std::string Spoof::icu_skeleton(std::string_view utf8) const {
  if (checker_ == nullptr || utf8.size() > kMaxSkeletonBytes) return std::string(utf8);
  char buf[kMaxSkeletonBytes * 4];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n =
      uspoof_getSkeletonUTF8(checker_, 0, utf8.data(), static_cast<int32_t>(utf8.size()), buf,
                             static_cast<int32_t>(sizeof buf), &status);
  if (U_FAILURE(status) || n < 0) return std::string(utf8);
  std::string out(buf, static_cast<std::size_t>(n));
  lower_ascii(out);
  return out;
}

std::string Spoof::skeleton(std::string_view label) const {
  bool ascii = true;
  for (char c : label) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (!ascii || checker_ == nullptr) return icu_skeleton(label);
  std::string out;
  out.reserve(label.size());
  for (char c : label) out += ascii_[static_cast<unsigned char>(c)];
  return out;
}

bool Spoof::mixed_script(std::string_view label) const {
  if (checker_ == nullptr || label.size() > kMaxSkeletonBytes) return false;
  bool ascii = true;
  for (char c : label) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return false;
  UErrorCode status = U_ZERO_ERROR;
  const int32_t result = uspoof_check2UTF8(checker_, label.data(),
                                           static_cast<int32_t>(label.size()), nullptr, &status);
  return U_SUCCESS(status) && (result & USPOOF_RESTRICTION_LEVEL) != 0;
}

const Spoof& spoof() {
  static const Spoof instance;
  return instance;
}

}  // namespace smish::classifier::detail
