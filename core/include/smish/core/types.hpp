// Domain types shared by every component: inbound segments, extraction results, verdicts, reports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smish::core {

/// An SMPP address (SMPP 3.4 §5.2.5 addr_ton, §5.2.6 addr_npi).
struct SmppAddress {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string addr;
};

/// Where the concatenation facts of a segment came from.
enum class ConcatSource : std::uint8_t { Udh8 = 0, Udh16 = 1, Sar = 2 };
std::string_view to_string(ConcatSource s);

/// One part of a concatenated message (3GPP TS 23.040 §9.2.3.24.1, SMPP 3.4 §5.3.2.22-24).
struct ConcatInfo {
  ConcatSource source = ConcatSource::Udh8;
  std::uint16_t ref = 0;    ///< reference number, common to all parts
  std::uint8_t total = 1;   ///< number of parts, 1..255
  std::uint8_t seq = 1;     ///< this part, 1..total
};

/// Text decoding outcome flags, stored on the report.
enum TextFlags : std::uint32_t {
  kTextUndecodable = 1u << 0,  ///< some octets could not be decoded; U+FFFD stands in for them
  kTextGap = 1u << 1,          ///< concatenation timed out with parts missing; a gap marker is in the text
  kTextBinary = 1u << 2,       ///< binary data_coding: stored, not analysed
  kTextTrailingNul = 1u << 3,  ///< trailing NUL octets some SMSCs append were dropped
};

/// One deliver_sm as received, with the UDH removed: what the ack path makes durable before
/// deliver_sm_resp. Text decoding happens after reassembly (a GSM escape or a surrogate pair may
/// straddle parts).
struct InboundSegment {
  std::string smsc;                  ///< configured endpoint name
  SmppAddress source;                ///< the reporter
  SmppAddress dest;                  ///< the short code
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t data_coding = 0;
  std::optional<ConcatInfo> concat;  ///< set for parts of a concatenated message
  std::string user_data;             ///< short_message or message_payload octets, UDH removed
  std::uint8_t udh_length = 0;       ///< octets of the removed UDH, UDHL included (septet alignment when packed)
  std::string raw_pdu;               ///< the PDU as received, header included
  std::int64_t received_ms = 0;      ///< Unix ms when it arrived

  /// Content identity for redelivery detection: source, destination, data_coding, concatenation
  /// facts and the payload octets, hashed (SHA-256 prefix, hex). Two redeliveries of one PDU match.
  std::string fingerprint() const;
};

/// SMPP 3.4 §5.2.12 esm_class message type bits: 0x04 SMSC delivery receipt, 0x08 SME delivery
/// acknowledgement, 0x10 manual/user acknowledgement, 0x20 conversation abort, 0x20|0x04 intermediate.
inline bool is_delivery_receipt(std::uint8_t esm_class) { return (esm_class & 0x3C) != 0; }

/// A phone number found in a text.
struct ExtractedNumber {
  std::string e164;                 ///< normalised, "+37120000001"; for short codes the digits as written
  std::string raw;                  ///< as written in the text
  std::string region;               ///< ISO 3166 country of the number, "LV"
  std::vector<std::string> flags;   ///< how it was found and what it is: short_code, emergency, in_url, ...
};

/// A URL found in a text.
struct ExtractedUrl {
  std::string url;                  ///< normalised: lowercase scheme and host, http:// added if absent
  std::string raw;                  ///< as written
  std::string host;                 ///< lowercase, punycode for IDN
  std::string domain;               ///< registrable domain (PSL), or the IP itself
  std::vector<std::string> flags;   ///< no_scheme, obfuscated, idn, ip_literal, shortener, ...
};

/// Everything extraction found in one text.
struct Extraction {
  std::vector<ExtractedNumber> numbers;
  std::vector<ExtractedUrl> urls;
  std::vector<std::string> emails;
  std::vector<std::string> flags;   ///< message-level evidence: asks_for_code, ...
  std::vector<std::string> ibans;   ///< ISO 13616 IBANs, upper case without spaces, check digits valid
  std::vector<std::string> sender_ids;  ///< alphanumeric sender IDs the text names (not a brand's own)
};

/// Classifier outcome.
enum class Label : std::uint8_t { Unclear = 0, Scam = 1, Spam = 2, Legit = 3 };
std::string_view to_string(Label label);
std::optional<Label> parse_label(std::string_view text);

/// A classification with its evidence.
struct Verdict {
  Label label = Label::Unclear;
  std::string category = "unknown";  ///< taxonomy: credential_phishing, operator_impersonation, ...
  double score = 0.0;                ///< scam likelihood in [0, 1]
  std::vector<std::string> reasons;  ///< human-readable, one per piece of evidence
  std::string language;              ///< detected language code, "lv", "ru", ...
  std::string model_version;         ///< "rules-1", ...
};

/// A stored report: one forwarded message, decoded, extracted and classified.
struct Report {
  std::uint64_t id = 0;
  std::int64_t received_ms = 0;
  std::string reporter;               ///< pseudonym: hex HMAC-SHA-256 of the E.164 number
  std::string reporter_country;       ///< ISO 3166 from the reporter's number, "" if unknown
  std::string smsc;
  std::string dest;                   ///< the short code it was sent to
  std::uint8_t data_coding = 0;
  std::uint32_t text_flags = 0;       ///< TextFlags
  std::uint8_t parts = 1;             ///< segments it was assembled from
  std::string text;                   ///< decoded UTF-8 (empty after retention)
  std::vector<std::string> raw_pdus;  ///< as received (empty after retention)
  Extraction extraction;
  Verdict verdict;
  std::optional<Label> analyst_label;
  std::string campaign;               ///< near-duplicate cluster, "c-<16 hex>" (classifier/campaign.hpp); "" if none
  std::string reported_sender;        ///< the scammer's number or sender ID, from the two-step conversation
  /// Stored but weighing nothing on the indicators: the reporter was over its hourly or daily
  /// rate cap when it arrived (blocklist.reporter_max_per_hour / _per_day).
  bool rate_capped = false;
  /// Set when retention reduced the report: text and PDUs dropped, what is left of the text is
  /// this fingerprint (16 hex of SHA-256 of the decoded text) beside the campaign id.
  std::string text_fingerprint;
};

/// Indicator kinds, each with its key prefix in storage and export.
enum class IndicatorKind : std::uint8_t { Number = 0, Url = 1, Host = 2, Domain = 3, SenderId = 4 };
std::string_view to_string(IndicatorKind kind);
std::optional<IndicatorKind> parse_indicator_kind(std::string_view text);

/// Listing status of an indicator (issue: storage and indicator intelligence).
enum class IndicatorStatus : std::uint8_t {
  Observed = 0, Suspected = 1, Listed = 2, Confirmed = 3, Allowlisted = 4, Revoked = 5, Expired = 6
};
std::string_view to_string(IndicatorStatus status);
std::optional<IndicatorStatus> parse_indicator_status(std::string_view text);
/// Listed and Confirmed are what the blocklists carry.
inline bool is_blocked(IndicatorStatus s) { return s == IndicatorStatus::Listed || s == IndicatorStatus::Confirmed; }

/// Aggregated intelligence about one indicator.
struct Indicator {
  IndicatorKind kind = IndicatorKind::Number;
  std::string value;                          ///< E.164, normalised URL, host, domain, sender id
  std::uint64_t total_reports = 0;
  std::map<std::string, std::int64_t> reporters;  ///< reporter pseudonym -> last report ms (bounded)
  std::uint64_t distinct_reporters = 0;       ///< exact while reporters is not full, a lower bound after
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::map<std::string, std::uint64_t> categories;  ///< votes by category
  double max_score = 0.0;
  std::vector<std::string> flags;             ///< union of extraction flags
  IndicatorStatus status = IndicatorStatus::Observed;
  std::string status_reason;
  std::string status_actor;                   ///< "policy", "analyst:<name>"
  std::int64_t status_ms = 0;
  std::int64_t expires_ms = 0;                ///< 0: no expiry set
  std::vector<std::uint64_t> recent_reports;  ///< newest last, bounded
  std::map<std::string, std::uint64_t> campaigns;  ///< reports by campaign id (bounded)
  std::map<std::string, std::uint64_t> daily;      ///< reports by UTC day "YYYY-MM-DD" (the newest days, bounded)
  /// The reporters of `reporters` who were first-time reporters (first report to the service less
  /// than blocklist.newcomer_age_h before) when they first reported this indicator. Sorted.
  std::vector<std::string> newcomers;
  /// HyperLogLog registers of every reporter once `reporters` is full (empty before): the
  /// distinct count beyond the exact bound (blocklist/sketch.hpp).
  std::string sketch;

  /// The most voted category, "unknown" when none.
  std::string top_category() const;
};

/// The name with the most votes among (name, votes) pairs (a map or a flat list), ties going to
/// the first name in order; `none` when no name has a positive count.
template <typename Votes>
std::string most_voted(const Votes& votes, std::string_view none = "unknown") {
  const typename Votes::value_type* best = nullptr;
  for (const auto& v : votes)
    if (v.second > 0 && (!best || v.second > best->second || (v.second == best->second && v.first < best->first))) best = &v;
  return best ? std::string(best->first) : std::string(none);
}

}  // namespace smish::core
