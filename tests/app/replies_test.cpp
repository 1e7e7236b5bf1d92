// Reply templates, language choice, reply encoding and reading the reporter's two-step answer.
#include <doctest/doctest.h>

#include <fstream>

#include "smish/app/replies.hpp"
#include "smish/gateway/text.hpp"
#include "support.hpp"

using namespace smish;

namespace {

app::ReplyTemplates shipped() {
  auto t = app::ReplyTemplates::load((test::source_dir() / "configs" / "replies.yaml").string());
  REQUIRE_MESSAGE(t.has_value(), (t ? "" : t.error().detail));
  return *t;
}

}  // namespace

TEST_SUITE("app/replies") {
  TEST_CASE("the shipped templates cover six languages and pick the language sensibly") {
    auto t = shipped();
    for (const char* lang : {"lv", "ru", "et", "en", "ar", "lt"})
      for (const char* kind : {app::kReplyThanks, app::kReplyAskSender, app::kReplySenderThanks})
        CHECK_FALSE(t.text(lang, kind).empty());
    CHECK(t.language_for("ru", "LV") == "ru");  // the text's language first
    CHECK(t.language_for("", "EE") == "et");    // then the reporter's country
    CHECK(t.language_for("th", "TH") == "en");  // then the default
  }

  TEST_CASE("a template file with a missing kind or an unknown key is refused with the line") {
    test::TempDir dir;
    auto path = (dir.path() / "r.yaml").string();
    std::ofstream(path) << "default_language: en\ntemplates:\n  en:\n    thanks: \"hi\"\n    ask_sender: \"who?\"\n";
    auto t = app::ReplyTemplates::load(path);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().detail.find("missing sender_thanks") != std::string::npos);
    CHECK(t.error().detail.find(path + ":") == 0);
    std::ofstream(path) << "default_language: en\ncolour: red\n";
    auto u = app::ReplyTemplates::load(path);
    REQUIRE_FALSE(u.has_value());
    CHECK(u.error().detail.find(":2: colour: unknown key") != std::string::npos);
  }

  TEST_CASE("auto-replies and smishd's own replies are recognised") {
    auto t = shipped();
    CHECK(t.is_autoresponse("Auto-reply: I am on holiday until Monday"));
    CHECK(t.is_autoresponse("Автоответ: абонент временно недоступен"));
    CHECK(t.is_autoresponse(t.text("lv", app::kReplyThanks)));
    CHECK_FALSE(t.is_autoresponse("Jūsu līgums beidzas, apstipriniet: tele2-lv.info"));
  }

  TEST_CASE("two-step answers: numbers, the 7726 Call form, sender IDs; anything else is a new report") {
    struct Row { const char* text; const char* region; bool answer; bool number; const char* value; };
    const Row rows[] = {
        {"+371 2999 9901", "LV", true, true, "+37129999901"},
        {"29999901", "LV", true, true, "+37129999901"},
        {"Call +371 29999901", "LV", true, true, "+37129999901"},
        {"call 07400 123456", "GB", true, true, "+447400123456"},
        {"Звонок +7 900 000-99-01", "RU", true, true, "+79000009901"},
        {"Звонок +7 900 000-99-55", "RU", true, true, "+79000009955"},
        {"  SWEDBANK ", "LV", true, false, "SWEDBANK"},
        {"Info-LV", "LV", true, false, "Info-LV"},
        {"1234", "LV", false, false, ""},
        {"Thanks a lot", "GB", false, false, ""},
        {"Your parcel is waiting: dpd-lv.top/pay", "LV", false, false, ""},
        {"AVERYLONGSENDERNAME", "LV", false, false, ""},
    };
    for (const auto& row : rows) {
      SUBCASE(row.text) {
        auto a = app::parse_sender_answer(row.text, row.region);
        REQUIRE(a.has_value() == row.answer);
        if (a) {
          CHECK(a->is_number == row.number);
          CHECK(a->value == row.value);
        }
      }
    }
  }

  TEST_CASE("replies use GSM 7-bit when they fit it, UCS2 otherwise, and a UDH when long") {
    app::ReplyConfig cfg;
    auto gsm = app::encode_reply("Thank you for your report.", "+37120000001", cfg, 7);
    REQUIRE(gsm.size() == 1);
    CHECK(gsm[0].data_coding == 0);
    CHECK(gsm[0].destination_addr == "37120000001");
    CHECK(gsm[0].dest_addr_ton == 1);
    CHECK(gsm[0].source_addr == "12250");
    CHECK(gsm[0].registered_delivery == 1);
    CHECK(gateway::text::decode(0, gsm[0].short_message, {}).utf8 == "Thank you for your report.");

    const std::string lv = "Paldies par ziņojumu! Mēs pārbaudīsim šo ziņu un bloķēsim krāpniekus.";
    auto ucs = app::encode_reply(lv, "+37120000001", cfg, 8);
    REQUIRE(ucs.size() == 1);
    CHECK(ucs[0].data_coding == 8);

    const std::string long_lv = lv + " " + lv;
    auto parts = app::encode_reply(long_lv, "+37120000001", cfg, 9);
    REQUIRE(parts.size() == 3);
    std::string joined;
    for (const auto& p : parts) {
      CHECK(p.esm_class == gateway::smpp::kEsmClassUdhi);
      auto ud = gateway::text::split_udh(p.short_message);
      REQUIRE(ud.has_value());
      REQUIRE(ud->concat.has_value());
      CHECK(ud->concat->ref == 9);
      CHECK(ud->concat->total == 3);
      joined += ud->payload;
    }
    CHECK(gateway::text::decode(8, joined, {}).utf8 == long_lv);
  }
}
