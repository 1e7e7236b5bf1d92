// smishctl train and eval: labelled JSONL in, a model file or precision/recall/F1 tables out.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "ctl_commands.hpp"
#include "smish/classifier/model.hpp"
#include "smish/core/json.hpp"

namespace smish::app {
namespace {

using classifier::LabelledText;

constexpr std::string_view kHeldOut = "test";  // the split no training ever sees

// A progress line on stderr when it is a terminal: "featurising 5120/11024".
classifier::ProgressFn progress_line() {
  if (!::isatty(2)) return {};
  return [](std::string_view stage, std::size_t done, std::size_t total) {
    std::fprintf(stderr, "\r\033[K%.*s %zu/%zu", static_cast<int>(stage.size()), stage.data(),
                 done, total);
    if (done == total) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  };
}

template <typename Number>
bool number_option(const Args& a, const std::string& key, Number lo, Number hi, Number& out) {
  const auto v = a.get(key);
  if (!v) return true;
  Number n{};
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end || n < lo || n > hi) {
    std::cerr << fmt::format("smishctl: --{} expects a number in {}..{}, got \"{}\"\n", key, lo, hi, *v);
    return false;
  }
  out = n;
  return true;
}

bool double_option(const Args& a, const std::string& key, double lo, double hi, double& out) {
  const auto v = a.get(key);
  if (!v) return true;
  char* end = nullptr;
  const double n = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || !(n >= lo && n <= hi)) {
    std::cerr << fmt::format("smishctl: --{} expects a number in {}..{}, got \"{}\"\n", key, lo, hi, *v);
    return false;
  }
  out = n;
  return true;
}

struct Corpus {
  std::vector<LabelledText> items;
  std::size_t read = 0, held_out = 0, other_split = 0;
  classifier::DedupStats dedup;
};

// Reads every --input in order. `for_training`: held-out lines are dropped. `split`: keep only lines
// of that split ("test": exactly those; "train": all but the held-out ones).
bool read_corpus(const Args& a, bool for_training, const std::string& split, Corpus& out) {
  const auto inputs = a.all("input");
  if (inputs.empty()) {
    std::cerr << "smishctl: --input FILE (labelled JSONL) is required\n";
    return false;
  }
  std::vector<LabelledText> all;
  for (const auto& path : inputs) {
    auto items = classifier::load_labelled_jsonl(path);
    if (!items) {
      std::cerr << "smishctl: " << items.error().detail << "\n";
      return false;
    }
    out.read += items->size();
    for (auto& item : *items) {
      const bool held_out = item.split == kHeldOut;
      if (for_training && held_out) {
        ++out.held_out;
        continue;
      }
      if ((split == kHeldOut && !held_out) || (split == "train" && held_out)) {
        ++out.other_split;
        continue;
      }
      all.push_back(std::move(item));
    }
  }
  out.items = classifier::deduplicate(std::move(all), &out.dedup);
  return true;
}

std::string corpus_summary(const Corpus& c) {
  std::size_t per[3] = {0, 0, 0};
  for (const auto& item : c.items)
    for (std::size_t k = 0; k < 3; ++k)
      if (item.label == classifier::kModelClasses[k]) ++per[k];
  std::string out = fmt::format("{} messages (scam {}, spam {}, legit {}) from {} read", c.items.size(),
                                per[0], per[1], per[2], c.read);
  if (c.dedup.duplicates)
    out += fmt::format("; {} duplicates dropped ({} with another label)", c.dedup.duplicates,
                       c.dedup.conflicts);
  if (c.held_out) out += fmt::format("; {} held-out (split test) never trained on", c.held_out);
  if (c.other_split) out += fmt::format("; {} of another split left out", c.other_split);
  return out;
}

bool train_options(const Args& a, classifier::TrainOptions& o) {
  return number_option<std::uint64_t>(a, "seed", 0, UINT64_MAX, o.seed) &&
         number_option(a, "epochs", 1, 1000, o.epochs) &&
         number_option(a, "hash-bits", 10, 24, o.features.hash_bits) &&
         double_option(a, "evidence-weight", 0.0, 1.0, o.evidence_weight);
}

core::Result<std::shared_ptr<const classifier::RuleSet>> load_rules(const Ctx& ctx) {
  auto rules = classifier::RuleSet::load_dir(ctx.config.classify.rules_dir);
  if (!rules) std::cerr << "smishctl: rules: " << rules.error().detail << "\n";
  return rules;
}

core::Json scores_json(const classifier::ConfusionMatrix::Scores& s) {
  return core::Json{{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
}

core::Json matrix_json(const classifier::ConfusionMatrix& m) {
  core::Json classes = core::Json::object(), confusion = core::Json::object();
  for (const auto& t : m.truths()) {
    classes[t] = scores_json(m.scores(t));
    core::Json row = core::Json::object();
    for (const auto& p : m.predictions()) row[p] = m.count(t, p);
    confusion[t] = row;
  }
  const std::string_view positives[] = {"scam", "spam"};
  return core::Json{{"classes", classes},
                    {"confusion", confusion},
                    {"total", m.total()},
                    {"scam_or_spam_vs_legit", scores_json(m.binary(positives))},
                    {"scam_accuracy", m.scam_accuracy()},
                    {"legit_as_scam", m.count("legit", "scam")},
                    {"legit_as_scam_rate", m.legit_as_scam_rate()}};
}

void print_matrix(std::string_view title, const classifier::ConfusionMatrix& m) {
  std::cout << title << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : m.truths()) {
    const auto s = m.scores(t);
    rows.push_back({t, fmt::format("{:.3f}", s.precision), fmt::format("{:.3f}", s.recall),
                    fmt::format("{:.3f}", s.f1), std::to_string(s.support)});
  }
  print_table({"CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"}, rows);
  std::cout << "\n";
  std::vector<std::string> header{"TRUTH \\ PREDICTED"};
  header.insert(header.end(), m.predictions().begin(), m.predictions().end());
  rows.clear();
  for (const auto& t : m.truths()) {
    std::vector<std::string> row{t};
    for (const auto& p : m.predictions()) row.push_back(std::to_string(m.count(t, p)));
    rows.push_back(std::move(row));
  }
  print_table(header, rows);
  const std::string_view positives[] = {"scam", "spam"};
  const auto b = m.binary(positives);
  std::size_t legit = 0;
  for (const auto& p : m.predictions()) legit += m.count("legit", p);
  std::cout << fmt::format(
      "\nscam-or-spam vs legit: precision {:.4f}  recall {:.4f}  F1 {:.4f}\n"
      "scam vs not scam: accuracy {:.4f}; legit labelled scam: {} of {} ({:.2f}%)\n\n",
      b.precision, b.recall, b.f1, m.scam_accuracy(), m.count("legit", "scam"), legit,
      100.0 * m.legit_as_scam_rate());
}

}  // namespace

int cmd_train(Ctx& ctx, const Args& a) {
  const auto out = a.get("out");
  if (!out) {
    std::cerr << "usage: smishctl train --input FILE [--input FILE ...] --out MODEL [--seed N] "
                 "[--epochs N] [--evidence-weight W] [--hash-bits N]\n";
    return kUsage;
  }
  classifier::TrainOptions options;
  if (!train_options(a, options)) return kUsage;
  Corpus corpus;
  if (!read_corpus(a, /*for_training=*/true, "", corpus)) return kUsage;
  auto rules = load_rules(ctx);
  if (!rules) return kUsage;
  const auto started = std::chrono::steady_clock::now();
  const classifier::Extractor extractor(ctx.config.extract);
  const auto featurised = classifier::featurize_corpus(std::move(corpus.items), extractor, **rules,
                                                       options.features, progress_line());
  auto model = classifier::train_model(featurised, {}, options, progress_line());
  if (!model) {
    std::cerr << "smishctl: " << model.error().detail << "\n";
    return kUsage;
  }
  if (auto s = (*model)->save(*out); !s) {
    std::cerr << "smishctl: " << s.error().detail << "\n";
    return kUsage;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  corpus.items = featurised.items;
  if (ctx.json) {
    std::cout << core::Json{{"model", (*model)->name()},
                            {"out", *out},
                            {"messages", featurised.items.size()},
                            {"read", corpus.read},
                            {"duplicates", corpus.dedup.duplicates},
                            {"held_out_excluded", corpus.held_out},
                            {"description", (*model)->description()},
                            {"seconds", seconds}}
                     .dump()
              << "\n";
  } else {
    std::cout << fmt::format("model {} written to {} in {:.1f} s\n  {}\n  {}\n", (*model)->name(), *out,
                             seconds, corpus_summary(corpus), (*model)->description());
  }
  return kFound;
}

int cmd_eval(Ctx& ctx, const Args& a) {
  const auto model_path = a.get("model");
  int folds = 0;
  if (!number_option(a, "folds", 2, 100, folds)) return kUsage;
  if (model_path && folds) {
    std::cerr << "smishctl: eval takes --model (evaluate a trained model) or --folds (train one "
                 "per fold), not both\n";
    return kUsage;
  }
  const std::string split = a.get("split").value_or("");
  if (!split.empty() && split != "test" && split != "train") {
    std::cerr << "smishctl: --split expects test or train\n";
    return kUsage;
  }
  const std::string group = a.get("group").value_or("campaign");
  if (group != "campaign" && group != "text") {
    std::cerr << "smishctl: --group expects campaign or text\n";
    return kUsage;
  }
  const auto grouping = group == "text" ? classifier::FoldGrouping::Text : classifier::FoldGrouping::Campaign;
  classifier::TrainOptions options;
  if (!train_options(a, options)) return kUsage;

  std::shared_ptr<const classifier::Model> model;
  if (model_path) {
    auto loaded = classifier::Model::load(*model_path);
    if (!loaded) {
      std::cerr << "smishctl: " << loaded.error().detail << "\n";
      return kUsage;
    }
    model = *loaded;
    options.features = model->spec();
  }
  Corpus corpus;
  // Cross-validation trains, so it never sees the held-out split either.
  if (!read_corpus(a, /*for_training=*/folds > 0, split, corpus)) return kUsage;
  if (corpus.items.empty()) {
    std::cerr << "smishctl: no labelled messages to evaluate\n";
    return kUsage;
  }
  auto rules = load_rules(ctx);
  if (!rules) return kUsage;
  const auto started = std::chrono::steady_clock::now();
  const classifier::Extractor extractor(ctx.config.extract);
  const auto featurised = classifier::featurize_corpus(corpus.items, extractor, **rules,
                                                       options.features, progress_line());
  classifier::Evaluation ev;
  std::string what;
  if (folds) {
    auto cv = classifier::cross_validate(featurised, *rules, ctx.config.classify, options, folds,
                                         grouping, progress_line());
    if (!cv) {
      std::cerr << "smishctl: " << cv.error().detail << "\n";
      return kUsage;
    }
    ev = std::move(*cv);
    what = fmt::format("{}-fold cross-validation, folds grouped by {}, seed {}", folds,
                       classifier::to_string(grouping), options.seed);
  } else {
    ev = classifier::evaluate(featurised, {}, *rules, model, ctx.config.classify);
    what = model ? fmt::format("model {} and rules", model->name()) : std::string("rules only");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (ctx.json) {
    core::Json j{{"evaluation", what}, {"messages", corpus.items.size()},
                 {"duplicates", corpus.dedup.duplicates}, {"held_out_excluded", corpus.held_out},
                 {"split", split},     {"seconds", seconds}, {"fused", matrix_json(ev.fused)}};
    if (ev.has_model) j["model"] = matrix_json(ev.model);
    if (model) j["model_name"] = model->name();
    std::cout << j.dump() << "\n";
    return kFound;
  }
  std::cout << fmt::format("{}: {} ({:.1f} s)\n\n", what, corpus_summary(corpus), seconds);
  if (ev.has_model) print_matrix("model alone (most probable class)", ev.model);
  print_matrix(ev.has_model ? "classifier: rules and model fused (final label)"
                            : "classifier: rules only (final label)",
               ev.fused);
  return kFound;
}

}  // namespace smish::app
