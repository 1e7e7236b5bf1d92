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

constexpr std::int64_t kHourMs = 3600LL * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr const char* kRetentionCursor = "retention:next_id";  // the first report id not yet swept
constexpr std::size_t kMinCampaignText = 12;  // characters of campaign_text() below which no campaign is given
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
    : store_(store), pseudonymizer_(pseudonymizer), extractor_(&extractor), classifier_(&classifier),
      options_(std::move(options)), replying_(options_.templates && options_.replies.enabled), clock_(clock) {}

void Pipeline::reconfigure(const classifier::Extractor& extractor, const classifier::Classifier& classifier,
                           std::shared_ptr<const ReplyTemplates> templates, blocklist::PolicyConfig policy) {
  extractor_ = &extractor;
  classifier_ = &classifier;
  if (templates && replying_) options_.templates = std::move(templates);
  options_.policy = std::move(policy);
}

std::vector<core::AcceptStatus> Pipeline::accept(std::span<const core::InboundSegment> segments) {
  std::vector<storage::InboxEntry> entries;
  entries.reserve(segments.size());
  for (const auto& seg : segments) {
    storage::InboxEntry e;
    e.segment = seg;
    // The fingerprint is computed on the segment as received; afterwards only the pseudonym remains.
    const std::string number = reporter_number(seg.source, options_.default_region);
    e.reporter_country = number.starts_with('+') ? classifier::region_of(number) : "";
    if (replying_ && repliable(number, seg.source))
      e.reply_to = pseudonymizer_.seal(number);  // the number only ever rests sealed, until the reply is sent
    e.segment.source.addr = pseudonymizer_.pseudonym(number);
    e.segment.raw_pdu = mask_source_addr(seg.raw_pdu);
    entries.push_back(std::move(e));
  }
  auto stored = store_.store_inbound(entries, core::to_unix_ms(clock_.now()));
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

bool Pipeline::repliable(const std::string& number, const core::SmppAddress& source) const {
  // Never to alphanumeric senders, short codes or smishd's own numbers (no loops, no cost).
  if (source.ton == 5 || !number.starts_with('+')) return false;
  const auto digits = std::count_if(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits < 7) return false;
  for (const auto& own : options_.service_numbers)
    if (number == own || number.ends_with(own)) return false;
  return true;
}

core::Status Pipeline::load_campaigns() {
  if (campaigns_loaded_) return {};
  auto s = store_.scan_campaign_fingerprints([&](std::uint64_t fp, std::string_view campaign) {
    campaigns_.insert(fp, campaign);
    return true;
  });
  if (!s && s.error().code != core::ErrorCode::Unsupported) return s;
  campaigns_loaded_ = true;
  return {};
}

void Pipeline::process() {
  if (auto s = load_campaigns(); !s) {
    ++stats_.process_failures;
    core::log_error("process_failed", {{"stage", "campaigns"}, {"error", s.error().message()}});
    return;  // campaign ids must stay stable: nothing is processed without them (the inbox keeps it)
  }
  // Concatenations first: a long forward is the one that is concatenated, and its reporter's
  // answer to "which number sent it?" is a short single that may be in the inbox already when the
  // last part arrives. Singles first made that answer a report of its own (thanked, not attached)
  // whenever both landed in one tick.
  if (auto s = process_groups(); !s) {
    ++stats_.process_failures;
    core::log_error("process_failed", {{"stage", "concatenations"}, {"error", s.error().message()}});
  }
  if (auto s = process_singles(); !s) {
    ++stats_.process_failures;
    core::log_error("process_failed", {{"stage", "singles"}, {"error", s.error().message()}});
  }
  if (!backlog_) dispatch_due();
}

core::Result<Pipeline::RetentionStep> Pipeline::sweep_retention(std::size_t limit) {
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  const std::int64_t cutoff = now_ms - options_.raw_retention_days * kDayMs;
  auto cursor = store_.get_counter(kRetentionCursor);
  if (!cursor) return cursor.error();
  storage::Commit c;
  std::uint64_t next = static_cast<std::uint64_t>(*cursor);
  std::size_t read = 0;
  bool more = false;
  auto scanned = store_.scan_reports_from(next, [&](const core::Report& r) {
    // Ids follow processing order, close to arrival order: the first report inside the retention
    // time ends the sweep (a concatenation finished late is reduced by a later sweep).
    if (r.received_ms >= cutoff) return false;
    next = r.id + 1;
    if (!r.text.empty() || !r.raw_pdus.empty()) {
      core::Report reduced = r;
      reduced.text_fingerprint = core::sha256_hex(r.text).substr(0, 16);
      reduced.text.clear();
      reduced.raw_pdus.clear();
      c.reports.push_back(std::move(reduced));
    }
    // Bounded by what is read, not only by what is reduced: a first sweep over a year of reports
    // reduced long ago must not hold the storage thread for minutes.
    more = ++read >= limit;
    return !more;
  });
  if (!scanned) return scanned.error();
  c.counters.emplace_back(kRetentionCursor, static_cast<std::int64_t>(next));
  // Rate and reply counters are per hour and day: two days on, nothing reads them any more. Once
  // a sweep, at its last step, not at every step of a backlog.
  const std::string stale_day = core::format_utc(now_ms - 2 * kDayMs).substr(0, 10);
  for (const char* prefix : {"rate:", "replies:"}) {
    if (more) break;
    auto s = store_.scan_counters(prefix, [&](std::string_view name, std::int64_t) {
      // The counter's day is the 10 characters after the last ':' (hour counters: then "Thh").
      const auto colon = name.rfind(':');
      if (colon != std::string_view::npos && name.substr(colon + 1, 10) < stale_day) c.counters_delete.emplace_back(name);
      return true;
    });
    if (!s) return s.error();
  }
  if (auto s = store_.commit(c); !s) return s.error();
  stats_.retention_reduced += c.reports.size();
  if (!c.reports.empty() || !c.counters_delete.empty())
    core::log_info("retention_swept", {{"reports_reduced", c.reports.size()}, {"counters_deleted", c.counters_delete.size()},
                                       {"cursor", next}});
  return RetentionStep{static_cast<std::uint64_t>(c.reports.size()), more};
}

Pipeline::Made Pipeline::make_report(const std::vector<storage::InboxEntry>& parts, std::string text, std::uint32_t flags) {
  const auto& first = parts.front();
  Made made;
  for (const auto& p : parts)
    if (!p.reply_to.empty()) made.reply_to = p.reply_to;
  core::Report& r = made.report;
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
    auto a = analyze_text(*extractor_, *classifier_, r.text, r.reporter_country);
    r.extraction = std::move(a.extraction);
    r.verdict = std::move(a.verdict);
    // Near-duplicates share a campaign id (classifier/campaign.hpp). A text with next to no words
    // ("+37120000000", "ok") would put unrelated reports into one campaign: none for those.
    if (classifier::campaign_text(r.text).size() >= kMinCampaignText) {
      const auto fp = classifier::campaign_fingerprint(r.text);
      const auto known = campaigns_.size();
      r.campaign = campaigns_.assign(fp);
      if (campaigns_.size() != known) new_fingerprints_.emplace_back(fp, r.campaign);
    }
  } else {
    r.verdict.category = "noise";
    r.verdict.reasons = {"binary data_coding: stored, not analysed"};
  }
  return made;
}

core::Status Pipeline::process_singles() {
  // One batch per call: the ack path shares this thread and must not wait behind a backlog.
  backlog_ = false;
  {
    auto pending = store_.pending_singles(options_.batch);
    if (!pending) return pending.error();
    if (pending->empty()) return {};
    backlog_ = pending->size() == options_.batch;
    std::vector<Made> reports;
    std::vector<std::string> consumed;
    for (auto& e : *pending) {
      if (!reports.empty() && std::chrono::steady_clock::now().time_since_epoch().count() >= finish_by_ns_.load()) {
        backlog_ = true;  // stopping: the rest stays in the inbox
        break;
      }
      auto decoded = decode_parts({&e.segment}, options_.text_by_smsc[e.segment.smsc]);
      std::vector<storage::InboxEntry> one{e};
      reports.push_back(make_report(one, std::move(decoded.utf8), decoded.flags));
      consumed.push_back(e.key);
    }
    return commit_reports(std::move(reports), std::move(consumed));
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

  std::vector<Made> reports;
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

core::Status Pipeline::commit_reports(std::vector<Made> made, std::vector<std::string> consumed) {
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  storage::Commit c;
  // Indicators touched by several reports of this batch are read once and updated in memory.
  std::map<std::pair<core::IndicatorKind, std::string>, core::Indicator> touched;
  std::map<std::pair<core::IndicatorKind, std::string>, std::uint64_t> distinct_before;  // 0 when new
  std::map<std::pair<core::IndicatorKind, std::string>, std::uint64_t> pairs;  // reports of this batch naming it
  auto touch = [&](core::IndicatorKind kind, const std::string& value) -> core::Result<core::Indicator*> {
    auto key = std::make_pair(kind, value);
    if (auto it = touched.find(key); it != touched.end()) return &it->second;
    auto got = store_.get_indicator(kind, value);
    if (got && got->has_value()) distinct_before[key] = (**got).distinct_reporters;
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
  auto add = [&](const core::Report& r, std::set<std::pair<core::IndicatorKind, std::string>>& once, core::IndicatorKind kind,
                 const std::string& value, const std::vector<std::string>& flags, bool newcomer) -> core::Status {
    if (value.empty() || !once.emplace(kind, value).second) return {};  // one vote per report per indicator
    auto ind = touch(kind, value);
    if (!ind) return ind.error();
    blocklist::record_report(**ind, r, flags, options_.policy, newcomer);
    ++pairs[{kind, value}];
    return {};
  };
  // Once per touched indicator, after the batch's reports are recorded: the listing decision
  // (a count over the reporter map, thousands of entries on a hot value, so not per report) and
  // the allowlist alert.
  auto decide = [&](core::Indicator& ind, std::uint64_t before) {
    blocklist::evaluate(ind, options_.policy, now_ms);
    if (ind.status != core::IndicatorStatus::Allowlisted) return;
    // Reports against a protected value list nothing, but many of them are an attack (or a
    // brand being impersonated from a look-alike the extraction folded): say so once at
    // min_reporters distinct reporters and again at each tenfold.
    const auto after = ind.distinct_reporters;
    int crossed = 0;  // a batch may cross several marks at once: each counts, one line says it
    for (std::uint64_t mark = static_cast<std::uint64_t>(std::max(options_.policy.min_reporters, 1)); mark <= after; mark *= 10)
      if (before < mark) ++crossed;
    if (crossed == 0) return;
    stats_.allowlist_alerts += static_cast<std::uint64_t>(crossed);
    core::log_warn("allowlisted_indicator_targeted",
                   {{"kind", core::to_string(ind.kind)},
                    {"value", ind.kind == core::IndicatorKind::Number ? core::redact_number(ind.value) : ind.value},
                    {"distinct_reporters", after}, {"reason", ind.status_reason}});
  };

  // Reporters as this batch changes them: first-time reporters (the burst hold) and rate caps.
  std::map<std::string, storage::ReporterRecord> reporter_records;
  std::map<std::string, bool> reporter_changed;
  auto reporter_of = [&](const std::string& pseudonym) -> core::Result<storage::ReporterRecord*> {
    if (auto it = reporter_records.find(pseudonym); it != reporter_records.end()) return &it->second;
    auto got = store_.get_reporter(pseudonym);
    if (!got && got.error().code != core::ErrorCode::Unsupported) return got.error();
    storage::ReporterRecord rec;
    if (got && *got) rec = **got;
    return &reporter_records.emplace(pseudonym, rec).first->second;
  };
  auto is_newcomer = [&](const storage::ReporterRecord& rec, std::int64_t at_ms) {
    return rec.reports == 0 || at_ms - rec.first_ms < options_.policy.newcomer_age_h * kHourMs;
  };

  // Counters (reply caps per day, rate caps per hour and day), read once and written back.
  const std::string day = core::format_utc(now_ms).substr(0, 10);
  std::map<std::string, std::int64_t> reply_counts;
  auto counter = [&](const std::string& name) -> core::Result<std::int64_t*> {
    if (auto it = reply_counts.find(name); it != reply_counts.end()) return &it->second;
    auto n = store_.get_counter(name);
    if (!n) return n.error();
    return &reply_counts.emplace(name, *n).first->second;
  };
  std::map<std::string, std::optional<storage::Conversation>> conversations;
  auto conversation_of = [&](const std::string& reporter) -> core::Result<std::optional<storage::Conversation>> {
    if (auto it = conversations.find(reporter); it != conversations.end()) return it->second;
    auto got = store_.get_conversation(reporter);
    if (!got) return got.error();
    conversations[reporter] = *got;
    return *got;
  };
  auto queue_reply = [&](const core::Report& r, const std::string& reply_to, const std::string& kind,
                         const std::string& language) -> core::Status {
    auto sent_today = counter("replies:" + r.reporter + ":" + day);
    if (!sent_today) return sent_today.error();
    if (**sent_today >= options_.replies.max_per_day) {
      ++stats_.replies_capped;
      return {};
    }
    ++**sent_today;
    storage::OutboxEntry o;
    std::string key;
    for (int shift = 56; shift >= 0; shift -= 8) key += static_cast<char>((static_cast<std::uint64_t>(now_ms) >> shift) & 0xFF);
    for (int shift = 56; shift >= 0; shift -= 8) key += static_cast<char>((r.id >> shift) & 0xFF);
    o.key = core::to_hex(key) + ":" + kind;
    o.report_id = r.id;
    o.reporter = r.reporter;
    o.dest_sealed = reply_to;
    o.kind = kind;
    o.language = language;
    o.text = options_.templates->text(language, kind);
    o.created_ms = now_ms;
    c.outbox_put.push_back(std::move(o));
    return {};
  };
  const bool replying = options_.templates && options_.replies.enabled;

  std::vector<core::Report> updated;  // earlier reports that got their sender in this batch
  std::set<std::uint64_t> updated_ids;
  for (auto& m : made) {
    auto& r = m.report;
    if (replying) {
      // Two-step report: is this the answer to "which number or name sent it?"
      auto conv = conversation_of(r.reporter);
      if (!conv) return conv.error();
      if (*conv && (*conv)->expires_ms <= now_ms) core::log_debug("conversation_expired", {{"report", (*conv)->report_id}});
      if (*conv && (*conv)->expires_ms > now_ms) {
        auto answer = parse_sender_answer(r.text, r.reporter_country);
        if (!answer) core::log_debug("conversation_not_an_answer", {{"report", (*conv)->report_id}});
        if (answer) {
          core::Report pending;
          bool found = false;
          for (auto& other : c.reports)
            if (other.id == (*conv)->report_id) { pending = other; found = true; }
          if (!found) {
            auto stored = store_.get_report((*conv)->report_id);
            if (!stored) return stored.error();
            if (stored->has_value()) { pending = **stored; found = true; }
          }
          if (found) {
            pending.reported_sender = answer->value;
            std::set<std::pair<core::IndicatorKind, std::string>> once;
            const auto kind = answer->is_number ? core::IndicatorKind::Number : core::IndicatorKind::SenderId;
            auto rec = reporter_of(r.reporter);
            if (!rec) return rec.error();
            if (!pending.rate_capped)
              if (auto s = add(pending, once, kind, answer->value, {"reported_sender"}, is_newcomer(**rec, pending.received_ms)); !s)
                return s;
            std::erase_if(c.reports, [&](const core::Report& x) { return x.id == pending.id; });
            updated_ids.insert(pending.id);
            updated.push_back(std::move(pending));
            ++stats_.sender_answers;
            core::log_info("reported_sender_attached", {{"report", (*conv)->report_id}, {"kind", core::to_string(kind)}});
            c.conversations_delete.push_back(r.reporter);
            conversations[r.reporter].reset();
            if (!m.reply_to.empty())
              if (auto s = queue_reply(r, m.reply_to, kReplySenderThanks, (*conv)->language); !s) return s;
            continue;  // the answer completes the earlier report; it is not a report of its own
          }
        }
      }
    }
    auto rec = reporter_of(r.reporter);
    if (!rec) return rec.error();
    const bool newcomer = is_newcomer(**rec, r.received_ms);
    if ((*rec)->reports == 0 || r.received_ms < (*rec)->first_ms) (*rec)->first_ms = r.received_ms;
    (*rec)->last_ms = std::max((*rec)->last_ms, r.received_ms);
    ++(*rec)->reports;
    reporter_changed[r.reporter] = true;
    // Rate caps: a reporter's reports beyond them are stored (an analyst sees them) but weigh
    // nothing on any indicator, so one reporter cannot flood a value towards a listing.
    const std::string received = core::format_utc(r.received_ms);
    auto per_hour = counter("rate:" + r.reporter + ":h:" + received.substr(0, 13));
    if (!per_hour) return per_hour.error();
    ++**per_hour;
    auto per_day = counter("rate:" + r.reporter + ":d:" + received.substr(0, 10));
    if (!per_day) return per_day.error();
    ++**per_day;
    r.rate_capped = **per_hour > options_.policy.reporter_max_per_hour || **per_day > options_.policy.reporter_max_per_day;
    if (r.rate_capped) {
      ++stats_.rate_capped;
    } else {
      std::set<std::pair<core::IndicatorKind, std::string>> once;
      for (const auto& n : r.extraction.numbers)
        if (auto s = add(r, once, core::IndicatorKind::Number, n.e164, n.flags, newcomer); !s) return s;
      for (const auto& u : r.extraction.urls) {
        if (auto s = add(r, once, core::IndicatorKind::Url, u.url, u.flags, newcomer); !s) return s;
        if (auto s = add(r, once, core::IndicatorKind::Host, u.host, u.flags, newcomer); !s) return s;
        if (auto s = add(r, once, core::IndicatorKind::Domain, u.domain, u.flags, newcomer); !s) return s;
      }
      for (const auto& sid : r.extraction.sender_ids)
        if (auto s = add(r, once, core::IndicatorKind::SenderId, sid, {}, newcomer); !s) return s;
    }
    if (replying && !m.reply_to.empty() && r.verdict.category != "noise") {
      if (options_.templates->is_autoresponse(r.text)) {
        ++stats_.replies_suppressed;
      } else {
        const std::string language = options_.templates->language_for(r.verdict.language, r.reporter_country);
        const bool names_sender =
            !r.extraction.sender_ids.empty() ||
            std::any_of(r.extraction.numbers.begin(), r.extraction.numbers.end(), [](const core::ExtractedNumber& n) {
              return std::find(n.flags.begin(), n.flags.end(), "short_code") == n.flags.end();
            });
        if (!names_sender) {
          storage::Conversation conv{r.reporter, r.id, language,
                                     now_ms + static_cast<std::int64_t>(options_.replies.conversation_window_s) * 1000};
          c.conversations_put.push_back(conv);
          conversations[r.reporter] = conv;
        }
        if (auto s = queue_reply(r, m.reply_to, names_sender ? kReplyThanks : kReplyAskSender, language); !s) return s;
      }
    }
    c.reports.push_back(std::move(r));
  }
  for (auto& u : updated) c.reports.push_back(std::move(u));
  c.consumed = std::move(consumed);
  for (auto& [key, ind] : touched) {
    decide(ind, distinct_before[key]);
    // Each report-indicator pair naming a protected value (counted here, where the status is known).
    if (ind.status == core::IndicatorStatus::Allowlisted) stats_.allowlisted_reports += pairs[key];
    c.indicators.push_back(std::move(ind));
  }
  for (const auto& [name, value] : reply_counts) c.counters.emplace_back(name, value);
  for (const auto& [pseudonym, changed] : reporter_changed) c.reporters_put.emplace_back(pseudonym, reporter_records[pseudonym]);
  c.campaign_fingerprints = new_fingerprints_;  // kept until a commit wrote them
  if (auto s = store_.commit(c); !s) return s;
  new_fingerprints_.clear();
  for (const auto& r : c.reports) {
    if (updated_ids.count(r.id)) continue;  // completed by a two-step answer, counted before
    ++stats_.reports;
    ++stats_.by_label[std::string(core::to_string(r.verdict.label))];
    ++stats_.by_category[r.verdict.category];
    core::log_info("report_stored", {{"report", r.id}, {"smsc", r.smsc}, {"parts", static_cast<int>(r.parts)},
                                     {"label", core::to_string(r.verdict.label)}, {"category", r.verdict.category},
                                     {"score", fmt::format("{:.2f}", r.verdict.score)}});
  }
  for (const auto& o : c.outbox_put) {
    ++stats_.replies_queued;
    dispatch(o);
  }
  return {};
}

void Pipeline::dispatch(const storage::OutboxEntry& entry) {
  if (!transport_ || in_flight_replies_.count(entry.key)) return;
  auto number = pseudonymizer_.open(entry.dest_sealed);
  if (!number) {
    // Sealed under another key (the key was rotated): this reply can never be sent.
    core::log_error("reply_unsealable", {{"report", entry.report_id}, {"error", number.error().detail}});
    storage::Commit c;
    c.outbox_delete.push_back(entry.key);
    (void)store_.commit(c);
    ++stats_.replies_dropped;
    return;
  }
  auto bodies = encode_reply(entry.text, *number, options_.replies, static_cast<std::uint8_t>(entry.report_id & 0xFF));
  std::vector<gateway::Submission> parts;
  for (std::size_t i = 0; i < bodies.size(); ++i)
    parts.push_back(gateway::Submission{entry.key + "#" + std::to_string(i), std::move(bodies[i])});
  in_flight_replies_[entry.key] = InFlightReply{entry, static_cast<int>(parts.size()), false, false, {}};
  transport_->send(std::move(parts));
}

void Pipeline::dispatch_due() {
  if (!transport_ || !options_.templates) return;
  auto entries = store_.outbox();
  if (!entries) {
    core::log_error("outbox_scan_failed", {{"error", entries.error().message()}});
    return;
  }
  stats_.outbox_depth = entries->size();
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  for (const auto& e : *entries)
    if (e.next_attempt_ms <= now_ms) dispatch(e);
}

void Pipeline::on_submit_result(const gateway::SubmitResult& result) {
  const auto hash = result.key.rfind('#');
  auto it = in_flight_replies_.find(result.key.substr(0, hash));
  if (it == in_flight_replies_.end()) return;
  auto& f = it->second;
  if (result.status == gateway::smpp::kEsmeRok) f.message_ids.push_back(result.message_id);
  else if (result.retryable) f.retry = true;
  else f.failed = true;
  if (--f.parts_left > 0) return;
  storage::Commit c;
  const std::int64_t now_ms = core::to_unix_ms(clock_.now());
  if (!f.failed && !f.retry) {
    // Acknowledged by the SMSC: gone from the outbox for good, synced, so a restart never resends it.
    c.outbox_delete.push_back(f.entry.key);
    for (const auto& id : f.message_ids)
      if (!id.empty()) c.sent.emplace_back(id, f.entry.report_id);
    c.sync = true;
    ++stats_.replies_sent;
    core::log_info("reply_sent", {{"report", f.entry.report_id}, {"kind", f.entry.kind}, {"language", f.entry.language}});
  } else if (f.failed || f.entry.attempts + 1 >= options_.replies.max_attempts) {
    c.outbox_delete.push_back(f.entry.key);
    ++(f.failed ? stats_.replies_failed : stats_.replies_dropped);
    core::log_warn("reply_given_up", {{"report", f.entry.report_id}, {"kind", f.entry.kind}, {"status", result.status}});
  } else {
    auto retry = f.entry;
    ++retry.attempts;
    retry.next_attempt_ms = now_ms + static_cast<std::int64_t>(options_.replies.retry_backoff_s) * 1000;
    c.outbox_put.push_back(std::move(retry));
    ++stats_.replies_retried;
  }
  in_flight_replies_.erase(it);
  if (auto s = store_.commit(c); !s) core::log_error("outbox_update_failed", {{"error", s.error().message()}});
}

void Pipeline::on_delivery_receipt(const gateway::Receipt& receipt) {
  auto report = store_.get_sent(receipt.message_id);
  if (!report || !report->has_value()) {
    ++stats_.receipts_unmatched;
    return;
  }
  ++stats_.receipts_matched;
  const std::string counter = "receipts:" + (receipt.state.empty() ? std::string("UNKNOWN") : receipt.state);
  auto n = store_.get_counter(counter);
  storage::Commit c;
  c.counters.emplace_back(counter, (n ? *n : 0) + 1);
  if (auto s = store_.commit(c); !s) core::log_error("receipt_count_failed", {{"error", s.error().message()}});
  core::log_info("reply_receipt", {{"report", **report}, {"state", receipt.state}});
}

}  // namespace smish::app
