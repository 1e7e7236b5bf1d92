// Building what the daemon classifies and lists with, at start-up and on SIGHUP.
#include "smish/app/runtime.hpp"

#include "smish/classifier/model.hpp"

namespace smish::app {

core::Status attach_brands(Config& config) {
  if (config.extract.brands_file.empty()) return {};
  auto brands = classifier::Extractor::load_brands(config.extract.brands_file);
  if (!brands) return brands.error();
  config.blocklist.brands.clear();
  for (const auto& b : brands->brands) {
    blocklist::BrandAllowlist allow;
    allow.id = b.id;
    allow.domains = b.domains;
    allow.sender_ids = b.sender_ids;
    allow.numbers = b.numbers;
    for (const auto& [region, codes] : b.short_codes) allow.numbers.insert(allow.numbers.end(), codes.begin(), codes.end());
    config.blocklist.brands.push_back(std::move(allow));
  }
  config.extract.brands = std::make_shared<const classifier::BrandSet>(std::move(*brands));
  return {};
}

core::Result<std::shared_ptr<const Runtime>> build_runtime(Config config) {
  auto runtime = std::make_shared<Runtime>();
  if (auto s = attach_brands(config); !s)
    return core::make_error(s.error().code, "brands: " + s.error().detail);
  auto rules = classifier::RuleSet::load_dir(config.classify.rules_dir);
  if (!rules) return core::make_error(rules.error().code, "rules: " + rules.error().detail);
  auto model = classifier::load_configured_model(config.classify);  // null: rules only
  if (!model) return core::make_error(model.error().code, "model: " + model.error().detail);
  if (config.replies.enabled) {
    auto templates = ReplyTemplates::load(config.replies.templates_file);
    if (!templates) return core::make_error(templates.error().code, "replies: " + templates.error().detail);
    runtime->templates = std::make_shared<const ReplyTemplates>(std::move(*templates));
  }
  runtime->rules = *rules;
  runtime->extractor = std::make_unique<const classifier::Extractor>(config.extract);
  runtime->classifier = std::make_unique<const classifier::Classifier>(*rules, config.classify, *model);
  runtime->config = std::move(config);
  return std::shared_ptr<const Runtime>(std::move(runtime));
}

}  // namespace smish::app
