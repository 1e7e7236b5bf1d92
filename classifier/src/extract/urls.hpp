// URL, e-mail and tel: finder over normalised text: a hand-written scanner validated with libpsl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize.hpp"  // relative: the tests include this header from outside src/
#include "smish/core/types.hpp"

struct psl_ctx_st;

namespace smish::classifier::detail {

/// A URL with its span in the normalised text.
struct UrlHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  core::ExtractedUrl url;
  std::string unicode_host;  ///< the host in Unicode (UTS #46 to_unicode), lowercase; == url.host when ASCII
  std::string userinfo;      ///< the part before '@', "" when none
};

/// An e-mail address ("local@domain", domain lowercased and in punycode) with its span.
struct EmailHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t domain_begin = 0;  ///< where the domain starts (after '@')
  std::string address;
};

/// A "tel:" URI: `number` is the part after "tel:" in the normalised text.
struct TelHit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t number_begin = 0;
  std::string number;
};

/// At most this many URLs, e-mail addresses and tel: URIs together are reported per text: a scam
/// SMS carries one to three; beyond 64 the text is noise or an attack, and the scan stops.
constexpr std::size_t kMaxUrlHits = 64;

/// Everything the URL scanner found, each list in order of appearance (URLs not yet deduplicated).
struct UrlScan {
  std::vector<UrlHit> urls;
  std::vector<EmailHit> emails;
  std::vector<TelHit> tels;
  bool truncated = false;  ///< kMaxUrlHits was reached; the rest of the text was not scanned
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

  /// True when `ascii_tld` (lowercase) is a public suffix of one label in the PSL. Labels of one
  /// to three letters a-z are answered from a table filled from the PSL at construction.
  bool is_known_tld(std::string_view ascii_tld) const;
  /// The same answer, always asked of the PSL (for the test that checks the table).
  bool is_known_tld_in_psl(std::string_view ascii_tld) const;

 private:
  struct Host {
    std::string ascii;    // lowercase, punycode; canonical dotted quad or RFC 5952 text for IPs
    std::string domain;   // registrable domain, the IP, or the host itself
    std::string unicode;  // lowercase Unicode form when it differs from `ascii`
    bool idn = false;
    bool ip = false;
    bool ipv6 = false;
    const char* ip_form = nullptr;  // "ip_decimal", "ip_octal", "ip_hex" for non-dotted-decimal IPv4
    bool mixed_script = false;
    bool shared_hosting = false;
  };
  struct Candidate;

  std::optional<Host> validate_host(std::string_view host, bool with_scheme, bool bare_strict) const;
  std::optional<Candidate> try_scheme(std::string_view t, std::size_t i) const;
  std::optional<Candidate> try_bare(std::string_view t, std::size_t i) const;
  std::optional<EmailHit> try_email(std::string_view t, std::size_t i) const;
  std::optional<Candidate> try_ipv6(std::string_view t, Candidate c, std::size_t host_begin) const;
  void finish_authority(std::string_view t, Candidate& c) const;
  static UrlHit make_hit(const NormalizedText& nt, const Candidate& c);

  psl_ctx_st* owned_ = nullptr;      // from psl_latest(), freed in the destructor
  const psl_ctx_st* psl_ = nullptr;  // owned_ or the built-in list
  // is_known_tld() of every label of one to three letters a-z (26 + 26^2 + 26^3 of them, 18 278
  // PSL look-ups at construction): bare hosts and spaced dots ask it for nearly every candidate,
  // and the PSL look-up with its string copy was 2 % of extraction.
  std::vector<bool> short_tlds_;
};

/// True when `host` (lowercase ASCII) is one of the built-in URL shorteners.
bool is_shortener(std::string_view host);

/// An IPv4 address read the way the WHATWG URL Standard §3.5 (IPv4 parser) reads a host: one to
/// four dot-separated parts, each decimal, 0x-hexadecimal or 0-octal, the last filling the
/// remaining bytes ("3232235777", "0xC0.0xA8.1.1", "0300.0250.1.1" are all 192.168.1.1).
struct Ipv4 {
  std::uint32_t address = 0;
  std::string text;               ///< canonical dotted quad
  const char* form = nullptr;     ///< nullptr for a plain dotted quad, else ip_hex, ip_octal or ip_decimal
  bool dotted_decimal = false;    ///< four plain decimal parts
};
/// nullopt when `host` is not an IPv4 address in any of those forms.
std::optional<Ipv4> parse_ipv4(std::string_view host);

}  // namespace smish::classifier::detail
