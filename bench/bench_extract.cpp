// Extraction throughput per core on a realistic mix of texts, per class, and on 64 KiB adversarial inputs.
//
// Usage: bench_extract [--messages N] [--seconds S] [--only-mix [--cold]] [--matcher-only] [--dump FILE]
//   --only-mix: the mix alone, for a profiler (--cold: with the number cache off);
//   --matcher-only: every number window through libphonenumber's matcher (no fast path), for comparison;
//   --dump FILE: writes what extraction finds in every pool text and long text (one JSON line each,
//     cache off) and exits, so that two builds can be compared with diff.
// The pool is the demo corpus (configs/demo/corpus.jsonl, six languages) and four public datasets
// in ../shared/datasets (Mishra & Soni SMS phishing, UCI SMS Spam Collection, ssivakorn Thai SMS,
// Semnan Persian SMS). Each text is put in a class by what extraction finds in it; the mix then
// draws (fixed seed) 45% texts with one URL, 25% with a number, 10% with both, 15% with none and
// 5% long texts (six to ten texts joined, > 600 bytes), the proportions an operator's report
// number sees (most reports carry one link or number). Single thread: the figure is per core.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "smish/classifier/extract.hpp"
#include "smish/core/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;

struct Text {
  std::string text;
  std::string region;
};

std::vector<Text> read_jsonl(const std::string& path, const std::string& region,
                             bool region_from_src, std::size_t limit) {
  std::vector<Text> out;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bench_extract: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::string line;
  while (out.size() < limit && std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("text") || !j["text"].is_string()) continue;
    Text t{j["text"].get<std::string>(), region};
    if (region_from_src && j.contains("src"))
      t.region = smish::classifier::region_of(j["src"].get<std::string>());
    out.push_back(std::move(t));
  }
  return out;
}

struct Stats {
  double cpu_s = 0;  // thread CPU time: other processes on the machine do not count
  std::size_t n = 0;
  std::vector<double> us;  // wall time per call
};

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Times `texts` round-robin for at least `seconds` and `min_n` calls; returns per-call
// microseconds.
Stats run(const Extractor& ex, const std::vector<Text>& texts, double seconds, std::size_t min_n) {
  Stats s;
  std::size_t sink = 0;
  const auto start = Clock::now();
  const double cpu0 = thread_cpu_s();
  for (std::size_t i = 0;; ++i) {
    const Text& t = texts[i % texts.size()];
    const auto t0 = Clock::now();
    const auto x = ex.extract(t.text, t.region);
    const auto t1 = Clock::now();
    sink += x.urls.size() + x.numbers.size();
    s.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ++s.n;
    if (s.n >= min_n && std::chrono::duration<double>(t1 - start).count() >= seconds) break;
  }
  s.cpu_s = thread_cpu_s() - cpu0;
  if (sink == 42) std::puts("");  // keeps the results alive
  return s;
}

// Mean is CPU time per call (what one core spends); p50/p99 are wall-clock per call.
void report(const char* name, const Stats& s, std::size_t pool) {
  const double mean = s.cpu_s * 1e6 / static_cast<double>(s.n);
  std::printf("| %-24s | %6zu | %9zu | %8.2f | %8.2f | %9.2f | %10.0f |\n", name, pool, s.n, mean,
              percentile(s.us, 0.5), percentile(s.us, 0.99), 1e6 / mean);
}

void header(const char* first, const char* second) {
  std::printf("| %-24s | %6s | %9s | %8s | %8s | %9s | %10s |\n", first, second, "calls", "cpu µs",
              "p50 µs", "p99 µs", "msg/s");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------", "--------", "-----------",
              "----------", "----------", "-----------", "------------");
}

std::string repeat(std::string_view unit, std::size_t bytes) {
  std::string out;
  while (out.size() + unit.size() <= bytes) out += unit;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 200000;
  double seconds = 2.0;
  bool only_mix = false;
  bool only_cold = false;
  bool matcher_only = false;
  std::string dump_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--messages" && i + 1 < argc)
      messages = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::strtod(argv[++i], nullptr);
    else if (a == "--only-mix")
      only_mix = true;
    else if (a == "--cold")
      only_cold = true;
    else if (a == "--matcher-only")
      matcher_only = true;
    else if (a == "--dump" && i + 1 < argc)
      dump_path = argv[++i];
  }
  const std::string src = SMISH_SOURCE_DIR;
  const std::string shared = SMISH_SHARED_DIR;
  std::vector<Text> pool = read_jsonl(src + "/configs/demo/corpus.jsonl", "LV", true, 1000);
  for (auto& t : read_jsonl(shared + "/datasets/sms-phishing-mishra-soni/mishra_soni_5971.jsonl",
                            "GB", false, 100000))
    pool.push_back(std::move(t));
  for (auto& t : read_jsonl(shared + "/datasets/sms-spam-collection-uci/sms_spam_collection.jsonl",
                            "GB", false, 100000))
    pool.push_back(std::move(t));
  for (auto& t :
       read_jsonl(shared + "/datasets/thai-sms-ssivakorn/thai_sms.jsonl", "TH", false, 100000))
    pool.push_back(std::move(t));
  for (auto& t :
       read_jsonl(shared + "/datasets/persian-sms-semnan/persian_sms.jsonl", "IR", false, 100000))
    pool.push_back(std::move(t));

  ExtractConfig config;
  config.brands_file = src + "/configs/brands.yaml";
  config.number_fast_path = !matcher_only;
  const Extractor ex{config};
  if (!ex.brands_error().empty()) {
    std::fprintf(stderr, "bench_extract: %s\n", ex.brands_error().c_str());
    return 2;
  }
  ExtractConfig cold_config = config;
  cold_config.number_cache_entries = 0;
  const Extractor cold{cold_config};

  std::vector<Text> with_url, with_number, with_both, with_none, long_texts;
  for (const Text& t : pool) {
    const auto x = ex.extract(t.text, t.region);
    std::size_t numbers = 0;
    for (const auto& n : x.numbers)
      if (std::find(n.flags.begin(), n.flags.end(), "short_code") == n.flags.end()) ++numbers;
    const bool url = !x.urls.empty();
    if (url && numbers > 0)
      with_both.push_back(t);
    else if (url)
      with_url.push_back(t);
    else if (numbers > 0)
      with_number.push_back(t);
    else
      with_none.push_back(t);
  }
  std::mt19937 rng(12250);
  for (int k = 0; k < 200; ++k) {
    Text t{"", "LV"};
    const int parts = 6 + static_cast<int>(rng() % 5);
    for (int p = 0; p < parts; ++p) t.text += pool[rng() % pool.size()].text + " ";
    long_texts.push_back(std::move(t));
  }

  if (!dump_path.empty()) {
    std::ofstream dump(dump_path);
    for (const auto* texts : {&pool, &long_texts})
      for (const Text& t : *texts)
        dump << smish::core::to_json(cold.extract(t.text, t.region))
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
             << '\n';
    return dump ? 0 : 2;
  }

  std::vector<Text> mix;
  auto draw = [&](const std::vector<Text>& from, int count) {
    for (int k = 0; k < count; ++k) mix.push_back(from[rng() % from.size()]);
  };
  draw(with_url, 450);
  draw(with_number, 250);
  draw(with_both, 100);
  draw(with_none, 150);
  draw(long_texts, 50);
  std::shuffle(mix.begin(), mix.end(), rng);

  std::printf("pool: %zu texts (url %zu, number %zu, both %zu, none %zu); long: %zu\n\n",
              pool.size(), with_url.size(), with_number.size(), with_both.size(), with_none.size(),
              long_texts.size());
  header("input", "texts");
  if (only_mix) {
    if (only_cold)
      report("mix, cache off", run(cold, mix, seconds, messages), mix.size());
    else
      report("mix, cache on", run(ex, mix, seconds, messages), mix.size());
    return 0;
  }
  report("mix, cache off", run(cold, mix, seconds, messages), mix.size());
  report("mix, cache on", run(ex, mix, seconds, messages), mix.size());
  report("one URL", run(cold, with_url, seconds / 4, 1000), with_url.size());
  report("number (cache off)", run(cold, with_number, seconds / 4, 1000), with_number.size());
  report("URL and number (off)", run(cold, with_both, seconds / 4, 1000), with_both.size());
  report("none", run(cold, with_none, seconds / 4, 1000), with_none.size());
  report("long, 6-10 texts (off)", run(cold, long_texts, seconds / 4, 200), long_texts.size());
  report("long, 6-10 texts (on)", run(ex, long_texts, seconds / 4, 200), long_texts.size());
  report("number (cache on)", run(ex, with_number, seconds / 4, 1000), with_number.size());

  const std::size_t k64 = 64 * 1024;
  const std::vector<std::pair<const char*, std::string>> adversarial = {
      {"a.a.a.a…", repeat("a.", k64)},
      {"1 1 1 1…", repeat("1 ", k64)},
      {"http://http://…", repeat("http://", k64)},
      {"digits 0-9…", repeat("0123456789", k64)},
      {"x.lv x.lv…", repeat("x.lv ", k64)},
      {"a1.lv/ a2.lv/…",
       [&] {
         std::string s;
         for (int k = 0; s.size() < k64 - 16; ++k) s += "a" + std::to_string(k) + ".lv/ ";
         return s;
       }()},
      {"+371 20000001…", repeat("+371 20000001 ", k64)},
      {"[.] (dot) . …", repeat("a [.] b (dot) c . ", k64)},
      {"t e l e 2 . l v…", repeat("t e l e 2 . l v ", k64)},
      {"((((…", repeat("(", k64)},
      {"tеle2.lv (homoglyph)…", repeat("tеle2.lv ", k64)},
  };
  std::printf("\n");
  header("64 KiB adversarial", "bytes");
  for (const auto& [name, text] : adversarial) {
    const std::vector<Text> one{Text{text, "LV"}};
    report(name, run(cold, one, 0.2, 5), text.size());
  }
  return 0;
}
