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
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "file_io.hpp"
#include "smish/blocklist/formats.hpp"
#include "smish/core/clock.hpp"
#include "smish/core/json.hpp"
#include "smish/core/log.hpp"

namespace smish::blocklist {
namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::IndicatorKind;
using core::make_error;

// Records handed from the scan to the renderer per batch, and batches in flight: enough to keep
// both threads busy, little enough to bound memory (a few MiB).
constexpr std::size_t kBatchSize = 4096;
constexpr std::size_t kMaxQueuedBatches = 8;
// RPZ timers (RFC 1035 §3.3.13 SOA; draft-vixie-dnsop-dns-rpz §2): short TTLs so that a
// listing or an allowlisting reaches resolvers within minutes.
constexpr int kRpzTtlS = 300;
constexpr int kRpzRefreshS = 300, kRpzRetryS = 60, kRpzExpireS = 604800, kRpzMinimumS = 300;
constexpr std::string_view kFormat = "smishd-export/1";

/// One indicator that reaches the files: blocked, or allowlisted (RPZ passthru, indicators.jsonl).
struct Record {
  core::Indicator ind;
  bool blocked = false;
  bool ip = false;
};

/// Renders records into the files of one serial. Runs on the render thread, then its results
/// are read on the calling thread after join.
class Renderer {
 public:
  Renderer(const fs::path& dir, bool write) : dir_(dir), write_(write) {}

  core::Status open() {
    if (!write_) return {};
    for (std::size_t i = 0; i < kFiles; ++i)
      if (i != kRpz)
        if (auto s = w_[i].open(dir_ / kExportFiles[i]); !s) return s;
    w_[kNumbers].append("e164,category,status,first_seen,last_seen,distinct_reporters,score,expires\n");
    w_[kSenderIds].append("sender_id,category,status,first_seen,last_seen,distinct_reporters,score,expires\n");
    // STIX 2.1 §8 bundle; the identity (§4.9) is the producer every indicator refers to.
    std::string& s = w_[kStix].buf();
    s += "{\"type\":\"bundle\",\"id\":\"bundle--" + random_uuid() + "\",\"objects\":[\n";
    s += "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--" + identity_id() +
         "\",\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\",\"name\":\"smishd\","
         "\"identity_class\":\"system\"}";
    return {};
  }

  void consume(std::vector<Record>& batch) {
    for (auto& r : batch) render(r);
    if (write_)
      for (auto& w : w_) w.flush_if_full();
  }

  static std::string identity_id() { return uuid5("identity:smishd"); }

  // ---- results, read after the render thread is joined ----
  std::vector<PublishedEntry> entries;                       ///< blocked keys, in scan order
  std::vector<std::pair<std::string, bool>> rpz_owners;      ///< (owner, passthru)
  std::size_t counts[5] = {};                                // by IndicatorKind
  std::size_t allowlisted = 0;

  static constexpr std::size_t kNumbers = 0, kSenderIds = 1, kDomains = 2, kHosts = 3, kUrls = 4, kJsonl = 5,
                               kRpz = 6, kStix = 7, kFiles = 8;
  io::FileWriter w_[kFiles];

  /// A STIX indicator object; `revoked` ones carry the removal reason.
  static void stix_object(std::string& s, IndicatorKind kind, std::string_view value, bool ip, std::int64_t created_ms,
                          std::int64_t modified_ms, std::int64_t valid_until_ms, bool revoked,
                          std::string_view category, double score, std::string_view status, std::string_view reason) {
    std::string key(core::to_string(kind));
    key += ':';
    key += value;
    s += ",\n{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--";
    s += uuid5(key);
    s += "\",\"created_by_ref\":\"identity--";
    s += identity_id_cached();
    s += "\",\"created\":\"";
    append_utc(s, created_ms);
    s += "\",\"modified\":\"";
    append_utc(s, std::max(modified_ms, created_ms));
    s += "\",\"indicator_types\":[\"malicious-activity\"],\"pattern\":";
    append_json_string(s, stix_pattern(kind, value, ip));
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
    if (score >= 0) fmt::format_to(std::back_inserter(s), ",\"confidence\":{}", static_cast<int>(score * 100 + 0.5));
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

 private:
  static const std::string& identity_id_cached() {
    static const std::string id = identity_id();
    return id;
  }

  static std::string random_uuid() {
    unsigned char b[16] = {};
    if (RAND_bytes(b, sizeof b) != 1) return uuid5("bundle:" + std::to_string(core::to_unix_ms(core::SystemClock::instance().now())));
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // RFC 4122 §4.4 version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  }

  void csv_row(std::string& s, const core::Indicator& ind) {
    append_csv_field(s, ind.value);
    s += ',';
    append_csv_field(s, ind.top_category());
    s += ',';
    s += core::to_string(ind.status);
    s += ',';
    append_utc(s, ind.first_seen_ms);
    s += ',';
    append_utc(s, ind.last_seen_ms);
    fmt::format_to(std::back_inserter(s), ",{},{:.3f},", ind.distinct_reporters, ind.max_score);
    if (ind.expires_ms) append_utc(s, ind.expires_ms);
    s += '\n';
  }

  /// Every field of the indicator but the reporter pseudonyms (they stay in smishd).
  void jsonl_row(std::string& s, const core::Indicator& ind) {
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
                   ",\"status_ms\":{},\"total_reports\":{},\"distinct_reporters\":{},\"first_seen_ms\":{},"
                   "\"last_seen_ms\":{},\"expires_ms\":{},\"max_score\":{},\"category\":",
                   ind.status_ms, ind.total_reports, ind.distinct_reporters, ind.first_seen_ms, ind.last_seen_ms,
                   ind.expires_ms, ind.max_score);
    append_json_string(s, ind.top_category());
    s += ",\"categories\":{";
    bool first = true;
    for (const auto& [name, votes] : ind.categories) {
      if (!first) s += ',';
      first = false;
      append_json_string(s, name);
      fmt::format_to(std::back_inserter(s), ":{}", votes);
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
      fmt::format_to(std::back_inserter(s), "{}", id);
    }
    s += "]}\n";
  }

  void render(Record& r) {
    const auto& ind = r.ind;
    if (r.blocked) {
      std::string key(core::to_string(ind.kind));
      key += ':';
      key += ind.value;
      entries.push_back({std::move(key), ind.first_seen_ms, ind.expires_ms});
      ++counts[static_cast<std::size_t>(ind.kind)];
      if ((ind.kind == IndicatorKind::Domain || ind.kind == IndicatorKind::Host) && !r.ip) {
        rpz_owners.emplace_back(ind.value, false);
        if (ind.kind == IndicatorKind::Domain) rpz_owners.emplace_back("*." + ind.value, false);
      }
    } else {
      ++allowlisted;
      if ((ind.kind == IndicatorKind::Domain || ind.kind == IndicatorKind::Host) && !r.ip) {
        rpz_owners.emplace_back(ind.value, true);
        if (ind.kind == IndicatorKind::Domain) rpz_owners.emplace_back("*." + ind.value, true);
      }
    }
    if (!write_) return;
    jsonl_row(w_[kJsonl].buf(), ind);
    if (!r.blocked) return;
    switch (ind.kind) {
      case IndicatorKind::Number: csv_row(w_[kNumbers].buf(), ind); break;
      case IndicatorKind::SenderId: csv_row(w_[kSenderIds].buf(), ind); break;
      case IndicatorKind::Domain: w_[kDomains].buf() += ind.value + '\n'; break;
      case IndicatorKind::Host: w_[kHosts].buf() += ind.value + '\n'; break;
      case IndicatorKind::Url: w_[kUrls].buf() += ind.value + '\n'; break;
    }
    stix_object(w_[kStix].buf(), ind.kind, ind.value, r.ip, ind.first_seen_ms,
                std::max({ind.status_ms, ind.last_seen_ms, ind.first_seen_ms}), ind.expires_ms, false,
                ind.top_category(), ind.max_score, core::to_string(ind.status), "");
  }

  fs::path dir_;
  bool write_;
};

/// A bounded single-producer single-consumer queue of record batches.
class BatchQueue {
 public:
  /// False when the consumer has failed (the producer should stop).
  bool push(std::vector<Record>&& batch) {
    std::unique_lock lock(m_);
    space_.wait(lock, [&] { return q_.size() < kMaxQueuedBatches || failed_; });
    if (failed_) return false;
    q_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  std::optional<std::vector<Record>> pop() {
    std::unique_lock lock(m_);
    ready_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    auto b = std::move(q_.front());
    q_.pop_front();
    space_.notify_one();
    return b;
  }
  void close() {
    std::lock_guard lock(m_);
    closed_ = true;
    ready_.notify_one();
  }
  void fail() {
    std::lock_guard lock(m_);
    failed_ = true;
    space_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable ready_, space_;
  std::deque<std::vector<Record>> q_;
  bool closed_ = false, failed_ = false;
};

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

/// A copy of `i` without its reporter map (up to max_tracked_reporters pseudonyms, never
/// exported): the scan copies every indicator, so the map's allocations would dominate.
core::Indicator copy_without_reporters(const core::Indicator& i) {
  // Update this copy when core::Indicator gains a field (the size check below trips).
#if defined(__GLIBCXX__) && defined(__x86_64__)
  static_assert(sizeof(core::Indicator) == 312, "core::Indicator changed: copy the new field here");
#endif
  core::Indicator c;
  c.kind = i.kind;
  c.value = i.value;
  c.total_reports = i.total_reports;
  c.distinct_reporters = i.distinct_reporters;
  c.first_seen_ms = i.first_seen_ms;
  c.last_seen_ms = i.last_seen_ms;
  c.categories = i.categories;
  c.max_score = i.max_score;
  c.flags = i.flags;
  c.status = i.status;
  c.status_reason = i.status_reason;
  c.status_actor = i.status_actor;
  c.status_ms = i.status_ms;
  c.expires_ms = i.expires_ms;
  c.recent_reports = i.recent_reports;
  return c;
}

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
  Renderer renderer(tmp, write);
  if (auto s = renderer.open(); !s) return failed(s.error());

  // ---- the scan (this thread) feeds the renderer (a worker thread) ----
  const auto covering = covering_names(protected_domains(policy_));  // allowlisted and brand domains
  const auto& prev_entries = prev->entries;
  std::unordered_map<std::string, RemovalReason> reasons;  // previously published keys not published now
  auto note_reason = [&](IndicatorKind kind, std::string_view value, RemovalReason r) {
    if (prev_entries.empty()) return;
    std::string key(core::to_string(kind));
    key += ':';
    key += value;
    auto it = std::lower_bound(prev_entries.begin(), prev_entries.end(), key,
                               [](const PublishedEntry& e, const std::string& k) { return e.key < k; });
    if (it != prev_entries.end() && it->key == key) reasons[key] = r;
  };
  BatchQueue queue;
  std::string render_error;
  auto render_loop = [&] {
    try {
      while (auto batch = queue.pop()) renderer.consume(*batch);
    } catch (const std::exception& ex) {  // allocation failure: the thread boundary catches it
      render_error = ex.what();
      queue.fail();
      while (queue.pop()) {
      }
    }
  };
  std::thread worker;
  bool threaded = true;
  try {
    worker = std::thread(render_loop);
  } catch (const std::system_error&) {
    threaded = false;  // no thread to be had: render inline
  }
  std::vector<Record> batch;
  batch.reserve(kBatchSize);
  bool stopped = false;
  auto flush_batch = [&] {
    if (batch.empty()) return;
    if (threaded) {
      if (!queue.push(std::move(batch))) stopped = true;
    } else {
      renderer.consume(batch);
    }
    batch.clear();
    batch.reserve(kBatchSize);
  };
  auto scan = store.scan_indicators([&](const core::Indicator& stored) {
    ++result.scanned;
    Record rec{copy_without_reporters(stored), false, false};
    auto& ind = rec.ind;
    auto norm = normalize_export_value(ind.kind, ind.value);
    if (!norm) {
      if (core::is_blocked(evaluate_with(ind, stored.reporters, policy_, now_ms))) {
        ++result.invalid_skipped;
        note_reason(ind.kind, ind.value, RemovalReason::Invalid);
      }
      return true;
    }
    ind.value = std::move(norm->value);
    rec.ip = norm->ip;
    const auto status = evaluate_with(ind, stored.reporters, policy_, now_ms);
    if (core::is_blocked(status)) {
      // Defence in depth: evaluate() refuses protected values already; a database that says
      // otherwise (or a domain that would cover an allowlisted one) is not believed.
      const bool host_like = ind.kind == IndicatorKind::Domain || ind.kind == IndicatorKind::Host;
      if (is_protected(ind, policy_) || (host_like && covering.count(ind.value))) {
        ++result.protected_skipped;
        note_reason(ind.kind, ind.value, RemovalReason::Allowlisted);
        return true;
      }
      rec.blocked = true;
    } else {
      if (auto r = reason_for(status)) note_reason(ind.kind, ind.value, *r);
      if (status != core::IndicatorStatus::Allowlisted) return true;
    }
    batch.push_back(std::move(rec));
    if (batch.size() >= kBatchSize) flush_batch();
    return !stopped;
  });
  flush_batch();
  result.scan_ms = ms_since_t0();
  if (threaded) {
    queue.close();
    worker.join();
  }
  result.render_ms = ms_since_t0();
  if (!render_error.empty()) return failed(make_error(ErrorCode::Internal, "export rendering: " + render_error));
  if (!scan) return failed(scan.error());

  // ---- the delta against the current serial ----
  auto& entries = renderer.entries;
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
  result.numbers = renderer.counts[static_cast<std::size_t>(IndicatorKind::Number)];
  result.sender_ids = renderer.counts[static_cast<std::size_t>(IndicatorKind::SenderId)];
  result.domains = renderer.counts[static_cast<std::size_t>(IndicatorKind::Domain)];
  result.hosts = renderer.counts[static_cast<std::size_t>(IndicatorKind::Host)];
  result.urls = renderer.counts[static_cast<std::size_t>(IndicatorKind::Url)];
  result.allowlisted = renderer.allowlisted;

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

  // ---- RPZ: blocks and passthrus, one action per owner name, passthru winning ----
  auto& owners = renderer.rpz_owners;
  for (const auto& a : protected_domains(policy_)) {
    if (auto n = normalize_export_value(IndicatorKind::Domain, a); n && !n->ip) {
      owners.emplace_back(n->value, true);
      owners.emplace_back("*." + n->value, true);
    }
  }
  std::sort(owners.begin(), owners.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  owners.erase(std::unique(owners.begin(), owners.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               owners.end());
  std::string rpz_body;
  rpz_body.reserve(owners.size() * 40);
  for (const auto& [owner, passthru] : owners) {
    if (!fits_dns_name(owner, config_.rpz_zone)) continue;
    rpz_body += owner;
    rpz_body += passthru ? " CNAME rpz-passthru.\n" : " CNAME .\n";  // RPZ: passthru, or NXDOMAIN
  }
  const std::string entries_text = render_entries(entries);
  // The consumers' view of the content: what the blocked and allowlisted sets and the numbers'
  // details are. Timestamps of the run itself are left out so an idle system makes no new serial.
  for (std::size_t i = 0; i < Renderer::kRpz; ++i)
    if (i != Renderer::kJsonl)
      if (auto s = renderer.w_[i].finish(); !s) return failed(s.error());
  std::string content;
  for (std::size_t i = 0; i < Renderer::kJsonl; ++i) content += renderer.w_[i].sha256();
  content += io::sha256_hex(entries_text);
  content += io::sha256_hex(rpz_body);
  const std::string content_sha256 = io::sha256_hex(content);
  if (!options.force && prev->serial > 0 && prev->manifest.value("content_sha256", "") == content_sha256) {
    ++stats_.unchanged;
    result.outcome = ExportOutcome::Unchanged;
    result.serial = prev->serial;
    return result;
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
    std::string& s = renderer.w_[Renderer::kStix].buf();
    if (!deltas.empty()) {
      for (const auto& e : deltas.front().entries) {
        if (e.added) continue;
        const auto [kind_name, value] = split_key(e.key);
        const auto kind = core::parse_indicator_kind(kind_name);
        if (!kind) continue;
        auto ev = normalize_export_value(*kind, value);
        Renderer::stix_object(s, *kind, value, ev && ev->ip, e.first_seen_ms, now_ms, 0, true, "", -1.0, "revoked",
                              to_string(e.reason));
        renderer.w_[Renderer::kStix].flush_if_full();
      }
    }
    s += "\n]}\n";
  }
  {
    auto& w = renderer.w_[Renderer::kRpz];
    if (auto s = w.open(tmp / "rpz.zone"); !s) return failed(s.error());
    // RFC 1035 §5 master file; SOA serial = the export serial (RFC 1982 arithmetic, 32 bits).
    w.append(fmt::format("; smishd response policy zone, export serial {}, generated {}\n"
                         "$ORIGIN {}.\n$TTL {}\n"
                         "@ IN SOA localhost. hostmaster.localhost. ( {} {} {} {} {} )\n"
                         "@ IN NS localhost.\n",
                         serial, core::format_utc(now_ms), config_.rpz_zone, kRpzTtlS, serial & 0xFFFFFFFFu,
                         kRpzRefreshS, kRpzRetryS, kRpzExpireS, kRpzMinimumS));
    w.append(rpz_body);
  }
  for (std::size_t i : {Renderer::kJsonl, Renderer::kRpz, Renderer::kStix})
    if (auto s = renderer.w_[i].finish(); !s) return failed(s.error());
  if (auto s = io::write_new_file(tmp / "entries.tsv", entries_text); !s) return failed(s.error());

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
  for (std::size_t i = 0; i < Renderer::kFiles; ++i) {
    const auto& w = renderer.w_[i];
    manifest["files"][kExportFiles[i]] = {{"entries", file_entries[i]}, {"bytes", w.bytes()}, {"sha256", w.sha256()}};
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
