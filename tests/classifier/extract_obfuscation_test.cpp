// De-obfuscation of URLs (multilingual table) and the sentences it must leave alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "smish/classifier/extract.hpp"

namespace {

using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;
using smish::core::Extraction;

const Extractor& extractor() {
  static const Extractor e{ExtractConfig{}};
  return e;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

struct Row {
  const char* lang;
  const char* text;
  const char* url;  // normalised
  const char* raw;  // as written
};

}  // namespace

TEST_SUITE("classifier/deobfuscation") {
  TEST_CASE("obfuscated URLs are found, normalised and flagged obfuscated") {
    const Row rows[] = {
        {"lv", "Apmeklējiet swedbank-lv . com/login tūlīt", "http://swedbank-lv.com/login", "swedbank-lv . com/login"},
        {"lv", "Apstipriniet t e l e 2 - l v . c o m / x", "http://tele2-lv.com/x", "t e l e 2 - l v . c o m / x"},
        {"lv", "Ieejiet s w e d b a n k . l v", "http://swedbank.lv", "s w e d b a n k . l v"},
        {"lv", "Ieejiet pay(.)lv/abc", "http://pay.lv/abc", "pay(.)lv/abc"},
        {"ru", "Перейдите evil . com", "http://evil.com", "evil . com"},
        {"ru", "Перейдите www . evil . com/x", "http://www.evil.com/x", "www . evil . com/x"},
        {"ru", "Перейдите login.evil . com", "http://login.evil.com", "login.evil . com"},
        {"ru", "Сайт evil{.}ru", "http://evil.ru", "evil{.}ru"},
        {"et", "Vaata EVIL . COM", "http://evil.com", "EVIL . COM"},
        {"et", "Vaata pank-ee . xyz", "http://pank-ee.xyz", "pank-ee . xyz"},
        {"et", "Vaata pank[dot]ee/x", "http://pank.ee/x", "pank[dot]ee/x"},
        {"lt", "Eikite į pay . lt/x", "http://pay.lt/x", "pay . lt/x"},
        {"lt", "Eikite į pay (dot) lt", "http://pay.lt", "pay (dot) lt"},
        {"lt", "Eikite į p a y 2 4 . l t", "http://pay24.lt", "p a y 2 4 . l t"},
        {"ar", "ادخل evil[.]com/ar", "http://evil.com/ar", "evil[.]com/ar"},
        {"ar", "ادخل evil\u3002com/ar", "http://evil.com/ar", "evil\u3002com/ar"},
        {"ar", "ادخل evil\uff0ecom", "http://evil.com", "evil\uff0ecom"},
        {"ar", "ادخل evil\uff61com", "http://evil.com", "evil\uff61com"},
        {"en", "Go to hxxp://evil.com/x", "http://evil.com/x", "hxxp://evil.com/x"},
        {"en", "Go to h**ps://evil.com/x", "https://evil.com/x", "h**ps://evil.com/x"},
        {"en", "Go to hXXps[:]//evil[.]com", "https://evil.com", "hXXps[:]//evil[.]com"},
        {"en", "Go to http[:]//evil(.)com", "http://evil.com", "http[:]//evil(.)com"},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.lang) + ": " + row.text).c_str()) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].url == row.url);
        CHECK(x.urls[0].raw == row.raw);
        CHECK(has(x.urls[0].flags, "obfuscated"));
      }
    }
  }

  TEST_CASE("invisible characters inside a host are removed and flagged zero_width") {
    for (const char* text : {"ev\u200bil.com/x", "ev\u200cil.com/x", "ev\u2060il.com/x", "ev\ufeffil.com/x",
                             "ev\u202eil.com/x", "ev\u2066il\u2069.com/x"}) {
      SUBCASE(text) {
        const Extraction x = extractor().extract(text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].url == "http://evil.com/x");
        CHECK(has(x.urls[0].flags, "zero_width"));
      }
    }
  }

  TEST_CASE("spaced dots and spaced letters in ordinary sentences are not hosts") {
    const char* rows[] = {
        "I went home . Then I slept",       // "Then" is no TLD
        "He said so . in fact he did",      // "in" is a TLD, but sentences end in it: no path, no digit
        "It was fun . me too",              // the same for "me"
        "Tikāmies Rīgā . LV komanda",       // mixed case host: a sentence
        "Tallinn . EE meeskond",            // idem
        "Cena 3 . 50 EUR",                  // digits are no TLD
        "Paldies . Uz redzēšanos",
        "Спасибо . До свидания",
        "I N F O: call now",                // letter-spaced, but no dot
        "U . S . A",                        // initials
        "J . R . R . Tolkien",
        "P . S . I love you",
        "1 2 3 . 4 5",
        "a . lv",                           // one letter before a spaced dot: an initial
    };
    for (const char* text : rows) {
      SUBCASE(text) {
        CHECK(extractor().extract(text, "LV").urls.empty());
      }
    }
  }
}
