// Tests of the rules engine (loading, matching, language detection) and of the Verdict fusion.
#include "smish/classifier/classify.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "support.hpp"

namespace {

using smish::classifier::Classifier;
using smish::classifier::ClassifyConfig;
using smish::classifier::RuleSet;
using smish::core::Extraction;
using smish::core::Label;

std::shared_ptr<const RuleSet> shipped_rules() {
  static auto rules = [] {
    auto loaded = RuleSet::load_dir((smish::test::source_dir() / "configs/rules").string());
    REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
    return *loaded;
  }();
  return rules;
}

std::shared_ptr<const RuleSet> rules_from(std::string_view yaml) {
  auto loaded = RuleSet::load_text(yaml, "test.yaml");
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
  return *loaded;
}

smish::core::ExtractedUrl url(std::string raw, std::string host,
                              std::vector<std::string> flags = {}) {
  smish::core::ExtractedUrl u;
  u.url = raw.find("://") == std::string::npos ? "http://" + raw : raw;
  u.raw = std::move(raw);
  u.domain = host;
  u.host = std::move(host);
  u.flags = std::move(flags);
  return u;
}

smish::core::ExtractedNumber number(std::string e164, std::string region) {
  smish::core::ExtractedNumber n;
  n.raw = e164;
  n.e164 = std::move(e164);
  n.region = std::move(region);
  return n;
}

bool has_reason_with(const smish::core::Verdict& v, std::string_view needle) {
  return std::any_of(v.reasons.begin(), v.reasons.end(),
                     [&](const std::string& r) { return r.find(needle) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& reasons) {
  std::string out;
  for (const auto& r : reasons) out += r + "\n";
  return out;
}

}  // namespace

TEST_SUITE("classifier/rules") {
  TEST_CASE("loading errors name the file, the 1-based line and the key") {
    struct Row {
      const char* name;
      const char* yaml;
      const char* expected;
    };
    const Row rows[] = {
        {"weight out of range",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: 1.5\n"
         "    description: d\n"
         "    keywords: [balva]\n",
         "lv.yaml:5: rules[0].weight: expected a number in [-1, 1]"},
        {"weight not a number",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: high\n"
         "    description: d\n"
         "    keywords: [balva]\n",
         "lv.yaml:5: rules[0].weight: expected a number in [-1, 1]"},
        {"unknown rule key",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: 0.5\n"
         "    description: d\n"
         "    keywords: [balva]\n"
         "    group: prizes\n",
         "lv.yaml:8: rules[0].group: unknown key"},
        {"unknown top-level key",
         "language: lv\n"
         "stopword: [un]\n",
         "lv.yaml:2: stopword: unknown key"},
        {"duplicate id",
         "language: lv\n"
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, description: d, keywords: [balva]}\n"
         "  - id: lv.a\n"
         "    category: delivery\n"
         "    weight: 0.4\n"
         "    description: d\n"
         "    keywords: [sūtījums]\n",
         "lv.yaml:4: rules[1].id: duplicate id 'lv.a' (first in configs/rules/lv.yaml:3)"},
        {"both keywords and pattern",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: 0.5\n"
         "    description: d\n"
         "    keywords: [balva]\n"
         "    pattern: 'laimēj\\pL*'\n",
         "lv.yaml:3: rules[0]: give either keywords or pattern, not both"},
        {"neither keywords nor pattern",
         "language: lv\n"
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, description: d}\n",
         "lv.yaml:3: rules[0]: missing keywords or pattern"},
        {"invalid regex",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: 0.5\n"
         "    description: d\n"
         "    pattern: 'laimēj(\\pL*'\n",
         "lv.yaml:7: rules[0].pattern: invalid regex: missing )"},
        {"pattern matching the empty text",
         "language: lv\n"
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, description: d, pattern: 'x*'}\n",
         "lv.yaml:3: rules[0].pattern: matches the empty text"},
        {"unknown category",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: lottery\n"
         "    weight: 0.5\n"
         "    description: d\n"
         "    keywords: [balva]\n",
         "lv.yaml:4: rules[0].category: unknown category 'lottery'"},
        {"negative weight outside legit_*",
         "language: lv\n"
         "rules:\n"
         "  - id: lv.a\n"
         "    category: prize_lottery\n"
         "    weight: -0.5\n"
         "    description: d\n"
         "    keywords: [balva]\n",
         "lv.yaml:5: rules[0].weight: a negative weight needs a legit_* category"},
        {"missing description",
         "language: lv\n"
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, keywords: [balva]}\n",
         "lv.yaml:3: rules[0].description: missing"},
        {"empty keyword",
         "language: lv\n"
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, description: d, keywords: [balva, "
         "'']}\n",
         "lv.yaml:3: rules[0].keywords[1]: expected a non-empty string"},
        {"rules without a language",
         "rules:\n"
         "  - {id: lv.a, category: prize_lottery, weight: 0.5, description: d, keywords: "
         "[balva]}\n",
         "lv.yaml:1: language: missing"},
        {"unknown feature",
         "features:\n"
         "  has_url: 0.1\n"
         "  shortner: 0.2\n",
         "lv.yaml:3: features.shortner: unknown feature"},
        {"feature weight out of range",
         "features:\n"
         "  has_url: 2\n",
         "lv.yaml:2: features.has_url: expected a number in [-1, 1]"},
        {"YAML syntax error",
         "language: lv\n"
         "rules: [\n",
         "lv.yaml:"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.name) {
        auto loaded = RuleSet::load_text(row.yaml, "configs/rules/lv.yaml");
        REQUIRE_FALSE(loaded.has_value());
        CHECK(loaded.error().code == smish::core::ErrorCode::InvalidArgument);
        INFO("error: ", loaded.error().detail);
        CHECK(loaded.error().detail.find(std::string("configs/rules/") + row.expected) !=
              std::string::npos);
      }
    }
  }

  TEST_CASE("every problem of a file is reported, not only the first") {
    auto loaded = RuleSet::load_text(
        "language: lv\n"
        "rules:\n"
        "  - {id: lv.a, category: prize_lottery, weight: 3, description: d, keywords: [balva]}\n"
        "  - {id: lv.b, category: nope, weight: 0.5, description: d, keywords: [balva]}\n",
        "lv.yaml");
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().detail.find("lv.yaml:3: rules[0].weight") != std::string::npos);
    CHECK(loaded.error().detail.find("lv.yaml:4: rules[1].category") != std::string::npos);
  }

  TEST_CASE("load_dir rejects an id used in two files and names both") {
    smish::test::TempDir dir;
    const auto write = [&](const char* name, const char* text) {
      std::ofstream(dir.path() / name) << text;
    };
    write("a.yaml",
          "language: lv\nrules:\n  - {id: x.one, category: delivery, weight: 0.4, description: d, "
          "keywords: [pasts]}\n");
    write("b.yaml",
          "language: lt\nrules:\n  - {id: x.one, category: delivery, weight: 0.4, description: d, "
          "keywords: [paštas]}\n");
    write("notes.txt", "not a rules file");
    auto loaded = RuleSet::load_dir(dir.str());
    REQUIRE_FALSE(loaded.has_value());
    INFO(loaded.error().detail);
    CHECK(loaded.error().detail.find("b.yaml:3: rules[0].id: duplicate id 'x.one' (first in ") !=
          std::string::npos);
    CHECK(loaded.error().detail.find("a.yaml:3)") != std::string::npos);
  }

  TEST_CASE("load_dir on a missing directory is NotFound") {
    auto loaded = RuleSet::load_dir("/nonexistent/smish-rules");
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == smish::core::ErrorCode::NotFound);
  }

  TEST_CASE("the shipped rules load, with 8 to 20 rules per language and every feature weighed") {
    const auto rules = shipped_rules();
    std::map<std::string, int> per_language;
    std::map<std::string, int> per_category;
    for (const auto& r : rules->rules()) {
      ++per_language[r.language];
      ++per_category[r.category];
      const bool prefixed = r.id.rfind(r.language + ".", 0) == 0 || r.language == "any";
      CHECK_MESSAGE(prefixed, r.id);
    }
    for (const char* language : {"lv", "ru", "et", "lt", "en", "ar"}) {
      SUBCASE(language) {
        CHECK(per_language[language] >= 8);
        CHECK(per_language[language] <= 20);
      }
    }
    for (const char* category :
         {"credential_phishing", "operator_impersonation", "bank_payment",
          "government_impersonation", "prize_lottery", "delivery", "investment", "family_emergency",
          "wrong_number", "advertising", "legit_operator", "legit_bank"})
      CHECK_MESSAGE(per_category[category] >= 6, category);
    for (const char* feature : {"has_url", "url_no_scheme", "url_lookalike", "shortener",
                                "ip_literal", "obfuscated", "asks_for_code", "foreign_number"})
      CHECK_MESSAGE(rules->feature_weight(feature).has_value(), feature);
    CHECK(rules->feature_weight("shortener") == doctest::Approx(0.2));
    CHECK_FALSE(rules->feature_weight("no_such_feature").has_value());
  }

  TEST_CASE("keywords match case-insensitively, Cyrillic included, across re-wrapped spaces") {
    const auto rules = rules_from(
        "language: ru\n"
        "rules:\n"
        "  - {id: ru.pin, category: credential_phishing, weight: 0.6, description: d, keywords: "
        "['ПИН-код', 'smart-id pin']}\n"
        "  - {id: ru.gos, category: government_impersonation, weight: 0.5, description: d, "
        "keywords: ['Госуслуги']}\n"
        "  - {id: ru.dot, category: delivery, weight: 0.4, description: d, keywords: ['a.b']}\n");
    struct Row {
      const char* text;
      std::vector<std::size_t> expected;
    };
    const Row rows[] = {
        {"назовите пин-код", {0}},
        {"НАЗОВИТЕ ПИН-КОД", {0}},
        {"Smart-ID\nPIN", {0}},
        {"вход в ГОСУСЛУГИ", {1}},
        {"госуслуги и ПиН-КоД", {0, 1}},
        {"axb", {}},  // keywords are literal: the dot is not a wildcard
        {"a.b", {2}},
        {"пин код", {}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) { CHECK(rules->match(row.text) == row.expected); }
    }
  }

  TEST_CASE("patterns are case-insensitive RE2 with Unicode letter classes") {
    const auto rules = rules_from(
        "language: lv\n"
        "rules:\n"
        "  - {id: lv.kods, category: credential_phishing, weight: 0.6, description: d, pattern: "
        "'pasak\\pL*\\s+kod\\pL*'}\n");
    CHECK(rules->match("Lūdzu PASAKIET KODU") == std::vector<std::size_t>{0});
    CHECK(rules->match("pasakiet kodu") == std::vector<std::size_t>{0});
    CHECK(rules->match("pasakiet paroli").empty());
  }

  TEST_CASE("language detection follows script, then diacritics and stop words") {
    const auto rules = shipped_rules();
    struct Row {
      const char* text;
      const char* language;
    };
    const Row rows[] = {
        {"Jūsu Tele2 līgums beidzas šodien, lūdzu apstipriniet datus", "lv"},
        {"Sveiki! Mums ir dāvana jums", "lv"},
        {"Ваш договор с T2 истекает сегодня, назовите код из СМС", "ru"},
        {"Госуслуги: подтвердите вход https://gosuslugi-vhod.top/a", "ru"},
        {"Teie Smart-ID kood aegub täna, palun kinnitage oma andmed", "et"},
        {"Tere, kas see on õige number?", "et"},
        {"Jūsų sutartis baigiasi, prašome patvirtinti duomenis", "lt"},
        {"Labas, čia mano naujas numeris, ar gali pervesti pinigų?", "lt"},
        {"Your parcel is waiting, please pay the redelivery fee", "en"},
        {"Hi Mum, this is my new number", "en"},
        {"تم تعليق حسابك، يرجى تحديث بياناتك عبر bankmuscat-update.com", "ar"},
        {"أمي هذا رقمي الجديد", "ar"},
        {"12345 !!!", ""},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) { CHECK(rules->detect_language(row.text) == row.language); }
    }
  }
}

TEST_SUITE("classifier/classify") {
  const ClassifyConfig kConfig{};

  TEST_CASE("positive weights combine as a noisy-OR and negative weights scale the score down") {
    const auto rules = rules_from(
        "language: en\n"
        "features: {has_url: 0.2}\n"
        "rules:\n"
        "  - {id: en.a, category: prize_lottery, weight: 0.5, description: A, keywords: [alpha]}\n"
        "  - {id: en.b, category: delivery, weight: 0.5, description: B, keywords: [bravo]}\n"
        "  - {id: en.c, category: legit_other, weight: -0.5, description: C, keywords: "
        "[charlie]}\n");
    const Classifier classifier(rules, kConfig);
    Extraction none;
    Extraction with_url;
    with_url.urls.push_back(url("https://example.net/x", "example.net"));

    CHECK(classifier.classify("alpha words here", none, "GB").score == doctest::Approx(0.5));
    CHECK(classifier.classify("alpha and bravo", none, "GB").score == doctest::Approx(0.75));
    CHECK(classifier.classify("alpha and bravo", with_url, "GB").score == doctest::Approx(0.8));
    CHECK(classifier.classify("alpha bravo charlie", none, "GB").score == doctest::Approx(0.375));
    CHECK(classifier.classify("just charlie", none, "GB").score == doctest::Approx(0.0));
  }

  TEST_CASE(
      "only rules of the detected language apply, so one brand listed in several files counts "
      "once") {
    const auto rules = rules_from(
        "language: any\n"
        "rules:\n"
        "  - {id: any.x, category: delivery, weight: 0.1, description: X, keywords: [dpd]}\n");
    const Classifier neutral(rules, kConfig);
    CHECK(has_reason_with(neutral.classify("Your DPD parcel", Extraction{}, "GB"), "rule any.x"));

    Classifier classifier(shipped_rules(), kConfig);
    const auto v = classifier.classify(
        "Jūsu DPD sūtījums tiks piegādāts šodien no 12:00 līdz 15:00.", Extraction{}, "LV");
    INFO(joined(v.reasons));
    CHECK(v.language == "lv");
    CHECK(has_reason_with(v, "rule lv.delivery"));
    CHECK_FALSE(has_reason_with(v, "rule lt."));
    CHECK_FALSE(has_reason_with(v, "rule et."));
    CHECK(v.label != Label::Scam);
  }

  TEST_CASE("when the language is unsure every language's rules apply") {
    const auto rules = rules_from(
        "language: lv\n"
        "rules:\n"
        "  - {id: lv.x, category: delivery, weight: 0.4, description: X, keywords: [omniva]}\n");
    const Classifier classifier(rules, kConfig);
    const auto v = classifier.classify("OMNIVA 4411 5523", Extraction{}, "LV");
    CHECK(v.language == "");
    CHECK(has_reason_with(v, "rule lv.x (+0.40): X"));
  }

  TEST_CASE(
      "a Smart-ID code theft with a bare link is scam, with reasons naming rules and features") {
    Classifier classifier(shipped_rules(), kConfig);
    Extraction e;
    e.urls.push_back(url("smart-id-verify.top/lv", "smart-id-verify.top", {"no_scheme"}));
    const auto v = classifier.classify(
        "Jūsu Smart-ID PIN kodi beidzas šodien. Apstipriniet tos šeit: smart-id-verify.top/lv", e,
        "LV");
    INFO(joined(v.reasons));
    CHECK(v.label == Label::Scam);
    CHECK(v.category == "credential_phishing");
    CHECK(v.language == "lv");
    CHECK(v.model_version == "rules-1");
    CHECK(v.score >= kConfig.scam_threshold);
    CHECK(has_reason_with(v, "rule lv.eid_code (+0.60): "));
    CHECK(has_reason_with(v, "rule brand.id_domain (+0.40): "));
    CHECK(has_reason_with(
        v,
        "feature url_no_scheme (+0.10): link written without http(s):// smart-id-verify.top/lv"));
    CHECK(has_reason_with(v, "feature has_url (+0.10): "));
  }

  TEST_CASE("an operator-impersonation message asking for the code is scam") {
    Classifier classifier(shipped_rules(), kConfig);
    Extraction e;
    e.flags.push_back("asks_for_code");
    const auto v = classifier.classify(
        "Здравствуйте, это T2. Срок действия вашего договора истекает. Назовите код из СМС, чтобы "
        "продлить договор.",
        e, "RU");
    INFO(joined(v.reasons));
    CHECK(v.label == Label::Scam);
    CHECK(v.language == "ru");
    CHECK(has_reason_with(v, "rule ru.tell_code"));
    CHECK(has_reason_with(v, "rule ru.operator_contract"));
    CHECK(has_reason_with(v, "feature asks_for_code (+0.30)"));
  }

  TEST_CASE("genuine operator and bank messages come out legit") {
    Classifier classifier(shipped_rules(), kConfig);
    struct Row {
      const char* text;
      const char* region;
      bool asks_for_code;
      const char* category;
    };
    const Row rows[] = {
        {"Tele2: Jūsu rēķins par novembri ir 14,99 EUR, apmaksas termiņš līdz 20.12. Tele2 nekad "
         "neprasīs "
         "jūsu paroles vai kodus.",
         "LV", false, "legit_operator"},
        {"Swedbank: kods 482913 pieslēgšanās apstiprināšanai. Nevienam neizpaudiet šo kodu!", "LV",
         true, "legit_bank"},
        {"Your Barclays security code is 771204. Never share this code with anyone.", "GB", true,
         "legit_bank"},
        {"Код для входа в Сбербанк Онлайн: 5521. Никому не сообщайте этот код.", "RU", true,
         "legit_bank"},
        {"T2: ваш баланс 42,10 руб. Сотрудники T2 никогда не запрашивают коды из SMS.", "RU", false,
         "legit_operator"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        Extraction e;
        if (row.asks_for_code) e.flags.push_back("asks_for_code");
        const auto v = classifier.classify(row.text, e, row.region);
        INFO(joined(v.reasons));
        CHECK(v.label == Label::Legit);
        CHECK(v.category == row.category);
        CHECK(v.score < 0.3);
      }
    }
  }

  TEST_CASE("empty, one-word and punctuation-only texts are noise") {
    Classifier classifier(shipped_rules(), kConfig);
    for (const char* text : {"", "?", "  ??  ", "Mammu", "STOP"}) {
      SUBCASE(text) {
        const auto v = classifier.classify(text, Extraction{}, "LV");
        CHECK(v.label == Label::Unclear);
        CHECK(v.category == "noise");
      }
    }
  }

  TEST_CASE("one word with a link is not noise") {
    Classifier classifier(shipped_rules(), kConfig);
    Extraction e;
    e.urls.push_back(url("http://192.0.2.7/x", "192.0.2.7", {"ip_literal"}));
    const auto v = classifier.classify("http://192.0.2.7/x", e, "LV");
    CHECK(v.category != "noise");
    CHECK(has_reason_with(v, "feature ip_literal (+0.30)"));
  }

  TEST_CASE("a personal message with no evidence and no indicator is legit_other") {
    Classifier classifier(shipped_rules(), kConfig);
    const auto v =
        classifier.classify("Tiekamies rīt pulksten piecos pie stacijas", Extraction{}, "LV");
    CHECK(v.label == Label::Legit);
    CHECK(v.category == "legit_other");
    CHECK(v.reasons.empty());
  }

  TEST_CASE("advertising is spam, never scam") {
    Classifier classifier(shipped_rules(), kConfig);
    Extraction e;
    e.urls.push_back(url("https://shop.example.com/sale", "shop.example.com"));
    const auto v = classifier.classify(
        "Lielā izpārdošana! Atlaides līdz -50% visām kurpēm. Atteikties no ziņām: sūti STOP uz "
        "1800",
        e, "LV");
    INFO(joined(v.reasons));
    CHECK(v.category == "advertising");
    CHECK(v.label == Label::Spam);
  }

  TEST_CASE("foreign_number fires only for a number from another country than the reporter") {
    const auto rules = rules_from("features: {foreign_number: 0.1, has_number: 0.05}\n");
    const Classifier classifier(rules, kConfig);
    Extraction e;
    e.numbers.push_back(number("+79000009901", "RU"));
    CHECK(has_reason_with(
        classifier.classify("call me back now", e, "LV"),
        "feature foreign_number (+0.10): number from another country than the reporter "
        "+79000009901 (RU, reporter in LV)"));
    CHECK_FALSE(
        has_reason_with(classifier.classify("call me back now", e, "RU"), "foreign_number"));
    CHECK_FALSE(has_reason_with(classifier.classify("call me back now", e, ""), "foreign_number"));
    e.numbers[0].flags.push_back("short_code");
    CHECK(classifier.classify("call me back now", e, "LV").reasons.empty());
  }

  TEST_CASE("features not weighed by any rules file are ignored") {
    const auto rules = rules_from("features: {has_url: 0.1}\n");
    const Classifier classifier(rules, kConfig);
    Extraction e;
    e.urls.push_back(url("bit.ly/x", "bit.ly", {"shortener", "no_scheme"}));
    const auto v = classifier.classify("look here bit.ly/x", e, "LV");
    CHECK(v.reasons ==
          std::vector<std::string>{"feature has_url (+0.10): message carries a link bit.ly"});
    CHECK(v.score == doctest::Approx(0.1));
  }
}
