// Benchmark: one million indicators in a real RocksDB exported to every blocklist format.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "bench_args.hpp"

#include "smish/blocklist/export.hpp"
#include "smish/blocklist/policy.hpp"
#include "smish/blocklist/signing.hpp"
#include "smish/core/types.hpp"
#include "smish/storage/store.hpp"

using namespace smish;

namespace {

constexpr std::int64_t kNow = 1'763'769'600'000;  // 2025-11-22T00:00Z, fixed so runs are comparable
constexpr std::int64_t kHourMs = 3'600'000;
// Indicators per WriteBatch while filling the database: large enough to be fast, small enough
// that one batch stays well under RocksDB's write buffer.
constexpr std::size_t kFillBatch = 20'000;
// Longest wait for the fill's background compactions to finish before the timed steps.
constexpr double kSettleS = 120;

/// CPU seconds (user + system) this process has used: stable on a shared machine, where wall
/// time depends on the other tenants.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// The kernel's part of cpu_seconds(): file writes into the page cache show here.
double sys_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Indicator i of the synthetic population: a realistic mix of kinds, mostly listed (five
/// reporters within the window), one in a hundred on an allowlisted domain, one in fifty only
/// suspected.
core::Indicator make_indicator(std::size_t i) {
  core::Indicator ind;
  switch (i % 20) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
      ind.kind = core::IndicatorKind::Number;
      ind.value = fmt::format("+3712{:07d}", i % 10'000'000);
      ind.value += static_cast<char>('0' + (i / 10'000'000) % 10);
      break;
    case 8: case 9: case 10: case 11: case 12:
      ind.kind = core::IndicatorKind::Domain;
      ind.value = fmt::format("scam-{}.example{}", i, i % 7);
      break;
    case 13: case 14: case 15:
      ind.kind = core::IndicatorKind::Host;
      ind.value = fmt::format("login.scam-{}.example{}", i, i % 7);
      break;
    case 16: case 17: case 18:
      ind.kind = core::IndicatorKind::Url;
      ind.value = fmt::format("https://pay-{}.example{}/track?id={}", i, i % 7, i * 31);
      break;
    default:
      ind.kind = core::IndicatorKind::SenderId;
      ind.value = fmt::format("SND{}", i);
      break;
  }
  if (i % 100 == 50 && ind.kind == core::IndicatorKind::Domain) ind.value = fmt::format("s{}.bank.example", i);
  const int reporters = i % 50 == 7 ? 2 : 5;
  for (int r = 0; r < reporters; ++r) ind.reporters.emplace(fmt::format("p:{:016x}", i * 7 + r), kNow - (r + 1) * kHourMs);
  ind.distinct_reporters = static_cast<std::uint64_t>(reporters);
  ind.total_reports = static_cast<std::uint64_t>(reporters + 1);
  ind.first_seen_ms = kNow - 6 * kHourMs;
  ind.last_seen_ms = kNow - kHourMs;
  ind.categories["fake_delivery"] = 4;
  ind.categories["credential_phishing"] = 1;
  // What record_report keeps besides: reports per day (one to five days here) and campaigns.
  for (std::size_t d = 0; d <= i % 5; ++d) ind.daily[fmt::format("2025-11-{:02d}", 21 - d)] = 1 + (i + d) % 3;
  ind.campaigns[fmt::format("c:{:016x}", i / 40)] = 3;
  ind.max_score = 0.9;
  ind.status = reporters >= 5 ? core::IndicatorStatus::Listed : core::IndicatorStatus::Suspected;
  ind.status_reason = "5 distinct reporters within 72 h";
  ind.status_actor = "policy";
  ind.status_ms = ind.last_seen_ms;
  ind.recent_reports = {i * 3 + 1, i * 3 + 2, i * 3 + 3};
  return ind;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = smish::bench::parse_count_dir(argc, argv, "bench_export", 1'000'000);
  if (!args) return 2;
  const std::size_t count = args->count;
  const std::string base = args->base;
  const bool own_dir = args->own_dir;

  storage::StorageConfig scfg;
  scfg.path = base + "/db";
  auto store = storage::Store::open(scfg, storage::OpenMode::ReadWrite);
  if (!store) {
    std::fprintf(stderr, "bench_export: open: %s\n", store.error().message().c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t done = 0; done < count;) {
    storage::Commit c;
    for (std::size_t k = 0; k < kFillBatch && done < count; ++k, ++done) c.indicators.push_back(make_indicator(done));
    if (auto s = (*store)->commit(c); !s) {
      std::fprintf(stderr, "bench_export: commit: %s\n", s.error().message().c_str());
      return 1;
    }
  }
  std::printf("fill: %zu indicators in %.2f s\n", count, seconds_since(t0));
  // A settled database, as the scheduled export meets it: the compactions the fill started
  // would otherwise take a core from every timed step (bounded: at most kSettleS seconds).
  t0 = std::chrono::steady_clock::now();
  double busy = 0;
  do {
    busy = 0;
    for (const auto& e : (*store)->engine_stats())
      if (e.name == "running_compactions" || e.name == "running_flushes" || e.name == "pending_compaction_bytes")
        busy += e.value;
    if (busy > 0) ::usleep(100'000);
  } while (busy > 0 && seconds_since(t0) < kSettleS);
  std::printf("settle: background compactions done in %.2f s%s\n", seconds_since(t0), busy > 0 ? " (gave up waiting)" : "");

  t0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  std::size_t raw_bytes = 0;
  auto raw = (*store)->scan_indicator_values([&](std::string_view, std::string_view value) {
    raw_bytes += value.size();
    return true;
  });
  if (!raw) return 1;
  std::printf("%-34s %6.2f s wall, %6.2f s CPU  (Store::scan_indicator_values, undecoded: %.0f MB)\n",
              "scan without decoding", seconds_since(t0), cpu_seconds() - cpu0, raw_bytes / 1e6);

  t0 = std::chrono::steady_clock::now();
  cpu0 = cpu_seconds();
  std::size_t scanned = 0;
  auto scan = (*store)->scan_indicators([&](const core::Indicator&) {
    ++scanned;
    return true;
  });
  if (!scan) return 1;
  std::printf("%-34s %6.2f s wall, %6.2f s CPU  (Store::scan_indicators alone, %zu indicators)\n", "scan only",
              seconds_since(t0), cpu_seconds() - cpu0, scanned);

  blocklist::PolicyConfig policy;
  policy.allow_domains = {"bank.example"};
  blocklist::ExportConfig ecfg;
  ecfg.out_dir = base + "/export";
  const auto key = base + "/export.key";
  std::filesystem::remove(key);
  if (!blocklist::generate_signing_key(key)) return 1;
  ecfg.signing_key_file = key;
  auto exporter = blocklist::Exporter::create(policy, ecfg);
  if (!exporter) {
    std::fprintf(stderr, "bench_export: %s\n", exporter.error().message().c_str());
    return 1;
  }
  auto run = [&](const char* what, std::int64_t now, blocklist::ExportOptions opts = {}) -> bool {
    const auto t = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds(), sys0 = sys_seconds();
    auto r = (*exporter)->run(**store, now, opts);
    const double cpu = cpu_seconds() - cpu0, sys = sys_seconds() - sys0;
    if (!r) {
      std::fprintf(stderr, "bench_export: export: %s\n", r.error().message().c_str());
      return false;
    }
    std::uint64_t bytes = 0, linked = 0;  // linked: files shared with the previous serial (hard links)
    for (const auto& f : r->files) {
      const auto size = std::filesystem::file_size(f);
      bytes += size;
      if (std::filesystem::hard_link_count(f) > 1) linked += size;
    }
    std::printf("%-34s %6.2f s wall, %6.2f s CPU (%.2f s sys)  %s serial %llu: %zu scanned, %zu numbers, %zu sender ids, %zu domains, %zu hosts, "
                "%zu URLs, %zu allowlisted; +%zu -%zu; %.0f MB in the serial (%.0f MB of it linked); scan %.2f s, rendered %.2f s\n",
                what, seconds_since(t), cpu, sys, std::string(blocklist::to_string(r->outcome)).c_str(),
                static_cast<unsigned long long>(r->serial), r->scanned, r->numbers, r->sender_ids, r->domains,
                r->hosts, r->urls, r->allowlisted, r->delta.added(), r->delta.removed(), bytes / 1e6, linked / 1e6,
                r->scan_ms / 1e3, r->render_ms / 1e3);
    return true;
  };
  // 0: what it would publish (scan, evaluation, delta; no files).
  blocklist::ExportOptions dry;
  dry.dry_run = true;
  if (!run("dry run (no formats written)", kNow, dry)) return 1;
  // 1: everything, every format, signed, fsynced, published.
  if (!run("full export (all formats)", kNow)) return 1;
  // 2: nothing changed: scanned and rendered, no new serial.
  if (!run("unchanged re-export", kNow + 60'000)) return 1;
  // 3: one indicator in a hundred changes status: a new serial with deltas.
  {
    storage::Commit c;
    for (std::size_t i = 0; i < count; i += 100) {
      auto ind = make_indicator(i);
      ind.status = core::IndicatorStatus::Revoked;
      ind.status_actor = "analyst:bench";
      c.indicators.push_back(std::move(ind));
    }
    if (!(*store)->commit(c)) return 1;
  }
  if (!run("incremental export (1% revoked)", kNow + 120'000)) return 1;
  store->reset();
  if (own_dir) std::filesystem::remove_all(base);
  return 0;
}
