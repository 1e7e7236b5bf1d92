// RuleSet: loads and checks configs/rules/*.yaml (yaml-cpp); compiles all rules into one RE2::Set.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include "rules/features.hpp"
#include "rules/text_scan.hpp"
#include "smish/classifier/classify.hpp"

namespace smish::classifier {
namespace {

using core::ErrorCode;
using core::make_error;

// The taxonomy a rule may vote for. Names only: what each is worth lives in the rules files.
constexpr std::array<std::string_view, 14> kCategories{
    "credential_phishing", "operator_impersonation",
    "bank_payment",        "government_impersonation",
    "prize_lottery",       "delivery",
    "investment",          "family_emergency",
    "wrong_number",        "advertising",
    "legit_operator",      "legit_bank",
    "legit_other",         "noise"};

constexpr std::string_view kLegitPrefix = "legit_";

// RE2 programs are bounded in memory; a set of a few hundred keyword rules with Unicode case
// folding needs a few MB. 64 MiB leaves room for large rule sets before the DFA gives up.
constexpr int64_t kMaxRegexMemory = 64 << 20;

bool is_category(std::string_view c) {
  return std::find(kCategories.begin(), kCategories.end(), c) != kCategories.end();
}

int line_of(const YAML::Node& node) { return std::max(node.Mark().line, 0) + 1; }

// Problems found while reading one file, each "name:line: key: what".
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void add(int line, std::string_view key, std::string_view what) {
    list_.push_back(fmt::format("{}:{}: {}: {}", file_, line, key, what));
  }
  void add(const YAML::Node& node, std::string_view key, std::string_view what) {
    add(line_of(node), key, what);
  }
  const std::string& file() const { return file_; }
  const std::vector<std::string>& list() const { return list_; }

 private:
  std::string file_;
  std::vector<std::string> list_;
};

// A rule with where it was written, for cross-file checks.
struct RuleSource {
  Rule rule;
  std::string path;      // "rules[3]"
  std::string id_at;     // "file:line" of the id
  std::string regex_at;  // "file:line" of the keywords or the pattern
};

struct ParsedFile {
  std::string language;
  std::vector<std::string> stopwords;
  std::vector<RuleSource> rules;
  std::map<std::string, std::pair<double, std::string>> features;  // name -> weight, "file:line"
};

std::optional<std::string> scalar_string(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

std::optional<double> weight_of(const YAML::Node& node) {
  double w = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, w)) return std::nullopt;
  if (!(w >= -1.0 && w <= 1.0)) return std::nullopt;  // also rejects NaN
  return w;
}

// Calls fn(key, key_node, value_node) for each entry of a map; rejects keys outside `allowed` and
// keys given twice (yaml-cpp keeps both silently).
template <typename Fn>
void for_each_entry(const YAML::Node& map, std::string_view path,
                    std::initializer_list<std::string_view> allowed, Problems& problems, Fn&& fn) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const std::string key = key_node.IsScalar() ? key_node.Scalar() : std::string("?");
    const std::string where = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      problems.add(key_node, where, "unknown key");
      continue;
    }
    if (!seen.insert(key).second) {
      problems.add(key_node, where, "duplicate key");
      continue;
    }
    fn(key, where, key_node, it->second);
  }
}

void parse_rule(const YAML::Node& node, std::size_t index, ParsedFile& out, Problems& problems) {
  const std::string path = fmt::format("rules[{}]", index);
  if (!node.IsMap()) {
    problems.add(node, path,
                 "expected a map with id, category, weight, description and keywords or pattern");
    return;
  }
  Rule rule;
  bool has_id = false, has_category = false, has_weight = false, has_description = false;
  bool has_keywords = false, has_pattern = false;
  const std::size_t problems_before = problems.list().size();
  for_each_entry(node, path, {"id", "category", "weight", "description", "keywords", "pattern"},
                 problems,
                 [&](const std::string& key, const std::string& where, const YAML::Node&,
                     const YAML::Node& value) {
                   if (key == "weight") {
                     has_weight = true;
                     if (auto w = weight_of(value))
                       rule.weight = *w;
                     else
                       problems.add(value, where, "expected a number in [-1, 1]");
                     return;
                   }
                   if (key == "keywords") {
                     has_keywords = true;
                     if (!value.IsSequence() || value.size() == 0) {
                       problems.add(value, where, "expected a non-empty list of strings");
                       return;
                     }
                     for (std::size_t k = 0; k < value.size(); ++k) {
                       auto word = scalar_string(value[k]);
                       if (!word || word->find_first_not_of(" \t") == std::string::npos) {
                         problems.add(value[k], fmt::format("{}[{}]", where, k),
                                      "expected a non-empty string");
                         continue;
                       }
                       rule.keywords.push_back(std::move(*word));
                     }
                     return;
                   }
                   auto text = scalar_string(value);
                   if (!text || text->empty()) {
                     problems.add(value, where, "expected a non-empty string");
                     return;
                   }
                   if (key == "id") {
                     has_id = true;
                     if (text->find_first_of(" \t\r\n") != std::string::npos)
                       problems.add(value, where, "must not contain spaces");
                     rule.id = std::move(*text);
                   } else if (key == "category") {
                     has_category = true;
                     if (!is_category(*text))
                       problems.add(value, where, fmt::format("unknown category '{}'", *text));
                     rule.category = std::move(*text);
                   } else if (key == "description") {
                     has_description = true;
                     rule.description = std::move(*text);
                   } else if (key == "pattern") {
                     has_pattern = true;
                     rule.pattern = std::move(*text);
                   }
                 });
  for (auto [present, key] :
       {std::pair{has_id, "id"}, std::pair{has_category, "category"},
        std::pair{has_weight, "weight"}, std::pair{has_description, "description"}})
    if (!present) problems.add(node, fmt::format("{}.{}", path, key), "missing");
  if (has_keywords && has_pattern)
    problems.add(node, path, "give either keywords or pattern, not both");
  if (!has_keywords && !has_pattern) problems.add(node, path, "missing keywords or pattern");
  // Legitimacy is the only thing a negative weight may say, so the category must say it too.
  const bool legit_category = rule.category.rfind(kLegitPrefix, 0) == 0;
  if (has_weight && has_category && legit_category != (rule.weight < 0))
    problems.add(node["weight"], path + ".weight",
                 legit_category ? "a legit_* rule needs a negative weight"
                                : "a negative weight needs a legit_* category");
  if (problems.list().size() != problems_before) return;
  rule.language = out.language;
  const auto at = [&](const char* key) {
    return fmt::format("{}:{}", problems.file(), line_of(node[key]));
  };
  out.rules.push_back({std::move(rule), path, at("id"), at(has_pattern ? "pattern" : "keywords")});
}

ParsedFile parse_file(std::string_view yaml, Problems& problems) {
  ParsedFile out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    problems.add(std::max(e.mark.line, 0) + 1, "yaml", e.msg);
    return out;
  } catch (const YAML::Exception& e) {
    problems.add(1, "yaml", e.what());
    return out;
  }
  if (root.IsNull()) return out;  // an empty file adds nothing
  if (!root.IsMap()) {
    problems.add(root, "(top)", "expected a map with language, stopwords, rules or features");
    return out;
  }
  // language first: every rule records it.
  if (const YAML::Node lang = root["language"]; lang) {
    auto text = scalar_string(lang);
    if (!text || text->empty())
      problems.add(lang, "language", "expected a language code such as lv");
    else
      out.language = *text;
  }
  bool has_rules = false;
  for_each_entry(root, "", {"language", "stopwords", "rules", "features"}, problems,
                 [&](const std::string& key, const std::string& where, const YAML::Node&,
                     const YAML::Node& value) {
                   if (key == "stopwords") {
                     if (!value.IsSequence()) {
                       problems.add(value, where, "expected a list of words");
                       return;
                     }
                     for (std::size_t k = 0; k < value.size(); ++k) {
                       auto word = scalar_string(value[k]);
                       if (!word || word->empty()) {
                         problems.add(value[k], fmt::format("{}[{}]", where, k), "expected a word");
                         continue;
                       }
                       out.stopwords.push_back(rules::fold_case(*word));
                     }
                   } else if (key == "rules") {
                     has_rules = true;
                     if (!value.IsSequence()) {
                       problems.add(value, where, "expected a list of rules");
                       return;
                     }
                     for (std::size_t k = 0; k < value.size(); ++k)
                       parse_rule(value[k], k, out, problems);
                   } else if (key == "features") {
                     if (!value.IsMap()) {
                       problems.add(value, where, "expected a map of feature name to weight");
                       return;
                     }
                     for (auto it = value.begin(); it != value.end(); ++it) {
                       const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
                       const std::string path = fmt::format("features.{}", name);
                       if (!rules::is_known_feature(name)) {
                         problems.add(it->first, path, "unknown feature");
                         continue;
                       }
                       auto w = weight_of(it->second);
                       if (!w) {
                         problems.add(it->second, path, "expected a number in [-1, 1]");
                         continue;
                       }
                       const std::string where_line =
                           fmt::format("{}:{}", problems.file(), line_of(it->first));
                       if (!out.features.emplace(name, std::pair{*w, where_line}).second)
                         problems.add(it->first, path, "duplicate key");
                     }
                   }
                 });
  if ((has_rules || !out.stopwords.empty()) && out.language.empty() && !root["language"])
    problems.add(root, "language", "missing (needed by rules and stopwords)");
  return out;
}

// One keyword as a regex: literal text, any run of whitespace where the keyword has a space
// (forwarded SMS are often re-wrapped by phones).
std::string keyword_regex(std::string_view keyword) {
  std::string out;
  std::size_t pos = 0;
  while (pos < keyword.size()) {
    const std::size_t start = keyword.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(keyword.find_first_of(" \t", start), keyword.size());
    if (!out.empty()) out += "\\s+";
    out += RE2::QuoteMeta(re2::StringPiece(keyword.data() + start, end - start));
    pos = end;
  }
  return out;
}

std::string rule_regex(const Rule& rule) {
  if (!rule.pattern.empty()) return rule.pattern;
  std::string out = "(?:";
  for (std::size_t i = 0; i < rule.keywords.size(); ++i) {
    if (i) out += '|';
    out += keyword_regex(rule.keywords[i]);
  }
  return out + ")";
}

RE2::Options regex_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_case_sensitive(
      false);  // RE2 folds case by Unicode simple folding: "ПИН" matches "пин"
  options.set_log_errors(false);
  options.set_max_mem(kMaxRegexMemory);
  return options;
}

}  // namespace

struct RuleSet::Impl {
  std::vector<Rule> rules;
  std::map<std::string, double, std::less<>> features;
  std::map<std::string, std::unordered_set<std::string>> stopwords;  // language -> folded words
  std::unique_ptr<RE2::Set> set;                                     // null when there are no rules
  std::vector<std::unique_ptr<RE2>>
      singles;  // same rules one by one, if the set's DFA runs out of memory
};

namespace {

core::Result<std::shared_ptr<const RuleSet>> build(
    std::vector<std::pair<std::string, std::string>> files) {
  auto impl = std::make_unique<RuleSet::Impl>();
  std::vector<std::string> problems;
  std::map<std::string, std::string> first_id;       // id -> "file:line"
  std::map<std::string, std::string> first_feature;  // name -> "file:line"
  const RE2::Options options = regex_options();
  auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);

  for (const auto& [name, text] : files) {
    Problems file_problems(name);
    ParsedFile parsed = parse_file(text, file_problems);
    problems.insert(problems.end(), file_problems.list().begin(), file_problems.list().end());
    for (auto& w : parsed.stopwords) impl->stopwords[parsed.language].insert(w);
    for (auto& [feature, value] : parsed.features) {
      auto [it, fresh] = first_feature.emplace(feature, value.second);
      if (!fresh) {
        problems.push_back(fmt::format("{}: features.{}: duplicate feature (first in {})",
                                       value.second, feature, it->second));
        continue;
      }
      impl->features.emplace(feature, value.first);
    }
    for (auto& [rule, path, id_at, regex_at] : parsed.rules) {
      auto [it, fresh] = first_id.emplace(rule.id, id_at);
      if (!fresh) {
        problems.push_back(fmt::format("{}: {}.id: duplicate id '{}' (first in {})", id_at, path,
                                       rule.id, it->second));
        continue;
      }
      const std::string key = path + (rule.pattern.empty() ? ".keywords" : ".pattern");
      const std::string regex = rule_regex(rule);
      auto single = std::make_unique<RE2>(regex, options);
      if (!single->ok()) {
        problems.push_back(
            fmt::format("{}: {}: invalid regex: {}", regex_at, key, single->error()));
        continue;
      }
      // A pattern that matches the empty text would fire on every message.
      if (RE2::FullMatch("", *single)) {
        problems.push_back(fmt::format("{}: {}: matches the empty text", regex_at, key));
        continue;
      }
      std::string error;
      if (set->Add(regex, &error) != static_cast<int>(impl->rules.size())) {
        problems.push_back(fmt::format("{}: {}: invalid regex: {}", regex_at, key, error));
        continue;
      }
      impl->singles.push_back(std::move(single));
      impl->rules.push_back(std::move(rule));
    }
  }
  if (!problems.empty()) {
    std::string detail;
    for (const auto& p : problems) detail += (detail.empty() ? "" : "\n") + p;
    return make_error(ErrorCode::InvalidArgument, detail);
  }
  if (!impl->rules.empty()) {
    if (!set->Compile())
      return make_error(
          ErrorCode::InvalidArgument,
          fmt::format("rules: the {} rules do not compile into one RE2 set within {} MiB",
                      impl->rules.size(), kMaxRegexMemory >> 20));
    impl->set = std::move(set);
  }
  return std::shared_ptr<const RuleSet>(std::make_shared<RuleSet>(std::move(impl)));
}

}  // namespace

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

const std::vector<Rule>& RuleSet::rules() const { return impl_->rules; }

core::Result<std::shared_ptr<const RuleSet>> RuleSet::load_text(std::string_view yaml,
                                                                std::string_view name) {
  return build({{std::string(name), std::string(yaml)}});
}

core::Result<std::shared_ptr<const RuleSet>> RuleSet::load_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".yaml") paths.push_back(it->path());
  if (ec)
    return make_error(ErrorCode::NotFound,
                      fmt::format("{}: cannot list rules: {}", dir, ec.message()));
  if (paths.empty())
    return make_error(ErrorCode::NotFound, fmt::format("{}: no *.yaml rules files", dir));
  std::sort(paths.begin(), paths.end());  // deterministic rule order and error order
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof())
      return make_error(ErrorCode::IoError, fmt::format("{}: cannot read", path.string()));
    files.emplace_back(path.string(), text.str());
  }
  return build(std::move(files));
}

std::vector<std::size_t> RuleSet::match(std::string_view text) const {
  std::vector<std::size_t> out;
  if (!impl_->set) return out;
  std::vector<int> hits;
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  const re2::StringPiece piece(text.data(), text.size());
  if (impl_->set->Match(piece, &hits, &info)) {
    for (int h : hits) out.push_back(static_cast<std::size_t>(h));
  } else if (info.kind != RE2::Set::kNoError) {
    // The set's DFA ran out of memory on this text: still linear, one rule at a time.
    for (std::size_t i = 0; i < impl_->singles.size(); ++i)
      if (RE2::PartialMatch(piece, *impl_->singles[i])) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<double> RuleSet::feature_weight(std::string_view name) const {
  auto it = impl_->features.find(name);
  if (it == impl_->features.end()) return std::nullopt;
  return it->second;
}

std::string RuleSet::detect_language(std::string_view text) const {
  const rules::ScriptCounts scripts = rules::count_scripts(text);
  if (scripts.arabic > 0 && scripts.arabic >= scripts.latin && scripts.arabic >= scripts.cyrillic)
    return "ar";
  if (scripts.cyrillic > 0 && scripts.cyrillic >= scripts.latin) return "ru";
  if (scripts.latin == 0) return "";

  // Latin script: letters only one orthography has count 2, letters two share count 1 to each,
  // and every stop word of a language's list counts 1 for it.
  std::map<std::string, int> score;
  for (char32_t c : rules::code_points(rules::fold_case(text))) {
    switch (c) {
      case U'ā':
      case U'ē':
      case U'ģ':
      case U'ī':
      case U'ķ':
      case U'ļ':
      case U'ņ':
        score["lv"] += 2;
        break;
      case U'ą':
      case U'ę':
      case U'ė':
      case U'į':
      case U'ų':
        score["lt"] += 2;
        break;
      case U'č':
      case U'š':
      case U'ž':
      case U'ū':
        score["lv"] += 1;
        score["lt"] += 1;
        break;
      case U'õ':
      case U'ä':
      case U'ö':
      case U'ü':
        score["et"] += 2;
        break;
      default:
        break;
    }
  }
  for (const auto& word : rules::fold_words(text))
    for (const auto& [language, words] : impl_->stopwords)
      if (words.count(word)) score[language] += 1;

  std::string best;
  int best_score = 0;
  bool tie = false;
  for (const auto& [language, s] : score) {
    if (language == "ru" || language == "ar") continue;  // decided by script above
    if (s > best_score) {
      best = language, best_score = s, tie = false;
    } else if (s == best_score && s > 0) {
      tie = true;
    }
  }
  return tie ? "" : best;
}

}  // namespace smish::classifier
