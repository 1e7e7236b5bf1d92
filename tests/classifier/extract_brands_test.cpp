// Protected brands: the brands file and its errors, look-alike hosts, brand-owned indicators, sender IDs, mentions.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "smish/classifier/extract.hpp"
#include "support.hpp"

namespace {

using smish::classifier::BrandSet;
using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;
using smish::core::Extraction;

std::string brands_path() { return (smish::test::source_dir() / "configs" / "brands.yaml").string(); }

const Extractor& extractor() {
  static const Extractor e = [] {
    ExtractConfig c;
    c.brands_file = brands_path();
    return Extractor{c};
  }();
  return e;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::vector<std::string> with_prefix(const std::vector<std::string>& v, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& s : v)
    if (s.rfind(prefix, 0) == 0) out.push_back(s);
  return out;
}

struct LookalikeRow {
  const char* lang;
  const char* text;
  const char* brand;  // expected lookalike_of target
  const char* kind;   // homoglyph, typosquat, combosquat
};

}  // namespace

TEST_SUITE("classifier/brands") {
  TEST_CASE("the shipped brands file loads and protects every brand the operators named") {
    auto loaded = Extractor::load_brands(brands_path());
    REQUIRE_MESSAGE(loaded.has_value(), (loaded.has_value() ? "" : loaded.error().detail));
    std::vector<std::string> ids;
    for (const auto& b : loaded->brands) ids.push_back(b.id);
    for (const char* id : {"tele2", "t2", "ooredoo", "lmt", "bite", "telia", "swedbank", "seb", "luminor", "citadele",
                           "lhv", "sberbank", "tinkoff", "bankmuscat", "latvija-lv", "eesti-ee", "gosuslugi",
                           "epaslaugos", "smart-id", "eparaksts", "omniva", "dpd", "latvijas-pasts", "pochta"})
      CHECK_MESSAGE(has(ids, id), id);
    CHECK(extractor().brands_error().empty());
    CHECK(extractor().brands().brands.size() == loaded->brands.size());
  }

  TEST_CASE("brands file problems name the file, the line and the key") {
    const struct {
      const char* yaml;
      const char* expected;  // a substring of the error
    } rows[] = {
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    colour: red\n", "b.yaml:5: brands[0].colour: unknown key"},
        {"brands:\n  - id: x\n    name: X\n    domains: [not a domain]\n", "b.yaml:4: brands[0].domains: \"not a domain\": not a domain name"},
        {"brands:\n  - id: x\n    name: X\n", "brands[0].domains: missing"},
        {"brands:\n  - name: X\n    domains: [x.lv]\n", "brands[0].id: missing"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n  - id: x\n    name: Y\n    domains: [y.lv]\n",
         "b.yaml:5: brands[1].id: \"x\" is already the id of a brand at line 2"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n  - id: y\n    name: Y\n    domains: [X.LV]\n",
         "b.yaml:7: brands[1].domains: \"X.LV\" is already listed at line 4"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    countries: [Latvia]\n", "brands[0].countries: \"Latvia\": expected an ISO 3166 region"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    short_codes: [\"12a\"]\n", "brands[0].short_codes: \"12a\": expected 2..8 digits"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    short_codes: [\"1600\"]\n", "a plain list needs `countries`"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    numbers: [\"20000001\"]\n", "expected an international number"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    keywords: [ab]\n", "brands[0].keywords: \"ab\": expected 4..63"},
        {"brands:\n  - id: x\n    name: X\n    domains: [x.lv]\n    sender_ids: [TWELVECHARSX]\n", "longer than 11 characters"},
        {"brands:\n  - id: X Y\n    name: X\n    domains: [x.lv]\n", "brands[0].id: \"X Y\": expected lowercase"},
        {"brands: [\n", "b.yaml:2: yaml:"},
        {"- just a list\n", "expected a map with the key `brands`"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.expected) {
        auto r = Extractor::parse_brands(row.yaml, "b.yaml");
        REQUIRE_FALSE(r.has_value());
        CHECK_MESSAGE(r.error().detail.find(row.expected) != std::string::npos, r.error().detail);
      }
    }
  }

  TEST_CASE("values are normalised when loaded") {
    auto r = Extractor::parse_brands(
        "brands:\n"
        "  - id: x\n"
        "    name: X Bank\n"
        "    countries: [lv, ee]\n"
        "    domains: [X-Bank.LV, банк.рф]\n"
        "    short_codes: [\"1600\"]\n"
        "    numbers: [\"+371 6700 0000\", \"0037167000001\"]\n",
        "b.yaml");
    REQUIRE(r.has_value());
    const auto& b = r->brands.at(0);
    CHECK(b.countries == std::vector<std::string>{"LV", "EE"});
    CHECK(b.domains == std::vector<std::string>{"x-bank.lv", "xn--80ab2al.xn--p1ai"});
    CHECK(b.short_codes.at("LV") == std::vector<std::string>{"1600"});
    CHECK(b.short_codes.at("EE") == std::vector<std::string>{"1600"});
    CHECK(b.numbers == std::vector<std::string>{"+37167000000", "+37167000001"});
    CHECK(b.keywords == std::vector<std::string>{"x-bank"});  // default: the first label of each domain
  }

  TEST_CASE("an unreadable brands file leaves a working extractor without brands and says why") {
    ExtractConfig c;
    c.brands_file = "/nonexistent/brands.yaml";
    const Extractor e{c};
    CHECK(e.brands().brands.empty());
    CHECK(e.brands_error().find("/nonexistent/brands.yaml") != std::string::npos);
    const Extraction x = e.extract("Ieejiet https://tele2-lv.com/login vai zvaniet 20000001", "LV");
    REQUIRE(x.urls.size() == 1);
    CHECK(with_prefix(x.urls[0].flags, "lookalike").empty());
    CHECK(x.numbers.size() == 1);
    auto r = Extractor::load_brands("/nonexistent/brands.yaml");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail == "/nonexistent/brands.yaml: cannot be read");
  }

  TEST_CASE("brands loaded once can be shared through ExtractConfig::brands") {
    auto r = Extractor::parse_brands("brands:\n  - id: acme\n    name: Acme\n    domains: [acme.lv]\n", "b.yaml");
    REQUIRE(r.has_value());
    ExtractConfig c;
    c.brands = std::make_shared<const BrandSet>(std::move(*r));
    c.brands_file = "/ignored/when/brands/is/set.yaml";
    const Extractor e{c};
    CHECK(e.brands_error().empty());
    const Extraction x = e.extract("acme-lv.com/login", "LV");
    REQUIRE(x.urls.size() == 1);
    CHECK(has(x.urls[0].flags, "lookalike_of:acme"));
  }

  TEST_CASE("look-alike hosts of protected brands are flagged with the brand and how they imitate it") {
    const LookalikeRow rows[] = {
        // Homoglyphs: a Cyrillic letter, a digit for a letter, written in Unicode or punycode.
        {"lv", "Ieejiet https://t\u0435le2.lv/login", "tele2", "homoglyph"},
        {"lv", "Ieejiet te1e2.lv/login", "tele2", "homoglyph"},
        {"lv", "Ieejiet http://xn--tle2-v4d.lv/", "tele2", "homoglyph"},
        {"et", "Logi sisse https://swedb\u0430nk.ee/", "swedbank", "homoglyph"},
        {"ru", "Войдите на g\u043esuslugi.ru/login", "gosuslugi", "homoglyph"},
        {"ru", "Войдите на g0suslugi.com/login", "gosuslugi", "homoglyph"},
        {"lt", "Prisijunkite https://1uminor.lt/", "luminor", "homoglyph"},
        // Typos: one edit (two from nine letters).
        {"lv", "Ieejiet tlee2.lv/x", "tele2", "typosquat"},
        {"ru", "Войдите на gosusiugi.com/login", "gosuslugi", "typosquat"},  // 'i' and 'l' are not confusable in TR39
        {"ru", "Войдите на gosuslgi.com/login", "gosuslugi", "typosquat"},
        {"en", "Verify at citadelle-bank.com", "citadele", "typosquat"},
        {"ar", "ادخل bankmuskat.com/verify", "bankmuscat", "typosquat"},
        {"lt", "Prisijunkite https://lumlnor.lt/", "luminor", "typosquat"},
        // Prefix, suffix, token and subdomain use of the mark.
        {"lv", "Apstipriniet tele2-lv.com", "tele2", "combosquat"},
        {"lv", "Apstipriniet http://tele2-lv-bonus.info/ligums", "tele2", "combosquat"},
        {"lv", "Apstipriniet tele2.lv.verify-id.top/a", "tele2", "combosquat"},
        {"lv", "Apstipriniet https://mytele2.app/", "tele2", "combosquat"},
        {"lv", "Ieejiet swedbank.github.io/lv", "swedbank", "combosquat"},
        {"lv", "Ievadiet kodu seb-lv.com", "seb", "combosquat"},
        {"lv", "Paka gaida: dpd-lv.top/pay", "dpd", "combosquat"},
        {"et", "Smart-ID uuendus: smart-id-ee.com", "smart-id", "combosquat"},
        {"ru", "Получите посылку pochta-rf.ru/track", "pochta", "combosquat"},
        {"ru", "Бонус: sberbank-online.top", "sberbank", "combosquat"},
        {"ar", "جائزة ooredoo-oman.com/prize", "ooredoo", "combosquat"},
        {"en", "Parcel: omniva-delivery.com", "omniva", "combosquat"},
        // The userinfo trick: what the reader takes for the site is before '@'.
        {"lv", "Ieejiet http://swedbank.lv@evil.com/x", "swedbank", "combosquat"},
        {"lv", "Ieejiet swedbank.lv@evil.com/login", "swedbank", "combosquat"},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.lang) + ": " + row.text).c_str()) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        const auto& flags = x.urls[0].flags;
        CHECK(has(flags, "lookalike"));
        CHECK(has(flags, std::string("lookalike_of:") + row.brand));
        CHECK(has(flags, row.kind));
        CHECK(with_prefix(flags, "brand_domain:").empty());
      }
    }
  }

  TEST_CASE("hosts mixing scripts in a label are flagged mixed_script and single-script IDNs are not") {
    CHECK(has(extractor().extract("https://t\u0435le2.lv/", "LV").urls.at(0).flags, "mixed_script"));
    CHECK(has(extractor().extract("http://xn--tle2-v4d.lv/", "LV").urls.at(0).flags, "mixed_script"));
    CHECK_FALSE(has(extractor().extract("сайт президент.рф", "LV").urls.at(0).flags, "mixed_script"));
    CHECK_FALSE(has(extractor().extract("https://bürgerentscheid.de/x", "LV").urls.at(0).flags, "mixed_script"));
    CHECK_FALSE(has(extractor().extract("https://example.com", "LV").urls.at(0).flags, "mixed_script"));
  }

  TEST_CASE("legitimate brand hosts are marked brand_domain and never look-alikes") {
    const struct {
      const char* text;
      const char* brand;
    } rows[] = {
        {"https://mans.tele2.lv/", "tele2"},    {"www.swedbank.lv", "swedbank"},
        {"https://www.gosuslugi.ru/x", "gosuslugi"}, {"latvija.gov.lv/lv", "latvija-lv"},
        {"https://smart-id.com/", "smart-id"},  {"t2.ru/promo", "t2"},
        {"https://www.bankmuscat.com/en", "bankmuscat"}, {"eparaksts.lv", "eparaksts"},
        {"https://T\u0406LE2.LV", ""},  // not legitimate: a Cyrillic I is no Latin E
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        if (std::string(row.brand).empty()) {
          CHECK(with_prefix(x.urls[0].flags, "brand_domain:").empty());
        } else {
          CHECK(has(x.urls[0].flags, std::string("brand_domain:") + row.brand));
          CHECK_FALSE(has(x.urls[0].flags, "lookalike"));
        }
      }
    }
  }

  TEST_CASE("ordinary hosts are not taken for look-alikes") {
    for (const char* text : {"delfi.lv/zinas", "https://www.google.com/maps", "hotel2.lv", "https://telegraph.co.uk/",
                             "latvijasbanka.lv", "lsm.lv", "https://www.rimi.lv/akcijas", "ss.com", "https://eesti.ee.ee/",
                             "https://www.website.com/bite-size", "vid.gov.lv"}) {
      SUBCASE(text) {
        const Extraction x = extractor().extract(text, "LV");
        REQUIRE(x.urls.size() == 1);
        if (std::string(text) == "https://eesti.ee.ee/") {
          CHECK(has(x.urls[0].flags, "lookalike_of:eesti-ee"));  // eesti as a subdomain label: imitation
          continue;
        }
        CHECK_MESSAGE(with_prefix(x.urls[0].flags, "lookalike").empty(), text);
      }
    }
  }

  TEST_CASE("brand short codes and numbers are flagged brand_number so they are never blocklisted") {
    const Extraction ru = extractor().extract("Звоните 611 или 900", "RU");
    REQUIRE(ru.numbers.size() == 2);
    CHECK(ru.numbers[0].e164 == "611");
    CHECK(has(ru.numbers[0].flags, "short_code"));
    CHECK(has(ru.numbers[0].flags, "brand_number:t2"));
    CHECK(has(ru.numbers[1].flags, "brand_number:sberbank"));
    // A brand's short code elsewhere is someone else's (or nobody's).
    for (const auto& n : extractor().extract("Zvaniet 611", "LV").numbers) CHECK_FALSE(has(n.flags, "brand_number:t2"));

    auto r = Extractor::parse_brands(
        "brands:\n  - id: acme\n    name: Acme\n    countries: [LV]\n    domains: [acme.lv]\n"
        "    short_codes: {LV: [\"1818\"]}\n    numbers: [\"+371 6700 0000\"]\n",
        "b.yaml");
    REQUIRE(r.has_value());
    ExtractConfig c;
    c.brands = std::make_shared<const BrandSet>(std::move(*r));
    const Extractor e{c};
    const Extraction x = e.extract("Acme: zvaniet 1818 vai 67000000, ne 20000001", "LV");
    REQUIRE(x.numbers.size() == 3);
    CHECK(x.numbers[0].e164 == "1818");
    CHECK(x.numbers[0].flags == std::vector<std::string>{"short_code", "brand_number:acme"});
    CHECK(x.numbers[1].e164 == "+37167000000");
    CHECK(x.numbers[1].flags == std::vector<std::string>{"brand_number:acme"});
    CHECK(x.numbers[2].flags.empty());
  }

  TEST_CASE("sender IDs named after a marker are extracted and a brand's own become a flag instead") {
    const struct {
      const char* lang;
      const char* text;
      std::vector<std::string> sender_ids;
      std::vector<std::string> flags;  // expected among the message flags
    } rows[] = {
        {"en", "From: SWEDBANK-LV Your account is blocked", {"SWEDBANK-LV"}, {"sender_lookalike_of:swedbank"}},
        {"en", "Sender ID: \"INFO-SMS\" says hi", {"INFO-SMS"}, {}},
        {"lv", "Sūtītājs: LMT-Info. Jūsu numurs", {"LMT-Info"}, {"sender_lookalike_of:lmt"}},
        {"lv", "Sūtītājs: Tele2", {}, {"brand_sender_id:tele2"}},
        {"ru", "Отправитель: «Sberbank»", {}, {"brand_sender_id:sberbank"}},
        {"ru", "От: GOSUSLUGl", {"GOSUSLUGl"}, {"sender_lookalike_of:gosuslugi"}},
        {"et", "Saatja: \"SmartlD\" palub PIN1", {"SmartlD"}, {"sender_lookalike_of:smart-id", "asks_for_code"}},
        {"lt", "Siuntėjas: Omniva-LT", {"Omniva-LT"}, {"sender_lookalike_of:omniva"}},
        {"ar", "المرسل: OOREDOO1", {"OOREDOO1"}, {"sender_lookalike_of:ooredoo"}},
        {"en", "From: +37120000001", {}, {}},               // a number is the number finder's
        {"en", "Message from your bank", {}, {}},           // no colon, no quotes: no sender ID
        {"en", "From: ThisIsWayTooLongForAnId", {}, {}},    // > 11 characters
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.lang) + ": " + row.text).c_str()) {
        const Extraction x = extractor().extract(row.text, "LV");
        CHECK(x.sender_ids == row.sender_ids);
        for (const auto& f : row.flags) CHECK_MESSAGE(has(x.flags, f), f);
      }
    }
  }

  TEST_CASE("brand names in the text set mentions_brand, in any script and across words") {
    const struct {
      const char* text;
      std::vector<std::string> brands;
    } rows[] = {
        {"Tele2: jūsu līgums beidzas", {"tele2"}},
        {"Служба безопасности Сбербанка", {}},  // an inflected form is not the name
        {"Сбербанк: карта заблокирована", {"sberbank"}},
        {"Ваша посылка Почта России задержана", {"pochta"}},
        {"Latvijas Pasts: sūtījums gaida", {"latvijas-pasts"}},
        {"Latvijas valdība informē", {}},
        {"Apstipriniet Smart-ID un SEB", {"smart-id", "seb"}},
        {"بنك مسقط: تم تعليق حسابك", {"bankmuscat"}},
        {"Nothing to see here", {}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        std::vector<std::string> got;
        for (const auto& f : with_prefix(x.flags, "mentions_brand:")) got.push_back(f.substr(15));
        CHECK(got == row.brands);
      }
    }
  }

  TEST_CASE("e-mail addresses on look-alike domains set email_lookalike_of") {
    const Extraction x = extractor().extract("Rakstiet support@swedbank-help.com", "LV");
    REQUIRE(x.emails.size() == 1);
    CHECK(has(x.flags, "email_lookalike_of:swedbank"));
    CHECK(with_prefix(extractor().extract("Rakstiet info@swedbank.lv", "LV").flags, "email_lookalike").empty());
  }
}
