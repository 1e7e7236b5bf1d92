// The export job: one scan, every format, deltas, the circuit breaker, signed manifests, atomic publish.
#include "smish/blocklist/export.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <openssl/rand.h>

#include "file_io.hpp"
#include "smish/blocklist/formats.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/log.hpp"
#include "smish/storage/indicator_codec.hpp"

namespace smish::blocklist {
namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::IndicatorKind;
using core::make_error;

// Indicators handed from the scan to a worker per batch: about half a MiB of values, and about a
// MiB of rendered text; small enough that the workers' chunks stay in cache and memory bounded.
constexpr std::size_t kBatchSize = 2048;
// Worker threads when ExportOptions::workers is not set: one per core and one more, as the worker
// taking chunks in order waits for the disk in its direct writes (2.9 s against 3.1-3.2 s for a
// million indicators on two cores), within these bounds.
constexpr std::size_t kMinWorkers = 3, kMaxWorkers = 5;
// RPZ timers (RFC 1035 §3.3.13 SOA; draft-vixie-dnsop-dns-rpz §2): short TTLs so that a
// listing or an allowlisting reaches resolvers within minutes.
constexpr int kRpzTtlS = 300;
constexpr int kRpzRefreshS = 300, kRpzRetryS = 60, kRpzExpireS = 604800, kRpzMinimumS = 300;
constexpr std::string_view kFormat = "smishd-export/1";

/// An exclusive advisory lock on out_dir/.lock, released on destruction.
class DirLock {
 public:
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  core::Status acquire(const fs::path& dir) {
    fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return make_error(ErrorCode::IoError, "open " + (dir / ".lock").string());
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      return make_error(ErrorCode::Unavailable, "another export is writing " + dir.string());
    return {};
  }

 private:
  int fd_ = -1;
};

/// What the current serial holds.
struct Previous {
  std::uint64_t serial = 0;
  core::Json manifest;
  std::vector<PublishedEntry> entries;
};

core::Result<Previous> load_previous(const fs::path& out) {
  Previous p;
  p.serial = io::current_serial(out);
  if (p.serial == 0) return p;
  const auto dir = out / "serials" / std::to_string(p.serial);
  auto manifest = io::read_file(dir / "manifest.json");
  auto entries = io::read_file(dir / "entries.tsv");
  if (!manifest || !entries) return make_error(ErrorCode::Corruption, "serial " + std::to_string(p.serial) + " is incomplete");
  p.manifest = core::Json::parse(*manifest, nullptr, false);
  if (p.manifest.is_discarded()) return make_error(ErrorCode::Corruption, "serial " + std::to_string(p.serial) + ": bad manifest");
  auto parsed = parse_entries(*entries);
  if (!parsed) return parsed.error();
  p.entries = std::move(*parsed);
  return p;
}

/// The serial of a manifest.json written directly into out_dir by the earlier single-directory layout.
std::uint64_t legacy_serial(const fs::path& out) {
  std::error_code ec;
  if (fs::is_symlink(out / "manifest.json", ec)) return 0;
  auto text = io::read_file(out / "manifest.json");
  if (!text) return 0;
  auto j = core::Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("serial") || !j["serial"].is_number_unsigned()) return 0;
  return j["serial"].get<std::uint64_t>();
}

/// The parents of every allowlisted domain (and the domains themselves): a blocked domain or
/// host equal to one of them would block the allowlisted name too (domains are matched with
/// their subdomains by DNS firewalls and RPZ wildcards).
std::unordered_set<std::string> covering_names(const std::vector<std::string>& allow_domains) {
  std::unordered_set<std::string> out;
  for (const auto& a : allow_domains) {
    for (std::size_t pos = 0; pos != std::string::npos;) {
      out.insert(a.substr(pos));
      pos = a.find('.', pos);
      if (pos != std::string::npos) ++pos;
    }
  }
  return out;
}

std::optional<RemovalReason> reason_for(core::IndicatorStatus s) {
  using S = core::IndicatorStatus;
  switch (s) {
    case S::Expired: return RemovalReason::Expired;
    case S::Revoked: return RemovalReason::Revoked;
    case S::Allowlisted: return RemovalReason::Allowlisted;
    case S::Observed:
    case S::Suspected: return RemovalReason::Unlisted;
    case S::Listed:
    case S::Confirmed: return std::nullopt;
  }
  return std::nullopt;
}

bool by_key(const PublishedEntry& a, const PublishedEntry& b) { return a.key < b.key; }

/// Sorts `v` by `less`, merging its ascending runs when there are few of them (a scan in key order
/// gives one run per indicator kind) and sorting the whole otherwise.
template <typename T, typename Less>
void sort_by_runs(std::vector<T>& v, Less less) {
  constexpr std::size_t kMaxRuns = 16;
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (less(v[i], v[i - 1])) {
      starts.push_back(i);
      if (starts.size() > kMaxRuns) {
        std::sort(v.begin(), v.end(), less);
        return;
      }
    }
  }
  // Merge neighbouring runs pairwise until one is left.
  while (starts.size() > 1) {
    std::vector<std::size_t> merged;
    for (std::size_t r = 0; r < starts.size(); r += 2) {
      merged.push_back(starts[r]);
      if (r + 1 >= starts.size()) break;
      const std::size_t end = r + 2 < starts.size() ? starts[r + 2] : v.size();
      std::inplace_merge(v.begin() + static_cast<std::ptrdiff_t>(starts[r]),
                         v.begin() + static_cast<std::ptrdiff_t>(starts[r + 1]),
                         v.begin() + static_cast<std::ptrdiff_t>(end), less);
    }
    starts = std::move(merged);
  }
}

// The files of a serial, by index into kExportFiles.
constexpr std::size_t kNumbers = 0, kSenderIds = 1, kDomains = 2, kHosts = 3, kUrls = 4, kJsonl = 5, kRpz = 6,
                      kStix = 7, kFiles = 8;
static_assert(std::size(kExportFiles) == kFiles);

const std::string& identity_id() {
  static const std::string id = uuid5("identity:smishd");
  return id;
}

std::string random_uuid() {
  unsigned char b[16] = {};
  if (RAND_bytes(b, sizeof b) != 1) return uuid5("bundle:" + std::to_string(core::to_unix_ms(core::SystemClock::instance().now())));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // RFC 4122 §4.4 version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/// A STIX indicator object; `revoked` ones carry the removal reason.
void stix_object(std::string& s, IndicatorKind kind, std::string_view value, bool ip, std::int64_t created_ms,
                 std::int64_t modified_ms, std::int64_t valid_until_ms, bool revoked, std::string_view category,
                 double score, std::string_view status, std::string_view reason) {
  // Per-thread scratch for the pattern: a million objects without an allocation each.
  thread_local std::string pattern;
  std::string kind_colon(core::to_string(kind));
  kind_colon += ':';
  s += ",\n{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--";
  append_uuid5(s, kind_colon, value);
  s += "\",\"created_by_ref\":\"identity--";
  s += identity_id();
  s += "\",\"created\":\"";
  append_utc(s, created_ms);
  s += "\",\"modified\":\"";
  append_utc(s, std::max(modified_ms, created_ms));
  s += "\",\"indicator_types\":[\"malicious-activity\"],\"pattern\":";
  pattern.clear();
  append_stix_pattern(pattern, kind, value, ip);
  append_json_string(s, pattern);
  s += ",\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\",\"valid_from\":\"";
  append_utc(s, created_ms);
  s += '"';
  // §4.7: valid_until must be later than valid_from; an entry without a later expiry has none.
  if (valid_until_ms > created_ms) {
    s += ",\"valid_until\":\"";
    append_utc(s, valid_until_ms);
    s += '"';
  }
  s += revoked ? ",\"revoked\":true" : ",\"revoked\":false";
  if (!category.empty()) {
    s += ",\"labels\":[";
    append_json_string(s, category);
    s += ']';
  }
  if (score >= 0) fmt::format_to(std::back_inserter(s), FMT_COMPILE(",\"confidence\":{}"), static_cast<int>(score * 100 + 0.5));
  s += ",\"x_smishd_status\":\"";
  s += status;
  s += '"';
  if (!reason.empty()) {
    s += ",\"x_smishd_removal_reason\":\"";
    s += reason;
    s += '"';
  }
  s += '}';
}

void csv_row(std::string& s, const core::Indicator& ind, std::string_view category) {
  append_csv_field(s, ind.value);
  s += ',';
  append_csv_field(s, category);
  s += ',';
  s += core::to_string(ind.status);
  s += ',';
  append_utc(s, ind.first_seen_ms);
  s += ',';
  append_utc(s, ind.last_seen_ms);
  fmt::format_to(std::back_inserter(s), FMT_COMPILE(",{},{:.3f},"), ind.distinct_reporters, ind.max_score);
  if (ind.expires_ms) append_utc(s, ind.expires_ms);
  s += '\n';
}

/// Every field of the indicator but the reporter pseudonyms (they stay in smishd).
void jsonl_row(std::string& s, const core::Indicator& ind, std::string_view category) {
  s += "{\"kind\":\"";
  s += core::to_string(ind.kind);
  s += "\",\"value\":";
  append_json_string(s, ind.value);
  s += ",\"status\":\"";
  s += core::to_string(ind.status);
  s += "\",\"status_reason\":";
  append_json_string(s, ind.status_reason);
  s += ",\"status_actor\":";
  append_json_string(s, ind.status_actor);
  fmt::format_to(std::back_inserter(s),
                 FMT_COMPILE(",\"status_ms\":{},\"total_reports\":{},\"distinct_reporters\":{},\"first_seen_ms\":{},"
                             "\"last_seen_ms\":{},\"expires_ms\":{},\"max_score\":{},\"category\":"),
                 ind.status_ms, ind.total_reports, ind.distinct_reporters, ind.first_seen_ms, ind.last_seen_ms,
                 ind.expires_ms, ind.max_score);
  append_json_string(s, category);
  s += ",\"categories\":{";
  bool first = true;
  for (const auto& [name, votes] : ind.categories) {
    if (!first) s += ',';
    first = false;
    append_json_string(s, name);
    fmt::format_to(std::back_inserter(s), FMT_COMPILE(":{}"), votes);
  }
  s += "},\"flags\":[";
  first = true;
  for (const auto& f : ind.flags) {
    if (!first) s += ',';
    first = false;
    append_json_string(s, f);
  }
  s += "],\"recent_reports\":[";
  first = true;
  for (auto id : ind.recent_reports) {
    if (!first) s += ',';
    first = false;
    fmt::format_to(std::back_inserter(s), FMT_COMPILE("{}"), id);
  }
  s += "]}\n";
}

/// The undecoded stored values of consecutive indicators, copied out of the scan (RocksDB's
/// slices are only valid until its iterator moves on).
struct RawBatch {
  std::uint64_t seq = 0;            ///< position in the scan, from 0
  std::string bytes;                ///< the values, back to back
  std::vector<std::size_t> ends;    ///< value i is bytes[ends[i - 1], ends[i])
};

/// What one batch contributes to the serial, made by a worker and taken in scan order.
struct Chunk {
  std::string text[kFiles];                                  ///< rendered rows (not kRpz)
  std::vector<PublishedEntry> entries;                       ///< blocked keys, in scan order
  std::string entries_text;                                  ///< their entries.tsv lines
  std::vector<std::pair<std::string, bool>> rpz_owners;      ///< (owner, passthru): domains and hosts
  std::vector<std::pair<std::string, bool>> rpz_wildcards;   ///< ("*." + domain, passthru)
  std::vector<std::pair<std::string, RemovalReason>> reasons;  ///< why previously published keys are not now
  std::size_t counts[5] = {};                                // blocked, by IndicatorKind
  std::size_t allowlisted = 0, scanned = 0, invalid = 0, protected_ = 0;
  std::array<std::size_t, kIndicatorStatuses> by_status{};   ///< every scanned indicator, as evaluated now
  std::optional<core::Error> error;  ///< a value that does not decode: the export fails

  /// Empties the chunk for reuse; its strings and vectors keep their capacity.
  void clear() {
    for (auto& t : text) t.clear();
    entries.clear();
    entries_text.clear();
    rpz_owners.clear();
    rpz_wildcards.clear();
    reasons.clear();
    std::fill(std::begin(counts), std::end(counts), 0);
    allowlisted = scanned = invalid = protected_ = 0;
    by_status.fill(0);
    error.reset();
  }
};

/// Decodes, evaluates, validates and renders batches. Holds only read-only state: any number of
/// threads call render() at once.
class BatchRenderer {
 public:
  BatchRenderer(const PolicyConfig& policy, std::int64_t now_ms, const std::unordered_set<std::string>& covering,
                const std::vector<PublishedEntry>& prev_entries, bool write)
      : policy_(policy), now_ms_(now_ms), covering_(covering), prev_entries_(prev_entries), write_(write) {}

  void render(const RawBatch& batch, Chunk& out) const {
    core::Indicator ind;  // reused: decode_indicator replaces every field, strings keep their capacity
    // The reporter maps are counted while decoding, never built: no file shows a pseudonym, and
    // the listing decision needs only how many reporters are recent and how many of them new.
    storage::ReporterTally tally{window_start(policy_, now_ms_)};
    tally.skip_history = true;  // nothing here reads daily counts, campaigns or the sketch
    std::size_t begin = 0;
    for (const auto end : batch.ends) {
      const std::string_view value(batch.bytes.data() + begin, end - begin);
      begin = end;
      if (auto s = storage::decode_indicator(value, ind, tally); !s) {
        out.error = s.error();
        return;
      }
      ++out.scanned;
      one(ind, {tally.recent, tally.fresh}, out);
    }
  }

 private:
  void note_reason(Chunk& out, IndicatorKind kind, std::string_view value, RemovalReason r) const {
    if (prev_entries_.empty()) return;
    std::string key(core::to_string(kind));
    key += ':';
    key += value;
    auto it = std::lower_bound(prev_entries_.begin(), prev_entries_.end(), key,
                               [](const PublishedEntry& e, const std::string& k) { return e.key < k; });
    if (it != prev_entries_.end() && it->key == key) out.reasons.emplace_back(std::move(key), r);
  }

  void one(core::Indicator& ind, ReporterCounts counts, Chunk& out) const {
    auto norm = normalize_export_value(ind.kind, ind.value);
    if (!norm) {
      const auto invalid_status = evaluate_counted(ind, counts, policy_, now_ms_);
      ++out.by_status[static_cast<std::size_t>(invalid_status)];
      if (core::is_blocked(invalid_status)) {
        ++out.invalid;
        note_reason(out, ind.kind, ind.value, RemovalReason::Invalid);
      }
      return;
    }
    ind.value = std::move(norm->value);
    const bool ip = norm->ip;
    const auto status = evaluate_counted(ind, counts, policy_, now_ms_);
    ++out.by_status[static_cast<std::size_t>(status)];
    bool blocked = false;
    if (core::is_blocked(status)) {
      // Defence in depth: evaluate() refuses protected values already; a database that says
      // otherwise (or a domain that would cover an allowlisted one) is not believed.
      const bool host_like = ind.kind == IndicatorKind::Domain || ind.kind == IndicatorKind::Host;
      if (is_protected(ind, policy_) || (host_like && covering_.count(ind.value))) {
        ++out.protected_;
        note_reason(out, ind.kind, ind.value, RemovalReason::Allowlisted);
        return;
      }
      blocked = true;
    } else {
      if (auto r = reason_for(status)) note_reason(out, ind.kind, ind.value, *r);
      if (status != core::IndicatorStatus::Allowlisted) return;
    }
    const bool host_like_name = (ind.kind == IndicatorKind::Domain || ind.kind == IndicatorKind::Host) && !ip;
    if (blocked) {
      std::string key(core::to_string(ind.kind));
      key += ':';
      key += ind.value;
      if (write_) append_entry_line(out.entries_text, key, ind.first_seen_ms, ind.expires_ms);
      out.entries.push_back({std::move(key), ind.first_seen_ms, ind.expires_ms});
      ++out.counts[static_cast<std::size_t>(ind.kind)];
    } else {
      ++out.allowlisted;
    }
    if (host_like_name) {
      out.rpz_owners.emplace_back(ind.value, !blocked);
      if (ind.kind == IndicatorKind::Domain) out.rpz_wildcards.emplace_back("*." + ind.value, !blocked);
    }
    if (!write_) return;
    const std::string category = ind.top_category();
    jsonl_row(out.text[kJsonl], ind, category);
    if (!blocked) return;
    switch (ind.kind) {
      case IndicatorKind::Number: csv_row(out.text[kNumbers], ind, category); break;
      case IndicatorKind::SenderId: csv_row(out.text[kSenderIds], ind, category); break;
      case IndicatorKind::Domain: (out.text[kDomains] += ind.value) += '\n'; break;
      case IndicatorKind::Host: (out.text[kHosts] += ind.value) += '\n'; break;
      case IndicatorKind::Url: (out.text[kUrls] += ind.value) += '\n'; break;
    }
    stix_object(out.text[kStix], ind.kind, ind.value, ip, ind.first_seen_ms,
                std::max({ind.status_ms, ind.last_seen_ms, ind.first_seen_ms}), ind.expires_ms, false, category,
                ind.max_score, core::to_string(ind.status), "");
  }

  const PolicyConfig& policy_;
  const std::int64_t now_ms_;
  const std::unordered_set<std::string>& covering_;
  const std::vector<PublishedEntry>& prev_entries_;
  const bool write_;
};

/// Runs BatchRenderer::render on `workers` threads (none: on the pushing thread) and hands the
/// chunks to `take` one at a time, in the order their batches were pushed, so that the files
/// are byte for byte those of a sequential run. Whichever worker finishes the next chunk in
/// order takes it (and any that follow it and are done): no thread waits for a writer.
/// Memory is bounded: at most kMaxInFlight batches are pushed but not yet taken.
class Pipeline {
 public:
  /// `take` returns false to stop the export (push() then returns false).
  Pipeline(const BatchRenderer& renderer, std::function<bool(Chunk&)> take, std::size_t workers)
      : renderer_(renderer), take_(std::move(take)) {
    for (std::size_t i = 0; i < workers; ++i) {
      try {
        threads_.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        break;  // fewer threads than asked (none: render inline)
      }
    }
  }
  ~Pipeline() { finish(); }

  /// Queues (or, without workers, renders and takes) one batch. False once the export failed.
  bool push(RawBatch&& batch) {
    if (threads_.empty()) {
      if (failed_) return false;
      Chunk& c = inline_chunk_;
      c.clear();
      try {
        renderer_.render(batch, c);
        if (!take_(c)) failed_ = true;
      } catch (const std::exception& ex) {  // allocation failure
        error_ = ex.what();
        failed_ = true;
      }
      return !failed_;
    }
    std::unique_lock lock(m_);
    space_.wait(lock, [&] { return in_flight_ < kMaxInFlight || failed_; });
    if (failed_) return false;
    ++in_flight_;
    todo_.push_back(std::move(batch));
    work_.notify_one();
    return true;
  }

  /// Waits for every pushed batch to be taken (or for the workers to stop after a failure).
  void finish() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
      work_.notify_all();
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  /// An exception a worker or `take` threw (allocation failure), "" when none.
  const std::string& error() const { return error_; }

 private:
  // Batches between push() and take: a few per worker keep every thread busy while one chunk
  // waits for its predecessor; each holds about a MiB of rendered text.
  static constexpr std::size_t kMaxInFlight = 16;

  void work() {
    for (;;) {
      RawBatch batch;
      {
        std::unique_lock lock(m_);
        work_.wait(lock, [&] { return !todo_.empty() || closed_ || failed_; });
        if (failed_ || todo_.empty()) return;
        batch = std::move(todo_.front());
        todo_.pop_front();
      }
      Chunk chunk;
      {
        std::lock_guard lock(m_);
        if (!spare_.empty()) {
          chunk = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      std::string error;
      try {
        renderer_.render(batch, chunk);
      } catch (const std::exception& ex) {
        error = ex.what();
      }
      std::unique_lock lock(m_);
      if (!error.empty()) {
        fail(error);
        return;
      }
      done_.emplace(batch.seq, std::move(chunk));
      if (taking_) continue;  // the thread taking chunks in order will find this one
      taking_ = true;
      while (!failed_ && !done_.empty() && done_.begin()->first == next_) {
        auto node = done_.extract(done_.begin());
        lock.unlock();
        bool ok = false;
        try {
          ok = take_(node.mapped());
        } catch (const std::exception& ex) {
          error = ex.what();
        }
        // The chunk's buffers serve a later batch: no allocation (and page faults) per batch.
        node.mapped().clear();
        lock.lock();
        spare_.push_back(std::move(node.mapped()));
        ++next_;
        --in_flight_;
        space_.notify_one();
        if (!ok) fail(error);
      }
      taking_ = false;
    }
  }

  void fail(const std::string& error) {  // with m_ held
    if (error_.empty()) error_ = error;
    failed_ = true;
    done_.clear();
    work_.notify_all();
    space_.notify_all();
  }

  const BatchRenderer& renderer_;
  std::function<bool(Chunk&)> take_;
  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable work_, space_;
  std::deque<RawBatch> todo_;
  std::map<std::uint64_t, Chunk> done_;
  std::vector<Chunk> spare_;  // taken chunks, cleared, for the workers to fill again
  Chunk inline_chunk_;        // the one chunk without workers
  std::uint64_t next_ = 0;
  std::size_t in_flight_ = 0;
  bool closed_ = false, failed_ = false, taking_ = false;
  std::string error_;
};

}  // namespace

std::string_view to_string(ExportOutcome o) {
  switch (o) {
    case ExportOutcome::Published: return "published";
    case ExportOutcome::Unchanged: return "unchanged";
    case ExportOutcome::Refused: return "refused";
    case ExportOutcome::DryRun: return "dry_run";
  }
  return "unknown";
}

std::uint64_t current_serial(const std::string& out_dir) { return io::current_serial(out_dir); }

Exporter::Exporter(PolicyConfig policy, ExportConfig config, std::optional<Signer> signer)
    : policy_(std::move(policy)), config_(std::move(config)), signer_(std::move(signer)) {}

core::Result<std::unique_ptr<Exporter>> Exporter::create(const PolicyConfig& policy, const ExportConfig& config) {
  if (config.out_dir.empty()) return make_error(ErrorCode::InvalidArgument, "export.out_dir: empty");
  if (config.keep_serials < 1) return make_error(ErrorCode::InvalidArgument, "export.keep_serials: at least 1");
  if (!(config.max_change_fraction >= 0.0)) return make_error(ErrorCode::InvalidArgument, "export.max_change_fraction: negative");
  auto zone = normalize_export_value(IndicatorKind::Domain, config.rpz_zone);
  if (!zone || zone->ip) return make_error(ErrorCode::InvalidArgument, "export.rpz_zone: not a DNS name: " + config.rpz_zone);
  ExportConfig cfg = config;
  cfg.rpz_zone = zone->value;
  // Allowlists are compared with normalised (lowercase, no trailing dot) values.
  PolicyConfig pol = policy;
  pol.allow_domains.clear();
  for (const auto& d : policy.allow_domains) {
    auto n = normalize_export_value(IndicatorKind::Domain, d);
    pol.allow_domains.push_back(n ? n->value : d);
  }
  for (auto& b : pol.brands)
    for (auto& d : b.domains)
      if (auto n = normalize_export_value(IndicatorKind::Domain, d)) d = n->value;
  std::optional<Signer> signer;
  if (!cfg.signing_key_file.empty()) {
    auto s = Signer::load(cfg.signing_key_file);
    if (!s) return s.error();
    signer = std::move(*s);
  }
  return std::unique_ptr<Exporter>(new Exporter(std::move(pol), std::move(cfg), std::move(signer)));
}

core::Result<ExportResult> Exporter::run(storage::Store& store, std::int64_t now_ms, const ExportOptions& options) {
  auto failed = [&](core::Error e) -> core::Result<ExportResult> {
    ++stats_.failed;
    core::log_error("export_failed", {{"out_dir", config_.out_dir}, {"error", e.message()}});
    return e;
  };
  const fs::path out(config_.out_dir);
  const bool write = !options.dry_run;
  std::error_code ec;
  DirLock lock;
  if (write) {
    fs::create_directories(out / "serials", ec);
    if (ec) return failed(make_error(ErrorCode::IoError, "create " + (out / "serials").string() + ": " + ec.message()));
    if (auto s = lock.acquire(out); !s) return failed(s.error());
    // Leftovers of an export that died before its rename were never visible: remove them.
    for (fs::directory_iterator it(out / "serials", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().filename().string().starts_with(".tmp-")) fs::remove_all(it->path(), ec);
  }
  auto prev = load_previous(out);
  if (!prev && options.force) {
    // An unreadable current serial would stop every export; --force starts afresh from nothing
    // (no breaker, no deltas), keeping the serial rising.
    core::log_warn("export_previous_unreadable", {{"out_dir", config_.out_dir}, {"error", prev.error().message()}});
    prev = Previous{};
  }
  if (!prev) return failed(prev.error());
  std::uint64_t base = std::max(prev->serial, legacy_serial(out));
  if (auto all = io::list_serials(out); !all.empty()) base = std::max(base, all.back());
  const std::uint64_t serial = base + 1;
  const fs::path tmp = out / "serials" / fmt::format(".tmp-{}-{}", serial, ::getpid());
  if (write) {
    fs::create_directories(tmp, ec);
    if (ec) return failed(make_error(ErrorCode::IoError, "create " + tmp.string() + ": " + ec.message()));
  }
  struct TmpGuard {  // the temporary directory goes unless it became serials/<N>
    fs::path path;
    bool keep = false;
    ~TmpGuard() {
      std::error_code e;
      if (!keep && !path.empty()) fs::remove_all(path, e);
    }
  } guard{write ? tmp : fs::path()};

  ExportResult result;
  const auto t0 = std::chrono::steady_clock::now();
  auto ms_since_t0 = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  result.previous_serial = prev->serial;
  // ---- the files: headers now, rows as the workers render them ----
  io::FileWriter w[kFiles];
  // entries.tsv (what the next export diffs against) is written as the chunks come while the
  // blocked keys arrive in strictly increasing order, as a scan in key order gives them; a
  // database whose values normalise out of order or onto one another (hostile or legacy) has
  // it rendered again, sorted, after the scan.
  io::FileWriter entries_w;
  bool entries_in_order = true;
  if (write) {
    for (std::size_t i = 0; i < kFiles; ++i)
      if (i != kRpz)
        if (auto s = w[i].open(tmp / kExportFiles[i]); !s) return failed(s.error());
    if (auto s = entries_w.open(tmp / "entries.tsv"); !s) return failed(s.error());
    w[kNumbers].append("e164,category,status,first_seen,last_seen,distinct_reporters,score,expires\n");
    w[kSenderIds].append("sender_id,category,status,first_seen,last_seen,distinct_reporters,score,expires\n");
    // STIX 2.1 §8 bundle; the identity (§4.9) is the producer every indicator refers to.
    std::string& s = w[kStix].buf();
    s += "{\"type\":\"bundle\",\"id\":\"bundle--" + random_uuid() + "\",\"objects\":[\n";
    s += "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--" + identity_id() +
         "\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"smishd\","
         "\"identity_class\":\"system\"}";
  }
  // The disk writes start as the files grow (the final fsyncs then wait for the tail only) once
  // the export is known to publish something new: at once when there is no current serial, else
  // as soon as a blocked entry differs from the current serial's at its position. Until then the
  // files stay in the page cache, so that an export that turns out unchanged is dropped without
  // having written to the disk. This is only a guess for speed: publishing decides on the hashes.
  bool streaming = false;
  auto start_writeback = [&] {
    if (streaming || !write) return;
    streaming = true;
    for (std::size_t i = 0; i < kFiles; ++i)
      if (i != kRpz) w[i].start_writeback();
    entries_w.start_writeback();
  };
  if (prev->serial == 0) start_writeback();

  // ---- the scan (this thread) hands undecoded values to workers; chunks are taken in order ----
  const auto covering = covering_names(protected_domains(policy_));  // allowlisted and brand domains
  const auto& prev_entries = prev->entries;
  std::unordered_map<std::string, RemovalReason> reasons;  // previously published keys not published now
  std::vector<PublishedEntry> entries;                     // blocked, in scan order
  std::vector<std::pair<std::string, bool>> owners;        // RPZ (owner, passthru): domains, hosts
  std::vector<std::pair<std::string, bool>> wildcards;     // RPZ ("*." + domain, passthru)
  std::size_t counts[5] = {};                              // blocked, by IndicatorKind
  std::size_t allowlisted = 0;
  std::size_t matched = 0;  // entries equal to the current serial's, in order, so far
  std::optional<core::Error> decode_error;
  auto take = [&](Chunk& c) -> bool {
    if (c.error) {
      decode_error = std::move(c.error);
      return false;
    }
    result.scanned += c.scanned;
    result.invalid_skipped += c.invalid;
    result.protected_skipped += c.protected_;
    allowlisted += c.allowlisted;
    for (std::size_t k = 0; k < kIndicatorStatuses; ++k) result.by_status[k] += c.by_status[k];
    for (std::size_t k = 0; k < 5; ++k) counts[k] += c.counts[k];
    for (auto& [key, r] : c.reasons) reasons.insert_or_assign(std::move(key), r);
    if (entries_in_order) {
      const std::string* last = entries.empty() ? nullptr : &entries.back().key;
      for (const auto& e : c.entries) {
        if (last && !(*last < e.key)) {
          entries_in_order = false;
          break;
        }
        last = &e.key;
      }
      if (entries_in_order && write) entries_w.append(c.entries_text);
    }
    for (auto& e : c.entries) {
      if (!streaming) {
        const bool same = matched < prev_entries.size() && prev_entries[matched].key == e.key &&
                          prev_entries[matched].first_seen_ms == e.first_seen_ms &&
                          prev_entries[matched].expires_ms == e.expires_ms;
        if (same) ++matched;
        else start_writeback();
      }
      entries.push_back(std::move(e));
    }
    owners.insert(owners.end(), std::make_move_iterator(c.rpz_owners.begin()),
                  std::make_move_iterator(c.rpz_owners.end()));
    wildcards.insert(wildcards.end(), std::make_move_iterator(c.rpz_wildcards.begin()),
                     std::make_move_iterator(c.rpz_wildcards.end()));
    if (write)
      for (std::size_t i = 0; i < kFiles; ++i)
        if (!c.text[i].empty()) w[i].append(c.text[i]);
    return true;
  };
  const BatchRenderer renderer(policy_, now_ms, covering, prev_entries, write);
  const std::size_t workers =
      options.workers ? *options.workers
                      : std::clamp<std::size_t>(std::thread::hardware_concurrency() + 1, kMinWorkers, kMaxWorkers);
  const std::size_t batch_size = options.batch_size > 0 ? options.batch_size : kBatchSize;
  Pipeline pipeline(renderer, take, workers);
  RawBatch batch;
  std::uint64_t next_seq = 0;
  bool stopped = false;
  auto flush_batch = [&] {
    if (batch.ends.empty()) return;
    batch.seq = next_seq++;
    const std::size_t bytes = batch.bytes.size();
    if (!pipeline.push(std::move(batch))) stopped = true;
    batch = RawBatch{};
    batch.bytes.reserve(bytes + bytes / 4);
    batch.ends.reserve(batch_size);
  };
  auto scan = store.scan_indicator_values([&](std::string_view, std::string_view value) {
    batch.bytes.append(value);
    batch.ends.push_back(batch.bytes.size());
    if (batch.ends.size() >= batch_size) flush_batch();
    return !stopped;
  });
  if (!stopped) flush_batch();
  result.scan_ms = ms_since_t0();
  pipeline.finish();
  result.render_ms = ms_since_t0();
  if (!pipeline.error().empty()) return failed(make_error(ErrorCode::Internal, "export rendering: " + pipeline.error()));
  if (!scan) return failed(scan.error());
  if (decode_error) return failed(*decode_error);

  // ---- RPZ: blocks and passthrus, one action per owner name, passthru winning; on a helper
  // thread while this one computes the delta (both sort hundreds of thousands of strings) ----
  std::string rpz_body, rpz_sha256;
  auto rpz_job = [&] {
    for (const auto& a : protected_domains(policy_)) {
      if (auto n = normalize_export_value(IndicatorKind::Domain, a); n && !n->ip) {
        owners.emplace_back(n->value, true);
        wildcards.emplace_back("*." + n->value, true);
      }
    }
    // Owner names, passthru first among equals. The scan gives domains, then hosts, each in
    // order, and the wildcards in the domains' order: a few sorted runs, merged in linear time
    // (a comparison sort of the whole spent 3 % of the export's CPU in memcmp alone).
    auto by_owner = [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    };
    sort_by_runs(owners, by_owner);
    sort_by_runs(wildcards, by_owner);
    const auto middle = static_cast<std::ptrdiff_t>(owners.size());
    owners.insert(owners.end(), std::make_move_iterator(wildcards.begin()), std::make_move_iterator(wildcards.end()));
    wildcards.clear();
    std::inplace_merge(owners.begin(), owners.begin() + middle, owners.end(), by_owner);
    owners.erase(std::unique(owners.begin(), owners.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                 owners.end());
    rpz_body.reserve(owners.size() * 40);
    for (const auto& [owner, passthru] : owners) {
      if (!fits_dns_name(owner, config_.rpz_zone)) continue;
      rpz_body += owner;
      rpz_body += passthru ? " CNAME rpz-passthru.\n" : " CNAME .\n";  // RPZ: passthru, or NXDOMAIN
    }
    rpz_sha256 = io::sha256_hex(rpz_body);
  };
  struct Helper {  // joined on every way out of run(), before what it writes to goes
    std::thread thread;
    std::string error;
    void join() {
      if (thread.joinable()) thread.join();
    }
    ~Helper() { join(); }
  } rpz_helper;
  if (write) {
    try {
      rpz_helper.thread = std::thread([&] {
        try {
          rpz_job();
        } catch (const std::exception& ex) {  // allocation failure: reported on this thread
          rpz_helper.error = ex.what();
        }
      });
    } catch (const std::system_error&) {
      rpz_job();  // no thread to be had: inline
    }
  }

  // ---- the delta against the current serial ----
  if (!std::is_sorted(entries.begin(), entries.end(), by_key)) std::sort(entries.begin(), entries.end(), by_key);
  // Two stored spellings of one value (a hostile or legacy database) publish once.
  entries.erase(std::unique(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key == b.key; }),
                entries.end());
  result.delta = diff_entries(prev_entries, entries, [&](const std::string& key) -> std::optional<RemovalReason> {
    auto it = reasons.find(key);
    if (it == reasons.end()) return std::nullopt;
    return it->second;
  });
  result.delta.from_serial = prev->serial;
  result.delta.to_serial = serial;
  result.numbers = counts[static_cast<std::size_t>(IndicatorKind::Number)];
  result.sender_ids = counts[static_cast<std::size_t>(IndicatorKind::SenderId)];
  result.domains = counts[static_cast<std::size_t>(IndicatorKind::Domain)];
  result.hosts = counts[static_cast<std::size_t>(IndicatorKind::Host)];
  result.urls = counts[static_cast<std::size_t>(IndicatorKind::Url)];
  result.allowlisted = allowlisted;

  // ---- the circuit breaker ----
  const std::size_t before = prev_entries.size(), after = entries.size(), changed = result.delta.entries.size();
  if (before > 0 && after == 0) {
    result.refusal = fmt::format("the blocklists would become empty (serial {} has {} entries)", prev->serial, before);
  } else if (before > 0 && changed >= static_cast<std::size_t>(std::max<std::int64_t>(config_.breaker_min_changes, 0)) &&
             static_cast<double>(changed) > config_.max_change_fraction * static_cast<double>(before)) {
    result.refusal = fmt::format("{} of {} entries would change ({} added, {} removed), more than {:.0f}%", changed,
                                 before, result.delta.added(), result.delta.removed(), config_.max_change_fraction * 100);
  }
  if (options.dry_run) {
    result.outcome = ExportOutcome::DryRun;
    result.serial = prev->serial;
    return result;
  }
  if (!result.refusal.empty() && !options.force) {
    ++stats_.refused;
    result.outcome = ExportOutcome::Refused;
    result.serial = prev->serial;
    core::log_warn("export_refused", {{"out_dir", config_.out_dir}, {"serial", prev->serial}, {"reason", result.refusal},
                                      {"refusals", stats_.refused}});
    return result;
  }

  // ---- RPZ: the owners, sorted meanwhile on the helper thread ----
  rpz_helper.join();
  if (!rpz_helper.error.empty()) return failed(make_error(ErrorCode::Internal, "export RPZ: " + rpz_helper.error));
  std::string entries_text;  // only when entries.tsv could not be written in scan order
  if (entries_in_order) {
    entries_w.seal();
  } else {
    entries_w.abandon();
    ::unlink((tmp / "entries.tsv").c_str());
    entries_text = render_entries(entries);
  }
  const std::string entries_sha256 = entries_in_order ? entries_w.sha256() : io::sha256_hex(entries_text);
  // The consumers' view of the content: what the blocked and allowlisted sets and the numbers'
  // details are. Timestamps of the run itself are left out so an idle system makes no new serial.
  for (std::size_t i = 0; i < kJsonl; ++i) w[i].seal();
  std::string content;
  for (std::size_t i = 0; i < kJsonl; ++i) content += w[i].sha256();
  content += entries_sha256;
  content += rpz_sha256;
  const std::string content_sha256 = io::sha256_hex(content);
  if (!options.force && prev->serial > 0 && prev->manifest.value("content_sha256", "") == content_sha256) {
    ++stats_.unchanged;
    result.outcome = ExportOutcome::Unchanged;
    result.serial = prev->serial;
    return result;
  }

  // ---- a new serial: files equal to the current serial's are hard links to them, the others
  // go to the disk now (if they are not on their way yet) while the rest is prepared ----
  w[kJsonl].seal();  // complete: no rows follow the scan
  bool linked[kFiles] = {};
  if (prev->serial > 0 && prev->manifest.contains("files") && prev->manifest["files"].is_object()) {
    const auto prev_dir = out / "serials" / std::to_string(prev->serial);
    for (std::size_t i = 0; i <= kJsonl; ++i) {
      const auto& files = prev->manifest["files"];
      const auto it = files.find(kExportFiles[i]);
      if (it == files.end() || !it->is_object() || it->value("sha256", "") != w[i].sha256() ||
          it->value("bytes", std::uint64_t{0}) != w[i].bytes())
        continue;
      // The current serial's file is immutable and durable: a link to it replaces the new copy
      // (which then needs no writeback); when no link can be made, the copy is written.
      if (io::link_over(prev_dir / kExportFiles[i], w[i].bytes(), tmp / kExportFiles[i])) linked[i] = true;
    }
  }
  if (!streaming) {
    streaming = true;
    for (std::size_t i = 0; i < kFiles; ++i)
      if (i != kRpz && !linked[i]) w[i].start_writeback();
  }

  // ---- deltas from every kept serial: the new step composed onto the previous serial's deltas ----
  std::vector<Delta> deltas;
  if (prev->serial > 0) {
    const auto prev_dir = out / "serials" / std::to_string(prev->serial);
    // Deltas from each of the last keep_serials serials (their directories need not exist).
    const std::uint64_t oldest_from = serial > static_cast<std::uint64_t>(config_.keep_serials)
                                          ? serial - static_cast<std::uint64_t>(config_.keep_serials)
                                          : 1;
    if (prev->manifest.contains("deltas") && prev->manifest["deltas"].is_array()) {
      for (const auto& m : prev->manifest["deltas"]) {
        if (!m.is_number_unsigned() || m.get<std::uint64_t>() < oldest_from) continue;
        const auto from = m.get<std::uint64_t>();
        auto text = io::read_file(prev_dir / fmt::format("delta-from-{}.jsonl", from));
        auto older = text ? parse_delta(*text) : core::Result<Delta>(make_error(ErrorCode::Corruption, "missing"));
        if (!older || older->to_serial != prev->serial) {
          core::log_warn("export_delta_skipped", {{"serial", serial}, {"from", from}, {"reason", "unreadable delta"}});
          continue;
        }
        deltas.push_back(compose(*older, result.delta));
      }
    }
    if (prev->serial >= oldest_from) deltas.push_back(result.delta);
    std::sort(deltas.begin(), deltas.end(), [](const Delta& a, const Delta& b) { return a.from_serial < b.from_serial; });
  }

  // ---- STIX: revocations since the oldest kept serial close the bundle ----
  {
    std::string& s = w[kStix].buf();
    if (!deltas.empty()) {
      for (const auto& e : deltas.front().entries) {
        if (e.added) continue;
        const auto [kind_name, value] = split_key(e.key);
        const auto kind = core::parse_indicator_kind(kind_name);
        if (!kind) continue;
        auto ev = normalize_export_value(*kind, value);
        stix_object(s, *kind, value, ev && ev->ip, e.first_seen_ms, now_ms, 0, true, "", -1.0, "revoked",
                    to_string(e.reason));
        w[kStix].flush_if_full();
      }
    }
    s += "\n]}\n";
  }
  {
    auto& rpz = w[kRpz];
    if (auto s = rpz.open(tmp / "rpz.zone"); !s) return failed(s.error());
    // RFC 1035 §5 master file; SOA serial = the export serial (RFC 1982 arithmetic, 32 bits).
    rpz.append(fmt::format("; smishd response policy zone, export serial {}, generated {}\n"
                       "$ORIGIN {}.\n$TTL {}\n"
                       "@ IN SOA localhost. hostmaster.localhost. ( {} {} {} {} {} )\n"
                       "@ IN NS localhost.\n",
                       serial, core::format_utc(now_ms), config_.rpz_zone, kRpzTtlS, serial & 0xFFFFFFFFu,
                       kRpzRefreshS, kRpzRetryS, kRpzExpireS, kRpzMinimumS));
    rpz.append(rpz_body);
  }
  w[kRpz].start_writeback();
  for (std::size_t i = 0; i < kFiles; ++i) {
    if (linked[i]) {
      w[i].abandon();
      continue;
    }
    if (auto s = w[i].finish(); !s) return failed(s.error());
  }
  if (entries_in_order) {
    if (auto s = entries_w.finish(); !s) return failed(s.error());
  } else if (auto s = io::write_new_file(tmp / "entries.tsv", entries_text); !s) {
    return failed(s.error());
  }

  // ---- the manifest ----
  const std::size_t revoked = deltas.empty() ? 0 : deltas.front().removed();
  const std::size_t file_entries[] = {result.numbers, result.sender_ids,         result.domains, result.hosts,
                                      result.urls,    result.total() + result.allowlisted, owners.size(),
                                      result.total() + revoked};
  core::Json manifest{{"format", kFormat},
                      {"serial", serial},
                      {"previous_serial", prev->serial},
                      {"generated", core::format_utc(now_ms)},
                      {"generated_ms", now_ms},
                      {"forced", options.force && !result.refusal.empty()},
                      {"content_sha256", content_sha256},
                      {"rpz_zone", config_.rpz_zone},
                      {"counts",
                       {{"numbers", result.numbers},
                        {"sender_ids", result.sender_ids},
                        {"domains", result.domains},
                        {"hosts", result.hosts},
                        {"urls", result.urls},
                        {"allowlisted", result.allowlisted},
                        {"withheld_protected", result.protected_skipped},
                        {"withheld_invalid", result.invalid_skipped}}},
                      {"files", core::Json::object()},
                      {"deltas", core::Json::array()}};
  for (std::size_t i = 0; i < kFiles; ++i) {
    manifest["files"][kExportFiles[i]] = {{"entries", file_entries[i]}, {"bytes", w[i].bytes()}, {"sha256", w[i].sha256()}};
    result.files.push_back((out / "serials" / std::to_string(serial) / kExportFiles[i]).string());
  }
  for (const auto& d : deltas) {
    const auto name = fmt::format("delta-from-{}.jsonl", d.from_serial);
    const auto text = render_delta(d);
    if (auto s = io::write_new_file(tmp / name, text); !s) return failed(s.error());
    manifest["files"][name] = {{"entries", d.entries.size()}, {"bytes", text.size()}, {"sha256", io::sha256_hex(text)},
                               {"from_serial", d.from_serial}};
    manifest["deltas"].push_back(d.from_serial);
  }
  if (signer_) {
    manifest["signature"] = {{"algorithm", "ed25519"}, {"file", "manifest.json.sig"},
                             {"public_key_sha256", signer_->public_key_sha256()}};
  } else {
    manifest["signature"] = nullptr;
  }
  const std::string manifest_text = manifest.dump(2) + "\n";
  if (auto s = io::write_new_file(tmp / "manifest.json", manifest_text); !s) return failed(s.error());
  result.files.push_back((out / "serials" / std::to_string(serial) / "manifest.json").string());
  if (signer_) {
    auto sig = signer_->sign(manifest_text);
    if (!sig) return failed(sig.error());
    if (auto s = io::write_new_file(tmp / "manifest.json.sig", *sig); !s) return failed(s.error());
    result.files.push_back((out / "serials" / std::to_string(serial) / "manifest.json.sig").string());
  }

  // ---- publish: the directory whole, then one atomic switch of `current` ----
  const auto final_dir = out / "serials" / std::to_string(serial);
  if (auto s = io::fsync_dir(tmp); !s) return failed(s.error());
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0)
    return failed(make_error(ErrorCode::IoError, "rename " + final_dir.string() + ": " + std::strerror(errno)));
  guard.keep = true;
  if (auto s = io::fsync_dir(out / "serials"); !s) return failed(s.error());
  if (auto s = io::replace_symlink(out / "current", "serials/" + std::to_string(serial)); !s) return failed(s.error());
  // Stable names in out_dir for file-based consumers: each resolves through `current`.
  std::vector<std::string> links(std::begin(kExportFiles), std::end(kExportFiles));
  links.push_back("manifest.json");
  if (signer_) links.push_back("manifest.json.sig");
  for (const auto& name : links) {
    const std::string target = "current/" + name;
    if (fs::is_symlink(out / name, ec) && fs::read_symlink(out / name, ec).string() == target) continue;
    if (auto s = io::replace_symlink(out / name, target); !s) return failed(s.error());
  }
  if (auto s = io::fsync_dir(out); !s) return failed(s.error());
  // Old serials beyond keep_serials go; a reader holding one open keeps its files until it closes them.
  for (auto n : io::list_serials(out))
    if (n + static_cast<std::uint64_t>(config_.keep_serials) <= serial) fs::remove_all(out / "serials" / std::to_string(n), ec);

  result.total_ms = ms_since_t0();
  ++stats_.published;
  result.outcome = ExportOutcome::Published;
  result.serial = serial;
  core::log_info("export_published",
                 {{"serial", serial}, {"numbers", result.numbers}, {"sender_ids", result.sender_ids},
                  {"domains", result.domains}, {"hosts", result.hosts}, {"urls", result.urls},
                  {"added", result.delta.added()}, {"removed", result.delta.removed()},
                  {"withheld", result.protected_skipped + result.invalid_skipped}, {"forced", options.force},
                  {"scan_ms", static_cast<std::int64_t>(result.scan_ms)},
                  {"total_ms", static_cast<std::int64_t>(result.total_ms)}});
  return result;
}

core::Result<ExportResult> export_blocklists(storage::Store& store, const PolicyConfig& policy,
                                             const ExportConfig& config, std::int64_t now_ms,
                                             const ExportOptions& options) {
  auto exporter = Exporter::create(policy, config);
  if (!exporter) return exporter.error();
  return (*exporter)->run(store, now_ms, options);
}

}  // namespace smish::blocklist
