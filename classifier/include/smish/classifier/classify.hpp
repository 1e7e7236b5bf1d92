// Message classification: rules as data (configs/rules/<lang>.yaml), fused into a Verdict with reasons.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"
#include "smish/core/types.hpp"

namespace smish::classifier {

/// Classification settings (config section `classifier`).
struct ClassifyConfig {
  std::string rules_dir = "configs/rules";  ///< Default: configs/rules. Every *.yaml in it is loaded.
  double scam_threshold = 0.6;              ///< Default: 0.6. Score at or above it: label scam.
  double spam_threshold = 0.4;              ///< Default: 0.4. Advertising score at or above it: label spam.
  std::string model_file;                   ///< Default: "" (rules only). A model from `smishctl train`.
};

/// One rule as written in a rules file.
struct Rule {
  std::string id;            ///< unique, "lv.smartid_code"
  std::string language;      ///< the file's language
  std::string category;      ///< taxonomy category it votes for
  double weight = 0.0;       ///< in [-1, 1]; negative weights are evidence of legitimacy
  std::string description;   ///< shown to analysts as the reason
  std::vector<std::string> keywords;  ///< case-insensitive substrings, any one matches
  std::string pattern;       ///< RE2 regex, case-insensitive (alternative to keywords)
};

/// A loaded, compiled rule set. Immutable; thread-safe.
class RuleSet {
 public:
  /// Loads every *.yaml in `dir`. Errors name the file, the line and the key.
  static core::Result<std::shared_ptr<const RuleSet>> load_dir(const std::string& dir);
  /// Loads rules from YAML text (one file's content), for tests.
  static core::Result<std::shared_ptr<const RuleSet>> load_text(std::string_view yaml, std::string_view name);

  const std::vector<Rule>& rules() const;
  ~RuleSet();

  struct Impl;
  explicit RuleSet(std::unique_ptr<Impl> impl);

  /// Indices into rules() of the rules that match `text`.
  std::vector<std::size_t> match(std::string_view text) const;
  /// Detected language of `text` ("lv", "ru", "et", "lt", "ar", "en"), "" when unsure.
  std::string detect_language(std::string_view text) const;
  /// Weight of a built-in extraction feature (`features:` map, configs/rules/features.yaml), e.g.
  /// "shortener"; nullopt when no loaded file weighs it, and then the feature is not used.
  std::optional<double> feature_weight(std::string_view name) const;

 private:
  std::unique_ptr<Impl> impl_;
};

class Model;  // model.hpp

/// Fuses rule hits, extraction evidence and, when given, the trained model's probabilities into a
/// Verdict. Thread-safe. To reload rules or the model, build a new Classifier and swap a
/// shared_ptr to it: a Classifier never changes.
class Classifier {
 public:
  /// `model`: null for rules only (smishd runs without a model file).
  Classifier(std::shared_ptr<const RuleSet> rules, ClassifyConfig config,
             std::shared_ptr<const Model> model = nullptr);

  /// `reporter_region`: ISO country of the reporter, for "number from another country" evidence.
  core::Verdict classify(std::string_view text, const core::Extraction& extraction,
                         std::string_view reporter_region) const;

  const RuleSet& rules() const { return *rules_; }
  /// The model, null when classifying by rules only.
  const std::shared_ptr<const Model>& model() const { return model_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  ClassifyConfig config_;
  std::shared_ptr<const Model> model_;
  std::string model_version_;  // "rules-1" or "rules-1+<model name>"
};

}  // namespace smish::classifier
