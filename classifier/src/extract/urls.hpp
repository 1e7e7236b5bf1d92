// URL, e-mail and tel: finder over normalised text: a hand-written scanner validated with libpsl.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extract/normalize.hpp"
#include "smish/core/types.hpp"

struct psl_ctx_st;

namespace smish::classifier::detail {

/// A URL with its span in the normalised text.
struct UrlHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  core::ExtractedUrl url;
};

/// An e-mail address ("local@domain", domain lowercased and in punycode) with its span.
struct EmailHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string address;
};

/// A "tel:" URI: `number` is the part after "tel:" in the normalised text.
struct TelHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t number_begin = 0;
  std::string number;
};

/// Everything the URL scanner found, each list in order of appearance (URLs not yet deduplicated).
struct UrlScan {
  std::vector<UrlHit> urls;
  std::vector<EmailHit> emails;
  std::vector<TelHit> tels;
};

/// Finds URLs (with a scheme, obfuscated, or bare host[:port][/path] on a known public suffix),
/// e-mail addresses and tel: URIs. Owns the Public Suffix List context; immutable after
/// construction and safe to share between threads.
class UrlFinder {
 public:
  UrlFinder();
  ~UrlFinder();
  UrlFinder(const UrlFinder&) = delete;
  UrlFinder& operator=(const UrlFinder&) = delete;

  /// Scans `text` (see normalize()). Linear in the text length apart from bounded look-ahead.
  UrlScan scan(const NormalizedText& text) const;

 private:
  struct Host {
    std::string ascii;    // lowercase, punycode
    std::string domain;   // registrable domain, the IP, or the host itself
    bool idn = false;
    bool ip = false;
    bool shared_hosting = false;
  };
  struct Candidate;

  std::optional<Host> validate_host(std::string_view host, bool with_scheme, bool bare_strict) const;
  std::optional<Candidate> try_scheme(std::string_view t, std::size_t i) const;
  std::optional<Candidate> try_bare(std::string_view t, std::size_t i) const;
  std::optional<EmailHit> try_email(std::string_view t, std::size_t i) const;
  bool is_known_tld(std::string_view ascii_tld) const;
  static UrlHit make_hit(const NormalizedText& nt, const Candidate& c);

  psl_ctx_st* owned_ = nullptr;      // from psl_latest(), freed in the destructor
  const psl_ctx_st* psl_ = nullptr;  // owned_ or the built-in list
};

/// True when `host` (lowercase ASCII) is one of the built-in URL shorteners.
bool is_shortener(std::string_view host);

}  // namespace smish::classifier::detail
