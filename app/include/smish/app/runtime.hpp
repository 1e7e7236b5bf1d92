// What SIGHUP reloads: brands, rules, model, reply templates and the listing policy, built from a config.
#pragma once

#include <memory>

#include "smish/app/config.hpp"
#include "smish/app/replies.hpp"
#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/result.hpp"

namespace smish::app {

/// Loads classifier.brands_file (when set) into config.extract.brands and the listing policy's
/// brand allowlist (config.blocklist.brands), so that extraction and listing use the same brands.
/// Errors name the file, line and key; an unreadable or invalid brands file is an error.
core::Status attach_brands(Config& config);

/// Everything built from the reloadable parts of a config. Immutable once built.
struct Runtime {
  Config config;  ///< with brands attached
  std::unique_ptr<const classifier::Extractor> extractor;
  std::unique_ptr<const classifier::Classifier> classifier;
  std::shared_ptr<const classifier::RuleSet> rules;
  std::shared_ptr<const ReplyTemplates> templates;  ///< null when replies are off
};

/// Builds a Runtime from `config`: brands, rules, the model, templates. Errors say which part
/// ("rules: configs/rules/lv.yaml:12: ...") so that a failed reload can say why it kept the old one.
core::Result<std::shared_ptr<const Runtime>> build_runtime(Config config);

}  // namespace smish::app
