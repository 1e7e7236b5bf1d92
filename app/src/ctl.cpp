// smishctl: reports, lookup, stats, top, export and analyze over the daemon's database (read-only).
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "args.hpp"
#include "ctl_commands.hpp"
#include "smish/app/admin.hpp"
#include "ctl_common.hpp"
#include "smish/app/config.hpp"
#include "smish/app/runtime.hpp"
#include "smish/app/main.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/blocklist/export.hpp"
#include "smish/classifier/model.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"

namespace smish::app {
namespace {

constexpr const char* kHelp =
    "usage: smishctl [--config FILE] [--set section.key=value ...] [--db DIR] [--json|--csv] COMMAND ...\n"
    "\n"
    "commands (smishctl COMMAND --help for one command's usage):\n"
    "  reports [filters] [--limit N] [--offset N | --before ID]   newest reports first\n"
    "  report ID                       one report with its text, extraction and reasons\n"
    "  lookup VALUE                    a number (any format), URL or domain: status and counts\n"
    "  stats [--since T] [--until T] [--by day|category|region]   report counts with a bar chart\n"
    "  top numbers|domains|urls|hosts|senders|campaigns [--since T] [--limit N]   most reported first\n"
    "  export [--out DIR] [--force] [--dry-run]   publish the blocklists once (a new serial);\n"
    "                                  --dry-run prints the diff against the current serial, --force\n"
    "                                  publishes past the circuit breaker (exit 3 when it refuses)\n"
    "  analyze [--input FILE] [--model MODEL]   JSONL {\"id\",\"text\"[,\"src\",\"region\"]} in, one verdict a line out\n"
    "  train --input FILE... --out MODEL [--seed N] [--epochs N]   train a model on labelled JSONL\n"
    "  eval --input FILE... [--model MODEL | --folds K] [--split test|train]   precision, recall, F1\n"
    "  label ID|VALUE scam|spam|legit [--category C] [--note TEXT]   an analyst's label\n"
    "  allow VALUE | block VALUE [--ttl D] | unblock VALUE | revoke VALUE --reason R [--ttl D]\n"
    "                                  decisions on a number, URL, domain or sender id ([--actor NAME])\n"
    "  audit [--limit N] [--target VALUE] [--verify]   the analysts' decisions; --verify checks the hash chain\n"
    "  backup --out DIR                a consistent copy of the database (RocksDB checkpoint), also while smishd runs\n"
    "  forget --reporter NUMBER        erase everything stored about a reporter (a data-subject request)\n"
    "\n"
    "T is a duration back from now (90m, 24h, 7d, 2w) or an ISO date or date-time in UTC (2026-12-01,\n"
    "2026-12-01T08:30Z). Tables are for people (colour only on a terminal, never with NO_COLOR set);\n"
    "--json (one object a line) and --csv (RFC 4180, a header line) are for scripts. Reporters appear\n"
    "only as pseudonyms; numbers are in E.164.\n"
    "Reads the database through a RocksDB secondary instance: safe while smishd runs.\n"
    "Exit: 0 found or done, 1 not found, 2 usage or configuration error.\n";

}  // namespace

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  auto display_len = [](const std::string& s) {  // UTF-8 code points, close enough for alignment
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_len(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_len(r[i]));
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - display_len(r[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& r : rows) print_row(r);
}

std::string excerpt(const std::string& text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max_chars) return out + "…";
      ++chars;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : text[i];
  }
  return out;
}

int open_store(Ctx& ctx, storage::OpenMode mode) {
  auto store = storage::Store::open(ctx.config.storage, mode);
  if (!store) {
    std::cerr << "smishctl: " << store.error().detail << "\n";
    return store.error().code == core::ErrorCode::NotFound ? kNotFound : kUsage;
  }
  ctx.store = std::move(*store);
  if (auto s = ctx.store->catch_up(); !s) std::cerr << "smishctl: warning: " << s.error().detail << "\n";
  return kFound;
}

namespace {

constexpr std::size_t kLookupRecentReports = 5;  // recent reports lookup shows per indicator

/// Point reads through smishd's admin socket (op "get"): what lookup and report need, without
/// opening a secondary instance. Everything else is Unsupported; the commands that scan use the
/// secondary instance.
class AdminReads final : public storage::Store {
 public:
  explicit AdminReads(std::string path) : path_(std::move(path)) {}
  core::Result<std::optional<core::Indicator>> get_indicator(core::IndicatorKind kind, const std::string& value) override {
    if (auto it = indicators_.find({kind, value}); it != indicators_.end()) return std::optional<core::Indicator>(it->second);
    if (prefetched_) return std::optional<core::Indicator>{};  // asked for, not found
    return get<core::Indicator>(
        core::Json{{"op", "get"}, {"what", "indicator"}, {"kind", core::to_string(kind)}, {"value", value}},
        core::indicator_from_json);
  }
  /// One round trip for what lookup reads: the indicators of `keys` and their `recent` newest
  /// reports, kept for the get_indicator and get_report calls that follow.
  core::Status prefetch(const std::vector<std::pair<core::IndicatorKind, std::string>>& keys, std::size_t recent) {
    core::Json list = core::Json::array();
    for (const auto& [kind, value] : keys) list.push_back({std::string(core::to_string(kind)), value});
    auto resp = admin_request(path_, core::Json{{"op", "get"}, {"what", "lookup"}, {"keys", list}, {"recent", recent}},
                              std::chrono::seconds(5));
    if (!resp) return resp.error();
    if (!resp->value("ok", false)) return core::make_error(core::ErrorCode::Internal, resp->value("error", "smishd refused"));
    const auto indicators = resp->value("indicators", core::Json::array());
    const auto reports = resp->value("reports", core::Json::object());
    for (const auto& hex : indicators) {
      auto ind = decode<core::Indicator>(hex, core::indicator_from_json);
      if (!ind) return ind.error();
      indicators_[{ind->kind, ind->value}] = std::move(*ind);
    }
    for (const auto& [id, hex] : reports.items()) {
      auto r = decode<core::Report>(hex, core::report_from_json);
      if (!r) return r.error();
      reports_[std::stoull(id)] = std::move(*r);
    }
    prefetched_ = true;
    return {};
  }
  core::Result<std::optional<core::Report>> get_report(std::uint64_t id) override {
    if (auto it = reports_.find(id); it != reports_.end()) return std::optional<core::Report>(it->second);
    return get<core::Report>(core::Json{{"op", "get"}, {"what", "report"}, {"id", id}}, core::report_from_json);
  }
  core::Result<std::vector<bool>> store_inbound(std::span<const storage::InboxEntry>, std::int64_t) override { return no(); }
  core::Result<std::vector<storage::InboxEntry>> pending_singles(std::size_t) override { return no(); }
  core::Result<std::vector<storage::InboxEntry>> group_parts(const storage::InboxEntry&) override { return no(); }
  core::Result<std::vector<storage::InboxEntry>> pending_groups() override { return no(); }
  core::Status commit(const storage::Commit&) override { return no(); }
  std::uint64_t next_report_id() override { return 0; }
  core::Result<std::vector<storage::OutboxEntry>> outbox() override { return no(); }
  core::Result<std::optional<storage::Conversation>> get_conversation(const std::string&) override { return no(); }
  core::Result<std::int64_t> get_counter(const std::string&) override { return no(); }
  core::Result<std::optional<std::uint64_t>> get_sent(const std::string&) override { return no(); }
  core::Status scan_reports(const std::function<bool(const core::Report&)>&) override { return no(); }
  core::Status scan_indicators(const std::function<bool(const core::Indicator&)>&) override { return no(); }
  core::Status scan_indicator_values(const std::function<bool(std::string_view, std::string_view)>&) override { return no(); }
  core::Result<Counts> counts() override { return no(); }
  core::Status catch_up() override { return {}; }

 private:
  static core::Error no() { return core::make_error(core::ErrorCode::Unsupported, "not a point read"); }
  template <typename T, typename Parse>
  static core::Result<T> decode(const core::Json& hex, Parse parse) {
    if (!hex.is_string()) return core::make_error(core::ErrorCode::Corruption, "smishd's answer: not a hex string");
    auto bytes = core::from_hex(hex.get<std::string>());
    if (!bytes) return bytes.error();
    auto j = core::decode_binary(*bytes);
    if (!j) return j.error();
    return parse(*j);
  }
  std::map<std::pair<core::IndicatorKind, std::string>, core::Indicator> indicators_;
  std::map<std::uint64_t, core::Report> reports_;
  bool prefetched_ = false;
  /// One record by op "get": nullopt when smishd has none.
  template <typename T, typename Parse>
  core::Result<std::optional<T>> get(const core::Json& request, Parse parse) {
    auto resp = admin_request(path_, request, std::chrono::seconds(5));
    if (!resp) return resp.error();
    if (!resp->value("ok", false)) return core::make_error(core::ErrorCode::Internal, resp->value("error", "smishd refused"));
    if (!resp->value("found", false)) return std::optional<T>{};
    auto value = decode<T>(resp->value("value", core::Json()), parse);
    if (!value) return value.error();
    return std::optional<T>(std::move(*value));
  }
  std::string path_;
};

/// The protected brands into `config`, as smishd loads them: extraction flags look-alikes of them
/// and the listing policy never lists their own values. smishd refuses to start without them;
/// smishctl still answers (an analyst may run it where the relative default path does not
/// resolve) and says so.
void load_brands(Config& config) {
  if (auto s = attach_brands(config); !s)
    std::cerr << "smishctl: brands: " << s.error().detail << " (continuing without protected brands)\n";
}

/// For commands that only read single records (lookup, report): smishd answers them when it
/// runs; otherwise (or when it is too old to know "get") the secondary instance, and the brands
/// for the listing policy.
int open_point_store(Ctx& ctx) {
  if (const auto path = admin_socket_path(ctx.config); !path.empty()) {
    auto probe = admin_request(path, core::Json{{"op", "get"}, {"what", "report"}, {"id", 0}}, std::chrono::seconds(2));
    if (probe && probe->value("ok", false)) {
      ctx.store = std::make_unique<AdminReads>(path);
      ctx.evaluated_by_smishd = true;
      return kFound;
    }
  }
  load_brands(ctx.config);
  // smishd is not answering: a read-only instance opens faster than a secondary (storage opens a
  // secondary all the same when a writer holds the database).
  return open_store(ctx, storage::OpenMode::ReadOnly);
}

// The --since/--until window of a command, in Unix ms ([since, until)); false after a usage message.
struct Window {
  std::int64_t since = std::numeric_limits<std::int64_t>::min();
  std::int64_t until = std::numeric_limits<std::int64_t>::max();
  bool bounded_below() const { return since != std::numeric_limits<std::int64_t>::min(); }
  bool contains(std::int64_t ms) const { return ms >= since && ms < until; }
};

bool read_window(const Args& a, std::int64_t now_ms, Window& w) {
  for (const char* key : {"since", "until"}) {
    auto v = a.get(key);
    if (!v) continue;
    auto t = parse_time_ms(*v, now_ms);
    if (!t) {
      std::cerr << "smishctl: --" << key << " expects a duration back from now (24h, 7d) or an ISO date "
                << "(2026-12-01, 2026-12-01T08:30Z), not \"" << *v << "\"\n";
      return false;
    }
    (std::string_view(key) == "since" ? w.since : w.until) = *t;
  }
  if (w.since >= w.until) {
    std::cerr << "smishctl: --since must be before --until\n";
    return false;
  }
  return true;
}

// Reports are scanned newest first by id, and ids follow processing order, not arrival: a
// concatenation is processed when its last part arrives (at most the reassembly timeout after the
// first), and a backlog after a restart later still. A scan bounded by --since therefore stops only
// this far past the window's start.
std::int64_t arrival_slack_ms(const Ctx& ctx) { return (ctx.config.storage.reassembly_timeout_s + 3600) * 1000; }

// Report digests newest first: from their own family (schema 3), or derived from the reports on a
// database smishd has not migrated yet.
core::Status scan_digests(Ctx& ctx, const std::function<bool(const storage::ReportDigest&)>& fn) {
  auto s = ctx.store->scan_report_digests(fn);
  if (s || s.error().code != core::ErrorCode::Unsupported) return s;
  return ctx.store->scan_reports([&](const core::Report& r) { return fn(storage::digest_of(r)); });
}

// Whether a report carries the indicator `t` (what extraction found, or the sender the reporter named).
bool carries(const core::Report& r, const Target& t) {
  using K = core::IndicatorKind;
  if ((t.kind == K::Number || t.kind == K::SenderId) && r.reported_sender == t.value) return true;
  switch (t.kind) {
    case K::Number:
      return std::any_of(r.extraction.numbers.begin(), r.extraction.numbers.end(), [&](auto& n) { return n.e164 == t.value; });
    case K::SenderId:
      return std::find(r.extraction.sender_ids.begin(), r.extraction.sender_ids.end(), t.value) != r.extraction.sender_ids.end();
    case K::Url:
      return std::any_of(r.extraction.urls.begin(), r.extraction.urls.end(), [&](auto& u) { return u.url == t.value; });
    case K::Host:
      return std::any_of(r.extraction.urls.begin(), r.extraction.urls.end(), [&](auto& u) { return u.host == t.value; });
    case K::Domain:
      return std::any_of(r.extraction.urls.begin(), r.extraction.urls.end(), [&](auto& u) { return u.domain == t.value; });
  }
  return false;
}

Colour label_colour(core::Label l) {
  return l == core::Label::Scam ? Colour::Red : l == core::Label::Spam ? Colour::Yellow
         : l == core::Label::Legit ? Colour::Green : Colour::None;
}

int cmd_reports(Ctx& ctx, const Args& a) {
  std::size_t limit = 20, offset = 0;
  if (!count_option(a, "limit", 1, std::numeric_limits<std::size_t>::max(), limit) ||
      !count_option(a, "offset", 0, std::numeric_limits<std::size_t>::max(), offset))
    return kUsage;
  std::uint64_t before = std::numeric_limits<std::uint64_t>::max();
  if (a.get("before")) {
    std::size_t n = 0;
    if (!count_option(a, "before", 1, std::numeric_limits<std::size_t>::max(), n)) return kUsage;
    before = n;
  }
  auto label = a.get("label"), category = a.get("category"), contains = a.get("contains"), campaign = a.get("campaign");
  if (label && !core::parse_label(*label)) {
    std::cerr << "smishctl: --label expects scam|spam|legit|unclear\n";
    return kUsage;
  }
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  Window window;
  if (!read_window(a, now_ms, window)) return kUsage;
  std::optional<Target> indicator;
  if (auto v = a.get("indicator")) {
    auto t = resolve_target(ctx, *v, false);
    if (!t || t->report_id) {
      std::cerr << "smishctl: --indicator: " << (t ? "a report is not an indicator" : t.error().detail) << "\n";
      return kUsage;
    }
    indicator = std::move(*t);
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  std::vector<core::Report> found;
  std::size_t skipped = 0;
  bool more = false;
  const std::int64_t stop_below = window.bounded_below() ? window.since - arrival_slack_ms(ctx) : window.since;
  auto visit = [&](const core::Report& r) {
    if (r.received_ms < stop_below) return false;
    if (r.id >= before || !window.contains(r.received_ms)) return true;
    if (label && core::to_string(r.verdict.label) != *label) return true;
    if (category && r.verdict.category != *category) return true;
    if (contains && r.text.find(*contains) == std::string::npos) return true;
    if (campaign && r.campaign != *campaign) return true;
    if (indicator && !carries(r, *indicator)) return true;
    if (skipped < offset) {
      ++skipped;
      return true;
    }
    if (found.size() == limit) {
      more = true;
      return false;
    }
    found.push_back(r);
    return true;
  };
  // An indicator or a campaign: its reports through the report index (a few point reads
  // instead of a scan of every report); a schema-1 database without the index is scanned.
  core::Status s = core::make_error(core::ErrorCode::Unsupported, "no index for this search");
  if (indicator || campaign) {
    core::Status read;
    s = ctx.store->scan_report_ids(
        indicator ? storage::ReportIndex::Indicator : storage::ReportIndex::Campaign,
        indicator ? std::string(core::to_string(indicator->kind)) + ":" + indicator->value : *campaign,
        [&](std::uint64_t id) {
          auto r = ctx.store->get_report(id);
          if (!r) read = r.error();
          return r && (!*r || visit(**r));
        });
    if (s && !read) s = read;
  }
  if (!s && s.error().code == core::ErrorCode::Unsupported) s = ctx.store->scan_reports(visit);
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  if (ctx.json) {
    for (const auto& r : found) std::cout << core::to_json(r).dump(-1, ' ', false, core::Json::error_handler_t::replace) << "\n";
  } else {
    Listing out;
    out.header = {"ID", "RECEIVED", "CC", "LABEL", "CATEGORY", "SCORE", "CAMPAIGN", "TEXT"};
    for (const auto& r : found)
      out.add({std::to_string(r.id), core::format_utc(r.received_ms).substr(0, 19), r.reporter_country,
               paint(ctx, std::string(core::to_string(r.verdict.label)), label_colour(r.verdict.label)), r.verdict.category,
               fmt::format("{:.2f}", r.verdict.score), r.campaign, ctx.csv ? r.text : excerpt(r.text, 60)},
              core::Json());
    out.print(ctx);
  }
  // The cursor for the next page, for people (scripts page with --offset or --before themselves).
  if (more && !ctx.json && !ctx.csv)
    std::cerr << "more: --before " << found.back().id << "\n";
  if (found.empty() && !ctx.json && !ctx.csv) std::cerr << "smishctl: no report matches\n";
  return found.empty() ? kNotFound : kFound;
}

int cmd_report(Ctx& ctx, const Args& a) {
  if (a.positional.size() != 2) {
    std::cerr << "usage: smishctl report ID\n";
    return kUsage;
  }
  char* end = nullptr;
  const auto id = std::strtoull(a.positional[1].c_str(), &end, 10);
  if (*end != '\0') {
    std::cerr << "smishctl: report ID must be a number\n";
    return kUsage;
  }
  if (int rc = open_point_store(ctx); rc != kFound) return rc;
  auto r = ctx.store->get_report(id);
  if (!r) {
    std::cerr << "smishctl: " << r.error().message() << "\n";
    return kUsage;
  }
  if (!r->has_value()) {
    std::cerr << "smishctl: no report " << id << "\n";
    return kNotFound;
  }
  const auto& rep = **r;
  if (ctx.json) {
    std::cout << core::to_json(rep).dump(2) << "\n";
    return kFound;
  }
  std::cout << fmt::format("report {}\nreceived  {}\nreporter  {} ({})\nsmsc      {} -> {}\ncoding    data_coding {} in {} part(s), flags {}\n",
                           rep.id, core::format_utc(rep.received_ms), rep.reporter, rep.reporter_country, rep.smsc,
                           rep.dest, rep.data_coding, rep.parts, rep.text_flags);
  std::cout << fmt::format("verdict   {} / {} (score {:.2f}, language {}, {})\n", core::to_string(rep.verdict.label),
                           rep.verdict.category, rep.verdict.score, rep.verdict.language, rep.verdict.model_version);
  std::cout << "text\n  " << rep.text << "\n";
  for (const auto& n : rep.extraction.numbers)
    std::cout << "number    " << n.e164 << "  [" << fmt::format("{}", fmt::join(n.flags, ",")) << "]\n";
  for (const auto& u : rep.extraction.urls)
    std::cout << "url       " << u.url << "  domain " << u.domain << "  [" << fmt::format("{}", fmt::join(u.flags, ",")) << "]\n";
  for (const auto& reason : rep.verdict.reasons) std::cout << "reason    " << reason << "\n";
  for (const auto& pdu : rep.raw_pdus) std::cout << "pdu       " << core::to_hex(pdu) << "\n";
  return kFound;
}

std::vector<std::pair<core::IndicatorKind, std::string>> lookup_keys(const Ctx& ctx, const std::string& value) {
  std::vector<std::pair<core::IndicatorKind, std::string>> keys;
  bool digits_only = !value.empty() && value.find_first_not_of("+0123456789 ()-.") == std::string::npos;
  if (digits_only) {
    // Already E.164 ("+" and 7 to 15 digits): the stored key as it is, without loading
    // libphonenumber's metadata for every region (about 10 ms of a 20 ms lookup).
    const bool e164 = value.size() >= 8 && value.size() <= 16 && value[0] == '+' && value[1] != '0' &&
                      value.find_first_not_of("0123456789", 1) == std::string::npos;
    if (e164) {
      keys.emplace_back(core::IndicatorKind::Number, value);
      return keys;
    }
    if (auto e164 = classifier::to_e164(value, ctx.config.extract.default_region))
      keys.emplace_back(core::IndicatorKind::Number, *e164);
    keys.emplace_back(core::IndicatorKind::Number, value);  // short codes are stored as written
    return keys;
  }
  // A plain ASCII name ("www.parcel-7.top"): the host itself and each parent of two labels or
  // more, one of which is its registrable domain as stored. Point reads of keys that do not exist
  // cost microseconds; building the extractor (libphonenumber's metadata, the brands) costs 60 ms.
  std::string name = value;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name.find('.') != std::string::npos &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos) {
    keys.emplace_back(core::IndicatorKind::Host, name);
    for (std::size_t at = 0; name.find('.', at) != std::string::npos; at = name.find('.', at) + 1)
      keys.emplace_back(core::IndicatorKind::Domain, name.substr(at));
    keys.emplace_back(core::IndicatorKind::SenderId, value);  // "Info.LV" may be a sender ID
    return keys;
  }
  classifier::Extractor extractor(ctx.config.extract);
  auto ex = extractor.extract(value, ctx.config.extract.default_region);
  for (const auto& u : ex.urls) {
    if (value.find('/') != std::string::npos) keys.emplace_back(core::IndicatorKind::Url, u.url);
    keys.emplace_back(core::IndicatorKind::Host, u.host);
    keys.emplace_back(core::IndicatorKind::Domain, u.domain);
  }
  if (keys.empty()) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    keys.emplace_back(core::IndicatorKind::Domain, lower);
    keys.emplace_back(core::IndicatorKind::Host, lower);
    keys.emplace_back(core::IndicatorKind::SenderId, value);
  }
  return keys;
}

// An indicator as smishctl prints it for scripts: without the reporter pseudonyms, the
// first-time set and the sketch, which stay in the database.
core::Json indicator_json(const core::Indicator& ind) {
  auto j = core::to_json(ind);
  for (const char* key : {"reporters", "newcomers", "sketch"}) j.erase(key);
  return j;
}

int cmd_lookup(Ctx& ctx, const Args& a) {
  if (a.positional.size() != 2) {
    std::cerr << "usage: smishctl lookup VALUE\n";
    return kUsage;
  }
  if (int rc = open_point_store(ctx); rc != kFound) return rc;
  std::vector<core::Indicator> found;
  std::set<std::pair<core::IndicatorKind, std::string>> seen;
  const auto keys = lookup_keys(ctx, a.positional[1]);
  if (auto* admin = dynamic_cast<AdminReads*>(ctx.store.get())) {
    if (auto s = admin->prefetch(keys, kLookupRecentReports); !s) {
      std::cerr << "smishctl: " << s.error().message() << "\n";
      return kUsage;
    }
  }
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  for (const auto& [kind, key] : keys) {
    if (!seen.emplace(kind, key).second) continue;
    // smishd's answer is evaluated already; a local read is evaluated here, its reporters
    // counted while decoding rather than kept.
    auto ind = ctx.evaluated_by_smishd ? ctx.store->get_indicator(kind, key)
                                       : blocklist::read_evaluated(*ctx.store, kind, key, ctx.config.blocklist, now_ms);
    if (!ind) {
      std::cerr << "smishctl: " << ind.error().message() << "\n";
      return kUsage;
    }
    if (ind->has_value()) found.push_back(std::move(**ind));
  }
  if (found.empty()) {
    if (!ctx.json) std::cerr << "smishctl: " << a.positional[1] << " has never been reported\n";
    return kNotFound;
  }
  if (ctx.csv) {
    Listing out;
    out.header = {"KIND", "VALUE", "STATUS", "REASON", "BY", "REPORTS", "REPORTERS", "FIRST SEEN", "LAST SEEN",
                  "CATEGORY", "MAX SCORE"};
    for (auto& ind : found) {
      out.add({std::string(core::to_string(ind.kind)), ind.value, std::string(core::to_string(ind.status)),
               ind.status_reason, ind.status_actor, std::to_string(ind.total_reports),
               std::to_string(ind.distinct_reporters), core::format_utc(ind.first_seen_ms),
               core::format_utc(ind.last_seen_ms), ind.top_category(), fmt::format("{:.2f}", ind.max_score)},
              core::Json());
    }
    return out.print(ctx);
  }
  for (auto& ind : found) {
    if (ctx.json) {
      std::cout << indicator_json(ind).dump() << "\n";
      continue;
    }
    std::cout << fmt::format("{} {}\n  status     {} ({}, by {})\n  reports    {} from {} distinct reporters\n"
                             "  seen       {} .. {}\n  category   {}   max score {:.2f}\n",
                             core::to_string(ind.kind), ind.value, core::to_string(ind.status), ind.status_reason,
                             ind.status_actor, ind.total_reports, ind.distinct_reporters,
                             core::format_utc(ind.first_seen_ms), core::format_utc(ind.last_seen_ms),
                             ind.top_category(), ind.max_score);
    auto votes = [](const std::map<std::string, std::uint64_t>& m, std::size_t n) {
      std::vector<std::pair<std::uint64_t, std::string>> v;
      for (const auto& [k, count] : m) v.emplace_back(count, k);
      std::sort(v.rbegin(), v.rend());
      std::string out;
      for (std::size_t i = 0; i < v.size() && i < n; ++i) out += fmt::format("{}{} ({})", i ? ", " : "", v[i].second, v[i].first);
      return out;
    };
    if (ind.categories.size() > 1) std::cout << "  votes      " << votes(ind.categories, 5) << "\n";
    if (!ind.campaigns.empty()) std::cout << "  campaigns  " << votes(ind.campaigns, 3) << "\n";
    if (!ind.daily.empty()) {
      std::string days;
      for (auto it = ind.daily.rbegin(); it != ind.daily.rend() && std::distance(ind.daily.rbegin(), it) < 7; ++it)
        days += fmt::format("{}{} {}", days.empty() ? "" : ", ", it->first.substr(5), it->second);
      std::cout << "  per day    " << days << "\n";
    }
    if (core::is_blocked(ind.status) && ind.expires_ms) std::cout << "  exported   until " << core::format_utc(ind.expires_ms) << "\n";
    for (auto it = ind.recent_reports.rbegin(); it != ind.recent_reports.rend() && it - ind.recent_reports.rbegin() < static_cast<long>(kLookupRecentReports); ++it) {
      auto r = ctx.store->get_report(*it);
      if (r && r->has_value()) std::cout << fmt::format("  report {:>6}  {}\n", *it, excerpt((*r)->text, 70));
    }
  }
  return kFound;
}

int cmd_stats(Ctx& ctx, const Args& a) {
  const std::string by = a.get("by").value_or("category");
  if (by != "day" && by != "category" && by != "region") {
    std::cerr << "smishctl: stats --by expects day|category|region\n";
    return kUsage;
  }
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  Window window;
  if (!read_window(a, now_ms, window)) return kUsage;
  if (int rc = open_store(ctx); rc != kFound) return rc;
  std::map<std::string, std::uint64_t> by_label, by_category, by_region, by_day;
  std::uint64_t total = 0;
  const std::int64_t stop_below = window.bounded_below() ? window.since - arrival_slack_ms(ctx) : window.since;
  auto s = scan_digests(ctx, [&](const storage::ReportDigest& r) {
    if (r.received_ms < stop_below) return false;
    if (!window.contains(r.received_ms)) return true;
    ++total;
    ++by_label[std::string(core::to_string(r.label))];
    ++by_category[r.category];
    ++by_region[r.reporter_country.empty() ? "unknown" : r.reporter_country];
    ++by_day[utc_day(r.received_ms)];
    return true;
  });
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  // Days without reports are rows too, from the window's first day (or the first report) to the last.
  if (by == "day" && !by_day.empty()) {
    const std::int64_t first = window.bounded_below() ? window.since : 0;
    const std::string last_day = window.until == std::numeric_limits<std::int64_t>::max()
                                     ? std::max(by_day.rbegin()->first, utc_day(now_ms)) : utc_day(window.until - 1);
    std::int64_t day_ms = first ? first : 0;
    if (!first) {  // from the oldest report's day
      std::tm tm{};
      std::istringstream in(by_day.begin()->first);
      in >> std::get_time(&tm, "%Y-%m-%d");
      day_ms = static_cast<std::int64_t>(::timegm(&tm)) * 1000;
    }
    for (int guard = 0; guard < 36600 && utc_day(day_ms) <= last_day; ++guard, day_ms += 86400000) by_day.try_emplace(utc_day(day_ms), 0);
  }
  const auto& rows_of = by == "day" ? by_day : by == "region" ? by_region : by_category;
  if (ctx.json) {
    core::Json j{{"reports", total}, {"by_label", by_label}, {"by_category", by_category}, {"by_region", by_region},
                 {"by_day", by_day}};
    if (window.bounded_below()) j["since_ms"] = window.since;
    if (window.until != std::numeric_limits<std::int64_t>::max()) j["until_ms"] = window.until;
    std::cout << j.dump() << "\n";
    return total ? kFound : kNotFound;
  }
  std::vector<std::pair<std::string, std::uint64_t>> rows(rows_of.begin(), rows_of.end());
  if (by != "day")  // days stay in calendar order; the rest most reported first
    std::stable_sort(rows.begin(), rows.end(), [](auto& x, auto& y) { return x.second > y.second; });
  std::uint64_t most = 1;
  for (const auto& r : rows) most = std::max(most, r.second);
  std::string key = by == "day" ? "DAY" : by == "region" ? "REGION" : "CATEGORY";
  Listing out;
  out.header = {key, "REPORTS"};
  if (!ctx.csv) out.header.push_back("");
  for (const auto& [name, n] : rows) {
    std::vector<std::string> row{name, std::to_string(n)};
    if (!ctx.csv) row.push_back(bar(static_cast<double>(n), static_cast<double>(most), 30));
    out.add(std::move(row), core::Json());
  }
  if (ctx.csv) {
    out.print(ctx);
    return total ? kFound : kNotFound;
  }
  out.print(ctx);
  std::cout << fmt::format("\n{} reports:", total);
  for (const auto& [label, n] : by_label) std::cout << fmt::format(" {} {}", label, n);
  std::cout << "\n";
  return total ? kFound : kNotFound;
}

// One value's figures in `top` when counted over reports. Reporters are counted by a 64-bit hash
// of their pseudonym (themselves HMAC outputs): a collision among a million reporters is about as
// likely as 1 in 30 million, and sets of integers made `top --since 7d` three times faster than
// sets of strings.
struct Tally {
  std::uint64_t reports = 0;
  std::unordered_set<std::uint64_t> reporters, previous_reporters;
  storage::CategoryVotes categories;
  std::int64_t last_seen_ms = 0;
  core::IndicatorKind kind = core::IndicatorKind::Number;
};

// A row of `top` counted over reports or campaign summaries: the table cells and the JSON object.
std::pair<std::vector<std::string>, core::Json> count_row(const Ctx& ctx, const std::string& kind, const std::string& value,
                                                          std::uint64_t reporters, std::uint64_t reports,
                                                          const std::string& status, const std::string& category,
                                                          std::int64_t last_seen_ms) {
  return {{value, std::to_string(reporters), std::to_string(reports), paint(ctx, status, status_colour(status)), category},
          core::Json{{"kind", kind}, {"value", value}, {"distinct_reporters", reporters}, {"total_reports", reports},
                     {"status", status}, {"category", category}, {"last_seen_ms", last_seen_ms}}};
}

// Calls fn(kind, value) for each distinct value of `what` a report carries.
template <typename Fn>
void for_each_value(const storage::ReportDigest& r, const std::string& what, Fn&& fn) {
  using K = core::IndicatorKind;
  thread_local std::vector<const std::string*> seen;  // reused: no allocation per report
  seen.clear();
  auto visit = [&](K k, const std::string& v) {
    if (v.empty() || std::any_of(seen.begin(), seen.end(), [&](const std::string* s) { return *s == v; })) return;
    seen.push_back(&v);
    fn(k, v);
  };
  auto visit_all = [&](K k, const std::vector<std::string>& values) {
    for (const auto& v : values) visit(k, v);
  };
  if (what == "numbers") visit_all(K::Number, r.numbers);
  if (what == "urls") visit_all(K::Url, r.urls);
  if (what == "hosts") visit_all(K::Host, r.hosts);
  if (what == "domains") visit_all(K::Domain, r.domains);
  if (what == "senders") {
    visit_all(K::SenderId, r.sender_ids);
    if (!r.reported_sender.empty())
      visit(r.reported_sender.find_first_not_of("+0123456789") == std::string::npos ? K::Number : K::SenderId, r.reported_sender);
  }
  if (what == "campaigns") visit(K::SenderId, r.campaign);  // the kind is unused for campaigns
}

// The `limit` indicators of `kind` with the most distinct reporters (then reports), evaluated now;
// `senders` adds the numbers reporters named as the sender. Ranked over the indicator summaries
// (a few bytes each) and only the winners read whole; a database without summaries (schema 2) is
// read whole.
core::Status top_indicators(Ctx& ctx, core::IndicatorKind kind, bool senders, std::size_t limit, std::int64_t now_ms,
                            std::vector<core::Indicator>& out) {
  using K = core::IndicatorKind;
  struct Ranked {
    std::uint64_t distinct, total;
    K kind;
    std::string value;
  };
  std::vector<Ranked> ranked;
  auto s = ctx.store->scan_indicator_summaries([&](K k, std::string_view value, const storage::IndicatorSummary& sum) {
    if (k == kind || (senders && k == K::Number && sum.reported_sender))
      ranked.push_back({sum.distinct_reporters, sum.total_reports, k, std::string(value)});
    return true;
  });
  if (s) {
    auto better = [](const Ranked& x, const Ranked& y) {
      return std::tie(x.distinct, x.total, y.value) > std::tie(y.distinct, y.total, x.value);
    };
    const auto n = std::min(limit, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(), better);
    for (std::size_t i = 0; i < n; ++i) {
      auto ind = blocklist::read_evaluated(*ctx.store, ranked[i].kind, ranked[i].value, ctx.config.blocklist, now_ms);
      if (!ind) return ind.error();
      if (ind->has_value()) out.push_back(std::move(**ind));  // else written after the summaries were read
    }
    return {};
  }
  if (s.error().code != core::ErrorCode::Unsupported) return s;
  s = ctx.store->scan_indicators([&](const core::Indicator& i) {
    const bool named_number = senders && i.kind == K::Number &&
                              std::find(i.flags.begin(), i.flags.end(), "reported_sender") != i.flags.end();
    if (i.kind == kind || named_number) {
      out.push_back(i);
      blocklist::evaluate(out.back(), ctx.config.blocklist, now_ms);
    }
    return true;
  });
  if (!s) return s;
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.distinct_reporters, x.total_reports, y.value) > std::tie(y.distinct_reporters, y.total_reports, x.value);
  });
  if (out.size() > limit) out.resize(limit);
  return {};
}

int cmd_top(Ctx& ctx, const Args& a) {
  static const std::map<std::string, core::IndicatorKind> kinds = {{"numbers", core::IndicatorKind::Number},
                                                                   {"domains", core::IndicatorKind::Domain},
                                                                   {"hosts", core::IndicatorKind::Host},
                                                                   {"urls", core::IndicatorKind::Url},
                                                                   {"senders", core::IndicatorKind::SenderId},
                                                                   {"campaigns", core::IndicatorKind::SenderId}};
  if (a.positional.size() != 2 || !kinds.count(a.positional[1])) {
    std::cerr << "usage: smishctl top numbers|domains|urls|hosts|senders|campaigns [--since D] [--limit N]\n";
    return kUsage;
  }
  const std::string what = a.positional[1];
  std::size_t limit = 10;
  if (!count_option(a, "limit", 1, std::numeric_limits<std::size_t>::max(), limit)) return kUsage;
  const auto now_ms = core::to_unix_ms(core::SystemClock::instance().now());
  Window window;
  if (!read_window(a, now_ms, window)) return kUsage;
  if (int rc = open_store(ctx); rc != kFound) return rc;
  Listing out;
  const bool by_reports = window.bounded_below() || window.until != std::numeric_limits<std::int64_t>::max() || what == "campaigns";
  if (!by_reports) {
    // All time: the indicators' own counters. Senders are the sender ids and the numbers
    // reporters named as the sender.
    std::vector<core::Indicator> all;
    if (auto s = top_indicators(ctx, kinds.at(what), what == "senders", limit, now_ms, all); !s) {
      std::cerr << "smishctl: " << s.error().message() << "\n";
      return kUsage;
    }
    out.header = {"VALUE", "REPORTERS", "REPORTS", "STATUS", "CATEGORY"};
    for (auto& i : all) {
      auto j = indicator_json(i);
      const std::string status(core::to_string(i.status));
      out.add({i.value, std::to_string(i.distinct_reporters), std::to_string(i.total_reports),
               paint(ctx, status, status_colour(status)), i.top_category()},
              std::move(j));
    }
    return out.print(ctx);
  }
  if (what == "campaigns" && !window.bounded_below() && window.until == std::numeric_limits<std::int64_t>::max()) {
    // All time: the campaigns' own counters (schema 3); a database without them is counted over
    // its report digests below.
    struct Ranked {
      std::string campaign;
      storage::CampaignSummary sum;
    };
    std::vector<Ranked> ranked;
    auto s = ctx.store->scan_campaign_summaries([&](std::string_view campaign, const storage::CampaignSummary& sum) {
      ranked.push_back({std::string(campaign), sum});
      return true;
    });
    if (s) {
      auto better = [](const Ranked& x, const Ranked& y) {
        return std::tie(x.sum.distinct_reporters, x.sum.reports, y.campaign) > std::tie(y.sum.distinct_reporters, y.sum.reports, x.campaign);
      };
      const auto shown = std::min(limit, ranked.size());
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(shown), ranked.end(), better);
      ranked.resize(shown);
      out.header = {"VALUE", "REPORTERS", "REPORTS", "STATUS", "CATEGORY"};
      for (const auto& [campaign, sum] : ranked) {
        auto [row, j] = count_row(ctx, "campaign", campaign, sum.distinct_reporters, sum.reports, "-", sum.top_category(),
                                  sum.last_seen_ms);
        out.add(std::move(row), std::move(j));
      }
      return out.print(ctx);
    }
    if (s.error().code != core::ErrorCode::Unsupported) {
      std::cerr << "smishctl: " << s.error().message() << "\n";
      return kUsage;
    }
  }
  // A window (or campaigns): count over the reports received in it, and over the window of the same
  // length just before it, so that what is rising shows against what was there already.
  const std::int64_t until = std::min(window.until, now_ms + 1);
  const std::int64_t length = window.bounded_below() ? until - window.since : 0;
  const std::int64_t previous_since = window.bounded_below() ? window.since - length : window.since;
  const std::int64_t stop_below = window.bounded_below() ? previous_since - arrival_slack_ms(ctx) : window.since;
  std::unordered_map<std::string, Tally> tallies;
  const std::hash<std::string> hash;
  auto s = scan_digests(ctx, [&](const storage::ReportDigest& r) {
    if (r.received_ms < stop_below) return false;
    const bool in_window = window.contains(r.received_ms);
    const bool in_previous = window.bounded_below() && r.received_ms >= previous_since && r.received_ms < window.since;
    if (!in_window && !in_previous) return true;
    const std::uint64_t reporter = hash(r.reporter);
    for_each_value(r, what, [&](core::IndicatorKind kind, const std::string& value) {
      auto it = tallies.find(value);
      if (it == tallies.end()) it = tallies.try_emplace(value).first;
      auto& t = it->second;
      t.kind = kind;
      if (in_previous) {
        t.previous_reporters.insert(reporter);
        return;
      }
      ++t.reports;
      t.reporters.insert(reporter);
      storage::vote(t.categories, r.category, 1);
      t.last_seen_ms = std::max(t.last_seen_ms, r.received_ms);
    });
    return true;
  });
  if (!s) {
    std::cerr << "smishctl: " << s.error().message() << "\n";
    return kUsage;
  }
  std::vector<std::pair<const std::string*, const Tally*>> rows;
  for (const auto& [value, t] : tallies)
    if (t.reports) rows.emplace_back(&value, &t);
  // Most distinct reporters first, then most reports, then the steepest rise, then value order.
  auto rise = [](const Tally& t) { return static_cast<std::int64_t>(t.reporters.size()) - static_cast<std::int64_t>(t.previous_reporters.size()); };
  auto better = [&](const auto& x, const auto& y) {
    return std::tuple(x.second->reporters.size(), x.second->reports, rise(*x.second), std::string_view(*y.first)) >
           std::tuple(y.second->reporters.size(), y.second->reports, rise(*y.second), std::string_view(*x.first));
  };
  const auto shown = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(), better);
  rows.resize(shown);
  out.header = {"VALUE", "REPORTERS", "REPORTS", "STATUS", "CATEGORY"};
  if (window.bounded_below()) {
    out.header.push_back("BEFORE");
    out.header.push_back("RISE");
  }
  for (const auto& [value_ptr, tally] : rows) {
    const std::string& value = *value_ptr;
    const Tally& t = *tally;
    std::string status = "-";
    if (what != "campaigns") {
      auto ind = blocklist::read_evaluated(*ctx.store, t.kind, value, ctx.config.blocklist, now_ms);
      if (ind && ind->has_value()) status = std::string(core::to_string((*ind)->status));
    }
    auto [row, j] = count_row(ctx, what == "campaigns" ? std::string("campaign") : std::string(core::to_string(t.kind)), value,
                              t.reporters.size(), t.reports, status, core::most_voted(t.categories), t.last_seen_ms);
    if (window.bounded_below()) {
      j["previous_reporters"] = t.previous_reporters.size();
      const auto r = rise(t);
      row.push_back(std::to_string(t.previous_reporters.size()));
      row.push_back(paint(ctx, fmt::format("{:+d}", r), r > 0 ? Colour::Red : Colour::None));
    }
    out.add(std::move(row), std::move(j));
  }
  return out.print(ctx);
}

int cmd_export(Ctx& ctx, const Args& a) {
  constexpr int kRefused = 3;  // the circuit breaker held the export back
  if (auto out = a.get("out")) ctx.config.exporter.out_dir = *out;
  blocklist::ExportOptions opts;
  opts.force = a.has("force");
  opts.dry_run = a.has("dry-run");
  auto exporter = blocklist::Exporter::create(ctx.config.blocklist, ctx.config.exporter);
  if (!exporter) {
    std::cerr << "smishctl: export: " << exporter.error().message() << "\n";
    return kUsage;
  }
  if (int rc = open_store(ctx); rc != kFound) return rc;
  // A progress line while the export runs, on a terminal only (the exporter reports no steps, so
  // the line names the phase and is cleared when it ends).
  const bool progress = ::isatty(STDERR_FILENO);
  if (progress) std::cerr << (opts.dry_run ? "export: comparing with the current serial..." : "export: writing the blocklists...") << std::flush;
  auto r = (*exporter)->run(*ctx.store, core::to_unix_ms(core::SystemClock::instance().now()), opts);
  if (progress) std::cerr << "\r\033[K" << std::flush;
  if (!r) {
    std::cerr << "smishctl: export: " << r.error().message() << "\n";
    return kUsage;
  }
  const int rc = r->outcome == blocklist::ExportOutcome::Refused ? kRefused : kFound;
  if (ctx.json) {
    core::Json j{{"outcome", blocklist::to_string(r->outcome)}, {"serial", r->serial},
                 {"previous_serial", r->previous_serial}, {"numbers", r->numbers}, {"sender_ids", r->sender_ids},
                 {"domains", r->domains}, {"hosts", r->hosts}, {"urls", r->urls}, {"allowlisted", r->allowlisted},
                 {"withheld_protected", r->protected_skipped}, {"withheld_invalid", r->invalid_skipped},
                 {"added", r->delta.added()}, {"removed", r->delta.removed()}, {"files", r->files}};
    if (!r->refusal.empty()) j["refusal"] = r->refusal;
    std::cout << j.dump() << "\n";
    if (opts.dry_run)
      for (const auto& e : r->delta.entries) {
        const auto [kind, value] = blocklist::split_key(e.key);
        core::Json d{{"op", e.added ? "add" : "remove"}, {"kind", kind}, {"value", value}};
        if (!e.added) d["reason"] = blocklist::to_string(e.reason);
        std::cout << d.dump(-1, ' ', false, core::Json::error_handler_t::replace) << "\n";
      }
    return rc;
  }
  std::cout << fmt::format("export {} serial {}: {} numbers, {} sender ids, {} domains, {} hosts, {} URLs "
                           "({} added, {} removed since serial {})\n",
                           blocklist::to_string(r->outcome), r->serial, r->numbers, r->sender_ids, r->domains,
                           r->hosts, r->urls, r->delta.added(), r->delta.removed(), r->previous_serial);
  if (!r->refusal.empty())
    std::cout << (r->outcome == blocklist::ExportOutcome::Refused ? "refused: " : "would be refused: ") << r->refusal
              << (opts.force ? "" : " (--force publishes anyway)") << "\n";
  if (r->protected_skipped + r->invalid_skipped > 0)
    std::cout << fmt::format("withheld: {} protected, {} invalid\n", r->protected_skipped, r->invalid_skipped);
  if (opts.dry_run)
    for (const auto& e : r->delta.entries)
      std::cout << (e.added ? "+ " : "- ") << e.key << (e.added ? "" : fmt::format("  ({})", blocklist::to_string(e.reason)))
                << "\n";
  for (const auto& f : r->files) std::cout << "  " << f << "\n";
  return rc;
}

int cmd_analyze(Ctx& ctx, const Args& a) {
  auto rules = classifier::RuleSet::load_dir(ctx.config.classify.rules_dir);
  if (!rules) {
    std::cerr << "smishctl: rules: " << rules.error().detail << "\n";
    return kUsage;
  }
  if (auto path = a.get("model")) ctx.config.classify.model_file = *path;
  auto model = classifier::load_configured_model(ctx.config.classify);
  if (!model) {
    std::cerr << "smishctl: model: " << model.error().detail << "\n";
    return kUsage;
  }
  classifier::Extractor extractor(ctx.config.extract);
  classifier::Classifier classifier(*rules, ctx.config.classify, *model);
  std::ifstream file;
  std::istream* in = &std::cin;
  if (auto path = a.get("input"); path && *path != "-") {
    file.open(*path);
    if (!file) {
      std::cerr << "smishctl: cannot read " << *path << "\n";
      return kUsage;
    }
    in = &file;
  }
  std::string line;
  std::size_t lineno = 0, bad = 0;
  while (std::getline(*in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = core::Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      std::cerr << "smishctl: analyze: line " << lineno << ": expected a JSON object with a \"text\" string\n";
      ++bad;
      continue;
    }
    std::string region = j.value("region", "");
    if (region.empty() && j.contains("src") && j["src"].is_string()) {
      const auto src = j["src"].get<std::string>();
      if (auto e164 = classifier::to_e164(src, ctx.config.extract.default_region)) region = classifier::region_of(*e164);
    }
    const auto analysis = analyze_text(extractor, classifier, j["text"].get<std::string>(), region);
    std::cout << analysis_json(j.value("id", core::Json(lineno)), analysis).dump() << "\n";
  }
  return bad ? kUsage : kFound;
}

/// Every command: name, usage (what `smishctl COMMAND --help` prints), handler. Handlers in other
/// files are declared in ctl_commands.hpp.
struct Command {
  const char* name;
  const char* usage;
  int (*run)(Ctx&, const Args&);
};

constexpr const char* kReportsUsage =
    "usage: smishctl reports [--since T] [--until T] [--label scam|spam|legit|unclear] [--category C]\n"
    "                        [--contains TEXT] [--indicator VALUE] [--campaign ID]\n"
    "                        [--limit N] [--offset N | --before ID] [--json | --csv]\n"
    "Reports newest first (20 unless --limit), every filter applied together:\n"
    "  --since T, --until T   received in [T1, T2): a duration back from now (24h, 7d) or an ISO date\n"
    "                         or date-time in UTC (2026-12-01, 2026-12-01T08:30Z)\n"
    "  --label L              the classifier's label;  --category C  its category\n"
    "  --contains TEXT        the text holds TEXT (case-sensitive)\n"
    "  --indicator VALUE      the report carries the number (any format), URL, host, domain or sender id\n"
    "  --campaign ID          the report is in that campaign (c-...)\n"
    "  --offset N             skip the first N matches;  --before ID  only reports with a smaller id\n"
    "                         (a cursor: the table prints \"more: --before ID\" on stderr when there are more)\n"
    "Exit: 0 found, 1 none matches, 2 usage error.\n";
constexpr const char* kStatsUsage =
    "usage: smishctl stats [--since T] [--until T] [--by day|category|region] [--json | --csv]\n"
    "Report counts in the window (all time by default) by category (default), by UTC day (days\n"
    "without reports included) or by the reporter's region, with a bar chart and the labels' totals.\n"
    "--json: {\"reports\", \"by_label\", \"by_category\", \"by_region\", \"by_day\"}.\n"
    "Exit: 0 reports counted, 1 none in the window, 2 usage error.\n";
constexpr const char* kTopUsage =
    "usage: smishctl top numbers|domains|urls|hosts|senders|campaigns [--since T] [--until T] [--limit N] [--json | --csv]\n"
    "The values with the most distinct reporters, then the most reports (10 unless --limit). Senders are\n"
    "the sender ids in texts and the senders reporters named; campaigns are the reports' campaign ids.\n"
    "Without a window: all time, from the indicators' counters. With --since: counted over the reports\n"
    "received in the window, with BEFORE (reporters in the window of the same length just before) and RISE.\n"
    "Exit: 0 found, 1 nothing reported, 2 usage error.\n";

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"reports", kReportsUsage, cmd_reports},
      {"report", "usage: smishctl report ID [--json]\nOne report: text, extraction, verdict and reasons, raw PDUs.\n"
                 "Exit: 0 found, 1 no such report, 2 usage error.\n", cmd_report},
      {"lookup", "usage: smishctl lookup VALUE [--json | --csv]\nA number (any format), URL, host, domain or sender id: its "
                 "status, counts and latest reports.\nExit: 0 found, 1 never reported, 2 usage error.\n", cmd_lookup},
      {"stats", kStatsUsage, cmd_stats},
      {"top", kTopUsage, cmd_top},
      {"export", "usage: smishctl export [--out DIR] [--force] [--dry-run] [--json]\nPublishes the blocklists once "
                 "(a new serial); --dry-run prints the diff against the current serial,\n--force publishes past the "
                 "circuit breaker.\nExit: 0 done, 2 error, 3 refused by the circuit breaker.\n", cmd_export},
      {"analyze", "usage: smishctl analyze [--input FILE] [--model MODEL]\nJSONL {\"id\",\"text\"[,\"src\",\"region\"]} "
                  "in (stdin by default), one verdict a line out.\nExit: 0 done, 2 a malformed line or usage error.\n",
       cmd_analyze},
      {"train", "usage: smishctl train --input FILE [--input FILE ...] --out MODEL [--seed N] [--epochs N]\n"
                "                      [--evidence-weight W] [--hash-bits N]\nTrains a model on labelled JSONL "
                "(\"split\": \"test\" lines are never used).\nExit: 0 written, 2 usage, unreadable input or write error.\n",
       cmd_train},
      {"eval", "usage: smishctl eval --input FILE [--input FILE ...] [--model MODEL | --folds K] [--split test|train]\n"
               "                     [--group campaign|text] [--seed N] [--json]\nPer-class precision, recall and F1 "
               "with a confusion matrix.\nExit: 0 done, 2 usage or unreadable input.\n", cmd_eval},
      {"label", "usage: smishctl label ID|VALUE scam|spam|legit [--category C] [--note TEXT] [--actor NAME]\n"
                "A report's analyst label, or a decision on a value (scam blocks, legit allows, spam revokes).\n"
                "Exit: 0 applied, 1 no such report or value, 2 usage or failure, 3 refused.\n", cmd_label},
      {"allow", "usage: smishctl allow VALUE [--note TEXT] [--actor NAME]\nNever in any export, whatever the reports say.\n"
                "Exit: 0 applied, 1 no such value, 2 usage or failure, 3 refused.\n", cmd_allow},
      {"block", "usage: smishctl block VALUE [--ttl D] [--note TEXT] [--actor NAME]\nListed from the next export on.\n"
                "Exit: 0 applied, 1 no such value, 2 usage or failure, 3 refused.\n", cmd_block},
      {"unblock", "usage: smishctl unblock VALUE [--note TEXT] [--actor NAME]\nClears an analyst's decision.\n"
                  "Exit: 0 applied, 1 no such value, 2 usage or failure, 3 refused.\n", cmd_unblock},
      {"revoke", "usage: smishctl revoke VALUE --reason TEXT [--ttl D] [--note TEXT] [--actor NAME]\nOut of the exports "
                 "(for D).\nExit: 0 applied, 1 no such value, 2 usage or failure, 3 refused.\n", cmd_revoke},
      {"audit", "usage: smishctl audit [--limit N] [--target VALUE] [--verify] [--json | --csv]\nThe analysts' decisions; "
                "--verify checks the hash chain.\nExit: 0 listed or intact, 1 none or a broken chain, 2 usage error.\n",
       cmd_audit},
      {"backup", "usage: smishctl backup --out DIR [--json]\nA consistent copy of the whole database (a RocksDB checkpoint) "
                 "in DIR, which must not exist:\nmade by smishd through its admin socket while it runs, else on the "
                 "stopped database.\nRestore: docs/operations.md.\nExit: 0 written, 2 usage or failure.\n", cmd_backup},
      {"forget", "usage: smishctl forget --reporter NUMBER [--actor NAME] [--json]\nErases everything stored about the "
                 "reporter: reports, its place in each indicator, counters,\nconversation, unsent replies; then rescans "
                 "every record for its pseudonym.\nNeeds the pseudonym key. Through smishd while it runs, else on the "
                 "stopped database.\nExit: 0 forgotten, 1 nothing stored, 2 usage or failure.\n", cmd_forget},
  };
  return table;
}

/// Options that take a value, for every command.
const std::set<std::string> kValued = {"config", "set", "db", "limit", "label", "category", "contains", "out", "input",
                                       "model", "folds", "seed", "split", "group", "epochs", "evidence-weight",
                                       "hash-bits", "actor", "note", "reason", "ttl", "target", "since", "until",
                                       "by", "indicator", "campaign", "offset", "before", "reporter"};
const std::set<std::string> kFlags = {"help", "json", "csv", "force", "dry-run", "verify"};

}  // namespace

int smishctl_main(int argc, char** argv) {
  auto args = parse_args(argc, argv, 1, kValued, kFlags);
  if (!args.error.empty()) {
    std::cerr << "smishctl: " << args.error << "\n" << kHelp;
    return kUsage;
  }
  if (args.has("help") && !args.positional.empty()) {
    for (const auto& c : commands())
      if (args.positional[0] == c.name) {
        std::cout << c.usage;
        return kFound;
      }
    std::cerr << "smishctl: unknown command " << args.positional[0] << "\n" << kHelp;
    return kUsage;
  }
  if (args.has("help") || args.positional.empty()) {
    (args.has("help") ? std::cout : std::cerr) << kHelp;
    return args.has("help") ? kFound : kUsage;
  }
  if (args.has("json") && args.has("csv")) {
    std::cerr << "smishctl: --json and --csv exclude each other\n";
    return kUsage;
  }
  std::vector<std::string> overrides = args.all("set");
  if (auto db = args.get("db")) overrides.push_back("storage.path=" + *db);
  ConfigErrors errors;
  auto config = load_config(args.get("config").value_or(""), overrides, errors);
  if (!config) {
    for (const auto& p : errors.problems) std::cerr << "smishctl: config: " << p << "\n";
    return kUsage;
  }
  core::set_log_level(core::LogLevel::Warn);
  // lookup and report, when smishd answers them, need no brands (smishd decides the status):
  // they load them only when they read the database themselves (open_point_store), saving 10 ms.
  const std::string& command = args.positional[0];
  if (command != "lookup" && command != "report") load_brands(*config);
  Ctx ctx{std::move(*config), args.has("json"), nullptr};
  ctx.csv = args.has("csv");
  // Colour for people only: a terminal on stdout, NO_COLOR (https://no-color.org) unset or empty, a
  // terminal that knows colour, and no machine format.
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  ctx.color = !ctx.json && !ctx.csv && ::isatty(STDOUT_FILENO) && !(no_color && *no_color) &&
              !(term && std::string_view(term) == "dumb");
  const std::string& cmd = args.positional[0];
  static const std::set<std::string> kCsv = {"reports", "lookup", "stats", "top", "audit"};
  if (ctx.csv && !kCsv.count(cmd)) {
    std::cerr << "smishctl: " << cmd << " has no --csv output (--csv: reports, lookup, stats, top, audit)\n";
    return kUsage;
  }
  for (const auto& c : commands())
    if (cmd == c.name) return c.run(ctx, args);
  std::cerr << "smishctl: unknown command " << cmd << "\n" << kHelp;
  return kUsage;
}

}  // namespace smish::app
