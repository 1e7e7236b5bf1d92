// Benchmark (issues 6 and 8): smishctl lookup, reports, top and stats as separate processes
// (process start, config, secondary open included) over a real RocksDB of N reports (default
// 10 million) written through Store::commit, with their report index, indicators and reporter
// records, as smishd's storage holds them after a year:
//   - reports spread evenly over 365 days, ids in arrival order; only the last 30 days keep their
//     text and PDU (storage.raw_retention_days), older ones a text fingerprint;
//   - 300 000 reporters; each report names one of 200 000 numbers, 60 % also one of 100 000 URLs
//     (URL, host and registrable domain: 1-4 indicators a report), skewed so that a few values
//     take a large share (the hottest number about 1.7 % of all reports), one of 20 000 campaigns;
//   - indicators aggregated with blocklist::record_report (exact reporters up to 10 000, then the
//     sketch), written once at the end.
// The database is kept in --dir when given, and reused by the next run with the same --count.
//
// With --smishd PATH, smishd runs on the database meanwhile (its SMSC unreachable): lookup and
// report are then answered by smishd over its admin socket, the scans still by a secondary.
//
// usage: bench_lookup [--count N] [--dir DIR] [--runs R] [--smishctl PATH] [--smishd PATH]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <csignal>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "smish/blocklist/policy.hpp"
#include "smish/core/clock.hpp"
#include "smish/storage/store.hpp"

extern char** environ;

using namespace smish;

namespace {

constexpr std::int64_t kDayMs = 24 * 3'600'000LL;
constexpr std::uint64_t kReporters = 300'000, kNumbers = 200'000, kUrls = 100'000, kCampaigns = 20'000;
constexpr std::size_t kFillBatch = 5'000;

std::uint64_t mix(std::uint64_t x) {  // splitmix64: a fixed pseudo-random stream from the report id
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
double uniform(std::uint64_t x) { return static_cast<double>(mix(x) >> 11) / 9007199254740992.0; }
/// Skewed pick in [0, n): u^3 puts 1.7 % of the picks on value 0, 8 % on the first 100 of 200 000.
std::uint64_t skewed(std::uint64_t seed, std::uint64_t n) {
  const double u = uniform(seed);
  return std::min<std::uint64_t>(n - 1, static_cast<std::uint64_t>(static_cast<double>(n) * u * u * u));
}
std::string number_of(std::uint64_t d) { return fmt::format("+3712{:07d}", d); }
std::string domain_of(std::uint64_t d) { return fmt::format("parcel-{}.top", d); }

core::Report make_report(std::uint64_t i, std::uint64_t n, std::int64_t now) {
  core::Report r;
  r.id = i + 1;
  r.received_ms = now - 365 * kDayMs + static_cast<std::int64_t>(365.0 * kDayMs * static_cast<double>(i) / static_cast<double>(n));
  r.reporter = fmt::format("p:{:032x}", mix(mix(i) % kReporters));
  r.reporter_country = "LV";
  r.smsc = "tele2-lv";
  r.dest = "12250";
  const auto d = skewed(i * 3 + 1, kNumbers);
  core::ExtractedNumber num;
  num.e164 = number_of(d);
  num.region = "LV";
  r.extraction.numbers.push_back(num);
  std::string text = fmt::format("Jūsu paka aizkavēta. Zvaniet {}", num.e164);
  if (uniform(i * 3 + 2) < 0.6) {
    const auto u = skewed(i * 3 + 3, kUrls);
    core::ExtractedUrl url;
    url.host = domain_of(u);
    url.domain = url.host;
    url.url = fmt::format("https://{}/pay/{}", url.host, u % 97);
    r.extraction.urls.push_back(url);
    text += " vai samaksājiet 1,99 EUR: " + url.url;
  }
  r.verdict.label = core::Label::Scam;
  r.verdict.category = d % 3 ? "delivery" : "bank_payment";
  r.verdict.score = 0.85;
  r.campaign = fmt::format("c-{:016x}", mix(d % kCampaigns));
  if (r.received_ms >= now - 30 * kDayMs) {
    r.text = std::move(text);
    r.raw_pdus.push_back(std::string(140, 'x'));
  } else {
    r.text_fingerprint = fmt::format("{:016x}", mix(i));
  }
  return r;
}

struct Timing {
  double median_ms = 0, max_ms = 0;
  int rc = 0;
  std::size_t lines = 0;
};

/// Runs smishctl `runs` times as its own process, stdout to a file; wall time of each.
Timing run_process(const std::string& smishctl, const std::vector<std::string>& args, int runs, const std::string& out) {
  std::vector<double> ms;
  Timing t;
  for (int k = 0; k < runs; ++k) {
    std::vector<std::string> all = {smishctl};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (posix_spawn(&pid, smishctl.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
      std::perror("posix_spawn");
      std::exit(1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    posix_spawn_file_actions_destroy(&fa);
    t.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::sort(ms.begin(), ms.end());
  t.median_ms = ms[ms.size() / 2];
  t.max_ms = ms.back();
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) ++t.lines;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t count = 10'000'000;
  std::string base, smishctl = std::string(SMISH_BINARY_DIR) + "/tools/smishctl", smishd;
  int runs = 11;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc) count = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--dir" && i + 1 < argc) base = argv[++i];
    else if (arg == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--smishctl" && i + 1 < argc) smishctl = argv[++i];
    else if (arg == "--smishd" && i + 1 < argc) smishd = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_lookup [--count N] [--dir DIR] [--runs R] [--smishctl PATH] [--smishd PATH]\n");
      return 2;
    }
  }
  const bool own_dir = base.empty();
  if (own_dir) base = (std::filesystem::temp_directory_path() / fmt::format("bench_lookup-{}", ::getpid())).string();
  std::filesystem::create_directories(base);
  const std::string db = base + "/db", marker = base + "/filled";
  std::int64_t now = core::to_unix_ms(core::SystemClock::instance().now());
  std::uint64_t filled = 0;
  if (std::ifstream m(marker); m >> filled >> now && filled == count) {
    std::printf("reusing %s: %llu reports\n", db.c_str(), static_cast<unsigned long long>(count));
  } else {
    std::filesystem::remove_all(db);
    now = core::to_unix_ms(core::SystemClock::instance().now());
    storage::StorageConfig cfg;
    cfg.path = db;
    auto store = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    if (!store) {
      std::fprintf(stderr, "bench_lookup: open: %s\n", store.error().message().c_str());
      return 1;
    }
    blocklist::PolicyConfig policy;
    std::unordered_map<std::string, core::Indicator> indicators;
    std::unordered_map<std::string, storage::ReporterRecord> reporters;
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t pairs = 0;
    for (std::uint64_t done = 0; done < count;) {
      storage::Commit c;
      for (std::size_t k = 0; k < kFillBatch && done < count; ++k, ++done) {
        auto r = make_report(done, count, now);
        auto touch = [&](core::IndicatorKind kind, const std::string& value) {
          auto& ind = indicators[std::string(core::to_string(kind)) + ":" + value];
          if (ind.value.empty()) {
            ind.kind = kind;
            ind.value = value;
          }
          blocklist::record_report(ind, r, {}, policy);
          ++pairs;
        };
        for (const auto& nm : r.extraction.numbers) touch(core::IndicatorKind::Number, nm.e164);
        for (const auto& u : r.extraction.urls) {
          touch(core::IndicatorKind::Url, u.url);
          touch(core::IndicatorKind::Host, u.host);
          touch(core::IndicatorKind::Domain, u.domain);
        }
        auto& rec = reporters[r.reporter];
        if (rec.reports++ == 0) rec.first_ms = r.received_ms;
        rec.last_ms = r.received_ms;
        c.reports.push_back(std::move(r));
      }
      if (auto s = (*store)->commit(c); !s) {
        std::fprintf(stderr, "bench_lookup: commit: %s\n", s.error().message().c_str());
        return 1;
      }
      if (done % 1'000'000 == 0)
        std::fprintf(stderr, "  %llu reports, %.0f s\n", static_cast<unsigned long long>(done),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const double reports_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    storage::Commit c;
    for (auto& [key, ind] : indicators) {
      blocklist::evaluate(ind, policy, now);
      c.indicators.push_back(std::move(ind));
      if (c.indicators.size() == kFillBatch) {
        if (auto s = (*store)->commit(c); !s) return 1;
        c.indicators.clear();
      }
    }
    for (const auto& [p, rec] : reporters) c.reporters_put.emplace_back(p, rec);
    if (auto s = (*store)->commit(c); !s) return 1;
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("fill: %llu reports (%llu report-indicator pairs, %zu indicators, %zu reporters) in %.0f s "
                "(reports and indexes %.0f s)\n",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(pairs), indicators.size(),
                reporters.size(), total_s, reports_s);
    std::ofstream(marker) << count << " " << now << "\n";
  }
  std::uintmax_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(db))
    if (e.is_regular_file()) bytes += e.file_size();
  std::printf("database: %.2f GB\n\n", static_cast<double>(bytes) / 1e9);

  pid_t daemon = 0;
  if (!smishd.empty()) {
    const std::string config = base + "/smishd.yaml", key = base + "/pseudonym.key";
    std::ofstream(key) << "bench-lookup-pseudonym-key-0001\n";
    std::ofstream(config) << fmt::format(
        "smsc:\n  name: bench\n  host: 127.0.0.1\n  port: 9\n  system_id: bench\n  password: bench\n"
        "storage:\n  path: {}\n  pseudonym_key_file: {}\n"
        "classifier:\n  rules_dir: {}/configs/rules\n  brands_file: {}/configs/brands.yaml\n"
        "export:\n  out_dir: {}/export\n  interval_s: 0\nreplies:\n  enabled: false\n"
        "daemon:\n  metrics_listen: \"off\"\n",
        db, key, SMISH_SOURCE_DIR, SMISH_SOURCE_DIR, base);
    std::vector<std::string> args = {smishd, "--config", config};
    std::vector<char*> argv_d;
    for (auto& a : args) argv_d.push_back(a.data());
    argv_d.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, (base + "/smishd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&daemon, smishd.c_str(), &fa, nullptr, argv_d.data(), environ) != 0) {
      std::perror("posix_spawn smishd");
      return 1;
    }
    posix_spawn_file_actions_destroy(&fa);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!std::filesystem::exists(db + ".admin.sock") && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Settle: smishd's start-up work (its first retention sweep catching up with the time it was
    // stopped, compactions after the open) is not what a lookup meets in steady state.
    std::this_thread::sleep_for(std::chrono::seconds(15));
    std::printf("smishd running on the database (pid %d)\n\n", static_cast<int>(daemon));
  }

  const std::string hot = number_of(0), cold = number_of(kNumbers - 7), hot_domain = domain_of(0);
  const std::string campaign = fmt::format("c-{:016x}", mix(0));
  const std::vector<std::vector<std::string>> commands = {
      {"--help"},  // process start and the configuration alone: the floor under every command
      {"lookup", hot},
      {"lookup", cold},
      {"lookup", hot_domain},
      {"--json", "lookup", hot},
      {"reports", "--indicator", hot, "--limit", "20"},
      {"reports", "--campaign", campaign, "--limit", "20"},
      {"reports", "--limit", "20"},
      {"top", "numbers", "--since", "24h"},
      {"top", "domains", "--since", "24h"},
      {"top", "campaigns", "--since", "24h"},
      {"top", "numbers", "--since", "7d"},
      {"stats", "--since", "24h"},
      {"stats", "--since", "7d"},
      {"top", "numbers"},
      {"top", "domains"},
      {"top", "campaigns"},
      {"stats"},
  };
  std::printf("| command | median ms | max ms | exit | lines |\n|---|---:|---:|---:|---:|\n");
  for (const auto& cmd : commands) {
    std::vector<std::string> args = {"--db", db};
    args.insert(args.end(), cmd.begin(), cmd.end());
    // All time over reports (campaigns, stats): a scan of every report digest.
    const bool slow = cmd == std::vector<std::string>{"top", "campaigns"} || cmd == std::vector<std::string>{"stats"};
    const auto t = run_process(smishctl, args, slow ? std::max(1, runs / 4) : runs, base + "/out.txt");
    std::string line;
    for (const auto& a : cmd) line += (line.empty() ? "" : " ") + a;
    std::printf("| `%s` | %.1f | %.1f | %d | %zu |\n", line.c_str(), t.median_ms, t.max_ms, t.rc, t.lines);
    std::fflush(stdout);
  }
  if (daemon > 0) {
    ::kill(daemon, SIGTERM);
    int status = 0;
    ::waitpid(daemon, &status, 0);
  }
  if (own_dir) std::filesystem::remove_all(base);
  return 0;
}
