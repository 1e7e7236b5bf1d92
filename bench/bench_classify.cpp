// bench_classify: classifications per second on one core, extraction included, on realistic SMS.
//
// Messages: data/labelled/multilingual.jsonl (681, six languages) and the de-duplicated UCI and
// Mishra–Soni corpora from ../shared/datasets (6 104, English), cycled. The model is trained here
// first on the same data (training time is not measured). Each stage runs single-threaded; the
// figure is messages per second of thread CPU time (what one core delivers) and of wall time.
// Usage: bench_classify [seconds_per_stage (default 3)] [--scams-only]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "smish/classifier/campaign.hpp"
#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/classifier/model.hpp"

using namespace smish;

namespace {

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Rate {
  double cpu_per_s = 0, wall_per_s = 0;
  std::size_t messages = 0;
};

// Runs `fn` over the messages, cycling, for about `seconds` of CPU time after one warm-up pass.
Rate measure(std::size_t n, double seconds, const std::function<std::size_t(std::size_t)>& fn) {
  std::size_t sink = 0;
  for (std::size_t i = 0; i < n; ++i) sink += fn(i);  // warm-up: RE2 DFA states, caches
  Rate r;
  const double cpu0 = thread_cpu_s();
  const auto wall0 = std::chrono::steady_clock::now();
  while (thread_cpu_s() - cpu0 < seconds) {
    for (std::size_t i = 0; i < n; ++i) sink += fn(i);
    r.messages += n;
  }
  const double cpu = thread_cpu_s() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.cpu_per_s = static_cast<double>(r.messages) / cpu;
  r.wall_per_s = static_cast<double>(r.messages) / wall;
  if (sink == 0x5eed) std::puts("");
  return r;
}

void print(const char* stage, const Rate& r) {
  std::printf("%-44s %9.0f msg/s CPU  %9.0f msg/s wall  (%.2f us/msg CPU, %zu messages)\n", stage,
              r.cpu_per_s, r.wall_per_s, 1e6 / r.cpu_per_s, r.messages);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  bool scams_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scams-only") == 0) scams_only = true;
    else seconds = std::atof(argv[i]);
  }
  const std::string src = SMISH_SOURCE_DIR, shared = SMISH_SHARED_DIR;
  std::vector<classifier::LabelledText> items;
  for (const std::string& path : {src + "/data/labelled/multilingual.jsonl",
                                 shared + "/datasets/sms-spam-collection-uci/sms_spam_collection.jsonl",
                                 shared + "/datasets/sms-phishing-mishra-soni/mishra_soni_5971.jsonl"}) {
    auto loaded = classifier::load_labelled_jsonl(path);
    if (!loaded) {
      std::fprintf(stderr, "bench_classify: %s\n", loaded.error().detail.c_str());
      return 2;
    }
    for (auto& i : *loaded) items.push_back(std::move(i));
  }
  items = classifier::deduplicate(std::move(items));
  auto rules = classifier::RuleSet::load_dir(src + "/configs/rules");
  if (!rules) {
    std::fprintf(stderr, "bench_classify: %s\n", rules.error().detail.c_str());
    return 2;
  }
  classifier::ExtractConfig xc;
  xc.brands_file = src + "/configs/brands.yaml";  // as smishd runs by default
  const classifier::Extractor extractor(xc);

  std::fprintf(stderr, "training the model on %zu messages...\n", items.size());
  classifier::TrainOptions options;
  std::vector<classifier::LabelledText> train;
  for (const auto& i : items)
    if (i.split != "test") train.push_back(i);
  const auto corpus = classifier::featurize_corpus(train, extractor, **rules, options.features);
  auto model = classifier::train_model(corpus, {}, options);
  if (!model) {
    std::fprintf(stderr, "bench_classify: %s\n", model.error().detail.c_str());
    return 2;
  }

  std::vector<classifier::LabelledText> messages;
  for (auto& i : items)
    if (!scams_only || i.label == "scam") messages.push_back(std::move(i));
  std::vector<std::string> regions;
  std::vector<core::Extraction> extractions;
  std::size_t bytes = 0;
  for (const auto& m : messages) {
    regions.push_back(classifier::region_for(m));
    extractions.push_back(extractor.extract(m.text, regions.back()));
    bytes += m.text.size();
  }
  const std::size_t n = messages.size();
  std::printf("%zu messages%s, mean %.0f bytes; %.1f s of CPU per stage; one thread\n", n,
              scams_only ? " (scams only)" : "", static_cast<double>(bytes) / static_cast<double>(n), seconds);

  const classifier::Classifier by_rules(*rules, classifier::ClassifyConfig{});
  const classifier::Classifier with_model(*rules, classifier::ClassifyConfig{}, *model);
  print("extraction only", measure(n, seconds, [&](std::size_t i) {
          return extractor.extract(messages[i].text, regions[i]).urls.size();
        }));
  print("classify, rules only (extraction given)", measure(n, seconds, [&](std::size_t i) {
          return by_rules.classify(messages[i].text, extractions[i], regions[i]).reasons.size();
        }));
  print("classify, rules + model (extraction given)", measure(n, seconds, [&](std::size_t i) {
          return with_model.classify(messages[i].text, extractions[i], regions[i]).reasons.size();
        }));
  print("model alone: featurise + predict", measure(n, seconds, [&](std::size_t i) {
          return static_cast<std::size_t>(
              (*model)->predict(classifier::model_input(**rules, messages[i].text, extractions[i]))[0] > 0.5);
        }));
  print("campaign fingerprint", measure(n, seconds, [&](std::size_t i) {
          return static_cast<std::size_t>(classifier::campaign_fingerprint(messages[i].text) & 1);
        }));
  print("extraction + classify, rules only", measure(n, seconds, [&](std::size_t i) {
          const auto e = extractor.extract(messages[i].text, regions[i]);
          return by_rules.classify(messages[i].text, e, regions[i]).reasons.size();
        }));
  print("extraction + classify, rules + model", measure(n, seconds, [&](std::size_t i) {
          const auto e = extractor.extract(messages[i].text, regions[i]);
          return with_model.classify(messages[i].text, e, regions[i]).reasons.size();
        }));
  return 0;
}
