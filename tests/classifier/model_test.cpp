// Tests of the model: training, its file format, fusion, corpora, and issue 5's evaluation targets.
#include "smish/classifier/model.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "smish/classifier/campaign.hpp"
#include "support.hpp"

namespace {

using smish::classifier::Classifier;
using smish::classifier::ClassifyConfig;
using smish::classifier::ConfusionMatrix;
using smish::classifier::Extractor;
using smish::classifier::ExtractConfig;
using smish::classifier::FeaturizedCorpus;
using smish::classifier::LabelledText;
using smish::classifier::Model;
using smish::classifier::RuleSet;
using smish::classifier::TrainOptions;
using smish::core::ErrorCode;
using smish::core::Label;

std::shared_ptr<const RuleSet> shipped_rules() {
  static auto rules = [] {
    auto loaded = RuleSet::load_dir((smish::test::source_dir() / "configs/rules").string());
    REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
    return *loaded;
  }();
  return rules;
}

// One rule nothing below matches: the verdicts of the fusion tests come from the model alone.
std::shared_ptr<const RuleSet> quiet_rules() {
  auto loaded = RuleSet::load_text(
      "language: en\n"
      "rules:\n"
      "  - id: en.never\n"
      "    category: prize_lottery\n"
      "    weight: 0.5\n"
      "    description: never matches\n"
      "    keywords: [qqqxxqqq]\n",
      "quiet.yaml");
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
  return *loaded;
}

LabelledText item(std::string text, std::string label) {
  LabelledText t;
  t.text = std::move(text);
  t.label = std::move(label);
  t.lang = "en";
  t.source = "test";
  return t;
}

// A small invented corpus: "voucher" scams, shop adverts and ordinary messages.
std::vector<LabelledText> small_corpus() {
  std::vector<LabelledText> out;
  const char* scams[] = {
      "Claim your zorbax voucher now before it expires tonight",
      "Your zorbax voucher is waiting, confirm your card to receive it",
      "Final notice: the zorbax voucher will be cancelled, confirm today",
      "Congratulations, a zorbax voucher was reserved for you, confirm now",
      "Zorbax voucher pending: send your card details to release it",
      "Act now to keep your zorbax voucher, it expires in one hour",
  };
  const char* adverts[] = {
      "Big autumn sale at Homewares, every lamp half price this weekend",
      "Homewares sale: cushions and lamps half price until Sunday",
      "This weekend only at Homewares: half price on all lamps",
      "Homewares autumn sale continues, lamps and rugs half price",
  };
  const char* legit[] = {
      "See you at the station at six, I will bring the umbrella",
      "Can you pick up bread on the way home please",
      "The meeting moved to Thursday afternoon, same room",
      "Thanks for dinner yesterday, it was lovely",
      "I left the keys with the neighbour, call me when you are back",
      "Happy birthday, hope you have a great day with the family",
      "The kids are asleep, come home whenever you are ready",
      "Running ten minutes late, order me a tea please",
  };
  for (auto* t : scams) out.push_back(item(t, "scam"));
  for (auto* t : adverts) out.push_back(item(t, "spam"));
  for (auto* t : legit) out.push_back(item(t, "legit"));
  return out;
}

std::shared_ptr<const Model> small_model(const RuleSet& rules) {
  static const Extractor extractor{ExtractConfig{}};
  TrainOptions options;
  options.features.hash_bits = 14;  // small corpus, small table: a fast test
  options.epochs = 30;
  const auto corpus = smish::classifier::featurize_corpus(small_corpus(), extractor, rules, options.features);
  auto model = smish::classifier::train_model(corpus, {}, options);
  REQUIRE_MESSAGE(model.has_value(), (model ? "" : model.error().detail));
  return *model;
}

double probability(const Model& model, const RuleSet& rules, std::string_view text,
                   std::string_view label) {
  static const Extractor extractor{ExtractConfig{}};
  const auto e = extractor.extract(text, "GB");
  const auto p = model.predict(smish::classifier::model_input(rules, text, e));
  return p[static_cast<std::size_t>(model.class_index(label))];
}

bool has_reason_with(const smish::core::Verdict& v, std::string_view needle) {
  return std::any_of(v.reasons.begin(), v.reasons.end(),
                     [&](const std::string& r) { return r.find(needle) != std::string::npos; });
}

// FNV-1a 64, as the file format's trailer: lets a test write a well-formed file with bad values.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string with_checksum(std::string body_and_old_trailer) {
  std::string body = body_and_old_trailer.substr(0, body_and_old_trailer.size() - 8);
  const std::uint64_t h = fnv1a(body);
  for (int i = 0; i < 8; ++i) body += static_cast<char>((h >> (8 * i)) & 0xFF);
  return body;
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// The public corpora and the project's set, read directly from where they live.
std::vector<LabelledText> load(const std::filesystem::path& path) {
  auto items = smish::classifier::load_labelled_jsonl(path.string());
  REQUIRE_MESSAGE(items.has_value(), (items ? "" : items.error().detail));
  return std::move(*items);
}

std::filesystem::path uci() {
  return smish::test::shared_dir() / "datasets/sms-spam-collection-uci/sms_spam_collection.jsonl";
}
std::filesystem::path mishra() {
  return smish::test::shared_dir() / "datasets/sms-phishing-mishra-soni/mishra_soni_5971.jsonl";
}
std::filesystem::path multilingual() {
  return smish::test::source_dir() / "data/labelled/multilingual.jsonl";
}

// smishd's extraction settings: the shipped protected-brand list included.
ExtractConfig shipped_extract_config() {
  ExtractConfig c;
  c.brands_file = (smish::test::source_dir() / "configs/brands.yaml").string();
  return c;
}

// The held-out evaluation, computed once for the tests that read it: a model trained on the
// multilingual train split plus UCI and Mishra–Soni, the test split classified with and without it.
struct HeldOut {
  ConfusionMatrix fused, rules;
};

const HeldOut& held_out() {
  static const HeldOut h = [] {
    std::vector<LabelledText> train, test;
    for (auto& i : load(multilingual())) (i.split == "test" ? test : train).push_back(std::move(i));
    for (const auto& path : {uci(), mishra()})
      for (auto& i : load(path)) train.push_back(std::move(i));
    train = smish::classifier::deduplicate(std::move(train));
    const Extractor extractor{shipped_extract_config()};
    const TrainOptions options;
    const auto train_corpus =
        smish::classifier::featurize_corpus(std::move(train), extractor, *shipped_rules(), options.features);
    auto model = smish::classifier::train_model(train_corpus, {}, options);
    REQUIRE(model.has_value());
    const auto test_corpus =
        smish::classifier::featurize_corpus(std::move(test), extractor, *shipped_rules(), options.features);
    HeldOut out;
    out.fused = smish::classifier::evaluate(test_corpus, {}, shipped_rules(), *model, ClassifyConfig{}).fused;
    out.rules = smish::classifier::evaluate(test_corpus, {}, shipped_rules(), nullptr, ClassifyConfig{}).fused;
    return out;
  }();
  return h;
}

}  // namespace

TEST_SUITE("classifier/model") {
  TEST_CASE("a model trained on a small labelled set separates its classes on unseen wordings") {
    const auto rules = quiet_rules();
    const auto model = small_model(*rules);
    CHECK(model->classes() == std::vector<std::string>{"scam", "spam", "legit"});
    CHECK(model->name().rfind("lr-", 0) == 0);
    CHECK(model->name().size() == 11);
    CHECK(probability(*model, *rules, "Confirm your zorbax voucher tonight", "scam") > 0.6);
    CHECK(probability(*model, *rules, "Homewares weekend sale, lamps half price", "spam") > 0.5);
    CHECK(probability(*model, *rules, "Can you bring the umbrella tonight, see you at six", "legit") > 0.5);
    const auto p = model->predict(smish::classifier::model_input(*rules, "anything", {}));
    double sum = 0;
    for (double x : p) sum += x;
    CHECK(sum == doctest::Approx(1.0));
  }

  TEST_CASE("training is deterministic for a seed and refuses a corpus with one class") {
    const auto rules = quiet_rules();
    CHECK(small_model(*rules)->name() == small_model(*rules)->name());
    const Extractor extractor{ExtractConfig{}};
    TrainOptions options;
    options.features.hash_bits = 12;
    std::vector<LabelledText> one_class{item("hello there", "legit"), item("see you soon", "legit")};
    const auto corpus = smish::classifier::featurize_corpus(one_class, extractor, *rules, options.features);
    auto model = smish::classifier::train_model(corpus, {}, options);
    REQUIRE_FALSE(model.has_value());
    CHECK(model.error().code == ErrorCode::InvalidArgument);
    CHECK(model.error().detail.find("fewer than two classes") != std::string::npos);
  }

  TEST_CASE("a model survives a save and load round trip unchanged") {
    const auto rules = quiet_rules();
    const auto model = small_model(*rules);
    const smish::test::TempDir dir;
    const std::string path = (dir.path() / "model.bin").string();
    REQUIRE(model->save(path).has_value());
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    auto loaded = Model::load(path);
    REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().detail));
    CHECK((*loaded)->name() == model->name());
    CHECK((*loaded)->classes() == model->classes());
    CHECK((*loaded)->spec().hash_bits == model->spec().hash_bits);
    CHECK((*loaded)->evidence_weight() == model->evidence_weight());
    CHECK((*loaded)->description() == model->description());
    CHECK((*loaded)->to_bytes() == model->to_bytes());
    for (const char* text : {"Confirm your zorbax voucher", "lamps half price", "see you at six"}) {
      SUBCASE(text) {
        const Extractor extractor{ExtractConfig{}};
        const auto e = extractor.extract(text, "GB");
        const auto in = smish::classifier::model_input(*rules, text, e);
        CHECK((*loaded)->predict(in) == model->predict(in));
      }
    }
  }

  TEST_CASE("corrupt, foreign and unknown-version files are refused with a message naming the problem") {
    const auto model = small_model(*quiet_rules());
    const std::string good = model->to_bytes();
    REQUIRE(Model::from_bytes(good, "good").has_value());
    struct Row {
      const char* name;
      std::string bytes;
      ErrorCode code;
      const char* message;
    };
    std::string version2 = good;
    put_u32(version2, 8, 2);
    std::string flipped = good;
    flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x01);
    std::string bad_bits = good;
    put_u32(bad_bits, 12, 40);  // hash bits: valid checksum, impossible value
    bad_bits = with_checksum(bad_bits);
    std::string one_class = good;
    put_u32(one_class, 28, 1);
    one_class = with_checksum(one_class);
    const Row rows[] = {
        {"empty", "", ErrorCode::Unsupported, "not a smishd model file"},
        {"a text file", "language: lv\nrules: []\n", ErrorCode::Unsupported, "not a smishd model file"},
        {"version 2", version2, ErrorCode::Unsupported,
         "model format version 2 is not supported (this build reads version 1)"},
        {"a flipped bit", flipped, ErrorCode::Corruption, "checksum mismatch"},
        {"truncated", good.substr(0, good.size() - 1000), ErrorCode::Corruption, "checksum mismatch"},
        {"header only", good.substr(0, 12), ErrorCode::Corruption, "truncated"},
        {"hash bits out of range", bad_bits, ErrorCode::Corruption, "feature settings out of range"},
        {"one class", one_class, ErrorCode::Corruption, "1 classes"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.name) {
        auto loaded = Model::from_bytes(row.bytes, "m.bin");
        REQUIRE_FALSE(loaded.has_value());
        CHECK(loaded.error().code == row.code);
        INFO(loaded.error().detail);
        CHECK(loaded.error().detail.rfind("m.bin: ", 0) == 0);
        CHECK(loaded.error().detail.find(row.message) != std::string::npos);
      }
    }
    SUBCASE("a missing file") {
      auto loaded = Model::load("/nonexistent/model.bin");
      REQUIRE_FALSE(loaded.has_value());
      CHECK(loaded.error().code == ErrorCode::NotFound);
    }
    SUBCASE("an unknown version on disk, through the configuration") {
      const smish::test::TempDir dir;
      const std::string path = (dir.path() / "v2.bin").string();
      std::ofstream(path, std::ios::binary) << version2;
      ClassifyConfig config;
      config.model_file = path;
      auto loaded = smish::classifier::load_configured_model(config);
      REQUIRE_FALSE(loaded.has_value());
      CHECK(loaded.error().detail.find("version 2 is not supported") != std::string::npos);
    }
    SUBCASE("no model file configured: rules only") {
      auto loaded = smish::classifier::load_configured_model(ClassifyConfig{});
      REQUIRE(loaded.has_value());
      CHECK(*loaded == nullptr);
    }
  }

  TEST_CASE("the model changes a verdict, with its own reason line and in model_version") {
    const auto rules = quiet_rules();
    const auto model = small_model(*rules);
    const Extractor extractor{ExtractConfig{}};
    const Classifier rules_only(rules, ClassifyConfig{});
    const Classifier fused(rules, ClassifyConfig{}, model);
    CHECK(fused.model() == model);

    SUBCASE("a scam no rule knows") {
      const std::string text = "Final notice: confirm your zorbax voucher today";
      const auto e = extractor.extract(text, "GB");
      const auto before = rules_only.classify(text, e, "GB");
      const auto after = fused.classify(text, e, "GB");
      CHECK(before.label != Label::Scam);
      CHECK(before.model_version == "rules-1");
      CHECK(after.label == Label::Scam);
      CHECK(after.model_version == "rules-1+" + model->name());
      INFO(after.reasons.front());
      REQUIRE(after.reasons.size() == 1);
      CHECK(after.reasons[0].rfind("model " + model->name() + " (+0.", 0) == 0);
      CHECK(has_reason_with(after, "p(scam)="));
      CHECK(after.score > before.score);
    }
    SUBCASE("a link in an ordinary message") {
      const std::string text = "See you at six at the station, the map is at example.org/map";
      const auto e = extractor.extract(text, "GB");
      REQUIRE_FALSE(e.urls.empty());
      const auto before = rules_only.classify(text, e, "GB");
      const auto after = fused.classify(text, e, "GB");
      CHECK(before.label == Label::Unclear);
      CHECK(after.label == Label::Legit);
      CHECK(after.category == "legit_other");
      CHECK(has_reason_with(after, " (-0."));
    }
  }

  TEST_CASE("labelled JSONL: the public corpora's labels are mapped and errors name the line") {
    const smish::test::TempDir dir;
    const auto path = (dir.path() / "l.jsonl").string();
    std::ofstream(path) << R"({"text": "a", "label": "ham"})" "\n"
                        << "\n"
                        << R"({"text": "b", "label": "Smishing", "id": 7, "split": "test"})" "\n"
                        << R"({"text": "c", "label": "spam", "lang": "lv", "category": "advertising"})" "\n";
    auto items = smish::classifier::load_labelled_jsonl(path);
    REQUIRE(items.has_value());
    REQUIRE(items->size() == 3);
    CHECK((*items)[0].label == "legit");
    CHECK((*items)[0].id == "l.jsonl:1");
    CHECK((*items)[1].label == "scam");
    CHECK((*items)[1].id == "7");
    CHECK((*items)[1].split == "test");
    CHECK((*items)[2].category == "advertising");
    CHECK(smish::classifier::region_for((*items)[2]) == "LV");

    std::ofstream(path) << R"({"text": "a", "label": "ham"})" "\n" << R"({"text": "b", "label": "maybe"})" "\n";
    items = smish::classifier::load_labelled_jsonl(path);
    REQUIRE_FALSE(items.has_value());
    CHECK(items.error().detail.find(":2: unknown label 'maybe'") != std::string::npos);
    std::ofstream(path) << "not json\n";
    items = smish::classifier::load_labelled_jsonl(path);
    REQUIRE_FALSE(items.has_value());
    CHECK(items.error().detail.find(":1: expected a JSON object") != std::string::npos);
  }

  TEST_CASE("de-duplication folds case and spacing, keeps the first position and the last label") {
    smish::classifier::DedupStats stats;
    const auto out = smish::classifier::deduplicate(
        {item("Win a PRIZE now", "spam"), item("hello", "legit"), item("  win a prize\tnow ", "scam"),
         item("hello", "legit")},
        &stats);
    REQUIRE(out.size() == 2);
    CHECK(out[0].text == "Win a PRIZE now");
    CHECK(out[0].label == "scam");
    CHECK(stats.duplicates == 2);
    CHECK(stats.conflicts == 1);
  }

  TEST_CASE("folds are stratified by label and never split a campaign") {
    std::vector<LabelledText> items;
    for (int i = 0; i < 40; ++i)  // one campaign: only the link and the amount change
      items.push_back(item("Your parcel is held, pay " + std::to_string(i) + ".99 EUR at parcel-" +
                               std::to_string(i) + ".top/pay", "scam"));
    const char* words[] = {"apple", "river", "candle", "mountain", "window", "garden", "pencil",
                           "orange", "ticket", "blanket", "rocket", "forest"};
    for (int i = 0; i < 60; ++i)
      items.push_back(item(std::string("note ") + words[i % 12] + " and " + words[(i * 7 + 3) % 12] +
                               " number " + std::string(static_cast<std::size_t>(i % 9 + 1), 'x') +
                               words[(i * 5 + 1) % 12],
                           i % 3 ? "legit" : "spam"));
    const auto folds = smish::classifier::assign_folds(items, 5, 1, smish::classifier::FoldGrouping::Campaign);
    for (int i = 1; i < 40; ++i) CHECK(folds[static_cast<std::size_t>(i)] == folds[0]);
    std::vector<int> legit(5, 0);
    for (std::size_t i = 40; i < items.size(); ++i)
      if (items[i].label == "legit") ++legit[static_cast<std::size_t>(folds[i])];
    const auto [lo, hi] = std::minmax_element(legit.begin(), legit.end());
    CHECK(*hi - *lo <= 3);
    const auto by_text = smish::classifier::assign_folds(items, 5, 1, smish::classifier::FoldGrouping::Text);
    CHECK(std::any_of(by_text.begin(), by_text.begin() + 40, [&](int f) { return f != by_text[0]; }));
  }

  TEST_CASE("the confusion matrix computes precision, recall, F1 and the issue's two rates") {
    ConfusionMatrix m;
    for (int i = 0; i < 8; ++i) m.add("scam", "scam");
    m.add("scam", "unclear");
    m.add("scam", "legit");
    m.add("legit", "scam");
    for (int i = 0; i < 9; ++i) m.add("legit", "legit");
    m.add("spam", "spam");
    m.add("spam", "whatever");  // counts as unclear
    CHECK(m.total() == 22);
    CHECK(m.count("spam", "unclear") == 1);
    const auto scam = m.scores("scam");
    CHECK(scam.precision == doctest::Approx(8.0 / 9));
    CHECK(scam.recall == doctest::Approx(0.8));
    CHECK(scam.f1 == doctest::Approx(2 * (8.0 / 9) * 0.8 / (8.0 / 9 + 0.8)));
    CHECK(m.legit_as_scam_rate() == doctest::Approx(0.1));
    CHECK(m.scam_accuracy() == doctest::Approx(19.0 / 22));
    const std::string_view positives[] = {"scam", "spam"};
    const auto b = m.binary(positives);
    CHECK(b.precision == doctest::Approx(9.0 / 10));
    CHECK(b.recall == doctest::Approx(9.0 / 12));
  }

  // Issue 5 target: UCI and Mishra–Soni, de-duplicated by normalised text, 10-fold
  // cross-validation, F1 >= 0.96 for spam-or-smishing against ham, for the model and for the fused
  // classifier's final label. Grouping folds by campaign (near-duplicates within 10 bits never
  // split) is stricter than the issue asks; it is measured too and must stay above 0.95.
  TEST_CASE("UCI and Mishra-Soni 10-fold cross-validation: spam-or-smishing F1 at least 0.96") {
    std::vector<LabelledText> items = load(uci());
    for (auto& i : load(mishra())) items.push_back(std::move(i));
    REQUIRE(items.size() == 5574 + 5971);
    smish::classifier::DedupStats stats;
    items = smish::classifier::deduplicate(std::move(items), &stats);
    CHECK(stats.duplicates == 5441);
    const Extractor extractor{shipped_extract_config()};
    const TrainOptions options;
    const auto corpus = smish::classifier::featurize_corpus(std::move(items), extractor, *shipped_rules(),
                                                            options.features);
    const std::string_view positives[] = {"scam", "spam"};
    for (auto [grouping, floor] : {std::pair{smish::classifier::FoldGrouping::Text, 0.96},
                                   std::pair{smish::classifier::FoldGrouping::Campaign, 0.95}}) {
      auto cv = smish::classifier::cross_validate(corpus, shipped_rules(), ClassifyConfig{}, options, 10, grouping);
      REQUIRE(cv.has_value());
      const auto model = cv->model.binary(positives);
      const auto fused = cv->fused.binary(positives);
      MESSAGE("folds grouped by ", smish::classifier::to_string(grouping), ": model F1 ", model.f1, " (P ",
              model.precision, " R ", model.recall, "); fused F1 ", fused.f1, " (P ", fused.precision, " R ",
              fused.recall, ")");
      CHECK(cv->fused.total() == corpus.items.size());
      CHECK(model.f1 >= floor);
      CHECK(fused.f1 >= floor);
    }
  }

  // Issue 5's targets on the held-out split (trained on its train split plus UCI and Mishra–Soni)
  // are scam-vs-not accuracy >= 0.95 and at most 2 % of legitimate messages labelled scam; measured
  // 0.902 and 3.6 % (docs/classification.md): NOT met. This guards what is reached, a little below
  // the measurement (one message moves accuracy by 0.005 and the legit rate by 0.012).
  TEST_CASE("the multilingual held-out split: the model adds at least eight points over the rules") {
    const HeldOut& h = held_out();
    MESSAGE("held-out: ", h.fused.total(), " messages; scam-vs-not accuracy ", h.fused.scam_accuracy(),
            " (rules only ", h.rules.scam_accuracy(), "); legit labelled scam ", h.fused.count("legit", "scam"),
            " = ", h.fused.legit_as_scam_rate(), " (rules only ", h.rules.legit_as_scam_rate(), ")");
    CHECK(h.fused.total() >= 150);
    CHECK(h.fused.scam_accuracy() >= h.rules.scam_accuracy() + 0.08);
    CHECK(h.fused.scam_accuracy() >= 0.88);
    CHECK(h.fused.legit_as_scam_rate() <= 0.05);
  }
}
