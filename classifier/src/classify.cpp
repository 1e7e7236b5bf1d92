// Classifier::classify: fuses rule hits and extraction features into a Verdict with reasons.
#include "smish/classifier/classify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "rules/features.hpp"
#include "rules/text_scan.hpp"
#include "smish/classifier/model.hpp"

// Fusion, as implemented below (weights come only from configs/rules/*.yaml):
//  * Evidence is every matching rule of the detected language (all rules when detection is unsure;
//    `language: any` rules always) plus every built-in feature of the extraction that
//    features.yaml weighs (has_url, url_no_scheme, shortener, asks_for_code, foreign_number, ...).
//    A feature counts once per message however many links or numbers show it.
//  * Positive weights combine as a noisy-OR, each hit an independent chance that the message is a
//    scam: score = 1 - Π(1 - w_i). Two weak hits (0.3, 0.3) give 0.51; no hit gives 0.
//  * Negative weights (legitimacy: "Tele2 nekad neprasīs...", "never share this code") scale the
//    result down: score *= Π(1 + w_j), so a -0.5 rule halves the score.
//  * category: the taxonomy category with the largest sum of positive rule weights; when legitimacy
//    evidence is present and the score stays below kLegitMaxScore, the legit_* category with the
//    largest summed |w| instead. Features vote for no category.
//  * The trained model, when there is one, is one more piece of evidence (model.hpp): it sees the
//    text, every rule hit of every language with the detected language, and the extraction, and
//    gives p(scam), p(spam), p(legit). With p(legit) < 0.5 it counts like a rule of weight
//    evidence_weight * (p(scam) + p(spam)) in the noisy-OR, voting advertising when spam is the
//    likelier of the two; otherwise like a legitimacy rule of weight -evidence_weight * p(legit)
//    (legit_other), except when a positive rule of the message's language fired: a generic
//    opinion does not outvote a specific written rule (cross-validation on the training data
//    lost more scams than it saved legitimate messages that way, docs/classification.md).
//    evidence_weight comes from the model file, never from here.
//  * label, first match wins:
//      noise  - empty text, "?", or one word with no link or number: unclear / noise;
//      spam   - category advertising and score >= spam_threshold;
//      scam   - score >= scam_threshold and category not advertising;
//      legit  - legitimacy evidence and score < kLegitMaxScore, or no evidence at all and no
//               link or number (a personal message forwarded by mistake: legit_other);
//      unclear otherwise.

namespace smish::classifier {
namespace {

// Below this score legitimacy evidence wins the label. A threshold, not a weight: it says how
// much suspicion a "never share this code" notice may carry and still be called genuine.
constexpr double kLegitMaxScore = 0.3;

constexpr std::string_view kModelVersion = "rules-1";
constexpr std::string_view kAnyLanguage = "any";  // `language: any` in a rules file

// The model's evidence: its weight in the fusion and the category it votes for ("" for none).
struct ModelEvidence {
  double weight = 0.0;
  std::string_view category;
  std::string reason;
};

ModelEvidence model_evidence(const Model& model, const std::vector<double>& p, bool rule_fired) {
  auto prob = [&](std::string_view label) {
    const int i = model.class_index(label);
    return i < 0 ? 0.0 : p[static_cast<std::size_t>(i)];
  };
  const double scam = prob("scam"), spam = prob("spam"), legit = prob("legit");
  const double e = model.evidence_weight();
  ModelEvidence out;
  if (legit < 0.5) {
    out.weight = e * (scam + spam);
    if (spam > scam) out.category = "advertising";
  } else if (!rule_fired) {
    out.weight = -e * legit;
    out.category = "legit_other";
  }
  out.reason = fmt::format("model {} ({:+.2f}): p(scam)={:.2f} p(spam)={:.2f} p(legit)={:.2f}{}",
                           model.name(), out.weight, scam, spam, legit,
                           legit >= 0.5 && rule_fired ? " (a rule fired: legitimacy not counted)" : "");
  return out;
}

struct FeatureHit {
  std::string_view name;
  std::string_view description;
  std::string detail;  // the link or number that shows it
};

bool has_flag(const std::vector<std::string>& flags, std::string_view flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

// A number the reader is meant to call or write to: not the short code, not 112, not a number
// that is only part of a link.
bool is_contact_number(const core::ExtractedNumber& n) {
  return !has_flag(n.flags, "short_code") && !has_flag(n.flags, "emergency") &&
         !has_flag(n.flags, "in_url");
}

std::string url_label(const core::ExtractedUrl& u) {
  if (!u.host.empty()) return u.host;
  return u.raw.empty() ? u.url : u.raw;
}

// The features present in `e`, in kFeatures order, each once.
std::vector<FeatureHit> find_features(const core::Extraction& e, std::string_view reporter_region) {
  std::map<std::string_view, std::string> found;  // name -> first detail
  auto note = [&](std::string_view name, std::string detail) {
    found.emplace(name, std::move(detail));
  };
  for (const auto& u : e.urls) {
    const std::string label = url_label(u);
    note("has_url", label);
    if (has_flag(u.flags, "no_scheme")) note("url_no_scheme", u.raw.empty() ? label : u.raw);
    if (has_flag(u.flags, "lookalike") || has_flag(u.flags, "url_lookalike") ||
        has_flag(u.flags, "brand_lookalike"))
      note("url_lookalike", label);
    if (has_flag(u.flags, "shortener")) note("shortener", label);
    if (has_flag(u.flags, "ip_literal")) note("ip_literal", label);
    if (has_flag(u.flags, "obfuscated")) note("obfuscated", u.raw.empty() ? label : u.raw);
    if (has_flag(u.flags, "idn")) note("idn", label);
    if (has_flag(u.flags, "zero_width")) note("zero_width", label);
  }
  for (const auto& n : e.numbers) {
    if (!is_contact_number(n)) continue;
    note("has_number", n.e164);
    if (has_flag(n.flags, "obfuscated")) note("obfuscated", n.raw.empty() ? n.e164 : n.raw);
    if (has_flag(n.flags, "zero_width")) note("zero_width", n.e164);
    if (!n.region.empty() && !reporter_region.empty() && n.region != reporter_region)
      note("foreign_number",
           fmt::format("{} ({}, reporter in {})", n.e164, n.region, reporter_region));
  }
  if (has_flag(e.flags, "asks_for_code")) note("asks_for_code", "");
  if (has_flag(e.flags, "zero_width")) note("zero_width", "in the text");

  std::vector<FeatureHit> out;
  for (const auto& f : rules::kFeatures)
    if (auto it = found.find(f.name); it != found.end())
      out.push_back({f.name, f.description, it->second});
  return out;
}

// Rules of the detected language and language-neutral ones ("any") apply; when the language is
// unsure, all do. Without this, a brand name listed in several files ("DPD" in lv, lt and et)
// would count as three independent pieces of evidence.
bool applies(const Rule& rule, std::string_view language) {
  return language.empty() || rule.language == language || rule.language == kAnyLanguage;
}

bool is_noise(std::string_view text, const core::Extraction& e) {
  if (!e.urls.empty() || !e.numbers.empty() || !e.emails.empty()) return false;
  return rules::fold_words(text).size() < 2;
}

std::string top_category(const std::map<std::string, double>& sums) { return core::most_voted(sums, ""); }

}  // namespace

Classifier::Classifier(std::shared_ptr<const RuleSet> rules, ClassifyConfig config,
                       std::shared_ptr<const Model> model)
    : rules_(std::move(rules)), config_(std::move(config)), model_(std::move(model)),
      model_version_(model_ ? fmt::format("{}+{}", kModelVersion, model_->name())
                            : std::string(kModelVersion)) {}

core::Verdict Classifier::classify(std::string_view text, const core::Extraction& extraction,
                                   std::string_view reporter_region) const {
  core::Verdict verdict;
  verdict.model_version = model_version_;
  verdict.language = rules_->detect_language(text);

  if (is_noise(text, extraction)) {
    verdict.label = core::Label::Unclear;
    verdict.category = "noise";
    verdict.reasons.push_back("noise: empty, a single word or punctuation, with no link or number");
    return verdict;
  }

  double not_scam = 1.0;      // Π(1 - w) over positive weights
  double legit_factor = 1.0;  // Π(1 + w) over negative weights
  bool any_evidence = false;
  bool legit_evidence = false;
  std::map<std::string, double> positive_by_category;
  std::map<std::string, double> legit_by_category;
  bool positive_rule_hit = false;  // of the applying rules: the model does not outvote one

  const auto& all_rules = rules_->rules();
  const std::vector<std::size_t> hits = rules_->match(text);
  for (std::size_t index : hits) {
    const Rule& rule = all_rules[index];
    if (!applies(rule, verdict.language)) continue;
    verdict.reasons.push_back(
        fmt::format("rule {} ({:+.2f}): {}", rule.id, rule.weight, rule.description));
    any_evidence = true;
    if (rule.weight > 0) {
      not_scam *= 1.0 - rule.weight;
      positive_by_category[rule.category] += rule.weight;
    } else if (rule.weight < 0) {
      legit_factor *= 1.0 + rule.weight;
      legit_by_category[rule.category] += -rule.weight;
      legit_evidence = true;
    }
    if (rule.weight > 0) positive_rule_hit = true;
  }
  for (const auto& hit : find_features(extraction, reporter_region)) {
    const auto weight = rules_->feature_weight(hit.name);
    if (!weight || *weight == 0.0) continue;
    verdict.reasons.push_back(
        hit.detail.empty()
            ? fmt::format("feature {} ({:+.2f}): {}", hit.name, *weight, hit.description)
            : fmt::format("feature {} ({:+.2f}): {} {}", hit.name, *weight, hit.description,
                          hit.detail));
    any_evidence = true;
    if (*weight > 0) {
      not_scam *= 1.0 - *weight;
    } else {
      legit_factor *= 1.0 + *weight;
      legit_by_category["legit_other"] += -*weight;
      legit_evidence = true;
    }
  }
  if (model_) {
    ModelInput in;
    in.text = text;
    in.extraction = &extraction;
    in.language = verdict.language;
    in.rule_ids.reserve(hits.size());
    for (std::size_t index : hits) in.rule_ids.emplace_back(all_rules[index].id);
    const bool rule_fired = positive_rule_hit;
    ModelEvidence m = model_evidence(*model_, model_->predict(in), rule_fired);
    verdict.reasons.push_back(std::move(m.reason));
    if (m.weight > 0) {
      any_evidence = true;
      not_scam *= 1.0 - m.weight;
      if (!m.category.empty()) positive_by_category[std::string(m.category)] += m.weight;
    } else if (m.weight < 0) {
      any_evidence = true;
      legit_factor *= 1.0 + m.weight;
      legit_by_category[std::string(m.category)] += -m.weight;
      legit_evidence = true;
    }
  }
  verdict.score = std::clamp((1.0 - not_scam) * legit_factor, 0.0, 1.0);

  const std::string top = top_category(positive_by_category);
  verdict.category = top.empty() ? "unknown" : top;
  const bool has_indicator = !extraction.urls.empty() || !extraction.numbers.empty();

  const bool advertising = verdict.category == "advertising";
  if (advertising && verdict.score >= config_.spam_threshold) {
    verdict.label = core::Label::Spam;
  } else if (!advertising && verdict.score >= config_.scam_threshold) {
    verdict.label = core::Label::Scam;
  } else if (legit_evidence && verdict.score < kLegitMaxScore) {
    verdict.label = core::Label::Legit;
    verdict.category = top_category(legit_by_category);
  } else if (!any_evidence && !has_indicator) {
    verdict.label = core::Label::Legit;
    verdict.category = "legit_other";
  } else {
    verdict.label = core::Label::Unclear;
  }
  return verdict;
}

}  // namespace smish::classifier
