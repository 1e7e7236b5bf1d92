// Extractor: normalise, find URLs and e-mails, mask them, find numbers, add message-level evidence.
#include <algorithm>
#include <utility>

#include "extract/normalize.hpp"
#include "extract/phones.hpp"
#include "extract/urls.hpp"
#include "smish/classifier/extract.hpp"

namespace smish::classifier {
namespace {

using detail::NumberHit;

std::string upper_region(std::string_view r) {
  std::string out(r);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

void push_unique(std::vector<std::string>& v, std::string s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A number in a WhatsApp link: wa.me/<digits> or whatsapp.com/send?phone=<digits>.
std::optional<NumberHit> whatsapp_number(const detail::NormalizedText& nt, const detail::UrlHit& url) {
  const bool wa = url.url.host == "wa.me";
  const bool api = url.url.host == "whatsapp.com" || url.url.host == "api.whatsapp.com";
  if (!wa && !api) return std::nullopt;
  const std::string_view span = std::string_view(nt.text).substr(url.begin, url.end - url.begin);
  const std::string lower = ascii_lower(span);
  const std::size_t key = wa ? lower.find("wa.me/") : lower.find("phone=");
  if (key == std::string::npos) return std::nullopt;
  std::size_t b = key + 6;
  if (b < span.size() && span[b] == '+') ++b;
  std::size_t e = b;
  while (e < span.size() && span[e] >= '0' && span[e] <= '9') ++e;
  if (e - b < 7) return std::nullopt;
  auto e164 = detail::parse_e164("+" + std::string(span.substr(b, e - b)), "");
  if (!e164) return std::nullopt;
  NumberHit hit;
  hit.begin = url.begin + b;
  hit.end = url.begin + e;
  hit.number.e164 = *e164;
  hit.number.raw = nt.raw(hit.begin, hit.end);
  hit.number.region = detail::region_of_e164(*e164);
  hit.number.flags = {"in_url"};
  return hit;
}

bool asks_for_code(const detail::NormalizedText& nt) {
  const std::string_view t = nt.text;
  if (t.find("رمز") != std::string_view::npos) return true;  // Arabic attaches prefixes: الرمز, برمز
  std::size_t i = 0;
  while (i < t.size()) {
    char32_t cp = 0;
    std::size_t len = detail::decode_utf8(t, i, cp);
    if (!detail::is_letter_cp(cp)) {
      i += len;
      continue;
    }
    const std::size_t b = i;
    while (i < t.size()) {
      len = detail::decode_utf8(t, i, cp);
      if (!detail::is_letter_cp(cp)) break;
      i += len;
    }
    if (detail::is_code_word(t.substr(b, i - b))) return true;
  }
  return false;
}

}  // namespace

struct Extractor::Impl {
  ExtractConfig config;
  detail::UrlFinder urls;
  detail::PhoneFinder phones;
};

Extractor::Extractor(ExtractConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->config.default_region = upper_region(impl_->config.default_region);
  for (auto& r : impl_->config.fallback_regions) r = upper_region(r);
}

Extractor::~Extractor() = default;

core::Extraction Extractor::extract(std::string_view text, std::string_view region) const {
  core::Extraction out;
  const detail::NormalizedText nt = detail::normalize(text);
  const detail::UrlScan scan = impl_->urls.scan(nt);

  std::string masked = nt.text;
  auto mask = [&](std::size_t b, std::size_t e) {
    std::fill(masked.begin() + static_cast<std::ptrdiff_t>(b), masked.begin() + static_cast<std::ptrdiff_t>(e), ' ');
  };
  for (const auto& u : scan.urls) {
    mask(u.begin, u.end);
    const bool seen = std::any_of(out.urls.begin(), out.urls.end(),
                                  [&](const core::ExtractedUrl& x) { return x.url == u.url.url; });
    if (!seen) out.urls.push_back(u.url);
  }
  for (const auto& e : scan.emails) {
    mask(e.begin, e.end);
    push_unique(out.emails, e.address);
  }
  for (const auto& t : scan.tels) mask(t.begin, t.end);

  detail::PhoneQuery query;
  push_unique(query.regions, region.empty() ? impl_->config.default_region : upper_region(region));
  for (const auto& r : impl_->config.fallback_regions) push_unique(query.regions, r);
  if (query.regions.empty()) query.regions.emplace_back("ZZ");
  query.service_numbers = &impl_->config.service_numbers;

  std::vector<NumberHit> hits;
  for (const auto& u : scan.urls)
    if (auto n = whatsapp_number(nt, u)) hits.push_back(std::move(*n));
  for (const auto& t : scan.tels) {
    auto e164 = detail::parse_e164(t.number, query.regions.front());
    if (!e164) continue;
    NumberHit hit;
    hit.begin = t.number_begin;
    hit.end = t.end;
    hit.number.e164 = *e164;
    hit.number.raw = nt.raw(t.number_begin, t.end);
    hit.number.region = detail::region_of_e164(*e164);
    hit.number.flags = {"in_url"};
    hits.push_back(std::move(hit));
  }
  for (auto& h : impl_->phones.find(masked, nt, query)) hits.push_back(std::move(h));
  std::stable_sort(hits.begin(), hits.end(), [](const NumberHit& a, const NumberHit& b) { return a.begin < b.begin; });
  for (auto& h : hits) {
    const bool seen = std::any_of(out.numbers.begin(), out.numbers.end(),
                                  [&](const core::ExtractedNumber& x) { return x.e164 == h.number.e164; });
    if (!seen) out.numbers.push_back(std::move(h.number));
  }

  if (asks_for_code(nt)) out.flags.emplace_back("asks_for_code");
  return out;
}

std::optional<std::string> to_e164(std::string_view raw, std::string_view region) {
  return detail::parse_e164(raw, upper_region(region));
}

std::string region_of(std::string_view e164) { return detail::region_of_e164(e164); }

}  // namespace smish::classifier
