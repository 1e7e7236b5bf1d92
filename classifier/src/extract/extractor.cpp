// Extractor: normalise, find URLs and e-mails, mask them, find numbers, add message-level evidence.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "extract/brands.hpp"
#include "extract/indicators.hpp"
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
std::optional<NumberHit> whatsapp_number(const detail::NormalizedText& nt,
                                         const detail::UrlHit& url) {
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

void add_flag(std::vector<std::string>& flags, std::string flag) {
  if (std::find(flags.begin(), flags.end(), flag) == flags.end()) flags.push_back(std::move(flag));
}

// The labels of a host left of its public suffix, from the Unicode form ("swedbаnk-lv" of
// "swedbаnk-lv.com", "evil" of "evil.github.io"): what a reader takes for the name.
std::vector<std::string_view> name_labels(const detail::UrlHit& u) {
  std::vector<std::string_view> labels;
  const std::string_view host = u.unicode_host;
  std::size_t start = 0;
  for (std::size_t k = 0; k <= host.size(); ++k) {
    if (k < host.size() && host[k] != '.') continue;
    labels.push_back(host.substr(start, k - start));
    start = k + 1;
  }
  const auto suffix_labels =
      static_cast<std::size_t>(std::count(u.url.domain.begin(), u.url.domain.end(), '.'));
  if (labels.size() > suffix_labels) labels.resize(labels.size() - suffix_labels);
  return labels;
}

std::string_view kind_flag(detail::LookalikeKind kind) {
  switch (kind) {
    case detail::LookalikeKind::Homoglyph:
      return "homoglyph";
    case detail::LookalikeKind::Typo:
      return "typosquat";
    case detail::LookalikeKind::Combo:
      return "combosquat";
  }
  return "combosquat";
}

}  // namespace

struct Extractor::Impl {
  ExtractConfig config;
  detail::UrlFinder urls;
  detail::PhoneFinder phones;
  detail::BrandIndex brands;
  std::string brands_error;
  detail::TldPredicate is_tld;
};

Extractor::Extractor(ExtractConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->config.default_region = upper_region(impl_->config.default_region);
  for (auto& r : impl_->config.fallback_regions) r = upper_region(r);
  if (impl_->config.brands != nullptr) {
    impl_->brands = detail::BrandIndex(*impl_->config.brands);
  } else if (!impl_->config.brands_file.empty()) {
    auto loaded = load_brands(impl_->config.brands_file);
    if (loaded)
      impl_->brands = detail::BrandIndex(std::move(*loaded));
    else
      impl_->brands_error = loaded.error().detail;
  }
  const detail::UrlFinder* urls = &impl_->urls;
  impl_->is_tld = [urls](std::string_view tld) { return urls->is_known_tld(tld); };
}

Extractor::~Extractor() = default;

const BrandSet& Extractor::brands() const { return impl_->brands.set(); }

const std::string& Extractor::brands_error() const { return impl_->brands_error; }

core::Result<BrandSet> Extractor::load_brands(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(core::ErrorCode::NotFound, path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return detail::parse_brands_yaml(text.str(), path);
}

core::Result<BrandSet> Extractor::parse_brands(std::string_view yaml, std::string_view name) {
  return detail::parse_brands_yaml(yaml, name);
}

core::Extraction Extractor::extract(std::string_view text, std::string_view region) const {
  core::Extraction out;
  const Impl& im = *impl_;
  const detail::NormalizedText nt = detail::normalize(text, &im.is_tld);
  const detail::UrlScan scan = im.urls.scan(nt);
  bool truncated = scan.truncated;

  std::string masked = nt.text;
  auto mask = [&](std::size_t b, std::size_t e) {
    std::fill(masked.begin() + static_cast<std::ptrdiff_t>(b),
              masked.begin() + static_cast<std::ptrdiff_t>(e), ' ');
  };
  for (const auto& u : scan.urls) {
    mask(u.begin, u.end);
    // At most kMaxUrlHits: a linear look-up beats hashing for the one to three a text has.
    if (std::any_of(out.urls.begin(), out.urls.end(),
                    [&](const core::ExtractedUrl& x) { return x.url == u.url.url; }))
      continue;
    core::ExtractedUrl url = u.url;
    if (!im.brands.empty()) {
      const bool ip =
          std::find(url.flags.begin(), url.flags.end(), "ip_literal") != url.flags.end();
      const int owner = ip ? -1 : im.brands.owner_of_host(url.host);
      if (owner >= 0) {
        url.flags.push_back("brand_domain:" +
                            im.brands.brands()[static_cast<std::size_t>(owner)].id);
      } else {
        std::vector<std::string_view> labels;
        if (!ip) labels = name_labels(u);
        // "https://swedbank.lv@evil.com": the userinfo is what the reader sees as the site.
        std::string userinfo = ascii_lower(u.userinfo);
        for (char& c : userinfo)
          if (c == '.' || c == ':') c = '-';
        if (!userinfo.empty()) labels.push_back(userinfo);
        const auto found = im.brands.lookalikes(labels);
        if (!found.empty()) add_flag(url.flags, "lookalike");
        for (const auto& l : found) add_flag(url.flags, std::string(kind_flag(l.kind)));
        for (const auto& l : found)
          add_flag(url.flags, "lookalike_of:" + im.brands.brands()[l.brand].id);
      }
    }
    out.urls.push_back(std::move(url));
  }
  for (const auto& e : scan.emails) {
    mask(e.begin, e.end);
    push_unique(out.emails, e.address);
    if (!im.brands.empty()) {
      const std::string domain = e.address.substr(e.address.rfind('@') + 1);
      if (im.brands.owner_of_host(domain) < 0) {
        std::vector<std::string_view> labels;
        const std::string_view d = domain;
        labels.push_back(d.substr(0, d.find('.')));
        for (const auto& l : im.brands.lookalikes(labels))
          add_flag(out.flags, "email_lookalike_of:" + im.brands.brands()[l.brand].id);
      }
    }
  }
  for (const auto& t : scan.tels) mask(t.begin, t.end);

  const detail::WordScan words = detail::scan_words(masked, im.brands);
  for (const auto& iban : words.ibans) {
    mask(iban.begin, iban.end);
    out.ibans.push_back(iban.iban);
  }

  detail::PhoneQuery query;
  push_unique(query.regions, region.empty() ? im.config.default_region : upper_region(region));
  for (const auto& r : im.config.fallback_regions) push_unique(query.regions, r);
  if (query.regions.empty()) query.regions.emplace_back("ZZ");
  query.service_numbers = &im.config.service_numbers;
  query.brands = &im.brands;
  query.cache_entries = im.config.number_cache_entries;
  query.fast_path = im.config.number_fast_path;

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
  for (auto& h : im.phones.find(masked, nt, query, truncated)) hits.push_back(std::move(h));
  std::stable_sort(hits.begin(), hits.end(),
                   [](const NumberHit& a, const NumberHit& b) { return a.begin < b.begin; });
  for (auto& h : hits) {
    if (std::any_of(out.numbers.begin(), out.numbers.end(),
                    [&](const core::ExtractedNumber& x) { return x.e164 == h.number.e164; }))
      continue;
    if (!im.brands.empty()) {
      const bool short_code = std::find(h.number.flags.begin(), h.number.flags.end(),
                                        "short_code") != h.number.flags.end();
      const int owner = short_code ? im.brands.owner_of_short_code(h.number.e164, h.number.region)
                                   : im.brands.owner_of_number(h.number.e164);
      if (owner >= 0)
        h.number.flags.push_back("brand_number:" +
                                 im.brands.brands()[static_cast<std::size_t>(owner)].id);
    }
    out.numbers.push_back(std::move(h.number));
  }

  if (words.asks_for_code) out.flags.emplace_back("asks_for_code");
  if (!nt.removed_at.empty()) out.flags.emplace_back("zero_width");
  for (std::size_t b : words.brands_named)
    out.flags.push_back("mentions_brand:" + im.brands.brands()[b].id);
  for (const auto& s : words.senders) {
    if (s.brand >= 0) {
      add_flag(out.flags,
               "brand_sender_id:" + im.brands.brands()[static_cast<std::size_t>(s.brand)].id);
      continue;
    }
    out.sender_ids.push_back(s.id);
    for (const auto& l : s.lookalikes)
      add_flag(out.flags, "sender_lookalike_of:" + im.brands.brands()[l.brand].id);
  }
  if (truncated) out.flags.emplace_back("indicator_limit");
  return out;
}

std::optional<std::string> to_e164(std::string_view raw, std::string_view region) {
  auto e164 = detail::parse_e164(raw, upper_region(region));
  // libphonenumber can read an odd input (an extension marker after digits, say) as a number whose
  // E.164 form parses back as another number: not a stable key for an indicator or a reporter, so
  // refused (found by fuzz_extract's idempotence check).
  if (e164 && detail::parse_e164(*e164, "") != e164) return std::nullopt;
  return e164;
}

std::string region_of(std::string_view e164) { return detail::region_of_e164(e164); }

}  // namespace smish::classifier
