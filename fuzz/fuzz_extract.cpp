// libFuzzer target: the whole indicator extraction on arbitrary octets, under ASan/UBSan.
//
// Covers normalisation, URLs, e-mails, IBANs, sender IDs, numbers and brands.
//
// Input: the text, then (FuzzedDataProvider reads integers from the END) one byte choosing the
// reporter's region. Each input is extracted with the number cache (twice) and without it.
//
// Invariants:
//   * extraction never crashes, never throws, and respects its limits (<= 64 URLs and numbers,
//     <= 16 IBANs and sender IDs);
//   * every `raw` span is a substring of the input;
//   * for well-formed UTF-8 input every output string is well-formed UTF-8 (the analyze JSONL
//     contract: nlohmann::json refuses anything else);
//   * normalised URLs start with a scheme, have a lowercase ASCII host, and the host ends with
//     the registrable domain (or is the IP);
//   * the same text gives the same extraction with and without the number cache;
//   * to_e164 of any slice either fails or returns "+" and digits that to_e164 maps to itself.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/json.hpp"

namespace {

using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;
using smish::core::Extraction;
using smish::fuzz::valid_utf8;
using smish::fuzz::violated;

constexpr const char* kTarget = "fuzz_extract";
constexpr const char* kRegions[] = {"LV", "EE", "LT", "RU", "OM", "GB", "US", "", "ZZ", "lv"};

const Extractor& extractor(bool cache) {
  static const Extractor with_cache = [] {
    ExtractConfig c;
    c.brands_file = SMISH_SOURCE_DIR "/configs/brands.yaml";
    c.fallback_regions = {"RU"};
    return Extractor{c};
  }();
  static const Extractor without_cache = [] {
    ExtractConfig c;
    c.brands_file = SMISH_SOURCE_DIR "/configs/brands.yaml";
    c.fallback_regions = {"RU"};
    c.number_cache_entries = 0;
    return Extractor{c};
  }();
  if (!with_cache.brands_error().empty()) violated(kTarget, "configs/brands.yaml does not load");
  return cache ? with_cache : without_cache;
}

bool is_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

void check(const Extraction& x, std::string_view text) {
  const bool utf8 = valid_utf8(text);
  auto text_ok = [&](const std::string& s) {
    if (utf8 && !valid_utf8(s)) violated(kTarget, "output string is not UTF-8 for UTF-8 input");
  };
  if (x.urls.size() > 64 || x.numbers.size() > 64 || x.ibans.size() > 16 ||
      x.sender_ids.size() > 16)
    violated(kTarget, "a limit was exceeded");
  for (const auto& u : x.urls) {
    if (u.raw.empty() || text.find(u.raw) == std::string_view::npos)
      violated(kTarget, "URL raw is not in the text");
    if (u.url.rfind("http://", 0) != 0 && u.url.rfind("https://", 0) != 0 &&
        u.url.rfind("ftp://", 0) != 0)
      violated(kTarget, "normalised URL without a scheme");
    for (char c : u.host)
      if (static_cast<unsigned char>(c) >= 0x80 || (c >= 'A' && c <= 'Z'))
        violated(kTarget, "host not lowercase ASCII");
    if (u.domain.empty() || u.host.size() < u.domain.size() ||
        u.host.compare(u.host.size() - u.domain.size(), u.domain.size(), u.domain) != 0)
      violated(kTarget, "host does not end with its domain");
    text_ok(u.url);
    text_ok(u.raw);
    for (const auto& f : u.flags) text_ok(f);
  }
  for (const auto& n : x.numbers) {
    if (n.raw.empty() || text.find(n.raw) == std::string_view::npos)
      violated(kTarget, "number raw is not in the text");
    const bool e164 =
        n.e164.size() > 1 && n.e164[0] == '+' && is_digits(std::string_view(n.e164).substr(1));
    if (!e164 && !is_digits(n.e164)) violated(kTarget, "number is neither E.164 nor a short code");
    text_ok(n.raw);
  }
  for (const auto& e : x.emails) text_ok(e);
  for (const auto& s : x.sender_ids) text_ok(s);
  for (const auto& f : x.flags) text_ok(f);
  if (utf8) (void)smish::core::to_json(x).dump();  // throws (and so crashes) on invalid UTF-8
}

bool same(const Extraction& a, const Extraction& b) {
  if (a.urls.size() != b.urls.size() || a.numbers.size() != b.numbers.size()) return false;
  for (std::size_t k = 0; k < a.urls.size(); ++k)
    if (a.urls[k].url != b.urls[k].url || a.urls[k].flags != b.urls[k].flags) return false;
  for (std::size_t k = 0; k < a.numbers.size(); ++k)
    if (a.numbers[k].e164 != b.numbers[k].e164 || a.numbers[k].flags != b.numbers[k].flags)
      return false;
  return a.emails == b.emails && a.ibans == b.ibans && a.sender_ids == b.sender_ids &&
         a.flags == b.flags;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
  const std::string text = in.ConsumeRemainingBytesAsString();
  const char* region = kRegions[mode % (sizeof kRegions / sizeof kRegions[0])];

  const Extraction cached = extractor(true).extract(text, region);
  check(cached, text);
  // Twice with the cache (the second call is a cache hit), once without: all the same.
  const Extraction again = extractor(true).extract(text, region);
  const Extraction uncached = extractor(false).extract(text, region);
  if (!same(cached, again) || !same(cached, uncached))
    violated(kTarget, "the number cache changed the result");

  const std::string_view slice = std::string_view(text).substr(0, 40);
  if (auto e = smish::classifier::to_e164(slice, region)) {
    if (e->size() < 2 || (*e)[0] != '+' || !is_digits(std::string_view(*e).substr(1)))
      violated(kTarget, "to_e164 not E.164");
    if (smish::classifier::to_e164(*e, "") != e) violated(kTarget, "to_e164 is not idempotent");
    (void)smish::classifier::region_of(*e);
  }
  return 0;
}
