// The demo corpus (configs/demo/corpus.jsonl) through the real extractor and the shipped rules.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

#include "smish/classifier/classify.hpp"
#include "smish/classifier/extract.hpp"
#include "smish/core/json.hpp"
#include "support.hpp"

namespace {

using smish::classifier::Classifier;
using smish::classifier::RuleSet;
using smish::core::Json;

struct CorpusLine {
  std::size_t line = 0;
  std::string src, dst, text, coding, split, expect, category;
};

std::vector<CorpusLine> load_corpus() {
  const std::string text =
      smish::test::read_file(smish::test::source_dir() / "configs/demo/corpus.jsonl");
  std::vector<CorpusLine> out;
  std::istringstream in(text);
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_MESSAGE(j.is_object(), "corpus.jsonl:", n, ": not a JSON object");
    CorpusLine c;
    c.line = n;
    for (auto [key, field] : {std::pair{"src", &c.src},
                              {"dst", &c.dst},
                              {"text", &c.text},
                              {"coding", &c.coding},
                              {"split", &c.split},
                              {"expect", &c.expect},
                              {"category", &c.category}}) {
      REQUIRE_MESSAGE((j.contains(key) && j[key].is_string()), "corpus.jsonl:", n, ": ", key,
                      " missing");
      *field = j[key].get<std::string>();
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::shared_ptr<const RuleSet> shipped_rules() {
  static auto rules = [] {
    auto loaded = RuleSet::load_dir((smish::test::source_dir() / "configs/rules").string());
    REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
    return *loaded;
  }();
  return rules;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len && i + k < s.size(); ++k)
      c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(c);
    i += len;
  }
  return out;
}

// 3GPP TS 23.038 §6.2.1: the default alphabet and, costing two septets each, its extension table.
const std::u32string kGsmBasic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const std::u32string kGsmExtension = U"^{}\\[~]|€\f";

// Units one SMS of the coding holds, and the units the text needs; nullopt if not encodable.
std::optional<std::size_t> units_needed(const std::string& coding, const std::string& text) {
  std::size_t units = 0;
  for (char32_t c : code_points(text)) {
    if (coding == "gsm7") {
      if (kGsmBasic.find(c) != std::u32string::npos)
        units += 1;
      else if (kGsmExtension.find(c) != std::u32string::npos)
        units += 2;
      else
        return std::nullopt;
    } else if (coding == "latin1") {
      if (c > 0xFF) return std::nullopt;
      units += 1;
    } else {
      units += c > 0xFFFF ? 2 : 1;  // UTF-16 code units
    }
  }
  return units;
}

std::size_t single_sms_limit(const std::string& coding) {
  return coding == "gsm7" ? 160 : coding == "latin1" ? 140 : 70;
}

}  // namespace

TEST_SUITE("classifier/corpus") {
  TEST_CASE("the demo corpus is well formed: fields, reporters, codings and splits") {
    const auto corpus = load_corpus();
    CHECK(corpus.size() >= 48);
    const std::set<std::string> expects{"scam", "spam", "legit", "unclear"};
    const std::vector<std::string> reporter_prefixes{"+3712000", "+3725000", "+3706000",
                                                     "+7900000", "+9689000", "+447700900"};
    std::map<std::string, int> splits;
    for (const auto& c : corpus) {
      INFO("corpus.jsonl:", c.line, ": ", c.text);
      CHECK(c.dst == "12250");
      CHECK(expects.count(c.expect) == 1);
      const bool fictitious_reporter =
          std::any_of(reporter_prefixes.begin(), reporter_prefixes.end(),
                      [&](const std::string& p) { return c.src.rfind(p, 0) == 0; });
      CHECK(fictitious_reporter);
      const auto units = units_needed(c.coding, c.text);
      REQUIRE_MESSAGE(units.has_value(), "text not encodable in ", c.coding);
      // The smallest coding that holds the text: gsm7, then latin1, else ucs2.
      if (c.coding == "ucs2") CHECK_FALSE(units_needed("latin1", c.text).has_value());
      if (c.coding == "latin1") CHECK_FALSE(units_needed("gsm7", c.text).has_value());
      if (c.split == "none") {
        CHECK(*units <= single_sms_limit(c.coding));
      } else {
        CHECK(*units > single_sms_limit(c.coding));
      }
      ++splits[c.split];
    }
    for (const char* mode : {"udh8", "udh16", "sar", "payload"}) {
      SUBCASE(mode) { CHECK(splits[mode] >= 2); }
    }
  }

  TEST_CASE("the demo corpus has at least five messages in each language") {
    const auto rules = shipped_rules();
    std::map<std::string, int> languages;
    for (const auto& c : load_corpus()) ++languages[rules->detect_language(c.text)];
    for (const char* language : {"lv", "ru", "et", "lt", "en", "ar"}) {
      SUBCASE(language) { CHECK(languages[language] >= 5); }
    }
  }

  TEST_CASE(
      "two campaigns: five or more reporters forward one scammer domain, and one scammer number") {
    const smish::classifier::Extractor extractor(smish::classifier::ExtractConfig{});
    std::map<std::string, std::set<std::string>> reporters_by_domain;
    std::map<std::string, std::set<std::string>> reporters_by_number;
    for (const auto& c : load_corpus()) {
      if (c.expect != "scam") continue;
      const auto e = extractor.extract(c.text, smish::classifier::region_of(c.src));
      for (const auto& u : e.urls) reporters_by_domain[u.domain].insert(c.src);
      for (const auto& n : e.numbers) reporters_by_number[n.e164].insert(c.src);
    }
    std::size_t widest_domain = 0, widest_number = 0;
    for (const auto& [domain, who] : reporters_by_domain)
      widest_domain = std::max(widest_domain, who.size());
    for (const auto& [number, who] : reporters_by_number)
      widest_number = std::max(widest_number, who.size());
    CHECK(widest_domain >= 5);
    CHECK(widest_number >= 5);
    CHECK(reporters_by_domain["tele2-lv-bonus.info"].size() >= 5);
    CHECK(reporters_by_number["+79000009901"].size() >= 5);
  }

  TEST_CASE(
      "at least 90% of the corpus gets its expected label and no legit message is called scam") {
    const smish::classifier::Extractor extractor(smish::classifier::ExtractConfig{});
    const Classifier classifier(shipped_rules(), smish::classifier::ClassifyConfig{});
    const auto corpus = load_corpus();
    std::size_t hits = 0, category_hits = 0;
    for (const auto& c : corpus) {
      const std::string region = smish::classifier::region_of(c.src);
      const auto verdict = classifier.classify(c.text, extractor.extract(c.text, region), region);
      const std::string label(smish::core::to_string(verdict.label));
      if (label == c.expect) {
        ++hits;
      } else {
        std::string reasons;
        for (const auto& r : verdict.reasons) reasons += "\n    " + r;
        MESSAGE("corpus.jsonl:", c.line, ": expected ", c.expect, ", got ", label, " (",
                verdict.category, ", score ", verdict.score, "): ", c.text, reasons);
      }
      if (verdict.category == c.category) ++category_hits;
      if (c.expect == "legit")
        CHECK_MESSAGE(verdict.label != smish::core::Label::Scam, "corpus.jsonl:", c.line);
    }
    MESSAGE("labels ", hits, "/", corpus.size(), ", categories ", category_hits, "/",
            corpus.size());
    CHECK(hits * 10 >= corpus.size() * 9);
  }
}
