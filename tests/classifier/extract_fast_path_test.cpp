// Differential test of the number fast path (classifier/src/extract/phone_fast.cpp): every text of the
// extraction benchmark's pool, extracted with the fast path and with libphonenumber's matcher on
// every window, must give the same numbers (E.164, region, raw, flags) and the same message flags.
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>
#include <unicode/uchar.h>

// White-box: the per-thread counts show that the fast path decided most windows.
#include "../../classifier/src/extract/phone_fast.hpp"
#include "../../classifier/src/extract/brands.hpp"
#include "../../classifier/src/extract/urls.hpp"
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

using smish::classifier::detail::WindowMatch;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

// What PhoneFinder does with the matcher's results for one window and region.
std::vector<WindowMatch> matcher_matches(const std::string& window, const std::string& region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<WindowMatch> out;
  PhoneNumberMatcher matcher(util, window, region, PhoneNumberMatcher::VALID, 32);
  PhoneNumberMatch match;
  while (matcher.HasNext() && matcher.Next(&match)) {
    WindowMatch m;
    m.offset = static_cast<std::uint32_t>(match.start());
    m.length = static_cast<std::uint32_t>(match.length());
    util.Format(match.number(), PhoneNumberUtil::E164, &m.e164);
    util.GetRegionCodeForNumber(match.number(), &m.region);
    if (m.region == "ZZ" || m.region == "001") m.region.clear();
    out.push_back(std::move(m));
  }
  return out;
}

std::string describe(const std::vector<WindowMatch>& ms) {
  std::string out;
  for (const auto& m : ms)
    out += "[" + std::to_string(m.offset) + "+" + std::to_string(m.length) + " " + m.e164 + " " + m.region + "] ";
  return out;
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

  TEST_CASE("synthetic windows: the fast path decides them exactly as the matcher, or leaves them to it") {
    // Numbers of 29 regions (libphonenumber's example numbers with digits changed, in E.164,
    // national and international form, with spaces, hyphens, dots or slashes, or random digit
    // runs) between words, separators, extension labels, brackets, dates and amounts; fixed seed.
    PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    util.SetLogger(new i18n::phonenumbers::NullLogger());
    std::mt19937 rng(12250);
    const std::vector<std::string> regions = {"LV", "GB", "TH", "IR", "RU", "EE", "LT", "OM", "US", "DE",
                                              "IT", "FR", "BR", "AR", "MX", "JP", "CN", "IN", "AU", "NL",
                                              "ES", "PL", "UA", "KZ", "SE", "FI", "GG", "JE", "CA"};
    const std::vector<std::string> context = {
        "call ", "Zvani ", "тел ", "звоните: ", " ", "x", "ext ", ", ", "; ", "nr.", "a", "ā", "$", "%", "€",
        " or ", "/", "-", ". ", "\n", "ok ", "int ", "#", "~", "доб ", "tel:", "(", "ph ", "", "", "", "", "(x",
        "(бб ", "[a ", "+ a", " 12/05/2023 ", " 1400/05/19 ", " 31/05/2565 ", "(10p/min)", " 16+ ", "300/300", "+",
        " +", "( ", " 2012 01 02 08:30 ", "20120102 08:", " 586 201 ", "b4 050703 ", " 1284.00 ", "20.30-23.30",
        "0871750.77.11!", " 66893040036 ", " 3712000000 ", "447911123456 ", " 1/2/3 ", "1.2", " 12.34 56",
        "10/2021 ", " 31.05.2565 "};
    const PhoneNumberUtil::PhoneNumberType kinds[] = {PhoneNumberUtil::MOBILE, PhoneNumberUtil::FIXED_LINE,
                                                      PhoneNumberUtil::TOLL_FREE};
    const PhoneNumberUtil::PhoneNumberFormat formats[] = {PhoneNumberUtil::E164, PhoneNumberUtil::NATIONAL,
                                                          PhoneNumberUtil::INTERNATIONAL};
    auto number = [&](const std::string& region) {
      std::string s;
      PhoneNumber example;
      const unsigned kind = rng() % 5;
      if (kind < 3 && util.GetExampleNumberForType(region, kinds[kind], &example)) {
        util.Format(example, formats[rng() % 3], &s);
        for (char& c : s)
          if (c >= '0' && c <= '9' && rng() % 4 == 0) c = static_cast<char>('0' + rng() % 10);
        const unsigned sep = rng() % 8;
        for (char& c : s)
          if (c == ' ' && sep < 3) c = "-./"[sep];
        return s;
      }
      const unsigned len = 3 + rng() % 12;
      if (rng() % 3 == 0) s = "+";
      for (unsigned k = 0; k < len; ++k) {
        s.push_back(static_cast<char>('0' + rng() % 10));
        if (k > 1 && k + 1 < len && rng() % 6 == 0) s.push_back(" -./"[rng() % 4]);
      }
      return s;
    };
    std::size_t decided = 0, matches = 0, differ = 0;
    for (int k = 0; k < 30000; ++k) {
      const std::string& region = regions[rng() % regions.size()];
      std::string w = context[rng() % context.size()] + number(region) + context[rng() % context.size()];
      if (rng() % 3 == 0) w += number(regions[rng() % regions.size()]) + context[rng() % context.size()];
      const auto fast = smish::classifier::detail::fast_window_matches(w, region);
      if (!fast) continue;
      ++decided;
      const auto slow = matcher_matches(w, region);
      matches += slow.size();
      bool same = fast->size() == slow.size();
      for (std::size_t i = 0; same && i < slow.size(); ++i)
        same = (*fast)[i].offset == slow[i].offset && (*fast)[i].length == slow[i].length &&
               (*fast)[i].e164 == slow[i].e164 && (*fast)[i].region == slow[i].region;
      if (!same) {
        ++differ;
        MESSAGE("differs (", region, "): [", w, "]\n  fast:    ", describe(*fast), "\n  matcher: ", describe(slow));
      }
    }
    MESSAGE("decided ", decided, " of 30000 windows, ", matches, " numbers");
    CHECK(differ == 0);
    CHECK(decided > 10000);
    CHECK(matches > 2000);
  }

  TEST_CASE("short codes: every 2-3 digit string gets ShortNumberInfo's answer in six regions") {
    PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    util.SetLogger(new i18n::phonenumbers::NullLogger());
    const i18n::phonenumbers::ShortNumberInfo info;
    std::size_t decided = 0, positive = 0, differ = 0;
    for (const std::string region : {"LV", "GB", "TH", "IR", "RU", "US"}) {
      for (int len = 2; len <= 3; ++len) {
        for (int v = 0; v < (len == 2 ? 100 : 1000); ++v) {
          std::string digits = std::to_string(v);
          digits.insert(0, static_cast<std::size_t>(len) - digits.size(), '0');
          // PhoneFinder's slow path.
          std::uint8_t slow = 0;
          if (info.IsEmergencyNumber(digits, region)) slow |= smish::classifier::detail::kShortEmergency;
          if (slow == 0 && len >= 3) {
            PhoneNumber pn;
            if (util.Parse(digits, region, &pn) == PhoneNumberUtil::NO_PARSING_ERROR &&
                info.IsValidShortNumberForRegion(pn, region))
              slow |= smish::classifier::detail::kShortValid;
          }
          const auto fast = smish::classifier::detail::fast_short_number(digits, region);
          if (!fast) continue;
          ++decided;
          positive += slow != 0 ? 1 : 0;
          if (*fast != slow) {
            ++differ;
            MESSAGE(region, " ", digits, ": fast ", int{*fast}, ", ShortNumberInfo ", int{slow});
          }
        }
      }
    }
    MESSAGE("decided ", decided, " of 6600, ", positive, " short or emergency numbers");
    CHECK(differ == 0);
    CHECK(decided > 6000);
    CHECK(positive > 20);
  }
}

TEST_SUITE("classifier") {
  TEST_CASE("the TLD table answers every label of one to three letters as the PSL does") {
    // UrlFinder answers these from a table filled at construction; any other label goes to the
    // PSL. The table must agree with the PSL on all 18 278 of them, and cover the usual ones.
    const smish::classifier::detail::UrlFinder urls;
    std::size_t labels = 0, known = 0, differ = 0;
    std::string label;
    for (std::size_t len = 1; len <= 3; ++len) {
      label.assign(len, 'a');
      for (;;) {
        ++labels;
        const bool table = urls.is_known_tld(label);
        known += table ? 1 : 0;
        if (table != urls.is_known_tld_in_psl(label)) {
          ++differ;
          MESSAGE("differs: " << label);
        }
        std::size_t k = len;
        while (k > 0 && label[k - 1] == 'z') label[--k] = 'a';
        if (k == 0) break;
        ++label[k - 1];
      }
    }
    CHECK(labels == 26 + 26 * 26 + 26 * 26 * 26);
    CHECK(differ == 0);
    CHECK(known > 300);  // every ccTLD and the three-letter generic ones
    for (std::string_view tld : {"lv", "com", "ru", "org", "uk", "xyz"}) CHECK(urls.is_known_tld(tld));
    for (std::string_view tld : {"qq", "abcd", "zzz", "l-v", "LV"}) CHECK_FALSE(urls.is_known_tld(tld));
    // Longer labels and labels with other characters still go to the PSL.
    CHECK(urls.is_known_tld("info"));
    CHECK(urls.is_known_tld("xn--p1ai"));
  }
}

TEST_SUITE("classifier/extract_fast_path") {
  TEST_CASE("word scan: every ASCII word of the pool that the pre-filter skips has no word bits") {
    // scan_words skips short ASCII letter words for which ascii_word_may_have_bits() is false,
    // without folding them; the slow path would fold and look them up. Both must agree.
    auto loaded = Extractor::load_brands((smish::test::source_dir() / "configs" / "brands.yaml").string());
    REQUIRE(loaded);
    const smish::classifier::detail::BrandIndex with_brands{std::move(loaded).value()};
    const smish::classifier::detail::BrandIndex without_brands;
    std::size_t words = 0, skipped = 0, wrong = 0;
    for (const Text& t : pool()) {
      for (std::size_t i = 0; i < t.text.size();) {
        std::size_t e = i;
        while (e < t.text.size() && smish::classifier::detail::is_ascii_alnum(static_cast<unsigned char>(t.text[e]))) ++e;
        if (e == i) {
          ++i;
          continue;
        }
        const std::string_view word = std::string_view(t.text).substr(i, e - i);
        i = e;
        ++words;
        for (const auto* index : {&with_brands, &without_brands}) {
          if (index->ascii_word_may_have_bits(word)) continue;
          ++skipped;
          if (index->word_bits(smish::classifier::detail::fold(word)) != 0) {
            ++wrong;
            MESSAGE("skipped but has bits: ", word);
          }
        }
      }
    }
    MESSAGE(words, " words, ", skipped, " skips");
    CHECK(wrong == 0);
    CHECK(skipped > words);  // most words skip with either index: otherwise there is no speed-up
    // Words that have bits pass the pre-filter, in any case.
    for (std::string_view w : {"code", "CODE", "Pin", "from", "tele2", "Swedbank"})
      CHECK(with_brands.ascii_word_may_have_bits(w) == true);
  }
}

TEST_SUITE("classifier/extract_fast_path") {
  TEST_CASE("case folding: the table's code points that fold to themselves are exactly ICU's") {
    // fold() skips ICU for BMP code points the table marks as folding to themselves.
    std::size_t differ = 0, same = 0;
    for (char32_t c = 0x80; c < 0x10000; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;  // surrogates are not encodable in UTF-8
      std::string utf8;
      smish::core::append_utf8(utf8, c);
      const std::u32string folded = smish::classifier::detail::fold(utf8);
      const auto icu = static_cast<char32_t>(u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
      if (folded.size() != 1 || folded[0] != icu) ++differ;
      same += icu == c ? 1 : 0;
    }
    CHECK(differ == 0);
    CHECK(same > 50000);
    CHECK(smish::classifier::detail::fold("ТЕЛЕ2 Ǆ ΣΑ") == smish::classifier::detail::fold("теле2 ǆ σα"));
  }
}
