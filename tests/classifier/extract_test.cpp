// Extraction tests: multilingual number tables, non-numbers, URLs (obfuscated, bare, IDN), flags, short codes.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "smish/classifier/extract.hpp"

namespace {

using smish::classifier::ExtractConfig;
using smish::classifier::Extractor;
using smish::core::Extraction;
using smish::core::ExtractedNumber;
using smish::core::ExtractedUrl;

const Extractor& extractor() {
  static const Extractor e{ExtractConfig{}};
  return e;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Numbers that are not short codes (what would reach a blocklist).
std::vector<ExtractedNumber> subscriber_numbers(const Extraction& x) {
  std::vector<ExtractedNumber> out;
  for (const auto& n : x.numbers)
    if (!has(n.flags, "short_code")) out.push_back(n);
  return out;
}

std::vector<std::string> urls_of(const Extraction& x) {
  std::vector<std::string> out;
  for (const auto& u : x.urls) out.push_back(u.url);
  return out;
}

struct NumberRow {
  const char* lang;
  const char* region;
  const char* text;
  const char* e164;
  const char* raw;
  const char* number_region;
};

struct NonNumberRow {
  const char* lang;
  const char* text;
};

struct UrlRow {
  const char* text;
  const char* url;
  const char* domain;
  std::vector<std::string> flags;
};

}  // namespace

TEST_SUITE("classifier/extract") {
  TEST_CASE("local and international number formats are found and normalised to E.164") {
    const NumberRow rows[] = {
        {"lv", "LV", "Zvaniet 20 000 001 tūlīt", "+37120000001", "20 000 001", "LV"},
        {"lv", "LV", "Zvaniet +371 2000 0001!", "+37120000001", "+371 2000 0001", "LV"},
        {"lv", "LV", "Numurs 0037120000001.", "+37120000001", "0037120000001", "LV"},
        {"et", "EE", "Helistage kohe +372 5123 4567", "+37251234567", "+372 5123 4567", "EE"},
        {"lt", "LT", "Skambinkite +370 612 34567 dabar", "+37061234567", "+370 612 34567", "LT"},
        {"lt", "LT", "Skambinkite 8 612 34567 dabar", "+37061234567", "8 612 34567", "LT"},
        {"ru", "RU", "Позвоните +7 (912) 345-67-89 срочно", "+79123456789", "+7 (912) 345-67-89", "RU"},
        {"ru", "RU", "Позвоните 8 912 345 67 89 срочно", "+79123456789", "8 912 345 67 89", "RU"},
        {"ar", "OM", "اتصل على +968 9123 4567 الآن", "+96891234567", "+968 9123 4567", "OM"},
        {"ar", "OM", "اتصل على ٩١٢٣٤٥٦٧ الآن", "+96891234567", "٩١٢٣٤٥٦٧", "OM"},
        {"ar", "OM", "اتصل على +٩٦٨ ٩١٢٣ ٤٥٦٧", "+96891234567", "+٩٦٨ ٩١٢٣ ٤٥٦٧", "OM"},
        {"ar", "OM", "تماس ۰۰۹۶۸۹۱۲۳۴۵۶۷ بگیرید", "+96891234567", "۰۰۹۶۸۹۱۲۳۴۵۶۷", "OM"},
        {"en", "GB", "Call 07400 123456 now", "+447400123456", "07400 123456", "GB"},
        {"en", "LV", "Call\u00a0+44\u00a07400\u00a0123456 now", "+447400123456", "+44\u00a07400\u00a0123456", "GB"},
        {"lv", "", "Zvaniet 20 000 001", "+37120000001", "20 000 001", "LV"},  // default region
        {"lv", "LV", "Zvaniet (+371) 20-000-001 tūlīt", "+37120000001", "(+371) 20-000-001", "LV"},
        {"lv", "LV", "Zvaniet 6 700 0000 (fiksētais)", "+37167000000", "6 700 0000", "LV"},
        {"lv", "LV", "Zvaniet +371\u20092000\u20090001", "+37120000001", "+371\u20092000\u20090001", "LV"},
        {"lv", "LV", "Zvaniet +371\u202f2000\u202f0001", "+37120000001", "+371\u202f2000\u202f0001", "LV"},
        {"lv", "LV", "Zvaniet 2000\u200b0001", "+37120000001", "2000\u200b0001", "LV"},
        {"et", "EE", "Helistage 5123 4567 kohe", "+37251234567", "5123 4567", "EE"},
        {"et", "EE", "Helista (+372) 5123-4567!", "+37251234567", "(+372) 5123-4567", "EE"},
        {"lt", "LT", "Skambinkite (8 612) 34 567", "+37061234567", "(8 612) 34 567", "LT"},
        {"lt", "LT", "Skambinkite +370\u00a0612\u00a034567", "+37061234567", "+370\u00a0612\u00a034567", "LT"},
        {"ru", "RU", "Позвоните 8 (912) 345-67-89", "+79123456789", "8 (912) 345-67-89", "RU"},
        {"ru", "RU", "Позвоните +7 912 345 67 89.", "+79123456789", "+7 912 345 67 89", "RU"},
        {"ar", "OM", "اتصل ٩١٢٣ ٤٥٦٧", "+96891234567", "٩١٢٣ ٤٥٦٧", "OM"},
        {"ar", "OM", "اتصل +968 ۹۱۲۳ ۴۵۶۷", "+96891234567", "+968 ۹۱۲۳ ۴۵۶۷", "OM"},
        {"ar", "OM", "اتصل \u202b+968 9123 4567\u202c", "+96891234567", "+968 9123 4567", "OM"},
        {"en", "GB", "Call (07400) 123-456", "+447400123456", "(07400) 123-456", "GB"},
        {"en", "GB", "Call ＋４４ ７４００ １２３４５６", "+447400123456", "＋４４ ７４００ １２３４５６", "GB"},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.lang) + ": " + row.text).c_str()) {
        const Extraction x = extractor().extract(row.text, row.region);
        const auto numbers = subscriber_numbers(x);
        REQUIRE(numbers.size() == 1);
        CHECK(numbers[0].e164 == row.e164);
        CHECK(numbers[0].raw == row.raw);
        CHECK(numbers[0].region == row.number_region);
      }
    }
  }

  TEST_CASE("amounts, dates, times, one-time codes and order numbers are not phone numbers") {
    const NonNumberRow rows[] = {
        {"lv", "Parāds 1500 EUR jāsamaksā līdz 12.03.2025"},
        {"lv", "Jūsu kods 48392011 derīgs 5 min"},
        {"lv", "Jūsu pasūtījums Nr. 20240312 ir aizturēts muitā"},
        {"lv", "Samaksājiet 3.50 EUR piegādes maksu"},
        {"ru", "Ваш код: 48392011"},
        {"ru", "Ваша посылка № 12345678 задержана, оплатите 250 руб"},
        {"ru", "Договор 20000001 расторгнут 12.03.2025 в 14:30"},
        {"et", "Teie tellimus 51234567 on teel"},
        {"et", "Tagastus € 2500000 on ootel, kood 51234567"},
        {"lt", "Jūsų užsakymas 61234567 laukia. Kodas 61234567"},
        {"lt", "Sąskaita 2024-03-12 sumokėti 1500 EUR"},
        {"en", "Your code: 20123456. Order No. 37120000 shipped"},
        {"en", "PIN 20000001 expires at 12:30:00 on 12/03/2025"},
        {"en", "Pay 1,500,000.00 USD before 2025-03-12"},
        {"ar", "رمز التحقق ٢٠٠٠٠٠٠١ لا تشاركه"},
        {"ar", "المبلغ 91234567 ريال"},
        {"lv", "Sūtījuma numurs 20000001 aizturēts"},
        {"lv", "Līgums Nr. 20000001 beidzas 30.11.2025"},
        {"lv", "Jūsu kods 483920"},
        {"lv", "Rēķins 20000001 par 1 500,00 €"},
        {"ru", "Код: 4839 2011"},
        {"ru", "Оплатите 1500 руб. до 12.03.2025"},
        {"ru", "Заказ 79123456 отправлен 2025-03-12 в 08:00"},
        {"et", "Kood 51234567"},
        {"et", "Tellimuse nr 51234567"},
        {"et", "Saadetis 51234567 ootab, tasu 2,99 €"},
        {"lt", "Užsakymo Nr. 61234567 laukia"},
        {"lt", "Siunta 61234567 sulaikyta, mokestis 1,99 EUR"},
        {"en", "Order #20000001 shipped"},
        {"en", "Amount: €1500 or $20 or GBP 20000001"},
        {"en", "Parcel 20000001 held until 12/03/2025 12:30"},
        {"ar", "ادفع 150 ر.ع الآن"},
        {"ar", "رقم الطلب 91234567"},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.lang) + ": " + row.text).c_str()) {
        const Extraction x = extractor().extract(row.text, "LV");
        CHECK(subscriber_numbers(x).empty());
        for (const auto& n : x.numbers) CHECK(has(n.flags, "short_code"));
      }
    }
  }

  TEST_CASE("the Ofcom drama range 07700 900123 is possible but not valid, so only to_e164 accepts it") {
    // Extraction runs the matcher at leniency VALID; UK fiction numbers are deliberately invalid.
    CHECK(smish::classifier::to_e164("07700 900123", "GB") == std::optional<std::string>("+447700900123"));
    CHECK(subscriber_numbers(extractor().extract("Call 07700 900123 now", "GB")).empty());
  }

  TEST_CASE("a number after an order marker is kept when written internationally") {
    const Extraction x = extractor().extract("Nr. +371 2000 0001 vai Nr. 0037120000002", "LV");
    REQUIRE(x.numbers.size() == 2);
    CHECK(x.numbers[0].e164 == "+37120000001");
    CHECK(x.numbers[1].e164 == "+37120000002");
  }

  TEST_CASE("a phone number next to a code and an amount is still found") {
    const Extraction x = extractor().extract("Kods 4839. Samaksājiet 250 EUR, zvaniet 20000001", "LV");
    const auto numbers = subscriber_numbers(x);
    REQUIRE(numbers.size() == 1);
    CHECK(numbers[0].e164 == "+37120000001");
    CHECK(has(x.flags, "asks_for_code"));
  }

  TEST_CASE("requests for a code set the message flag asks_for_code") {
    const char* asking[] = {"Ievadiet kodu no SMS", "Назовите код из СМС", "Saada meile parool",
                            "Nurodykite slaptažodį", "Confirm your Smart-ID PIN1", "أرسل الرمز الآن",
                            "Send the CODE now"};
    for (const char* text : asking) {
      SUBCASE(text) { CHECK(has(extractor().extract(text, "LV").flags, "asks_for_code")); }
    }
    const char* not_asking[] = {"Jūsu paka ir ceļā", "Посылка задержана", "Pinned message", "Codec update"};
    for (const char* text : not_asking) {
      SUBCASE(text) { CHECK(extractor().extract(text, "LV").flags.empty()); }
    }
  }

  TEST_CASE("short codes and emergency numbers are flagged, never plain numbers") {
    SUBCASE("112") {
      const Extraction x = extractor().extract("Ārkārtas gadījumā zvaniet 112.", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(x.numbers[0].e164 == "112");
      CHECK(has(x.numbers[0].flags, "short_code"));
      CHECK(has(x.numbers[0].flags, "emergency"));
    }
    SUBCASE("12250") {
      const Extraction x = extractor().extract("Pārsūtiet krāpniecisku SMS uz 12250", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(x.numbers[0].e164 == "12250");
      CHECK(has(x.numbers[0].flags, "short_code"));
      CHECK(has(x.numbers[0].flags, "service_number"));
    }
    SUBCASE("02") {
      const Extraction x = extractor().extract("Policija: 02", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(has(x.numbers[0].flags, "emergency"));
    }
    SUBCASE("911 in the US") {
      const Extraction x = extractor().extract("Call 911 now", "US");
      REQUIRE(x.numbers.size() == 1);
      CHECK(has(x.numbers[0].flags, "emergency"));
    }
    SUBCASE("groups of a longer number are not short codes") {
      const Extraction x = extractor().extract("Zvaniet 20 000 001", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(x.numbers[0].flags.empty());
    }
    SUBCASE("a year is not a short code") { CHECK(extractor().extract("Līdz 2025 gadam", "LV").numbers.empty()); }
  }

  TEST_CASE("fallback regions find national numbers of other countries") {
    Extractor with_fallback{ExtractConfig{"LV", {"RU"}, {"12250"}}};
    const Extraction x = with_fallback.extract("Позвоните 8 912 345 67 89", "LV");
    REQUIRE(x.numbers.size() == 1);
    CHECK(x.numbers[0].e164 == "+79123456789");
    CHECK(extractor().extract("Позвоните 8 912 345 67 89", "LV").numbers.empty());
  }

  TEST_CASE("numbers are deduplicated by E.164 in order of appearance") {
    const Extraction x = extractor().extract("Zvaniet 20000002 vai +371 2000 0001 vai 20 000 001", "LV");
    REQUIRE(x.numbers.size() == 2);
    CHECK(x.numbers[0].e164 == "+37120000002");
    CHECK(x.numbers[1].e164 == "+37120000001");
  }

  TEST_CASE("numbers written in links are numbers, other digits in URLs are not") {
    SUBCASE("wa.me") {
      const Extraction x = extractor().extract("Rakstiet https://wa.me/37120000001 tūlīt", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(x.numbers[0].e164 == "+37120000001");
      CHECK(x.numbers[0].raw == "37120000001");
      CHECK(has(x.numbers[0].flags, "in_url"));
      CHECK(x.urls.size() == 1);
    }
    SUBCASE("tel:") {
      const Extraction x = extractor().extract("Zvaniet tel:+37120000001", "LV");
      REQUIRE(x.numbers.size() == 1);
      CHECK(x.numbers[0].e164 == "+37120000001");
      CHECK(has(x.numbers[0].flags, "in_url"));
    }
    SUBCASE("path digits") {
      const Extraction x = extractor().extract("https://evil.lv/20000001/37120000001", "LV");
      CHECK(x.numbers.empty());
      CHECK(x.urls.size() == 1);
    }
  }

  TEST_CASE("URLs with a scheme, obfuscated or not, are normalised") {
    const UrlRow rows[] = {
        {"Ieejiet https://Swedbank-LV.com/Login?id=A1", "https://swedbank-lv.com/Login?id=A1", "swedbank-lv.com", {}},
        {"HTTP://EXAMPLE.LV/X", "http://example.lv/X", "example.lv", {}},
        {"hxxps://evil-bank.lv/login", "https://evil-bank.lv/login", "evil-bank.lv", {"obfuscated"}},
        {"hxxp[:]//evil-bank[.]lv/login", "http://evil-bank.lv/login", "evil-bank.lv", {"obfuscated"}},
        {"apmeklējiet evil-bank[.]lv/login", "http://evil-bank.lv/login", "evil-bank.lv", {"no_scheme", "obfuscated"}},
        {"посетите evil-bank(dot)com", "http://evil-bank.com", "evil-bank.com", {"no_scheme", "obfuscated"}},
        {"visit evil-bank [dot] com now", "http://evil-bank.com", "evil-bank.com", {"no_scheme", "obfuscated"}},
        {"ava swed\u3002lv/x", "http://swed.lv/x", "swed.lv", {"no_scheme", "obfuscated"}},
        {"ava swed\uff0elv/x", "http://swed.lv/x", "swed.lv", {"no_scheme", "obfuscated"}},
        {"ava swed\uff61lv/x", "http://swed.lv/x", "swed.lv", {"no_scheme", "obfuscated"}},
        {"pay\u200b.lv/abc", "http://pay.lv/abc", "pay.lv", {"no_scheme", "zero_width"}},
        {"https://pa\u202ey\u202c.lv/", "https://pay.lv/", "pay.lv", {"zero_width"}},
        {"https://bit.ly/3xYz", "https://bit.ly/3xYz", "bit.ly", {"shortener"}},
        {"https://evil.github.io/x", "https://evil.github.io/x", "evil.github.io", {"shared_hosting"}},
        {"https://evil.pages.dev", "https://evil.pages.dev", "evil.pages.dev", {"shared_hosting"}},
        {"http://swedbank.lv@evil.com/x", "http://swedbank.lv@evil.com/x", "evil.com", {"userinfo"}},
        {"http://evil.com:8080/x", "http://evil.com:8080/x", "evil.com", {"port"}},
        {"http://192.168.1.1/abc", "http://192.168.1.1/abc", "192.168.1.1", {"ip_literal"}},
        {"atver 10.0.0.1/a", "http://10.0.0.1/a", "10.0.0.1", {"no_scheme", "ip_literal"}},
        {"https://bürgerentscheid.de/x", "https://xn--brgerentscheid-gsb.de/x", "xn--brgerentscheid-gsb.de", {"idn"}},
        {"сайт президент.рф", "http://xn--d1abbgf6aiiy.xn--p1ai", "xn--d1abbgf6aiiy.xn--p1ai", {"no_scheme", "idn"}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].url == row.url);
        CHECK(x.urls[0].domain == row.domain);
        CHECK(x.urls[0].flags == row.flags);
      }
    }
  }

  TEST_CASE("bare domains on ccTLDs and known suffixes are URLs") {
    const UrlRow rows[] = {
        {"Apmeklējiet tele2-lv.info", "http://tele2-lv.info", "tele2-lv.info", {"no_scheme"}},
        {"Vaata x.ee", "http://x.ee", "x.ee", {"no_scheme"}},
        {"Maksājiet pay.lv/abc", "http://pay.lv/abc", "pay.lv", {"no_scheme"}},
        {"Žr. bit.ly/abc", "http://bit.ly/abc", "bit.ly", {"no_scheme", "shortener"}},
        {"Перейдите www.Swedbank-Secure.lt/x", "http://www.swedbank-secure.lt/x", "swedbank-secure.lt", {"no_scheme"}},
        {"Link:pay-lv.com/a", "http://pay-lv.com/a", "pay-lv.com", {"no_scheme"}},
        {"«evil.co.uk/login»", "http://evil.co.uk/login", "evil.co.uk", {"no_scheme"}},
        {"sites.google.com/view/x", "http://sites.google.com/view/x", "google.com", {"no_scheme"}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].url == row.url);
        CHECK(x.urls[0].domain == row.domain);
        CHECK(x.urls[0].flags == row.flags);
      }
    }
  }

  TEST_CASE("trailing punctuation and unbalanced brackets are not part of a URL") {
    const struct {
      const char* text;
      const char* raw;
    } rows[] = {
        {"Ieejiet swedbank-lv.com/login.", "swedbank-lv.com/login"},
        {"Ieejiet https://swedbank.lv/login.", "https://swedbank.lv/login"},
        {"(see https://x.y/z)", "https://x.y/z"},
        {"Sk. https://x.lv/a_(b)!", "https://x.lv/a_(b)"},
        {"\"https://x.lv/q?a=1\",", "https://x.lv/q?a=1"},
        {"Spied šeit: pay.lv/abc?", "pay.lv/abc"},
        {"Visit EVIL.COM.", "EVIL.COM"},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].raw == row.raw);
      }
    }
  }

  TEST_CASE("words with dots, numbers and file names are not URLs") {
    const char* rows[] = {"I was there today.It's fine", "I was there today.it's fine", "Open file.name please",
                          "e.g. this one",  "Version 1.5 is out", "Tikšanās 12.03.2025", "Cena 3.50 EUR",
                          "node.js and io.js", "Сумма 1.500.000", "Mr.Smith called", "show image.jpg",
                          "г.Москва, ул.Ленина", "Hello.How are you", "path:to:file.pm", "/path/to/file.pl",
                          "1.2.3.400", "example.invalid"};
    for (const char* text : rows) {
      SUBCASE(text) { CHECK(extractor().extract(text, "LV").urls.empty()); }
    }
  }

  TEST_CASE("e-mail addresses go to emails, not URLs") {
    const Extraction x = extractor().extract("Rakstiet help@Swedbank-Support.COM vai mailto:info@pay.lv", "LV");
    CHECK(x.urls.empty());
    REQUIRE(x.emails.size() == 2);
    CHECK(x.emails[0] == "help@swedbank-support.com");
    CHECK(x.emails[1] == "info@pay.lv");
    CHECK(extractor().extract("foo@bar is no address", "LV").emails.empty());
  }

  TEST_CASE("URLs are deduplicated by normalised URL in order of appearance") {
    const Extraction x = extractor().extract("pay.lv/a https://b.lv PAY.LV/a http://pay.lv/a", "LV");
    CHECK(urls_of(x) == std::vector<std::string>{"http://pay.lv/a", "https://b.lv"});
  }

  TEST_CASE("URL spans are masked before numbers are looked for") {
    const Extraction x = extractor().extract("https://evil.lv/?phone=20000001 vai 20000002", "LV");
    REQUIRE(x.numbers.size() == 1);
    CHECK(x.numbers[0].e164 == "+37120000002");
  }

  TEST_CASE("to_e164 and region_of") {
    const struct {
      const char* raw;
      const char* region;
      const char* e164;
    } rows[] = {
        {"0037120000001", "LV", "+37120000001"}, {"0037120000001", "", "+37120000001"},
        {"+371 2000 0001", "", "+37120000001"},  {"20000001", "LV", "+37120000001"},
        {"8 912 345 67 89", "RU", "+79123456789"}, {"+968 9123 4567", "LV", "+96891234567"},
    };
    for (const auto& row : rows) {
      SUBCASE((std::string(row.raw) + " / " + row.region).c_str()) {
        CHECK(smish::classifier::to_e164(row.raw, row.region) == std::optional<std::string>(row.e164));
      }
    }
    CHECK_FALSE(smish::classifier::to_e164("hello", "LV").has_value());
    CHECK_FALSE(smish::classifier::to_e164("20000001", "").has_value());
    CHECK_FALSE(smish::classifier::to_e164("12", "LV").has_value());
    CHECK(smish::classifier::region_of("+37120000001") == "LV");
    CHECK(smish::classifier::region_of("+79123456789") == "RU");
    CHECK(smish::classifier::region_of("+80012345678") == "");
    CHECK(smish::classifier::region_of("garbage") == "");
  }

  TEST_CASE("IPv4 hosts in decimal, hex and octal forms are read as browsers read them, and flagged") {
    const UrlRow rows[] = {
        {"http://3232235777/x", "http://192.168.1.1/x", "192.168.1.1", {"ip_literal", "ip_decimal"}},
        {"http://0xC0.0xA8.0x1.0x1/x", "http://192.168.1.1/x", "192.168.1.1", {"ip_literal", "ip_hex"}},
        {"http://0xc0a80101/", "http://192.168.1.1/", "192.168.1.1", {"ip_literal", "ip_hex"}},
        {"http://0300.0250.01.01/a", "http://192.168.1.1/a", "192.168.1.1", {"ip_literal", "ip_octal"}},
        {"http://192.168.257/", "http://192.168.1.1/", "192.168.1.1", {"ip_literal", "ip_decimal"}},
        {"http://[2001:DB8:0:0::1]:8080/p", "http://[2001:db8::1]:8080/p", "2001:db8::1", {"ip_literal", "ipv6", "port"}},
        {"https://[::ffff:192.168.1.1]/", "https://[::ffff:192.168.1.1]/", "::ffff:192.168.1.1", {"ip_literal", "ipv6"}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        REQUIRE(x.urls.size() == 1);
        CHECK(x.urls[0].url == row.url);
        CHECK(x.urls[0].domain == row.domain);
        CHECK(x.urls[0].host == row.domain);
        CHECK(x.urls[0].flags == row.flags);
      }
    }
    SUBCASE("out of range and malformed forms are no URL") {
      for (const char* text : {"http://256.1.1.1/", "http://1.2.3.4.5/", "http://0x1g.1.1.1/", "http://[2001:db8::zz]/",
                               "http://4294967296/", "call 3232235777 now", "0xC0.0xA8.0.1/x"})
        CHECK_MESSAGE(extractor().extract(text, "LV").urls.empty(), text);
    }
  }

  TEST_CASE("IBANs are extracted when the country length and the ISO 7064 check hold, and are never numbers") {
    const struct {
      const char* text;
      std::vector<std::string> ibans;
    } rows[] = {
        {"Pārskaitiet uz LV80BANK0000435195001 šodien", {"LV80BANK0000435195001"}},
        {"Pārskaitiet uz LV80 BANK 0000 4351 9500 1.", {"LV80BANK0000435195001"}},
        {"Maksa EE382200221020145685 või LT121000011101001000", {"EE382200221020145685", "LT121000011101001000"}},
        {"IBAN: GB82 WEST 1234 5698 7654 32", {"GB82WEST12345698765432"}},
        {"Счёт DE89370400440532013000 и DE89 3704 0044 0532 0130 00", {"DE89370400440532013000"}},
        {"Wrong check digits LV81BANK0000435195001", {}},
        {"Too short LV80BANK000043519500", {}},
        {"Lower case lv80bank0000435195001", {}},
        {"Unknown country ZZ80BANK0000435195001", {}},
        {"Glued XLV80BANK0000435195001", {}},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        const Extraction x = extractor().extract(row.text, "LV");
        CHECK(x.ibans == row.ibans);
        if (!row.ibans.empty()) CHECK(subscriber_numbers(x).empty());
      }
    }
  }

  TEST_CASE("invisible characters anywhere set the message flag zero_width") {
    CHECK(has(extractor().extract("Sveiki\u200b, jūsu paka", "LV").flags, "zero_width"));
    CHECK_FALSE(has(extractor().extract("Sveiki, jūsu paka", "LV").flags, "zero_width"));
  }

  TEST_CASE("hostile input never crashes and stays bounded") {
    std::string invalid_utf8 = "\xff\xfe http://x.lv/\xc3 20000001 \xe2\x82";
    const Extraction x = extractor().extract(invalid_utf8, "LV");
    CHECK(x.urls.size() == 1);
    std::string long_text(20000, 'a');
    long_text += ".lv";
    CHECK(extractor().extract(long_text, "LV").urls.empty());  // the host run is bounded
    std::string digits(5000, '7');
    CHECK(extractor().extract(digits, "LV").numbers.empty());
    CHECK(extractor().extract("", "").numbers.empty());
  }
}
