// The ack path (pseudonymise, store synced) and the processing after it (reassemble, classify, index).
#include "smish/app/pipeline.hpp"

#include <algorithm>
#include <set>

#include "smish/core/log.hpp"

namespace smish::app {
namespace {

using gateway::text::TextOptions;

/// Overwrites the source_addr of a stored deliver_sm with '*': the reporter's number is kept only
/// as a pseudonym (SMPP 3.4 §4.6.1: service_type, source_addr_ton, source_addr_npi, source_addr).
std::string mask_source_addr(std::string pdu) {
  std::size_t pos = 16;
  const auto service_end = pdu.find('\0', pos);
  if (service_end == std::string::npos) return pdu;
  pos = service_end + 1 + 2;
  for (; pos < pdu.size() && pdu[pos] != '\0'; ++pos) pdu[pos] = '*';
  return pdu;
}

constexpr std::string_view kGapMarker = " [\xE2\x80\xA6] ";  // " […] " where parts never arrived

}  // namespace

gateway::text::DecodedText decode_parts(const std::vector<const core::InboundSegment*>& parts,
                                        const gateway::text::TextOptions& options) {
  namespace text = gateway::text;
  if (parts.empty()) return {};
  const auto dcs = parts.front()->data_coding;
  if (!(options.gsm7_packed && !options.dcs0_override && text::charset_for(dcs, options) == text::Charset::Gsm7)) {
    std::string octets;
    for (const auto* p : parts) octets += p->user_data;
    return text::decode(dcs, octets, options);
  }
  std::string septets;
  for (const auto* p : parts) {
    // Septets start on a septet boundary after the UDH: fill bits = (7 - UDH bits mod 7) mod 7.
    const int fill = p->udh_length ? (7 - (p->udh_length * 8) % 7) % 7 : 0;
    const std::size_t bits = p->user_data.size() * 8;
    if (bits < static_cast<std::size_t>(fill)) continue;
    std::size_t count = (bits - fill) / 7;
    std::string part = text::unpack_septets(p->user_data, count, fill);
    // 3GPP TS 23.038 §6.1.2.1.1: when the septets leave exactly seven spare bits, they hold <CR>
    // as padding. Those bits then decode as one more septet: a final <CR> there is not text.
    if ((bits - fill) % 7 == 0 && !part.empty() && part.back() == 0x0D) part.pop_back();
    septets += part;
  }
  return text::decode_as(text::Charset::Gsm7, septets, /*gsm7_packed=*/false);
}

std::string reporter_number(const core::SmppAddress& source, std::string_view default_region) {
  std::string addr = source.addr;
  if (source.ton == 5) return addr;  // alphanumeric (SMPP 3.4 §5.2.5)
  if (source.ton == 1) {
    if (!addr.empty() && addr[0] != '+') addr.insert(0, "+");
    return addr;
  }
  if (auto e164 = classifier::to_e164(addr, default_region)) return *e164;
  return addr;
}

Analysis analyze_text(const classifier::Extractor& extractor, const classifier::Classifier& classifier,
                      std::string_view text, std::string_view region) {
  Analysis a;
  a.extraction = extractor.extract(text, region);
  a.verdict = classifier.classify(text, a.extraction, region);
  return a;
}

core::Json analysis_json(const core::Json& id, const Analysis& a) {
  core::Json numbers = core::Json::array(), urls = core::Json::array(), domains = core::Json::array();
  core::Json flags = core::Json::object();
  for (const auto& n : a.extraction.numbers) {
    numbers.push_back(n.e164);
    flags[n.e164] = n.flags;
  }
  std::set<std::string> seen_domains;
  for (const auto& u : a.extraction.urls) {
    urls.push_back(u.url);
    flags[u.url] = u.flags;
    if (!u.domain.empty() && seen_domains.insert(u.domain).second) domains.push_back(u.domain);
  }
  return core::Json{{"id", id},
                    {"numbers", numbers},
                    {"urls", urls},
                    {"domains", domains},
                    {"emails", a.extraction.emails},
                    {"ibans", a.extraction.ibans},
                    {"sender_ids", a.extraction.sender_ids},
                    {"label", core::to_string(a.verdict.label)},
                    {"category", a.verdict.category},
                    {"score", a.verdict.score},
                    {"language", a.verdict.language},
                    {"reasons", a.verdict.reasons},
                    {"flags", flags},
                    {"message_flags", a.extraction.flags}};
}

Pipeline::Pipeline(storage::Store& store, const storage::Pseudonymizer& pseudonymizer,
                   const classifier::Extractor& extractor, const classifier::Classifier& classifier,
                   PipelineOptions options, const core::Clock& clock)
    : store_(store), pseudonymizer_(pseudonymizer), extractor_(extractor), classifier_(classifier),
      options_(std::move(options)), clock_(clock) {}

std::vector<core::AcceptStatus> Pipeline::accept(std::span<const core::InboundSegment> segments) {
  std::vector<storage::InboxEntry> entries;
  entries.reserve(segments.size());
  for (const auto& seg : segments) {
    storage::InboxEntry e;
    e.segment = seg;
    // The fingerprint is computed on the segment as received; afterwards only the pseudonym remains.
    const std::string number = reporter_number(seg.source, options_.default_region);
    e.reporter_country = number.starts_with('+') ? classifier::region_of(number) : "";
    e.segment.source.addr = pseudonymizer_.pseudonym(number);
    e.segment.raw_pdu = mask_source_addr(seg.raw_pdu);
    entries.push_back(std::move(e));
  }
  // De-duplication is by the content as received, so fingerprint before the number is replaced.
  std::vector<storage::InboxEntry> keyed = entries;
  for (std::size_t i = 0; i < keyed.size(); ++i) keyed[i].segment.source.addr = entries[i].segment.source.addr;
  auto stored = store_.store_inbound(keyed, core::to_unix_ms(clock_.now()));
  std::vector<core::AcceptStatus> out(segments.size(), core::AcceptStatus::TemporaryFailure);
  if (!stored) {
    stats_.store_failures += segments.size();
    core::log_error("store_inbound_failed", {{"segments", segments.size()}, {"error", stored.error().message()}});
    return out;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if ((*stored)[i]) {
      ++stats_.accepted;
      out[i] = core::AcceptStatus::Stored;
    } else {
      ++stats_.duplicates;
      out[i] = core::AcceptStatus::Duplicate;
    }
  }
  return out;
}

void Pipeline::on_receipt(const core::InboundSegment& receipt) {
  (void)receipt;
  ++stats_.receipts;
}

void Pipeline::process() {
  if (auto s = process_singles(); !s) {
    ++stats_.process_failures;
    core::log_error("process_failed", {{"stage", "singles"}, {"error", s.error().message()}});
  }
  if (auto s = process_groups(); !s) {
    ++stats_.process_failures;
    core::log_error("process_failed", {{"stage", "concatenations"}, {"error", s.error().message()}});
  }
}

core::Report Pipeline::make_report(const std::vector<storage::InboxEntry>& parts, std::string text, std::uint32_t flags) {
  const auto& first = parts.front();
  core::Report r;
  r.id = store_.next_report_id();
  r.received_ms = first.segment.received_ms;
  r.reporter = first.segment.source.addr;
  r.reporter_country = first.reporter_country;
  r.smsc = first.segment.smsc;
  r.dest = first.segment.dest.addr;
  r.data_coding = first.segment.data_coding;
  r.text_flags = flags;
  r.parts = static_cast<std::uint8_t>(parts.size());
  r.text = std::move(text);
  for (const auto& p : parts) r.raw_pdus.push_back(p.segment.raw_pdu);
  if (!(flags & core::kTextBinary)) {
    auto a = analyze_text(extractor_, classifier_, r.text, r.reporter_country);
    r.extraction = std::move(a.extraction);
    r.verdict = std::move(a.verdict);
  } else {
    r.verdict.category = "noise";
    r.verdict.reasons = {"binary data_coding: stored, not analysed"};
  }
  return r;
}

core::Status Pipeline::process_singles() {
  while (true) {
    auto pending = store_.pending_singles(options_.batch);
    if (!pending) return pending.error();
    if (pending->empty()) return {};
    std::vector<core::Report> reports;
    std::vector<std::string> consumed;
    for (auto& e : *pending) {
      auto decoded = decode_parts({&e.segment}, options_.text_by_smsc[e.segment.smsc]);
      std::vector<storage::InboxEntry> one{e};
      reports.push_back(make_report(one, std::move(decoded.utf8), decoded.flags));
      consumed.push_back(e.key);
    }
    if (auto s = commit_reports(std::move(reports), std::move(consumed)); !s) return s;
  }
}

core::Status Pipeline::process_groups() {
  auto groups = store_.pending_groups();
  if (!groups) return groups.error();
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  struct Group {
    std::vector<storage::InboxEntry> parts;
    std::int64_t oldest_ms = 0;
    std::size_t bytes = 0;
  };
  std::vector<Group> pending;
  std::int64_t total_parts = 0, total_bytes = 0;
  for (const auto& head : *groups) {
    auto parts = store_.group_parts(head);
    if (!parts) return parts.error();
    if (parts->empty()) continue;
    Group g;
    g.oldest_ms = parts->front().segment.received_ms;
    for (const auto& p : *parts) {
      g.oldest_ms = std::min(g.oldest_ms, p.segment.received_ms);
      g.bytes += p.segment.user_data.size();
    }
    g.parts = std::move(*parts);
    total_parts += static_cast<std::int64_t>(g.parts.size());
    total_bytes += static_cast<std::int64_t>(g.bytes);
    pending.push_back(std::move(g));
  }
  // Oldest first, so that the bound on pending parts finishes the oldest incomplete messages early.
  std::sort(pending.begin(), pending.end(), [](const Group& a, const Group& b) { return a.oldest_ms < b.oldest_ms; });

  std::vector<core::Report> reports;
  std::vector<std::string> consumed;
  for (auto& g : pending) {
    const auto& head = g.parts.front().segment;
    const int total = head.concat->total;
    const bool complete = static_cast<int>(g.parts.size()) == total;
    const bool timed_out = now_ms - g.oldest_ms >= options_.reassembly_timeout_s * 1000;
    const bool over_bound = total_parts > options_.max_pending_parts || total_bytes > options_.max_pending_bytes;
    if (!complete && !timed_out && !over_bound) continue;
    const auto& opts = options_.text_by_smsc[head.smsc];
    std::string text;
    std::uint32_t flags = 0;
    if (complete) {
      std::vector<const core::InboundSegment*> segs;
      for (const auto& p : g.parts) segs.push_back(&p.segment);
      auto d = decode_parts(segs, opts);
      text = std::move(d.utf8);
      flags = d.flags;
    } else {
      // Never dropped: decode each run of consecutive parts and mark where parts are missing.
      flags |= core::kTextGap;
      int expected = 1;
      std::vector<const core::InboundSegment*> run;
      auto flush = [&] {
        if (run.empty()) return;
        auto d = decode_parts(run, opts);
        text += d.utf8;
        flags |= d.flags;
        run.clear();
      };
      for (const auto& p : g.parts) {
        if (p.segment.concat->seq != expected) {
          flush();
          text += kGapMarker;
        }
        run.push_back(&p.segment);
        expected = p.segment.concat->seq + 1;
      }
      flush();
      if (expected <= total) text += kGapMarker;
      ++stats_.gap_reports;
      if (!timed_out) {
        ++stats_.early_gap_reports;
        core::log_warn("reassembly_bound_reached", {{"pending_parts", total_parts}, {"pending_bytes", total_bytes}});
      }
    }
    total_parts -= static_cast<std::int64_t>(g.parts.size());
    total_bytes -= static_cast<std::int64_t>(g.bytes);
    reports.push_back(make_report(g.parts, std::move(text), flags));
    for (const auto& p : g.parts) consumed.push_back(p.key);
  }
  stats_.pending_parts = static_cast<std::uint64_t>(total_parts);
  stats_.pending_bytes = static_cast<std::uint64_t>(total_bytes);
  if (reports.empty()) return {};
  return commit_reports(std::move(reports), std::move(consumed));
}

core::Status Pipeline::commit_reports(std::vector<core::Report> reports, std::vector<std::string> consumed) {
  // Indicators touched by several reports of this batch are read once and updated in memory.
  std::map<std::pair<core::IndicatorKind, std::string>, core::Indicator> touched;
  auto touch = [&](core::IndicatorKind kind, const std::string& value) -> core::Result<core::Indicator*> {
    auto key = std::make_pair(kind, value);
    if (auto it = touched.find(key); it != touched.end()) return &it->second;
    auto got = store_.get_indicator(kind, value);
    if (!got) return got.error();
    core::Indicator ind;
    if (got->has_value()) {
      ind = std::move(**got);
    } else {
      ind.kind = kind;
      ind.value = value;
    }
    return &touched.emplace(key, std::move(ind)).first->second;
  };
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  for (const auto& r : reports) {
    std::set<std::pair<core::IndicatorKind, std::string>> once;  // one vote per report per indicator
    auto add = [&](core::IndicatorKind kind, const std::string& value, const std::vector<std::string>& flags) -> core::Status {
      if (value.empty() || !once.emplace(kind, value).second) return {};
      auto ind = touch(kind, value);
      if (!ind) return ind.error();
      blocklist::record_report(**ind, r, flags, options_.policy);
      blocklist::evaluate(**ind, options_.policy, now_ms);
      return {};
    };
    for (const auto& n : r.extraction.numbers)
      if (auto s = add(core::IndicatorKind::Number, n.e164, n.flags); !s) return s;
    for (const auto& u : r.extraction.urls) {
      if (auto s = add(core::IndicatorKind::Url, u.url, u.flags); !s) return s;
      if (auto s = add(core::IndicatorKind::Host, u.host, u.flags); !s) return s;
      if (auto s = add(core::IndicatorKind::Domain, u.domain, u.flags); !s) return s;
    }
  }
  storage::Commit c;
  c.reports = std::move(reports);
  c.consumed = std::move(consumed);
  for (auto& [key, ind] : touched) c.indicators.push_back(std::move(ind));
  if (auto s = store_.commit(c); !s) return s;
  for (const auto& r : c.reports) {
    ++stats_.reports;
    ++stats_.by_label[std::string(core::to_string(r.verdict.label))];
    ++stats_.by_category[r.verdict.category];
    core::log_info("report_stored", {{"report", r.id}, {"smsc", r.smsc}, {"parts", static_cast<int>(r.parts)},
                                     {"label", core::to_string(r.verdict.label)}, {"category", r.verdict.category},
                                     {"score", fmt::format("{:.2f}", r.verdict.score)}});
  }
  return {};
}

}  // namespace smish::app
