// Tests of campaign fingerprints (SimHash of normalised text) and the near-duplicate index.
#include "smish/classifier/campaign.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

namespace {

using smish::classifier::campaign_distance;
using smish::classifier::campaign_fingerprint;
using smish::classifier::campaign_id;
using smish::classifier::campaign_text;
using smish::classifier::CampaignIndex;

// The nearest recorded fingerprint within `k` by brute force, with the index's tie rule (older
// campaign, then older fingerprint): the reference the index must agree with.
struct Reference {
  int k;
  std::vector<std::pair<std::uint64_t, std::string>> seen;  // in recording order
  std::vector<std::string> campaigns;                        // in order of founding
  std::string assign(std::uint64_t f) {
    for (const auto& [g, c] : seen)
      if (g == f) return c;
    int best = k + 1;
    std::size_t best_campaign = 0;
    std::string id;
    for (const auto& [g, c] : seen) {
      const int d = campaign_distance(f, g);
      const auto order = static_cast<std::size_t>(
          std::find(campaigns.begin(), campaigns.end(), c) - campaigns.begin());
      if (d < best || (d == best && !id.empty() && order < best_campaign))
        best = d, id = c, best_campaign = order;
    }
    if (id.empty()) {
      id = campaign_id(f);
      campaigns.push_back(id);
    }
    seen.emplace_back(f, id);
    return id;
  }
};

}  // namespace

TEST_SUITE("classifier/campaign") {
  TEST_CASE("campaign text folds case and masks links, e-mail addresses and numbers") {
    struct Row {
      const char* name;
      const char* text;
      const char* expected;
    };
    const Row rows[] = {
        {"link and amount", "Pay 1.99 EUR at dpd-lv.top/x now", "pay # eur at @ now"},
        {"spaced international number", "call +371 2999 9901 today", "call # today"},
        {"number with dashes and brackets", "tel. 8 (800) 000-00-01!", "tel # "},
        {"link with scheme and punctuation", "Open (https://t.ly/AbC), then reply", "open @ then reply"},
        {"www without a path", "visit WWW.Example.LV.", "visit @"},
        {"e-mail address", "write to help@bank-secure.top please", "write to @ please"},
        {"dates are numbers, not links", "until 30.11. only", "until # only"},
        {"Cyrillic folded", "ВАШ номер 12", "ваш номер #"},
        {"Latvian diacritics kept", "Jūsu LĪGUMS", "jūsu līgums"},
        {"Arabic kept", "رمز 4821", "رمز #"},
        {"a word with a digit", "Tele2: hi", "tele# hi"},
        {"empty", "", ""},
    };
    for (const auto& row : rows) {
      SUBCASE(row.name) {
        std::string got = campaign_text(row.text);
        // Trailing separators do not matter to the fingerprint; compare without them.
        std::string want = row.expected;
        while (!got.empty() && got.back() == ' ') got.pop_back();
        while (!want.empty() && want.back() == ' ') want.pop_back();
        CHECK(got == want);
      }
    }
  }

  TEST_CASE("variants that differ in links, numbers, amounts, case or spacing share a fingerprint") {
    const auto base = campaign_fingerprint(
        "Latvijas Pasts: Jūsu sūtījums gaida muitas nodevas samaksu 1,99 EUR. Samaksājiet: "
        "https://pasts-lv-muita.top/pay");
    const char* variants[] = {
        "Latvijas Pasts: Jūsu sūtījums gaida muitas nodevas samaksu 2,49 EUR. Samaksājiet: "
        "http://lv-pasts.cfd/p?id=4821",
        "LATVIJAS PASTS: jūsu sūtījums gaida muitas nodevas samaksu 0.99 EUR.   Samaksājiet: "
        "pasts-muita.icu",
        "Latvijas Pasts: Jūsu sūtījums gaida muitas nodevas samaksu 1,99 EUR! Samaksājiet - "
        "www.pay-lv.top",
    };
    for (const char* v : variants) {
      SUBCASE(v) { CHECK(campaign_distance(campaign_fingerprint(v), base) == 0); }
    }
  }

  TEST_CASE("a reworded variant stays within the default distance, unrelated messages do not") {
    const auto scam = campaign_fingerprint(
        "Tele2: Jūsu numura līgums beidzas rīt. Lai saglabātu numuru, apstipriniet datus: "
        "http://tele2-lv-numurs.info/ligums");
    const auto reworded = campaign_fingerprint(
        "Tele2: Jūsu numura līgums beidzas šodien. Lai saglabātu savu numuru, apstipriniet datus: "
        "tele2-ligums.top");
    CHECK(campaign_distance(scam, reworded) <= CampaignIndex::kDefaultMaxDistance);
    const char* unrelated[] = {
        "Swedbank: kods 739204 maksājuma 48,90 EUR apstiprināšanai SIA Rimi. Nevienam neizpaudiet!",
        "Sveiki! Būšu pie tevis ap 18:30, paņemšu arī maizi. Vajag vēl kaut ko no veikala?",
        "Omniva: Jūsu sūtījums gaida pakomātā Rīga Akropole. Durvju kods 582104, derīgs līdz 28.11.",
        "Your parcel is held at the depot, pay the fee to arrange redelivery",
    };
    for (const char* u : unrelated) {
      SUBCASE(u) { CHECK(campaign_distance(scam, campaign_fingerprint(u)) > 2 * CampaignIndex::kDefaultMaxDistance); }
    }
  }

  TEST_CASE("fingerprints, distances and ids are well formed") {
    CHECK(campaign_fingerprint("") == 0);
    CHECK(campaign_fingerprint("abc") == campaign_fingerprint("ABC"));
    CHECK(campaign_fingerprint("abc") != 0);
    CHECK(campaign_distance(0, ~std::uint64_t{0}) == 64);
    CHECK(campaign_distance(0b1011, 0b0001) == 2);
    CHECK(campaign_id(0x00ab) == "c-00000000000000ab");
    CHECK(campaign_id(~std::uint64_t{0}) == "c-ffffffffffffffff");
    // Malformed UTF-8 is skipped, never a crash.
    CHECK(campaign_text("ab\xff\xfe" "cd") == "ab cd");
  }

  TEST_CASE("500 variants of one scam are one campaign and another scam founds its own") {
    CampaignIndex index;
    const char* templates[] = {
        "Cien. Tele2 klient! Jūsu SIM karte tiks bloķēta {h} stundu laikā. Atjaunojiet to šeit: {u}",
        "Cien. Tele2 klient! Jūsu SIM karte tiks bloķēta {h} stundu laikā. Lūdzu atjaunojiet to šeit: {u}",
        "Cien. Tele2 klient, Jūsu SIM karte tiks bloķēta {h} stundu laikā! Atjaunojiet to šeit {u}",
    };
    std::mt19937 rng(7);
    std::set<std::string> ids;
    std::string first;
    for (int i = 0; i < 500; ++i) {
      std::string text = templates[i % 3];
      text.replace(text.find("{h}"), 3, std::to_string(rng() % 48 + 1));
      text.replace(text.find("{u}"), 3, "https://tele2-" + std::to_string(rng() % 100000) + ".top/s?" +
                                            std::to_string(rng()));
      const std::string id = index.assign(campaign_fingerprint(text));
      if (first.empty()) first = id;
      ids.insert(id);
    }
    CHECK(ids.size() == 1);
    CHECK(first.rfind("c-", 0) == 0);
    CHECK(first.size() == 18);
    CHECK(index.size() <= 3);  // distinct fingerprints, not messages
    const std::string other = index.assign(campaign_fingerprint(
        "Swedbank: Jūsu konts ir īslaicīgi bloķēts aizdomīgas darbības dēļ. Atbloķējiet: https://x.top"));
    CHECK(other != first);
    CHECK(index.find(campaign_fingerprint(templates[0])) == first);
  }

  TEST_CASE("the index finds exactly what a brute-force search finds") {
    for (int k : {0, 3, 8, 12}) {
      SUBCASE(std::to_string(k).c_str()) {
        CampaignIndex index(k);
        Reference reference{k, {}, {}};
        std::mt19937_64 rng(static_cast<std::uint64_t>(k) + 1);
        std::vector<std::uint64_t> centres;
        for (int c = 0; c < 20; ++c) centres.push_back(rng());
        for (int i = 0; i < 2000; ++i) {
          // Points scattered 0..k+3 bits around a few centres: matches, near misses and ties.
          std::uint64_t f = centres[rng() % centres.size()];
          const int flips = static_cast<int>(rng() % static_cast<std::uint64_t>(k + 4));
          for (int b = 0; b < flips; ++b) f ^= std::uint64_t{1} << (rng() % 64);
          const std::string expected = reference.assign(f);
          REQUIRE(index.assign(f) == expected);
        }
        CHECK(index.max_distance() == k);
      }
    }
  }

  TEST_CASE("recorded campaigns survive a reload through insert and keep their ids") {
    CampaignIndex first;
    const auto a = campaign_fingerprint("Your parcel is held: pay 1.99 EUR at dpd-lv.top/pay");
    const auto b = campaign_fingerprint("Mammu, man saplīsa telefons, šis ir mans jaunais numurs");
    const std::string ida = first.assign(a), idb = first.assign(b);
    CampaignIndex reloaded;
    reloaded.insert(b, idb);
    reloaded.insert(a, ida);
    reloaded.insert(a, "c-0000000000000001");  // a known fingerprint keeps its first campaign
    CHECK(reloaded.size() == 2);
    CHECK(reloaded.assign(a) == ida);
    CHECK(reloaded.assign(campaign_fingerprint("Your parcel is held: pay 2.49 EUR at dpd.top/p")) == ida);
    CHECK(reloaded.find(b ^ 0xFFFF'FFFF'FFFF'FFFFULL).empty());
  }
}
