// The export formats' building blocks: value validation, escaping, STIX patterns and ids, RPZ names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smish/core/types.hpp"

namespace smish::blocklist {

/// What the export makes of a stored value.
struct ExportValue {
  std::string value;  ///< normalised: lowercase host names without a trailing dot, URLs percent-encoded
  bool ip = false;    ///< a domain or host that is an IPv4 literal (no RPZ QNAME trigger can match it)
};

/// Normalises and validates `value` for the blocklists; nullopt when it must never be published
/// (it would break a line-based format, the zone file, or block far more than one scam):
/// - numbers: E.164, '+' and 7..15 digits, no leading zero;
/// - sender ids: 1..11 printable ASCII characters, no leading or trailing space;
/// - domains and hosts: ASCII host names (LDH and '_', punycode for IDN) of at least two labels,
///   labels 1..63 octets, 253 octets in all, or an IPv4 literal; lowercased, trailing dot removed;
/// - URLs: http or https, a valid host, no whitespace or control characters, octets >= 0x80
///   percent-encoded, at most 2048 octets.
/// Pure; any thread.
std::optional<ExportValue> normalize_export_value(core::IndicatorKind kind, std::string_view value);

/// The host of an absolute http(s) URL (user info and port removed), lowercased; "" when none.
std::string url_host(std::string_view url);

/// Appends `text` as a JSON string literal (quotes included) to `out`. Control characters are
/// escaped; invalid UTF-8 octets become U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

/// Appends `text` as one CSV field (RFC 4180: quoted when it holds a comma, quote or line break).
void append_csv_field(std::string& out, std::string_view text);

/// The STIX 2.1 pattern (STIX 2.1 §9) for an indicator: `[domain-name:value = 'x']` for domains
/// and hosts, `[url:value = 'x']`, `[ipv4-addr:value = 'x']` for IP literals, and the custom
/// object types `x-smishd-phone-number` and `x-smishd-sender-id` for numbers and sender ids
/// (STIX has no cyber-observable for either). Quotes and backslashes are escaped (§9.2.3).
std::string stix_pattern(core::IndicatorKind kind, std::string_view value, bool ip);
/// stix_pattern() appended to `out` (no allocation once `out` has the capacity).
void append_stix_pattern(std::string& out, core::IndicatorKind kind, std::string_view value, bool ip);

/// Name-based UUID (RFC 4122 §4.3, version 5, SHA-1) of `name` in smishd's own namespace, as
/// 36 lowercase characters. STIX ids of the same indicator are therefore stable across exports.
std::string uuid5(std::string_view name);
/// uuid5(prefix + name) appended to `out`, without building the name.
void append_uuid5(std::string& out, std::string_view prefix, std::string_view name);

/// Appends `unix_ms` as RFC 3339 UTC with milliseconds (the STIX timestamp form) to `out`;
/// the same text as core::format_utc, without allocating.
void append_utc(std::string& out, std::int64_t unix_ms);

/// True when `owner` (a host name, or "*." and one) under `zone` fits a DNS name: 255 octets on
/// the wire (RFC 1035 §2.3.4), i.e. at most 253 characters in text.
bool fits_dns_name(std::string_view owner, std::string_view zone);

}  // namespace smish::blocklist
