// Names and small helpers of the domain types.
#include "smish/core/types.hpp"

#include <algorithm>
#include <array>

#include <openssl/evp.h>

#include "smish/core/json.hpp"

namespace smish::core {

std::string_view to_string(ConcatSource s) {
  switch (s) {
    case ConcatSource::Udh8: return "udh8";
    case ConcatSource::Udh16: return "udh16";
    case ConcatSource::Sar: return "sar";
  }
  return "unknown";
}

std::string InboundSegment::fingerprint() const {
  // Field separators keep "ab"+"c" apart from "a"+"bc"; lengths are written before variable fields.
  std::string material;
  material.reserve(user_data.size() + source.addr.size() + dest.addr.size() + 32);
  auto put_str = [&](std::string_view s) {
    material += std::to_string(s.size());
    material += ':';
    material += s;
  };
  put_str(source.addr);
  put_str(dest.addr);
  material += static_cast<char>(data_coding);
  if (concat) {
    material += 'c';
    material += static_cast<char>(concat->ref >> 8);
    material += static_cast<char>(concat->ref & 0xFF);
    material += static_cast<char>(concat->total);
    material += static_cast<char>(concat->seq);
  }
  put_str(user_data);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), md.data(), &len, EVP_sha256(), nullptr);
  // 128 bits are plenty to tell messages apart within a de-duplication window.
  return to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), std::min<unsigned>(len, 16)));
}

std::string_view to_string(Label label) {
  switch (label) {
    case Label::Unclear: return "unclear";
    case Label::Scam: return "scam";
    case Label::Spam: return "spam";
    case Label::Legit: return "legit";
  }
  return "unclear";
}

std::optional<Label> parse_label(std::string_view text) {
  for (Label l : {Label::Unclear, Label::Scam, Label::Spam, Label::Legit})
    if (to_string(l) == text) return l;
  return std::nullopt;
}

std::string_view to_string(IndicatorKind kind) {
  switch (kind) {
    case IndicatorKind::Number: return "number";
    case IndicatorKind::Url: return "url";
    case IndicatorKind::Host: return "host";
    case IndicatorKind::Domain: return "domain";
    case IndicatorKind::SenderId: return "sender_id";
  }
  return "unknown";
}

std::optional<IndicatorKind> parse_indicator_kind(std::string_view text) {
  for (auto k : {IndicatorKind::Number, IndicatorKind::Url, IndicatorKind::Host, IndicatorKind::Domain,
                 IndicatorKind::SenderId})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

std::string_view to_string(IndicatorStatus status) {
  switch (status) {
    case IndicatorStatus::Observed: return "observed";
    case IndicatorStatus::Suspected: return "suspected";
    case IndicatorStatus::Listed: return "listed";
    case IndicatorStatus::Confirmed: return "confirmed";
    case IndicatorStatus::Allowlisted: return "allowlisted";
    case IndicatorStatus::Revoked: return "revoked";
    case IndicatorStatus::Expired: return "expired";
  }
  return "unknown";
}

std::optional<IndicatorStatus> parse_indicator_status(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(IndicatorStatus::Expired); ++i) {
    auto s = static_cast<IndicatorStatus>(i);
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string Indicator::top_category() const { return most_voted(categories); }

}  // namespace smish::core
