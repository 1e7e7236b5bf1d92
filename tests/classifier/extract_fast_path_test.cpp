// Differential test of the number fast path (classifier/src/extract/phone_fast.cpp): every text of the
// extraction benchmark's pool, extracted with the fast path and with libphonenumber's matcher on
// every window, must give the same numbers (E.164, region, raw, flags) and the same message flags.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// White-box: the per-thread counts show that the fast path decided most windows.
#include "../../classifier/src/extract/phone_fast.hpp"
#include "smish/classifier/extract.hpp"
#include "support.hpp"

namespace {

using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;
using smish::core::ExtractedNumber;
using smish::core::Extraction;

struct Text {
  std::string text;
  std::string region;
};

// The pool of bench/bench_extract.cpp: the demo corpus (region of the sender) and four public datasets.
std::vector<Text> pool() {
  std::vector<Text> out;
  auto add = [&](const std::filesystem::path& path, const std::string& region, bool region_from_src) {
    std::istringstream in(smish::test::read_file(path));
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("text") || !j["text"].is_string()) continue;
      Text t{j["text"].get<std::string>(), region};
      if (region_from_src && j.contains("src")) t.region = smish::classifier::region_of(j["src"].get<std::string>());
      out.push_back(std::move(t));
      ++n;
    }
    REQUIRE_MESSAGE(n > 0, "no texts in ", path.string());
  };
  const auto datasets = smish::test::shared_dir() / "datasets";
  add(smish::test::source_dir() / "configs" / "demo" / "corpus.jsonl", "LV", true);
  add(datasets / "sms-phishing-mishra-soni" / "mishra_soni_5971.jsonl", "GB", false);
  add(datasets / "sms-spam-collection-uci" / "sms_spam_collection.jsonl", "GB", false);
  add(datasets / "thai-sms-ssivakorn" / "thai_sms.jsonl", "TH", false);
  add(datasets / "persian-sms-semnan" / "persian_sms.jsonl", "IR", false);
  return out;
}

Extractor make(bool fast) {
  ExtractConfig c;
  c.brands_file = (smish::test::source_dir() / "configs" / "brands.yaml").string();
  c.number_cache_entries = 0;  // every window is decided afresh
  c.number_fast_path = fast;
  return Extractor{c};
}

std::string describe(const std::vector<ExtractedNumber>& numbers) {
  std::string out;
  for (const auto& n : numbers) {
    out += "[" + n.e164 + " " + n.region + " '" + n.raw + "'";
    for (const auto& f : n.flags) out += " " + f;
    out += "] ";
  }
  return out;
}

bool same(const Extraction& a, const Extraction& b) {
  if (a.numbers.size() != b.numbers.size() || a.flags != b.flags) return false;
  for (std::size_t k = 0; k < a.numbers.size(); ++k) {
    const auto& x = a.numbers[k];
    const auto& y = b.numbers[k];
    if (x.e164 != y.e164 || x.region != y.region || x.raw != y.raw || x.flags != y.flags) return false;
  }
  return true;
}

// Runs `texts` through both extractors; returns the number of texts that differ (each one reported).
std::size_t differences(const std::vector<Text>& texts) {
  static const Extractor fast = make(true);
  static const Extractor matcher = make(false);
  std::size_t diff = 0;
  for (const Text& t : texts) {
    const Extraction a = fast.extract(t.text, t.region);
    const Extraction b = matcher.extract(t.text, t.region);
    if (!same(a, b)) {
      ++diff;
      MESSAGE("differs (", t.region, "): ", t.text, "\n  fast:    ", describe(a.numbers), "\n  matcher: ",
              describe(b.numbers));
    }
  }
  return diff;
}

}  // namespace

TEST_SUITE("classifier/extract_fast_path") {
  TEST_CASE("the number fast path gives the matcher's numbers on every text of the benchmark pool") {
    const std::vector<Text> texts = pool();
    REQUIRE(texts.size() > 17000);
    auto& counts = smish::classifier::detail::fast_path_counts();
    counts = {};
    CHECK(differences(texts) == 0);
    // The long texts of the benchmark are pool texts joined and extracted with region LV.
    std::vector<Text> as_lv = texts;
    for (Text& t : as_lv) t.region = "LV";
    CHECK(differences(as_lv) == 0);
    const std::size_t decided = counts.decided, fell_back = counts.fell_back;
    MESSAGE("fast path decided ", decided, " windows, the matcher ", fell_back);
    CHECK(decided > 4 * fell_back);  // the common shapes are decided; otherwise there is no speed-up
  }

  TEST_CASE("shapes at the fast path's edges give the matcher's numbers") {
    // Each row is extracted by both paths; the expectation is only that they agree, whatever it is.
    const std::vector<Text> rows = {
        {"Zvaniet 20000001 tagad", "LV"},           {"Zvaniet +371 20000001 tagad", "LV"},
        {"Zvaniet 37120000001", "LV"},              {"Zvaniet 0037120000001", "LV"},
        {"abc20000001 def", "LV"},                  {"tel 20000001def", "LV"},
        {"call 07911 123456 now", "GB"},            {"call 7911123456 now", "GB"},
        {"call 07911123456 now", "GB"},             {"call +44 7911 123456", "GB"},
        {"call +44 07911 123456", "GB"},            {"call 09061701461 to claim", "GB"},
        {"call 0906 1701 461", "GB"},               {"Звоните 8 912 345-67-89", "RU"},
        {"Звоните 89123456789", "RU"},              {"Звоните 9123456789", "RU"},
        {"โทร 0812345678 ด่วน", "TH"},               {"โทร 02-123-4567", "TH"},
        {"تماس 09121234567", "IR"},                 {"call (020) 7946 0018", "GB"},
        {"ring 020 7946 0018 or 020 7946 0019", "GB"}, {"+1 650 253 0000 ext", "US"},
        {"call +800 1234 5678", "LV"},              {"call +44 1481 712345 Guernsey", "GB"},
        {"price $20000001", "LV"},                  {"20000001%", "LV"},
        {"ā20000001", "LV"},                        {"д20000001", "LV"},
        {"+3712000000", "LV"},                      {"2000 0001 2000 0002", "LV"},
        {"call 0 3 3 3 1 6 0 0 5", "JP"},           {"call 333 1234567", "IT"},
        {"chiama 06 1234 5678", "IT"},              {"+39 06 1234 5678", "LV"},
    };
    CHECK(differences(rows) == 0);
  }
}
