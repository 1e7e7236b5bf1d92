// Report digests and indicator summaries: a fixed binary layout of varints and length-prefixed
// strings. Written by hand rather than as MessagePack through the JSON DOM because reading them is
// the whole cost of `top` and `stats` (tens of thousands of digests a call, all of them for
// `stats` over all time), and the DOM's allocations were most of that cost; the layout is private
// to the store and versioned by its first byte.
#include "smish/storage/digest.hpp"

#include <algorithm>
#include <tuple>

namespace smish::storage {
namespace {

constexpr char kDigestFormat = 1;
constexpr char kSummaryFormat = 1;
constexpr char kCampaignFormat = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out += s;
}

void put_list(std::string& out, const std::vector<std::string>& list) {
  put_varint(out, list.size());
  for (const auto& s : list) put_string(out, s);
}

/// Reads from the front of `in`; every read checks what is left and fails rather than read past.
struct Reader {
  std::string_view in;
  bool ok = true;

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok; shift += 7) {
      if (in.empty()) break;
      const auto byte = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    ok = false;  // cut short, or more than ten bytes
    return 0;
  }
  void string(std::string& out) {
    const auto n = varint();
    if (!ok || n > in.size()) {
      ok = false;
      return;
    }
    out.assign(in.data(), n);
    in.remove_prefix(n);
  }
  void list(std::vector<std::string>& out) {
    const auto n = varint();
    // Each entry takes at least its length byte: a count beyond what is left is corrupt (and is
    // refused before anything is allocated for it).
    if (!ok || n > in.size()) {
      ok = false;
      return;
    }
    out.resize(n);
    for (auto& s : out) string(s);
  }
  char byte() {
    if (in.empty()) {
      ok = false;
      return 0;
    }
    const char c = in.front();
    in.remove_prefix(1);
    return c;
  }
};

core::Status corrupt(const char* what) { return core::make_error(core::ErrorCode::Corruption, what); }

}  // namespace

ReportDigest digest_of(const core::Report& r) {
  ReportDigest d;
  d.id = r.id;
  d.received_ms = r.received_ms;
  d.label = r.verdict.label;
  d.reporter = r.reporter;
  d.reporter_country = r.reporter_country;
  d.category = r.verdict.category;
  d.campaign = r.campaign;
  d.reported_sender = r.reported_sender;
  for (const auto& n : r.extraction.numbers) d.numbers.push_back(n.e164);
  for (const auto& u : r.extraction.urls) {
    d.urls.push_back(u.url);
    d.hosts.push_back(u.host);
    d.domains.push_back(u.domain);
  }
  d.sender_ids = r.extraction.sender_ids;
  return d;
}

std::string encode_digest(const ReportDigest& d) {
  std::string out;
  out.reserve(96);
  out += kDigestFormat;
  put_varint(out, static_cast<std::uint64_t>(d.received_ms));
  out += static_cast<char>(d.label);
  for (const auto* s : {&d.reporter, &d.reporter_country, &d.category, &d.campaign, &d.reported_sender}) put_string(out, *s);
  for (const auto* l : {&d.numbers, &d.urls, &d.hosts, &d.domains, &d.sender_ids}) put_list(out, *l);
  return out;
}

core::Status decode_digest(std::string_view bytes, ReportDigest& d) {
  Reader r{bytes};
  if (r.byte() != kDigestFormat) return corrupt("report digest: unknown format");
  d.received_ms = static_cast<std::int64_t>(r.varint());
  const auto label = static_cast<unsigned char>(r.byte());
  if (label > static_cast<unsigned char>(core::Label::Legit)) return corrupt("report digest: unknown label");
  d.label = static_cast<core::Label>(label);
  for (auto* s : {&d.reporter, &d.reporter_country, &d.category, &d.campaign, &d.reported_sender}) r.string(*s);
  for (auto* l : {&d.numbers, &d.urls, &d.hosts, &d.domains, &d.sender_ids}) r.list(*l);
  if (!r.ok) return corrupt("report digest: cut short");
  if (!r.in.empty()) return corrupt("report digest: bytes after the end");
  return {};
}

IndicatorSummary summary_of(const core::Indicator& i) {
  return {i.distinct_reporters, i.total_reports, i.last_seen_ms,
          std::find(i.flags.begin(), i.flags.end(), "reported_sender") != i.flags.end()};
}

std::string encode_summary(const IndicatorSummary& s) {
  std::string out(1, kSummaryFormat);
  put_varint(out, s.distinct_reporters);
  put_varint(out, s.total_reports);
  put_varint(out, static_cast<std::uint64_t>(s.last_seen_ms));
  out += static_cast<char>(s.reported_sender ? 1 : 0);
  return out;
}

core::Status decode_summary(std::string_view bytes, IndicatorSummary& s) {
  Reader r{bytes};
  if (r.byte() != kSummaryFormat) return corrupt("indicator summary: unknown format");
  s.distinct_reporters = r.varint();
  s.total_reports = r.varint();
  s.last_seen_ms = static_cast<std::int64_t>(r.varint());
  const char flag = r.byte();
  if (!r.ok) return corrupt("indicator summary: cut short");
  if (flag != 0 && flag != 1) return corrupt("indicator summary: bad flag");
  if (!r.in.empty()) return corrupt("indicator summary: bytes after the end");
  s.reported_sender = flag == 1;
  return {};
}

void vote(CategoryVotes& votes, const std::string& category, std::int64_t delta) {
  for (auto it = votes.begin(); it != votes.end(); ++it)
    if (it->first == category) {
      const auto n = static_cast<std::int64_t>(it->second) + delta;
      if (n <= 0) votes.erase(it);
      else it->second = static_cast<std::uint64_t>(n);
      return;
    }
  if (delta > 0) votes.emplace_back(category, static_cast<std::uint64_t>(delta));
}

std::string encode_summary(const CampaignSummary& s) {
  std::string out(1, kCampaignFormat);
  put_varint(out, s.reports);
  put_varint(out, s.distinct_reporters);
  put_varint(out, static_cast<std::uint64_t>(s.last_seen_ms));
  put_varint(out, s.categories.size());
  for (const auto& [c, n] : s.categories) {
    put_string(out, c);
    put_varint(out, n);
  }
  return out;
}

core::Status decode_summary(std::string_view bytes, CampaignSummary& s) {
  Reader r{bytes};
  if (r.byte() != kCampaignFormat) return corrupt("campaign summary: unknown format");
  s.reports = r.varint();
  s.distinct_reporters = r.varint();
  s.last_seen_ms = static_cast<std::int64_t>(r.varint());
  const auto n = r.varint();
  if (!r.ok || n > r.in.size()) return corrupt("campaign summary: cut short");
  s.categories.resize(n);
  for (auto& [c, votes] : s.categories) {
    r.string(c);
    votes = r.varint();
  }
  if (!r.ok) return corrupt("campaign summary: cut short");
  if (!r.in.empty()) return corrupt("campaign summary: bytes after the end");
  return {};
}

}  // namespace smish::storage
