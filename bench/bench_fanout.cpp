// Benchmark (issue 6): ingest with indicator updates at a realistic fan-out, through the real
// Pipeline (durable inbox, decoding, extraction, classification, campaigns, reporter records,
// rate counters, indicator read-modify-write, one commit a batch) on a real RocksDB.
//
// Three mixes of N messages each (default 50 000), each in a fresh database:
//   none:   no indicator in the text (the pipeline's cost without indicator updates);
//   1-4:    each message names 1-4 indicators: a number (1), a URL (URL, host, domain: 3), or both
//           (4), over 5 000 reporters, 2 000 numbers and 1 000 domains skewed so a few are hot;
//   hot:    the same texts, all about one number and one URL from 5 000 reporters (the
//           indicators with the largest reporter maps, rewritten by every report).
// The difference between `none` and the others is what indicator updates cost.
//
// usage: bench_fanout [--count N] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_args.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/text.hpp"

using namespace smish;

namespace {

constexpr std::size_t kAcceptBatch = 64;  // segments a socket read might carry

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::uint64_t skewed(std::uint64_t seed, std::uint64_t n) {
  const double u = static_cast<double>(mix(seed) >> 11) / 9007199254740992.0;
  return std::min<std::uint64_t>(n - 1, static_cast<std::uint64_t>(static_cast<double>(n) * u * u * u));
}

std::string text_for(const std::string& mode, std::uint64_t i) {
  if (mode == "none") return fmt::format("Sveiki! Vai šī ziņa ir krāpšana? Paldies, atbildiet lūdzu. {}", i);
  const bool hot = mode == "hot";
  const auto number = hot ? 0 : skewed(i * 2 + 1, 2000);
  const auto domain = hot ? 0 : skewed(i * 2 + 2, 1000);
  switch (mix(i) % 3) {
    case 0: return fmt::format("Swedbank: konts bloķēts. Zvaniet +371 2{:07d} un nosauciet Smart-ID kodu. {}", number, i);
    case 1: return fmt::format("Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: https://parcel-{}.top/pay {}", domain, i);
    default:
      return fmt::format("Tele2: līgums beidzas. Apstipriniet https://tele2-bonus-{}.top/lv vai zvaniet +371 2{:07d}. {}",
                         domain, number, i);
  }
}

struct Result {
  double seconds = 0;
  std::uint64_t reports = 0, pairs = 0;
};

Result run(const std::string& mode, std::uint64_t count, const std::string& dir) {
  std::filesystem::remove_all(dir);
  storage::StorageConfig cfg;
  cfg.path = dir;
  auto store = storage::Store::open(cfg, storage::OpenMode::ReadWrite);
  if (!store) {
    std::fprintf(stderr, "bench_fanout: %s\n", store.error().message().c_str());
    std::exit(1);
  }
  auto pseudonymizer = *storage::Pseudonymizer::create("bench-fanout-pseudonym-key-0001");
  classifier::Extractor extractor{classifier::ExtractConfig{}};
  auto rules = classifier::RuleSet::load_dir(std::string(SMISH_SOURCE_DIR) + "/configs/rules");
  if (!rules) {
    std::fprintf(stderr, "bench_fanout: rules: %s\n", rules.error().message().c_str());
    std::exit(1);
  }
  classifier::Classifier classifier(*rules, classifier::ClassifyConfig{});
  app::Pipeline pipeline(**store, pseudonymizer, extractor, classifier, app::PipelineOptions{});
  // The messages, encoded before the clock starts.
  std::vector<core::InboundSegment> all;
  const auto now = core::to_unix_ms(core::SystemClock::instance().now());
  for (std::uint64_t i = 0; i < count; ++i) {
    core::InboundSegment s;
    s.smsc = "bench";
    s.source = {1, 1, fmt::format("3712{:07d}", mix(i) % 5000)};
    s.dest = {0, 1, "12250"};
    s.data_coding = 8;
    s.user_data = gateway::text::encode_ucs2(text_for(mode, i));
    s.received_ms = now + static_cast<std::int64_t>(i);
    s.raw_pdu = std::string(160, 'x');
    all.push_back(std::move(s));
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < all.size(); at += kAcceptBatch) {
    const auto n = std::min(kAcceptBatch, all.size() - at);
    pipeline.accept(std::span<const core::InboundSegment>(all.data() + at, n));
    pipeline.process();
  }
  do pipeline.process();
  while (pipeline.backlog());
  Result r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.reports = pipeline.stats().reports;
  std::uint64_t pairs = 0;
  (void)(*store)->scan_indicators([&](const core::Indicator& ind) {
    pairs += ind.total_reports;
    return true;
  });
  r.pairs = pairs;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = smish::bench::parse_count_dir(argc, argv, "bench_fanout", 50'000);
  if (!args) return 2;
  core::set_log_level(core::LogLevel::Warn);  // smishd's per-report info lines would dominate
  std::printf("| mix | reports | report-indicator updates | per report | s | reports/s | µs/report |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string mode : {"none", "1-4", "hot"}) {
    const auto r = run(mode, args->count, args->base + "/" + mode);
    std::printf("| %s | %llu | %llu | %.2f | %.2f | %.0f | %.1f |\n", mode.c_str(), static_cast<unsigned long long>(r.reports),
                static_cast<unsigned long long>(r.pairs), static_cast<double>(r.pairs) / static_cast<double>(r.reports),
                r.seconds, static_cast<double>(r.reports) / r.seconds, 1e6 * r.seconds / static_cast<double>(r.reports));
    std::fflush(stdout);
  }
  if (args->own_dir) std::filesystem::remove_all(args->base);
  return 0;
}
