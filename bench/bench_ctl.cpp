// Benchmark: smishctl's read commands over a real RocksDB of N reports spread over 30 days (default
// 200000): what a --since window saves against a whole-database scan.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_args.hpp"

#include "smish/app/main.hpp"
#include "smish/core/clock.hpp"
#include "smish/storage/store.hpp"

using namespace smish;

namespace {

constexpr std::int64_t kDayMs = 24 * 3'600'000LL;
constexpr std::size_t kFillBatch = 5'000;  // reports per WriteBatch while filling

double cpu_seconds() {  // user + system: stable on a shared machine
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// Report i of n: received evenly over the 30 days before `now`, oldest first (ids follow arrival),
/// one of 500 domains and numbers, one of 200 campaigns, 5000 reporters.
core::Report make_report(std::uint64_t i, std::uint64_t n, std::int64_t now) {
  core::Report r;
  r.id = i + 1;
  r.received_ms = now - 30 * kDayMs + static_cast<std::int64_t>((30 * kDayMs) * static_cast<double>(i) / static_cast<double>(n));
  r.reporter = fmt::format("p:{:016x}", (i * 2654435761u) % 5000);
  r.reporter_country = i % 3 ? "LV" : "LT";
  const auto d = (i * 7919) % 500;
  r.text = fmt::format("Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: parcel-{}.top/pay?id={} vai zvaniet +3712999{:04d}", d, i, d);
  core::ExtractedUrl u;
  u.url = fmt::format("http://parcel-{}.top/pay?id={}", d, i);
  u.host = fmt::format("parcel-{}.top", d);
  u.domain = u.host;
  r.extraction.urls.push_back(u);
  core::ExtractedNumber num;
  num.e164 = fmt::format("+3712999{:04d}", d);
  r.extraction.numbers.push_back(num);
  r.verdict.label = i % 5 ? core::Label::Scam : core::Label::Spam;
  r.verdict.category = i % 2 ? "delivery" : "bank_payment";
  r.verdict.score = 0.8;
  r.campaign = fmt::format("c-{:016x}", d % 200);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = smish::bench::parse_count_dir(argc, argv, "bench_ctl", 200'000);
  if (!args) return 2;
  const std::uint64_t count = args->count;
  const std::string base = args->base;
  const bool own_dir = args->own_dir;
  const std::string db = base + "/db";
  const auto now = core::to_unix_ms(core::SystemClock::instance().now());
  {
    storage::StorageConfig cfg;
    cfg.path = db;
    auto store = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
    if (!store) {
      std::fprintf(stderr, "bench_ctl: open: %s\n", store.error().message().c_str());
      return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t done = 0; done < count;) {
      storage::Commit c;
      for (std::size_t k = 0; k < kFillBatch && done < count; ++k, ++done) c.reports.push_back(make_report(done, count, now));
      if (auto s = (*store)->commit(c); !s) {
        std::fprintf(stderr, "bench_ctl: commit: %s\n", s.error().message().c_str());
        return 1;
      }
    }
    std::printf("fill: %llu reports in %.2f s\n", static_cast<unsigned long long>(count),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const std::vector<std::vector<std::string>> runs = {
      {"reports", "--limit", "20"},
      {"reports", "--since", "24h", "--limit", "100000"},
      {"reports", "--indicator", "parcel-7.top", "--limit", "100000"},
      {"reports", "--since", "7d", "--campaign", "c-0000000000000007", "--limit", "100000"},
      {"stats"},
      {"stats", "--since", "7d", "--by", "day"},
      {"top", "domains", "--since", "24h"},
      {"top", "campaigns"},
  };
  for (const auto& run : runs) {
    std::vector<std::string> args = {"smishctl", "--db", db, "--json"};
    args.insert(args.end(), run.begin(), run.end());
    std::vector<char*> argv_run;
    for (auto& a : args) argv_run.push_back(a.data());
    std::ostringstream sink;
    auto* old = std::cout.rdbuf(sink.rdbuf());
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = app::smishctl_main(static_cast<int>(argv_run.size()), argv_run.data());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    std::cout.rdbuf(old);
    std::string line;
    for (std::size_t i = 4; i < args.size(); ++i) line += (i > 4 ? " " : "") + args[i];
    std::size_t lines = 0;
    for (char c : sink.str()) lines += c == '\n';
    std::printf("%-62s exit %d  %6.3f s wall  %6.3f s CPU  %zu lines\n", line.c_str(), rc, wall, cpu, lines);
  }
  if (own_dir) std::filesystem::remove_all(base);
  return 0;
}
