// URL, e-mail and tel: finder: a linear hand-written scanner; hosts are validated with libpsl and libidn2.
#include "extract/urls.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include <arpa/inet.h>
#include <idn2.h>
#include <libpsl.h>

#include "extract/spoof.hpp"

namespace smish::classifier::detail {
namespace {

constexpr std::size_t kMaxHostRunBytes = 512;  // a DNS name is <= 253 octets; IDN UTF-8 may be longer
constexpr std::size_t kMaxUrlBytes = 4096;     // longer "URLs" in an SMS are noise, cut them here
constexpr std::size_t kMaxLabelBytes = 63;     // RFC 1035 §2.3.4
constexpr std::size_t kMaxHostBytes = 253;     // RFC 1035 §2.3.4, dotted form without the root dot
constexpr std::size_t kMaxIpv6Bytes = 47;      // RFC 4291 text form with an embedded IPv4, plus brackets
constexpr std::size_t kMaxIpv4PartDigits = 34; // "0x" + 32 digits: anything longer overflows 32 bits anyway

constexpr std::array<std::string_view, 22> kShorteners = {
    "bit.ly",  "tinyurl.com", "t.co",      "goo.gl",  "is.gd",   "cutt.ly", "rb.gy",  "ow.ly",
    "t.ly",    "shorturl.at", "tiny.cc",   "clck.ru", "u.to",    "vk.cc",   "v.gd",   "bit.do",
    "rebrand.ly", "surl.li",  "qrco.de",   "s.id",    "lin.ee",  "bitly.com"};

// Generic TLDs common in links. A bare two-label host with no path ("file.name", "hello.how")
// must end in a ccTLD, an IDN TLD or one of these: many newer gTLDs are ordinary words.
constexpr std::array<std::string_view, 52> kCommonGenericTlds = {
    "com",  "net",    "org",   "info",    "biz",    "edu",     "gov",     "mil",     "int",
    "xyz",  "top",    "online", "site",   "website", "app",    "dev",     "shop",    "store",
    "club", "live",   "link",  "click",   "icu",    "vip",     "win",     "bid",     "loan",
    "work", "support", "help", "services", "email", "page",    "cloud",   "tech",    "pro",
    "mobi", "asia",   "digital", "world", "life",   "space",   "fun",     "sbs",     "cfd",
    "rest", "bond",   "buzz",  "cyou",    "monster", "finance", "bank"};

bool ieq_ascii(std::string_view s, std::size_t i, std::string_view lit) {
  if (i + lit.size() > s.size()) return false;
  for (std::size_t k = 0; k < lit.size(); ++k) {
    char a = s[i + k];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != lit[k]) return false;
  }
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split_labels(std::string_view host) {
  std::vector<std::string_view> labels;
  std::size_t start = 0;
  for (std::size_t k = 0; k <= host.size(); ++k) {
    if (k == host.size() || host[k] == '.') {
      labels.push_back(host.substr(start, k - start));
      start = k + 1;
    }
  }
  return labels;
}

// End of a run of host characters starting at i: ASCII letters, digits, '-', '_', '.', and
// letters/digits/marks of any script (IDN).
std::size_t scan_host_run(std::string_view t, std::size_t i) {
  const std::size_t limit = std::min(t.size(), i + kMaxHostRunBytes);
  while (i < limit) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if (is_ascii_alnum(c) || c == '-' || c == '_' || c == '.') {
        ++i;
        continue;
      }
      break;
    }
    char32_t cp = 0;
    const std::size_t len = decode_utf8(t, i, cp);
    if (!is_word_cp(cp)) break;
    i += len;
  }
  return i;
}

// Characters that end a URL path: whitespace, controls, '<' '>', typographic quotes, CJK and
// fullwidth forms (scripts written without spaces run straight into the next word).
bool ends_path(char32_t c) {
  if (c <= 0x20 || c == 0x7F || c == '<' || c == '>') return true;
  if (c < 0x80) return false;
  return (c >= 0x80 && c <= 0x9F) || c == 0xAB || c == 0xBB || (c >= 0x2000 && c <= 0x200A) ||
         (c >= 0x2018 && c <= 0x201F) || c == 0x2028 || c == 0x2029 || c == 0x2039 || c == 0x203A ||
         c == 0xFFFD || is_cjk(c);
}

std::size_t scan_path(std::string_view t, std::size_t i, std::size_t url_begin) {
  const std::size_t limit = std::min(t.size(), url_begin + kMaxUrlBytes);
  while (i < limit) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(t, i, cp);
    if (ends_path(cp)) break;
    i += len;
  }
  return i;
}

// linkify-it style trailing punctuation: drop . , ; : ! ? and unbalanced quotes or closing
// brackets from the end of the path part [from, end). Counts once, then updates: linear.
std::size_t strip_trailing(std::string_view t, std::size_t url_begin, std::size_t from, std::size_t end) {
  std::array<std::size_t, 128> count{};
  for (std::size_t k = url_begin; k < end; ++k) {
    const auto c = static_cast<unsigned char>(t[k]);
    if (c < 128) ++count[c];
  }
  auto drop = [&](std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
      --end;
      const auto c = static_cast<unsigned char>(t[end]);
      if (c < 128) --count[c];
    }
  };
  while (end > from) {
    const char c = t[end - 1];
    const auto uc = static_cast<unsigned char>(c);
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?') {
      drop(1);
    } else if (c == '"' || c == '\'') {
      if (count[uc] % 2 == 0) break;
      drop(1);
    } else if (c == 's' && end - 1 > from && t[end - 2] == '\'' && count['\''] % 2 == 1) {
      drop(2);  // English possessive: "http://t.co/abc's"
    } else if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (count[static_cast<unsigned char>(open)] >= count[uc]) break;
      drop(1);
    } else {
      break;
    }
  }
  return end;
}

bool is_userinfo_byte(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
         c == '%' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '*' || c == '+' || c == ',' ||
         c == ';' || c == '=' || c == ':';
}

bool is_local_byte(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' || c == '+' ||
         c == '-';
}

// May a scheme URL start after `prev`? Not inside a word, a #hashtag or a $cashtag.
bool scheme_boundary(char32_t prev) {
  return !(is_ascii_alnum(prev) || prev == '_' || prev == '#' || prev == '$');
}

// May a bare host or an e-mail start after `prev` (0 = start of text)? `cur` is the first char.
bool bare_boundary(char32_t prev, char32_t cur) {
  if (prev == 0 || prev <= 0x20) return true;
  if (prev < 0x80) {
    switch (prev) {
      case '(': case '[': case '{': case '<': case '>': case '"': case '\'': case '|': case '*':
      case ',': case ';': case '!': case '?': case '=': case ':':
        return true;
      default:
        return false;
    }
  }
  if (is_cjk(prev)) return is_ascii_alnum(cur) || !is_word_cp(prev);
  return !is_word_cp(prev);
}

std::size_t next_cp_len(std::string_view t, std::size_t i) {
  char32_t cp = 0;
  return decode_utf8(t, i, cp);
}

}  // namespace

bool is_shortener(std::string_view host) {
  return std::find(kShorteners.begin(), kShorteners.end(), host) != kShorteners.end();
}

namespace {

bool is_hex_digit(char c) { return is_ascii_digit(static_cast<unsigned char>(c)) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

// WHATWG URL §3.5 "ends in a number": the last label is digits, or 0x followed by hex digits.
bool ends_in_number(std::string_view host) {
  const std::string_view last = host.substr(host.rfind('.') == std::string_view::npos ? 0 : host.rfind('.') + 1);
  if (all_digits(last)) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] | 0x20) == 'x')
    return std::all_of(last.begin() + 2, last.end(), is_hex_digit);
  return false;
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view host) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t k = 0; k <= host.size(); ++k) {
    if (k < host.size() && host[k] != '.') continue;
    parts.push_back(host.substr(start, k - start));
    start = k + 1;
  }
  if (!parts.empty() && parts.back().empty() && parts.size() > 1) parts.pop_back();
  if (parts.empty() || parts.size() > 4) return std::nullopt;
  Ipv4 ip;
  bool hex = false, octal = false;
  std::uint64_t values[4] = {0, 0, 0, 0};
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::string_view part = parts[p];
    if (part.empty() || part.size() > kMaxIpv4PartDigits) return std::nullopt;
    unsigned radix = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] | 0x20) == 'x') {
      radix = 16, part.remove_prefix(2), hex = true;
    } else if (part.size() >= 2 && part[0] == '0') {
      radix = 8, part.remove_prefix(1), octal = true;
    }
    std::uint64_t v = 0;
    for (char c : part) {
      unsigned d = 0;
      if (is_ascii_digit(static_cast<unsigned char>(c))) d = static_cast<unsigned>(c - '0');
      else if (radix == 16 && is_hex_digit(c)) d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
      else return std::nullopt;
      if (d >= radix) return std::nullopt;
      v = v * radix + d;
      if (v > 0xFFFFFFFFull) return std::nullopt;
    }
    values[p] = v;
  }
  const std::size_t n = parts.size();
  for (std::size_t p = 0; p + 1 < n; ++p)
    if (values[p] > 255) return std::nullopt;
  if (values[n - 1] >= (std::uint64_t{1} << (8 * (5 - n)))) return std::nullopt;
  std::uint64_t addr = values[n - 1];
  for (std::size_t p = 0; p + 1 < n; ++p) addr += values[p] << (8 * (3 - p));
  ip.address = static_cast<std::uint32_t>(addr);
  ip.text = std::to_string((addr >> 24) & 0xFF) + "." + std::to_string((addr >> 16) & 0xFF) + "." +
            std::to_string((addr >> 8) & 0xFF) + "." + std::to_string(addr & 0xFF);
  ip.form = hex ? "ip_hex" : octal ? "ip_octal" : n < 4 ? "ip_decimal" : nullptr;
  ip.dotted_decimal = n == 4 && !hex && std::all_of(parts.begin(), parts.end(), [](std::string_view x) {
                        return x.size() <= 3 && all_digits(x);
                      });
  return ip;
}

struct UrlFinder::Candidate {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string scheme;           // normalised: "http", "https", "ftp"
  bool obfuscated_scheme = false;
  bool no_scheme = false;
  std::string userinfo;         // without '@'
  std::string port;             // digits, "" when absent
  std::size_t path_begin = 0;   // == end when there is no path
  Host host;
};

namespace {

constexpr std::size_t kShortTldSlots = 26 + 26 * 26 + 26 * 26 * 26;

// Index of a label of one to three letters a-z in UrlFinder::short_tlds_; -1 for any other label.
std::ptrdiff_t short_tld_slot(std::string_view label) {
  if (label.empty() || label.size() > 3) return -1;
  std::ptrdiff_t index = 0;
  for (char c : label) {
    if (c < 'a' || c > 'z') return -1;
    index = index * 26 + (c - 'a');
  }
  constexpr std::ptrdiff_t kOffset[] = {0, 0, 26, 26 + 26 * 26};  // labels of length 1, 2, 3
  return kOffset[label.size()] + index;
}

}  // namespace

UrlFinder::UrlFinder() {
  owned_ = psl_latest(nullptr);  // the system list when it is newer than the built-in one
  psl_ = owned_ != nullptr ? owned_ : psl_builtin();
  if (psl_ == nullptr) return;
  short_tlds_.assign(kShortTldSlots, false);
  std::string label;
  for (std::size_t len = 1; len <= 3; ++len) {
    label.assign(len, 'a');
    for (;;) {
      short_tlds_[static_cast<std::size_t>(short_tld_slot(label))] = is_known_tld_in_psl(label);
      std::size_t k = len;  // the next label in a..z order, odometer style
      while (k > 0 && label[k - 1] == 'z') label[--k] = 'a';
      if (k == 0) break;
      ++label[k - 1];
    }
  }
}

UrlFinder::~UrlFinder() {
  if (owned_ != nullptr) psl_free(owned_);
}

bool UrlFinder::is_known_tld(std::string_view ascii_tld) const {
  if (psl_ == nullptr || ascii_tld.empty()) return false;
  if (const std::ptrdiff_t slot = short_tld_slot(ascii_tld); slot >= 0) return short_tlds_[static_cast<std::size_t>(slot)];
  return is_known_tld_in_psl(ascii_tld);
}

bool UrlFinder::is_known_tld_in_psl(std::string_view ascii_tld) const {
  if (psl_ == nullptr || ascii_tld.empty()) return false;
  const std::string tld(ascii_tld);
  return psl_is_public_suffix2(psl_, tld.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

std::optional<UrlFinder::Host> UrlFinder::validate_host(std::string_view host, bool with_scheme,
                                                        bool bare_strict) const {
  if (host.empty() || psl_ == nullptr) return std::nullopt;
  const auto labels = split_labels(host);
  for (std::string_view l : labels) {
    if (l.empty()) return std::nullopt;
    const char first = l.front();
    const char last = l.back();
    if (first == '-' || first == '_' || last == '-' || last == '_') return std::nullopt;
  }
  Host h;
  if (ends_in_number(host)) {
    // An IP address or nothing (WHATWG URL §3.5): "1.5" and "v2.10" are not hosts. Without a
    // scheme only four decimal parts count ("10.0.0.1/a"); "3232235777" alone is just a number.
    auto ip = parse_ipv4(host);
    if (!ip || (!with_scheme && !ip->dotted_decimal)) return std::nullopt;
    h.ascii = ip->text;
    h.domain = h.ascii;
    h.ip = true;
    h.ip_form = ip->form;
    return h;
  }

  if (!with_scheme && labels.size() >= 2) {
    // A bare host needs a known TLD: decide that from the last label alone before converting the
    // whole host ("г.Москва" and Persian sentences with a full stop never reach libidn2 whole).
    const std::string_view written_tld = labels.back();
    if (!has_non_ascii(written_tld)) {
      if (!is_known_tld(ascii_lower(written_tld))) return std::nullopt;
    } else {
      char* out = nullptr;
      const std::string label(written_tld);
      const int rc = idn2_to_ascii_8z(label.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
      const bool known = rc == IDN2_OK && out != nullptr && is_known_tld(ascii_lower(out));
      idn2_free(out);
      if (!known) return std::nullopt;
    }
  }
  if (has_non_ascii(host)) {
    const std::string utf8(host);
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(utf8.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      idn2_free(out);
      out = nullptr;
      // Symbols such as U+272A are disallowed by IDNA2008 but resolved by browsers (UTS #46).
      rc = idn2_to_ascii_8z(utf8.c_str(), &out, IDN2_TRANSITIONAL | IDN2_NFC_INPUT);
    }
    if (rc != IDN2_OK || out == nullptr) {
      idn2_free(out);
      return std::nullopt;
    }
    h.ascii = ascii_lower(out);
    idn2_free(out);
    h.idn = true;
  } else {
    h.ascii = ascii_lower(host);
  }
  if (h.ascii.size() > kMaxHostBytes) return std::nullopt;
  const auto ascii_labels = split_labels(h.ascii);
  for (std::string_view l : ascii_labels)
    if (l.empty() || l.size() > kMaxLabelBytes) return std::nullopt;

  const std::string_view tld = ascii_labels.back();
  if (!with_scheme) {
    if (ascii_labels.size() < 2 || !is_known_tld(tld)) return std::nullopt;
    // "today.It's": a TLD written in mixed case is the start of a sentence, not a host.
    const std::string_view written_tld = labels.back();
    if (!has_non_ascii(written_tld)) {
      const bool lower = std::none_of(written_tld.begin(), written_tld.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      const bool upper = std::none_of(written_tld.begin(), written_tld.end(), [](char c) { return c >= 'a' && c <= 'z'; });
      if (!lower && !upper) return std::nullopt;
    }
    if (bare_strict && tld.size() != 2 && tld.rfind("xn--", 0) != 0 &&
        std::find(kCommonGenericTlds.begin(), kCommonGenericTlds.end(), tld) == kCommonGenericTlds.end())
      return std::nullopt;
  }
  if (h.idn || h.ascii.find("xn--") != std::string::npos) {
    // The Unicode form, for look-alike checks: what a reader sees, whichever way it was written.
    char* uni = nullptr;
    if (idn2_to_unicode_8z8z(h.ascii.c_str(), &uni, 0) == IDN2_OK && uni != nullptr) {
      h.unicode = uni;
      const Spoof& sp = spoof();
      for (std::string_view label : split_labels(h.unicode)) h.mixed_script = h.mixed_script || sp.mixed_script(label);
    }
    idn2_free(uni);
  }
  const char* reg = psl_registrable_domain(psl_, h.ascii.c_str());
  if (reg == nullptr && !with_scheme) return std::nullopt;
  h.domain = reg != nullptr ? std::string(reg) : h.ascii;
  // Underscores occur in subdomains (DNS service labels) but never in a registrable domain.
  if (h.domain.find('_') != std::string::npos) return std::nullopt;
  if (reg != nullptr) {
    const auto dot = h.domain.find('.');
    if (dot != std::string::npos) {
      const std::string suffix = h.domain.substr(dot + 1);
      h.shared_hosting = psl_is_public_suffix2(psl_, suffix.c_str(), PSL_TYPE_PRIVATE) != 0 &&
                         psl_is_public_suffix2(psl_, suffix.c_str(), PSL_TYPE_ICANN) == 0;
    }
  }
  return h;
}

std::optional<UrlFinder::Candidate> UrlFinder::try_scheme(std::string_view t, std::size_t i) const {
  struct Scheme {
    std::string_view written;
    std::string_view normal;
    bool obfuscated;
  };
  static constexpr Scheme kSchemes[] = {{"https://", "https", false}, {"http://", "http", false},
                                        {"hxxps://", "https", true},  {"hxxp://", "http", true},
                                        {"h**ps://", "https", true},  {"h**p://", "http", true},
                                        {"ftp://", "ftp", false}};
  const Scheme* scheme = nullptr;
  for (const Scheme& s : kSchemes) {
    if (ieq_ascii(t, i, s.written)) {
      scheme = &s;
      break;
    }
  }
  if (scheme == nullptr) return std::nullopt;
  Candidate c;
  c.begin = i;
  c.scheme = std::string(scheme->normal);
  c.obfuscated_scheme = scheme->obfuscated;
  const std::size_t p = i + scheme->written.size();
  std::size_t q = p;
  while (q < t.size() && q - p < kMaxHostRunBytes && is_userinfo_byte(t[q])) ++q;
  std::size_t host_begin = p;
  if (q > p && q + 1 < t.size() && t[q] == '@') {
    c.userinfo = std::string(t.substr(p, q - p));
    host_begin = q + 1;
  }
  if (host_begin < t.size() && t[host_begin] == '[') return try_ipv6(t, std::move(c), host_begin);
  std::size_t run_end = scan_host_run(t, host_begin);
  std::size_t host_end = run_end;
  while (host_end > host_begin && t[host_end - 1] == '.') --host_end;
  if (host_end == host_begin) return std::nullopt;
  auto host = validate_host(t.substr(host_begin, host_end - host_begin), true, false);
  if (host && host->idn && !is_known_tld(host->ascii.substr(host->ascii.rfind('.') + 1))) {
    // "http://example.comだよね.comtest": keep the ASCII host when the IDN one has no known TLD.
    std::size_t k = host_begin;
    while (k < host_end && static_cast<unsigned char>(t[k]) < 0x80) ++k;
    std::size_t e = k;
    while (e > host_begin && t[e - 1] == '.') --e;
    if (e > host_begin && k < host_end) {
      auto ascii_host = validate_host(t.substr(host_begin, e - host_begin), true, false);
      if (ascii_host && !ascii_host->ip && is_known_tld(ascii_host->ascii.substr(ascii_host->ascii.rfind('.') + 1))) {
        host = std::move(ascii_host);
        host_end = e;
        run_end = k;
      }
    }
  }
  if (!host) return std::nullopt;
  c.host = std::move(*host);
  c.end = host_end;
  c.path_begin = host_end;
  if (host_end < run_end) return c;  // trailing dots: the sentence ends here
  if (c.end < t.size() && t[c.end] == ':') {
    std::size_t d = c.end + 1;
    while (d < t.size() && is_ascii_digit(static_cast<unsigned char>(t[d])) && d - c.end <= 6) ++d;
    const std::size_t digits = d - c.end - 1;
    if (digits > 0 && (digits > 5 || std::atoi(std::string(t.substr(c.end + 1, digits)).c_str()) > 65535))
      return std::nullopt;
  }
  finish_authority(t, c);
  return c;
}

// Port (RFC 3986 §3.2.3, <= 65535, already checked by the caller) and path after the host.
void UrlFinder::finish_authority(std::string_view t, Candidate& c) const {
  if (c.end < t.size() && t[c.end] == ':') {
    std::size_t d = c.end + 1;
    while (d < t.size() && is_ascii_digit(static_cast<unsigned char>(t[d])) && d - c.end <= 6) ++d;
    if (d > c.end + 1) {
      c.port = std::string(t.substr(c.end + 1, d - c.end - 1));
      c.end = d;
    }
  }
  c.path_begin = c.end;
  if (c.end < t.size() && (t[c.end] == '/' || t[c.end] == '?' || t[c.end] == '#')) {
    const std::size_t path_end = scan_path(t, c.end, c.begin);
    c.end = strip_trailing(t, c.begin, c.path_begin, path_end);
  }
}

// "http://[2001:db8::1]:8080/x": RFC 3986 §3.2.2 IP-literal, read with inet_pton, written back
// in the RFC 5952 canonical form by inet_ntop.
std::optional<UrlFinder::Candidate> UrlFinder::try_ipv6(std::string_view t, Candidate c, std::size_t host_begin) const {
  const std::size_t limit = std::min(t.size(), host_begin + kMaxIpv6Bytes);
  std::size_t close = host_begin + 1;
  while (close < limit && t[close] != ']') ++close;
  if (close >= limit) return std::nullopt;
  const std::string literal(t.substr(host_begin + 1, close - host_begin - 1));
  unsigned char addr[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, literal.c_str(), addr) != 1 || inet_ntop(AF_INET6, addr, text, sizeof text) == nullptr)
    return std::nullopt;
  c.host.ascii = text;
  c.host.domain = text;
  c.host.ip = true;
  c.host.ipv6 = true;
  c.end = close + 1;
  if (c.end < t.size() && t[c.end] == ':') {
    std::size_t d = c.end + 1;
    while (d < t.size() && is_ascii_digit(static_cast<unsigned char>(t[d])) && d - c.end <= 6) ++d;
    const std::size_t digits = d - c.end - 1;
    if (digits > 5 || (digits > 0 && std::atoi(std::string(t.substr(c.end + 1, digits)).c_str()) > 65535))
      return std::nullopt;
  }
  finish_authority(t, c);
  return c;
}

std::optional<UrlFinder::Candidate> UrlFinder::try_bare(std::string_view t, std::size_t i) const {
  Candidate c;
  c.begin = i;
  c.scheme = "http";
  c.no_scheme = true;
  std::size_t host_begin = i;
  if (t.substr(i, 2) == "//") {
    // Protocol-relative "//host"; after ':' it is the rest of a scheme we did not accept ("$http://").
    if (i + 2 >= t.size() || t[i + 2] == '/' || (i > 0 && t[i - 1] == ':')) return std::nullopt;
    host_begin = i + 2;
  }
  const std::size_t run_end = scan_host_run(t, host_begin);
  if (run_end < t.size() && t[run_end] == '@') return std::nullopt;  // the local part of an address

  auto attempt = [&](std::size_t run_stop) -> std::optional<Candidate> {
    std::size_t host_end = run_stop;
    while (host_end > host_begin && t[host_end - 1] == '.') --host_end;
    if (host_end == host_begin) return std::nullopt;
    const std::string_view written = t.substr(host_begin, host_end - host_begin);
    if (written.find('.') == std::string_view::npos) return std::nullopt;
    Candidate r = c;
    r.end = host_end;
    const bool at_run_end = host_end == run_end;
    if (at_run_end && r.end < t.size()) {
      // "today.it's": an apostrophe and a letter continue the word.
      char32_t next = 0;
      const std::size_t nl = decode_utf8(t, r.end, next);
      if ((next == '\'' || next == 0x2019) && r.end + nl < t.size()) {
        char32_t after = 0;
        decode_utf8(t, r.end + nl, after);
        if (is_letter_cp(after)) return std::nullopt;
      }
      if (t[r.end] == ':' && r.end + 1 < t.size() && is_ascii_digit(static_cast<unsigned char>(t[r.end + 1]))) {
        std::size_t d = r.end + 1;
        while (d < t.size() && is_ascii_digit(static_cast<unsigned char>(t[d])) && d - r.end <= 6) ++d;
        const std::size_t digits = d - r.end - 1;
        if (digits > 5 || std::atoi(std::string(t.substr(r.end + 1, digits)).c_str()) > 65535) return std::nullopt;
        r.port = std::string(t.substr(r.end + 1, digits));
        r.end = d;
      }
    }
    r.path_begin = r.end;
    bool has_path = false;
    if (at_run_end && r.end < t.size() && (t[r.end] == '/' || t[r.end] == '?' || t[r.end] == '#')) {
      const std::size_t path_end = scan_path(t, r.end, r.begin);
      r.end = strip_trailing(t, r.begin, r.path_begin, path_end);
      has_path = r.end > r.path_begin;
    }
    const bool www = ieq_ascii(written, 0, "www.");
    const bool two_labels = std::count(written.begin(), written.end(), '.') == 1;
    const bool strict = two_labels && !has_path && r.port.empty() && !www;
    auto host = validate_host(written, false, strict);
    if (!host) return std::nullopt;
    if (host->idn && two_labels) {
      // A one-letter word before an IDN TLD is an abbreviation ("г.москва"), not a host.
      const auto dot = written.find('.');
      char32_t first = 0;
      if (decode_utf8(written, 0, first) == dot && !is_ascii_alnum(first)) return std::nullopt;
    }
    r.host = std::move(*host);
    if (i > 0 && t[i - 1] == ':' && !has_path && !www) return std::nullopt;  // "path:to:file.pm"
    return r;
  };

  // "twitter.comこれは": in text without spaces a host ends where CJK follows ASCII directly.
  for (std::size_t k = host_begin; k < run_end;) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(t, k, cp);
    if (k > host_begin && is_cjk(cp) && static_cast<unsigned char>(t[k - 1]) < 0x80) {
      if (auto r = attempt(k)) return r;
      break;
    }
    k += len;
  }
  return attempt(run_end);
}

std::optional<EmailHit> UrlFinder::try_email(std::string_view t, std::size_t i) const {
  std::size_t p = i;
  if (ieq_ascii(t, i, "mailto:")) p += 7;
  std::size_t q = p;
  while (q < t.size() && q - p < 256 && is_local_byte(t[q])) ++q;
  if (q == p || q >= t.size() || t[q] != '@') return std::nullopt;
  if (t[p] == '.' || t[q - 1] == '.') return std::nullopt;
  const std::size_t d = q + 1;
  const std::size_t run_end = scan_host_run(t, d);
  std::size_t host_end = run_end;
  while (host_end > d && t[host_end - 1] == '.') --host_end;
  if (host_end == d) return std::nullopt;
  // Upper-case addresses are common in SMS; the mixed-case TLD guard is for bare hosts only.
  const std::string domain_lower = ascii_lower(t.substr(d, host_end - d));
  auto host = validate_host(domain_lower, false, false);
  if (!host) return std::nullopt;
  EmailHit e;
  e.begin = i;
  e.end = host_end;
  e.domain_begin = d;
  e.address = std::string(t.substr(p, q - p)) + "@" + host->ascii;
  return e;
}

UrlHit UrlFinder::make_hit(const NormalizedText& nt, const Candidate& c) {
  UrlHit hit;
  hit.begin = c.begin;
  hit.end = c.end;
  hit.unicode_host = c.host.unicode.empty() ? c.host.ascii : c.host.unicode;
  hit.userinfo = c.userinfo;
  auto& u = hit.url;
  u.raw = nt.raw(c.begin, c.end);
  u.host = c.host.ascii;
  u.domain = c.host.domain;
  const std::string_view path = std::string_view(nt.text).substr(c.path_begin, c.end - c.path_begin);
  const std::string host = c.host.ipv6 ? "[" + c.host.ascii + "]" : c.host.ascii;
  u.url = c.scheme + "://" + (c.userinfo.empty() ? "" : c.userinfo + "@") + host +
          (c.port.empty() ? "" : ":" + c.port) + std::string(path);
  if (c.no_scheme) u.flags.emplace_back("no_scheme");
  if (c.obfuscated_scheme || nt.deobfuscated_inside(c.begin, c.end)) u.flags.emplace_back("obfuscated");
  if (c.host.idn) u.flags.emplace_back("idn");
  if (c.host.mixed_script) u.flags.emplace_back("mixed_script");
  if (c.host.ip) u.flags.emplace_back("ip_literal");
  if (c.host.ipv6) u.flags.emplace_back("ipv6");
  if (c.host.ip_form != nullptr) u.flags.emplace_back(c.host.ip_form);
  if (is_shortener(c.host.ascii)) u.flags.emplace_back("shortener");
  if (c.host.shared_hosting) u.flags.emplace_back("shared_hosting");
  if (!c.userinfo.empty()) u.flags.emplace_back("userinfo");
  if (!c.port.empty()) u.flags.emplace_back("port");
  if (nt.removed_inside(c.begin, c.end)) u.flags.emplace_back("zero_width");
  return hit;
}

UrlScan UrlFinder::scan(const NormalizedText& nt) const {
  UrlScan out;
  const std::string_view t = nt.text;
  std::size_t i = 0;
  while (i < t.size()) {
    if (out.urls.size() + out.emails.size() + out.tels.size() >= kMaxUrlHits) {
      out.truncated = true;
      break;
    }
    const auto b0 = static_cast<unsigned char>(t[i]);
    if (b0 < 0x80 && !is_ascii_alnum(b0) && b0 != '/') {  // ASCII space or punctuation: as below, cheaper
      ++i;
      continue;
    }
    char32_t cur = 0;
    const std::size_t len = decode_utf8(t, i, cur);
    if (!(is_word_cp(cur) || cur == '/')) {
      i += len;
      continue;
    }
    {
      // A word (letters, digits, marks of any script) followed by none of . @ : / - _ % + holds
      // no URL, e-mail or tel: start: inside it every position follows a letter or digit, and a
      // host, scheme or address would need one of those characters. Skip it whole. (A word in a
      // script written without spaces, "これはhttp", ends at the ':' and is not skipped.)
      std::size_t w = i;
      bool cjk = false;
      while (w < t.size()) {
        const auto b = static_cast<unsigned char>(t[w]);
        if (b < 0x80) {
          if (!is_ascii_alnum(b)) break;
          ++w;
          continue;
        }
        char32_t c = 0;
        const std::size_t l = decode_utf8(t, w, c);
        if (!is_word_cp(c)) break;
        cjk = cjk || is_cjk(c);
        w += l;
      }
      auto may_continue = [](char c) {
        return c == '.' || c == '@' || c == ':' || c == '/' || c == '-' || c == '_' || c == '%' || c == '+' ||
               c == '*';  // "h**p://"
      };
      if (w > i && !cjk && (w == t.size() || !may_continue(t[w]))) {
        i = w;
        continue;
      }
    }
    char32_t prev = 0;
    if (i > 0) decode_utf8_before(t, i, prev);

    if (is_ascii_alpha(cur) && scheme_boundary(prev)) {
      if (ieq_ascii(t, i, "tel:") && i + 4 < t.size() && (t[i + 4] == '+' || is_ascii_digit(static_cast<unsigned char>(t[i + 4])))) {
        std::size_t e = i + 4;
        while (e < t.size() && (is_ascii_digit(static_cast<unsigned char>(t[e])) ||
                                std::string_view("+-.() ").find(t[e]) != std::string_view::npos) && e - i < 40)
          ++e;
        while (e > i + 4 && !is_ascii_digit(static_cast<unsigned char>(t[e - 1]))) --e;
        if (e > i + 4) {
          out.tels.push_back(TelHit{i, e, i + 4, std::string(t.substr(i + 4, e - i - 4))});
          i = e;
          continue;
        }
      }
      if (auto c = try_scheme(t, i)) {
        out.urls.push_back(make_hit(nt, *c));
        i = c->end;
        continue;
      }
    }
    if (bare_boundary(prev, cur)) {
      if (auto e = try_email(t, i)) {
        // "swedbank.lv@evil.com/login" is no address: a path makes it a URL with userinfo.
        if (e->end < t.size() && t[e->end] == '/' && e->address.rfind("mailto:", 0) != 0 &&
            !ieq_ascii(t, i, "mailto:")) {
          if (auto c = try_bare(t, e->domain_begin)) {
            c->begin = i;
            c->userinfo = std::string(t.substr(i, e->domain_begin - 1 - i));
            out.urls.push_back(make_hit(nt, *c));
            i = c->end;
            continue;
          }
        }
        i = e->end;
        out.emails.push_back(std::move(*e));
        continue;
      }
      if (auto c = try_bare(t, i)) {
        out.urls.push_back(make_hit(nt, *c));
        i = c->end;
        continue;
      }
    }
    i += next_cp_len(t, i);
  }
  return out;
}

}  // namespace smish::classifier::detail
