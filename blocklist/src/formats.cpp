// Validation, escaping and naming shared by every export format (CSV, text, JSON, RPZ, STIX).
#include "smish/blocklist/formats.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <climits>
#include <memory>

#include <openssl/evp.h>

namespace smish::blocklist {
namespace {

// E.164 (ITU-T E.164 §6): at most 15 digits. The shortest assigned international numbers have 7
// digits (e.g. +683 and four digits); anything shorter is a short code or an emergency number,
// which must never reach a blocklist.
constexpr std::size_t kE164MinDigits = 7;
constexpr std::size_t kE164MaxDigits = 15;
// 3GPP TS 23.040 §9.1.2.5: an alphanumeric originator address holds at most 11 characters.
constexpr std::size_t kSenderIdMax = 11;
// RFC 1035 §2.3.4: labels of 63 octets, names of 255 octets on the wire (253 in text).
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 253;
// Longer than any link an SMS practically carries; bounds the line length of every format.
constexpr std::size_t kMaxUrl = 2048;

bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = i;
    int v = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 3) v = v * 10 + (s[j++] - '0');
    if (j == i || v > 255 || (j - i > 1 && s[i] == '0')) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

/// Lowercases and validates a host name; nullopt when it is not one.
std::optional<ExportValue> normalize_host(std::string_view in) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty() || in.size() > kMaxName) return std::nullopt;
  std::string out(in);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (is_ipv4(out)) return ExportValue{std::move(out), true};
  std::size_t labels = 0, start = 0;
  while (start <= out.size()) {
    auto end = out.find('.', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view label(out.data() + start, end - start);
    if (label.empty() || label.size() > kMaxLabel || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return std::nullopt;
    ++labels;
    start = end + 1;
  }
  // A bare top-level domain would block a whole country or namespace: never one label.
  if (labels < 2) return std::nullopt;
  // An all-numeric last label is no TLD: a mistyped IP address, not a host.
  const std::string_view last = std::string_view(out).substr(out.rfind('.') + 1);
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return ExportValue{std::move(out), false};
}

std::optional<ExportValue> normalize_url(std::string_view in) {
  std::size_t scheme_len = 0;
  if (in.size() > 7 && (in.substr(0, 7) == "http://" || in.substr(0, 7) == "HTTP://")) scheme_len = 7;
  else if (in.size() > 8 && (in.substr(0, 8) == "https://" || in.substr(0, 8) == "HTTPS://")) scheme_len = 8;
  else return std::nullopt;
  std::string out;
  out.reserve(in.size() + 8);
  for (std::size_t i = 0; i < scheme_len; ++i) out += static_cast<char>(in[i] | 0x20);  // lowercase scheme
  const auto authority_end = in.find_first_of("/?#", scheme_len);
  const auto authority = in.substr(scheme_len, authority_end == std::string_view::npos ? std::string_view::npos
                                                                                      : authority_end - scheme_len);
  // User info has no place in a blocklisted link and hides the real host from naive readers.
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  auto host_part = authority;
  std::string_view port;
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host_part = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  }
  auto host = normalize_host(host_part);
  if (!host) return std::nullopt;
  out += host->value;
  if (!port.empty()) {
    out += ':';
    out += port;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = authority_end == std::string_view::npos ? in.size() : authority_end; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c <= 0x20 || c == 0x7F) return std::nullopt;  // whitespace or control: would split a line
    if (c >= 0x80) {                                    // RFC 3986 §2.1 percent-encoding
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() > kMaxUrl) return std::nullopt;
  return ExportValue{std::move(out), false};
}

/// Length of the valid UTF-8 sequence at s[i], 0 when it is not one.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;  // overlong
  if (n == 3) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return 0;  // overlong, surrogate
  }
  if (n == 4) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) return 0;
  }
  return n;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<ExportValue> normalize_export_value(core::IndicatorKind kind, std::string_view value) {
  using K = core::IndicatorKind;
  switch (kind) {
    case K::Number: {
      if (value.size() < 1 + kE164MinDigits || value.size() > 1 + kE164MaxDigits || value[0] != '+' || value[1] == '0')
        return std::nullopt;
      // A loop, not find_first_not_of: that looks each digit up in the set with a memchr call.
      for (std::size_t i = 1; i < value.size(); ++i)
        if (value[i] < '0' || value[i] > '9') return std::nullopt;
      return ExportValue{std::string(value), false};
    }
    case K::SenderId: {
      if (value.empty() || value.size() > kSenderIdMax || value.front() == ' ' || value.back() == ' ') return std::nullopt;
      for (char c : value)
        if (c < 0x20 || c > 0x7E) return std::nullopt;
      return ExportValue{std::string(value), false};
    }
    case K::Domain:
    case K::Host: return normalize_host(value);
    case K::Url: return normalize_url(value);
  }
  return std::nullopt;
}

std::string url_host(std::string_view url) {
  auto start = url.find("://");
  if (start == std::string_view::npos) return "";
  start += 3;
  auto end = url.find_first_of("/?#", start);
  std::string host(url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  if (auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.erase(colon);
  for (char& c : host)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return host;
}

// Octets a JSON string holds as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlainJson = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one append (the common case: all of it).
    std::size_t j = i;
    while (j < s.size() && kPlainJson[static_cast<unsigned char>(s[j])]) ++j;
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
    } else if (auto n = utf8_len(s, i); n > 0) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\\ufffd";  // an invalid octet: replaced, never an invalid document
      ++i;
    }
  }
  out += '"';
}

void append_csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string stix_pattern(core::IndicatorKind kind, std::string_view value, bool ip) {
  std::string out;
  append_stix_pattern(out, kind, value, ip);
  return out;
}

void append_stix_pattern(std::string& out, core::IndicatorKind kind, std::string_view value, bool ip) {
  using K = core::IndicatorKind;
  std::string_view object = "domain-name";
  switch (kind) {
    case K::Number: object = "x-smishd-phone-number"; break;
    case K::SenderId: object = "x-smishd-sender-id"; break;
    case K::Url: object = "url"; break;
    case K::Domain:
    case K::Host: object = ip ? "ipv4-addr" : "domain-name"; break;
  }
  out += '[';
  out += object;
  out += ":value = '";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += "']";
}

std::string uuid5(std::string_view name) {
  std::string out;
  out.reserve(36);
  append_uuid5(out, {}, name);
  return out;
}

void append_uuid5(std::string& out, std::string_view prefix, std::string_view name) {
  // smishd's namespace for name-based ids (a fixed random UUID, RFC 4122 §4.3 step 1).
  static constexpr std::array<unsigned char, 16> kNamespace = {0x6f, 0x1c, 0x0b, 0x3e, 0x5d, 0x2a, 0x4b, 0x7e,
                                                               0x9a, 0x41, 0x2c, 0x8d, 0x3e, 0x5f, 0x7a, 0x10};
  // One digest context per thread, reused: a million ids per export. The algorithm is fetched
  // from OpenSSL's provider once (EVP_sha1() makes EVP_DigestInit_ex look it up again on every
  // call: 6.5 % of the export's CPU went to that look-up) and kept for the process's life.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (!ctx || !sha1 || EVP_DigestInit_ex(ctx.get(), sha1, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kNamespace.data(), kNamespace.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), name.data(), name.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1 ||
      len < 16)
    md.fill(0);  // OpenSSL out of memory: a nil-derived id is still well-formed
  md[6] = static_cast<unsigned char>((md[6] & 0x0F) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  std::size_t n = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[n++] = '-';
    text[n++] = kHex[md[i] >> 4];
    text[n++] = kHex[md[i] & 0xF];
  }
  out.append(text, sizeof text);
}

void append_utc(std::string& out, std::int64_t unix_ms) {
  std::int64_t secs = unix_ms / 1000;
  int millis = static_cast<int>(unix_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  int sod = static_cast<int>(secs % 86400);
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // The date part of the last days seen, per thread: an export writes millions of timestamps,
  // and an indicator's first seen, last seen, status and expiry fall on a few dozen days.
  struct Day {
    std::int64_t days = INT64_MIN;
    char text[11];  // "YYYY-MM-DDT"
  };
  thread_local std::array<Day, 64> dates;
  Day& d = dates[static_cast<std::size_t>(days) & 63];
  if (d.days != days) {
    // Days since 1970-01-01 to a proleptic Gregorian date, by 400-year eras of 146097 days.
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {  // outside RFC 3339's four-digit years: clamp, never garble
      out += year < 0 ? "0000-01-01T00:00:00.000Z" : "9999-12-31T23:59:59.999Z";
      return;
    }
    auto put = [&](int pos, std::int64_t v, int width) {
      for (int k = width - 1; k >= 0; --k) {
        d.text[pos + k] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    };
    put(0, year, 4);
    d.text[4] = '-';
    put(5, month, 2);
    d.text[7] = '-';
    put(8, day, 2);
    d.text[10] = 'T';
    d.days = days;
  }
  char buf[24];
  std::memcpy(buf, d.text, 11);
  auto two = [&](int pos, int v) {
    buf[pos] = static_cast<char>('0' + v / 10);
    buf[pos + 1] = static_cast<char>('0' + v % 10);
  };
  two(11, sod / 3600);
  buf[13] = ':';
  two(14, sod / 60 % 60);
  buf[16] = ':';
  two(17, sod % 60);
  buf[19] = '.';
  buf[20] = static_cast<char>('0' + millis / 100);
  two(21, millis % 100);
  buf[23] = 'Z';
  out.append(buf, 24);
}

bool fits_dns_name(std::string_view owner, std::string_view zone) {
  return owner.size() + 1 + zone.size() <= kMaxName;
}

}  // namespace smish::blocklist
