// Labelled corpora (JSONL, de-duplication, folds), training by AdaGrad, and evaluation.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "model/model_impl.hpp"
#include "rules/text_scan.hpp"
#include "smish/classifier/campaign.hpp"
#include "smish/core/json.hpp"

namespace smish::classifier {
namespace {

using core::ErrorCode;
using core::make_error;
using model_detail::mix64;

constexpr std::size_t kClasses = std::size(kModelClasses);
constexpr std::string_view kUnclear = "unclear";
// AdaGrad's guard against dividing by zero on a weight's first update.
constexpr float kAdagradEpsilon = 1e-8f;
// How often (examples) long loops report progress.
constexpr std::size_t kProgressEvery = 512;

int class_of(std::string_view label) {
  for (std::size_t c = 0; c < kClasses; ++c)
    if (kModelClasses[c] == label) return static_cast<int>(c);
  return -1;
}

std::optional<std::string> map_label(std::string label) {
  for (char& c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (label == "ham") return "legit";
  if (label == "smishing") return "scam";
  if (class_of(label) >= 0) return label;
  return std::nullopt;
}

std::string string_field(const core::Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

}  // namespace

core::Result<std::vector<LabelledText>> load_labelled_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(std::filesystem::exists(path) ? ErrorCode::IoError : ErrorCode::NotFound,
                      fmt::format("{}: cannot read", path));
  const std::string base = std::filesystem::path(path).filename().string();
  std::vector<LabelledText> out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = core::Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string() ||
        !j.contains("label") || !j["label"].is_string())
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("{}:{}: expected a JSON object with string \"text\" and \"label\"",
                                    path, n));
    const auto label = map_label(j["label"].get<std::string>());
    if (!label)
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("{}:{}: unknown label '{}' (expected scam, spam, legit, ham or "
                                    "smishing)", path, n, j["label"].get<std::string>()));
    LabelledText item;
    item.id = string_field(j, "id");
    if (item.id.empty()) item.id = fmt::format("{}:{}", base, n);
    item.text = j["text"].get<std::string>();
    item.label = *label;
    item.category = string_field(j, "category");
    item.lang = string_field(j, "lang");
    item.source = string_field(j, "source");
    if (item.source.empty()) item.source = base;
    item.split = string_field(j, "split");
    item.region = string_field(j, "region");
    out.push_back(std::move(item));
  }
  if (in.bad()) return make_error(ErrorCode::IoError, fmt::format("{}: read error", path));
  return out;
}

std::string region_for(const LabelledText& item) {
  if (!item.region.empty()) return item.region;
  static const std::map<std::string, std::string, std::less<>> kRegions = {
      {"lv", "LV"}, {"et", "EE"}, {"lt", "LT"}, {"ru", "RU"}, {"ar", "OM"}, {"en", "GB"}};
  const auto it = kRegions.find(item.lang);
  return it == kRegions.end() ? std::string() : it->second;
}

std::string dedup_key(std::string_view text) {
  const std::string folded = rules::fold_case(text);
  std::string out;
  out.reserve(folded.size());
  bool space = false;
  for (char c : folded) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<LabelledText> deduplicate(std::vector<LabelledText> items, DedupStats* stats) {
  DedupStats local;
  std::unordered_map<std::string, std::size_t> first;  // key -> index in out
  std::vector<LabelledText> out;
  out.reserve(items.size());
  for (auto& item : items) {
    auto [it, fresh] = first.emplace(dedup_key(item.text), out.size());
    if (fresh) {
      out.push_back(std::move(item));
      continue;
    }
    ++local.duplicates;
    LabelledText& kept = out[it->second];
    if (kept.label != item.label) {
      ++local.conflicts;
      kept.label = item.label;
      kept.category = item.category;
      kept.source = item.source;
    }
  }
  if (stats) *stats = local;
  return out;
}

FeaturizedCorpus featurize_corpus(std::vector<LabelledText> items, const Extractor& extractor,
                                  const RuleSet& rules, const FeatureSpec& spec,
                                  const ProgressFn& progress) {
  FeaturizedCorpus corpus;
  corpus.spec = spec;
  corpus.items = std::move(items);
  const std::size_t n = corpus.items.size();
  corpus.extractions.resize(n);
  corpus.features.resize(n);
  corpus.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const LabelledText& item = corpus.items[i];
    corpus.extractions[i] = extractor.extract(item.text, region_for(item));
    featurize(model_input(rules, item.text, corpus.extractions[i]), spec, corpus.features[i]);
    corpus.labels[i] = class_of(item.label);
    if (progress && (i % kProgressEvery == 0 || i + 1 == n)) progress("featurising", i + 1, n);
  }
  return corpus;
}

core::Result<std::shared_ptr<const Model>> train_model(const FeaturizedCorpus& corpus,
                                                       std::span<const std::size_t> rows,
                                                       const TrainOptions& options,
                                                       const ProgressFn& progress) {
  if (!model_detail::valid_spec(options.features))
    return make_error(ErrorCode::InvalidArgument,
                      "train: feature settings out of range (hash bits 10..24, characters 1..6, "
                      "words 1..3)");
  if (options.features.hash_bits != corpus.spec.hash_bits ||
      options.features.char_min != corpus.spec.char_min ||
      options.features.char_max != corpus.spec.char_max ||
      options.features.word_max != corpus.spec.word_max)
    return make_error(ErrorCode::InvalidArgument,
                      "train: the corpus was featurised with other feature settings");
  if (options.epochs < 1 || options.epochs > 1000 || !(options.learning_rate > 0) ||
      !(options.l2 >= 0) || !(options.evidence_weight >= 0 && options.evidence_weight <= 1))
    return make_error(ErrorCode::InvalidArgument,
                      "train: epochs 1..1000, learning rate > 0, l2 >= 0, evidence weight in [0, 1]");
  std::vector<std::size_t> order;
  if (rows.empty()) {
    order.resize(corpus.items.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
  } else {
    order.assign(rows.begin(), rows.end());
  }
  std::array<std::size_t, kClasses> per_class{};
  for (std::size_t r : order)
    if (corpus.labels[r] >= 0) ++per_class[static_cast<std::size_t>(corpus.labels[r])];
  const auto present = std::count_if(per_class.begin(), per_class.end(), [](std::size_t c) { return c > 0; });
  if (present < 2)
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("train: {} labelled messages with fewer than two classes",
                                  order.size()));

  // Example weights: each source's examples share an equal part of the total.
  std::vector<float> weight(corpus.items.size(), 1.0f);
  if (options.balance_sources) {
    std::map<std::string, std::size_t> per_source;
    for (std::size_t r : order) ++per_source[corpus.items[r].source];
    for (std::size_t r : order)
      weight[r] = static_cast<float>(static_cast<double>(order.size()) /
                                     static_cast<double>(per_source.size() * per_source[corpus.items[r].source]));
  }

  auto impl = std::make_unique<Model::Impl>();
  impl->spec = options.features;
  impl->evidence_weight = options.evidence_weight;
  impl->classes.assign(std::begin(kModelClasses), std::end(kModelClasses));
  const std::size_t buckets = std::size_t{1} << options.features.hash_bits;
  impl->weights.assign(buckets * kClasses, 0.0f);
  impl->bias.assign(kClasses, 0.0f);
  std::vector<float> g2(buckets * kClasses, 0.0f);  // AdaGrad: summed squared gradients
  std::array<float, kClasses> bias_g2{};

  const auto lr = static_cast<float>(options.learning_rate);
  const auto l2 = static_cast<float>(options.l2);
  std::mt19937_64 rng(options.seed);
  std::vector<double> p(kClasses);
  const std::size_t steps = order.size() * static_cast<std::size_t>(options.epochs);
  std::size_t step = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t r : order) {
      const int y = corpus.labels[r];
      if (y < 0) continue;
      const SparseFeatures& x = corpus.features[r];
      for (std::size_t c = 0; c < kClasses; ++c) p[c] = impl->bias[c];
      for (std::size_t i = 0; i < x.index.size(); ++i) {
        const float* row = &impl->weights[static_cast<std::size_t>(x.index[i]) * kClasses];
        for (std::size_t c = 0; c < kClasses; ++c) p[c] += x.value[i] * row[c];
      }
      model_detail::softmax(p);
      std::array<float, kClasses> g{};
      for (std::size_t c = 0; c < kClasses; ++c)
        g[c] = weight[r] * static_cast<float>(p[c] - (static_cast<int>(c) == y ? 1.0 : 0.0));
      for (std::size_t i = 0; i < x.index.size(); ++i) {
        const std::size_t base = static_cast<std::size_t>(x.index[i]) * kClasses;
        for (std::size_t c = 0; c < kClasses; ++c) {
          float& w = impl->weights[base + c];
          const float grad = g[c] * x.value[i] + l2 * w;
          float& acc = g2[base + c];
          acc += grad * grad;
          w -= lr * grad / (std::sqrt(acc) + kAdagradEpsilon);
        }
      }
      for (std::size_t c = 0; c < kClasses; ++c) {
        bias_g2[c] += g[c] * g[c];
        impl->bias[c] -= lr * g[c] / (std::sqrt(bias_g2[c]) + kAdagradEpsilon);
      }
      ++step;
      if (progress && step % (kProgressEvery * 4) == 0) progress("training", step, steps);
    }
  }
  if (progress) progress("training", steps, steps);

  std::string weight_bytes(reinterpret_cast<const char*>(impl->weights.data()),
                           impl->weights.size() * sizeof(float));
  impl->name = options.name.empty()
                   ? fmt::format("lr-{:08x}", static_cast<std::uint32_t>(
                                                  mix64(model_detail::fnv1a(weight_bytes))))
                   : options.name;
  impl->description = fmt::format(
      "softmax regression on {} messages (scam {}, spam {}, legit {}); {} epochs, AdaGrad rate "
      "{}, l2 {}, seed {}{}; 2^{} buckets, character {}-{}-grams, word 1-{}-grams, rule hits",
      order.size(), per_class[0], per_class[1], per_class[2], options.epochs,
      options.learning_rate, options.l2, options.seed,
      options.balance_sources ? ", sources balanced" : "", options.features.hash_bits,
      options.features.char_min, options.features.char_max, options.features.word_max);
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

// ---- Evaluation ----------------------------------------------------------------------------------

ConfusionMatrix::ConfusionMatrix()
    : truths_(std::begin(kModelClasses), std::end(kModelClasses)), predictions_(truths_) {
  predictions_.emplace_back(kUnclear);
  counts_.assign(truths_.size() * predictions_.size(), 0);
}

void ConfusionMatrix::add(std::string_view truth, std::string_view predicted) {
  const auto t = std::find(truths_.begin(), truths_.end(), truth);
  if (t == truths_.end()) return;
  auto p = std::find(predictions_.begin(), predictions_.end(), predicted);
  if (p == predictions_.end()) p = predictions_.end() - 1;  // anything else counts as unclear
  ++counts_[static_cast<std::size_t>(t - truths_.begin()) * predictions_.size() +
            static_cast<std::size_t>(p - predictions_.begin())];
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

std::size_t ConfusionMatrix::count(std::string_view truth, std::string_view predicted) const {
  const auto t = std::find(truths_.begin(), truths_.end(), truth);
  const auto p = std::find(predictions_.begin(), predictions_.end(), predicted);
  if (t == truths_.end() || p == predictions_.end()) return 0;
  return counts_[static_cast<std::size_t>(t - truths_.begin()) * predictions_.size() +
                 static_cast<std::size_t>(p - predictions_.begin())];
}

std::size_t ConfusionMatrix::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), std::size_t{0});
}

namespace {

ConfusionMatrix::Scores make_scores(std::size_t tp, std::size_t fp, std::size_t fn) {
  ConfusionMatrix::Scores s;
  s.support = tp + fn;
  s.precision = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0.0;
  s.recall = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0.0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

}  // namespace

ConfusionMatrix::Scores ConfusionMatrix::scores(std::string_view label) const {
  const std::string_view one[] = {label};
  return binary(one);
}

ConfusionMatrix::Scores ConfusionMatrix::binary(std::span<const std::string_view> positives) const {
  auto positive = [&](const std::string& l) {
    return std::find(positives.begin(), positives.end(), l) != positives.end();
  };
  std::size_t tp = 0, fp = 0, fn = 0;
  for (const auto& t : truths_)
    for (const auto& p : predictions_) {
      const std::size_t n = count(t, p);
      if (positive(t) && positive(p)) tp += n;
      if (!positive(t) && positive(p)) fp += n;
      if (positive(t) && !positive(p)) fn += n;
    }
  return make_scores(tp, fp, fn);
}

double ConfusionMatrix::scam_accuracy() const {
  std::size_t right = 0;
  for (const auto& t : truths_)
    for (const auto& p : predictions_)
      if ((t == "scam") == (p == "scam")) right += count(t, p);
  const std::size_t n = total();
  return n ? static_cast<double>(right) / static_cast<double>(n) : 0.0;
}

double ConfusionMatrix::legit_as_scam_rate() const {
  std::size_t legit = 0;
  for (const auto& p : predictions_) legit += count("legit", p);
  return legit ? static_cast<double>(count("legit", "scam")) / static_cast<double>(legit) : 0.0;
}

std::string_view to_string(FoldGrouping g) {
  return g == FoldGrouping::Campaign ? "campaign" : "text";
}

std::vector<int> assign_folds(const std::vector<LabelledText>& items, int folds, std::uint64_t seed,
                              FoldGrouping grouping) {
  std::vector<int> out(items.size(), 0);
  if (folds < 2) return out;
  // Groups: items that must stay together, keyed by their text or their campaign.
  std::vector<std::string> key(items.size());
  CampaignIndex campaigns;
  for (std::size_t i = 0; i < items.size(); ++i)
    key[i] = grouping == FoldGrouping::Campaign
                 ? campaigns.assign(campaign_fingerprint(items[i].text))
                 : dedup_key(items[i].text);
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < items.size(); ++i) groups[key[i]].push_back(i);
  // Stratified: the groups of each label (its first item's) are dealt, in a seeded order, to the
  // fold that holds the fewest items of that label so far.
  std::map<std::string, std::vector<std::pair<std::uint64_t, const std::vector<std::size_t>*>>> by_label;
  for (const auto& [k, members] : groups)
    by_label[items[members.front()].label].emplace_back(
        mix64(model_detail::fnv1a(k) ^ mix64(seed)), &members);
  for (auto& [label, list] : by_label) {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->front() < b.second->front();
    });
    std::vector<std::size_t> filled(static_cast<std::size_t>(folds), 0);
    for (const auto& [order, members] : list) {
      const auto fold = static_cast<std::size_t>(std::min_element(filled.begin(), filled.end()) - filled.begin());
      filled[fold] += members->size();
      for (std::size_t i : *members) out[i] = static_cast<int>(fold);
    }
  }
  return out;
}

Evaluation evaluate(const FeaturizedCorpus& corpus, std::span<const std::size_t> rows,
                    std::shared_ptr<const RuleSet> rules, std::shared_ptr<const Model> model,
                    const ClassifyConfig& config) {
  Evaluation ev;
  ev.has_model = model != nullptr;
  const Classifier classifier(std::move(rules), config, model);
  std::vector<std::size_t> all;
  if (rows.empty()) {
    all.resize(corpus.items.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    rows = all;
  }
  for (std::size_t r : rows) {
    const LabelledText& item = corpus.items[r];
    if (model) {
      const auto p = model->predict(corpus.features[r]);
      const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
      ev.model.add(item.label, model->classes()[best]);
    }
    const auto verdict = classifier.classify(item.text, corpus.extractions[r], region_for(item));
    ev.fused.add(item.label, core::to_string(verdict.label));
  }
  return ev;
}

core::Result<Evaluation> cross_validate(const FeaturizedCorpus& corpus,
                                        std::shared_ptr<const RuleSet> rules,
                                        const ClassifyConfig& config, const TrainOptions& options,
                                        int folds, FoldGrouping grouping,
                                        const ProgressFn& progress) {
  if (folds < 2 || static_cast<std::size_t>(folds) > corpus.items.size())
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("cross-validation: {} folds for {} messages", folds,
                                  corpus.items.size()));
  const std::vector<int> fold_of = assign_folds(corpus.items, folds, options.seed, grouping);
  Evaluation total;
  total.has_model = true;
  for (int f = 0; f < folds; ++f) {
    std::vector<std::size_t> train_rows, test_rows;
    for (std::size_t i = 0; i < fold_of.size(); ++i) (fold_of[i] == f ? test_rows : train_rows).push_back(i);
    if (progress) progress("folds", static_cast<std::size_t>(f), static_cast<std::size_t>(folds));
    auto model = train_model(corpus, train_rows, options);
    if (!model)
      return make_error(model.error().code,
                        fmt::format("fold {}: {}", f + 1, model.error().detail));
    const Evaluation ev = evaluate(corpus, test_rows, rules, *model, config);
    total.model.merge(ev.model);
    total.fused.merge(ev.fused);
  }
  if (progress) progress("folds", static_cast<std::size_t>(folds), static_cast<std::size_t>(folds));
  return total;
}

}  // namespace smish::classifier
