// The pipeline against a real RocksDB, the real extractor and rules: ack path, reassembly, indicators.
#include <doctest/doctest.h>

#include "pipeline_fixture.hpp"

using namespace smish;
namespace text = gateway::text;
using test::pipeline::Fixture;
using test::pipeline::part;
using test::pipeline::segment;

TEST_SUITE("app/pipeline") {
  TEST_CASE("a whole message becomes a report with a pseudonymous reporter and a masked PDU") {
    Fixture f;
    auto gsm = *text::encode_gsm7("Tele2: jusu ligums beidzas, apstipriniet: tele2-lv-bonus.info/ok");
    std::vector<core::InboundSegment> in{segment("37120000001", 0, gsm, {}, f.clock.now().time_since_epoch().count() / 1000000)};
    auto st = f.pipeline->accept(in);
    REQUIRE(st.size() == 1);
    CHECK(st[0] == core::AcceptStatus::Stored);
    f.pipeline->process();
    auto reports = f.reports();
    REQUIRE(reports.size() == 1);
    const auto& r = reports[0];
    CHECK(r.text == "Tele2: jusu ligums beidzas, apstipriniet: tele2-lv-bonus.info/ok");
    CHECK(r.reporter == f.pseudonymizer.pseudonym("+37120000001"));
    CHECK(r.reporter_country == "LV");
    REQUIRE(r.raw_pdus.size() == 1);
    CHECK(r.raw_pdus[0].find("37120000001") == std::string::npos);
    REQUIRE(r.extraction.urls.size() == 1);
    CHECK(r.extraction.urls[0].domain == "tele2-lv-bonus.info");
  }

  TEST_CASE("a stop cuts the batch short after the message in hand; the rest stays in the inbox") {
    Fixture f;
    std::vector<core::InboundSegment> in;
    for (int i = 0; i < 5; ++i)
      in.push_back(segment("3712000000" + std::to_string(i), 0, *text::encode_gsm7("message " + std::to_string(i)), {},
                           1000 + i));
    for (auto st : f.pipeline->accept(in)) CHECK(st == core::AcceptStatus::Stored);
    f.pipeline->finish_by(std::chrono::steady_clock::now() - std::chrono::seconds(1));  // already due
    f.pipeline->process();
    CHECK(f.reports().size() == 1);
    CHECK(f.pipeline->backlog());
    f.pipeline->finish_by(std::chrono::steady_clock::time_point::max());  // the next start: no deadline
    while (f.pipeline->backlog()) f.pipeline->process();
    f.pipeline->process();
    CHECK(f.reports().size() == 5);  // nothing lost, nothing twice
  }

  TEST_CASE("a redelivered segment is acknowledged but never becomes a second report") {
    Fixture f;
    std::vector<core::InboundSegment> in{segment("37120000001", 0, *text::encode_gsm7("hello"), {}, 1000)};
    CHECK(f.pipeline->accept(in)[0] == core::AcceptStatus::Stored);
    f.pipeline->process();
    CHECK(f.pipeline->accept(in)[0] == core::AcceptStatus::Duplicate);
    f.pipeline->process();
    CHECK(f.reports().size() == 1);
  }

  TEST_CASE("UCS2 parts split inside a surrogate pair and out of order are joined before decoding") {
    Fixture f;
    const std::string msg = "Мама, это мой новый номер 😀 напиши в WhatsApp +79001234567";
    auto parts = text::split_encoded(text::Charset::Ucs2, text::encode_ucs2(msg), 27, /*keep_characters_whole=*/false);
    REQUIRE(parts.size() >= 3);
    std::vector<core::InboundSegment> in;
    for (std::size_t i = parts.size(); i-- > 0;)  // last part first
      in.push_back(segment("79000000001", 8, parts[i], part(7, static_cast<std::uint8_t>(parts.size()), static_cast<std::uint8_t>(i + 1)), 1000));
    f.pipeline->accept(in);
    f.pipeline->process();
    auto reports = f.reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].text == msg);
    CHECK(reports[0].parts == parts.size());
    CHECK((reports[0].text_flags & core::kTextUndecodable) == 0);
  }

  TEST_CASE("septet-packed GSM 7-bit parts are unpacked with the fill bits after each UDH") {
    Fixture f({}, /*packed=*/true);
    const std::string first = "Your parcel is held at customs. Pay the fee of 2,99 ";
    const std::string second = "€ at dpd-lv-fee.top/pay today or it returns to sender.";
    // Each part as an SMSC sends it: a 6-octet UDH (UDHL 5), then septets starting after 1 fill bit.
    auto packed = [](const std::string& s) { return text::pack_septets(*text::encode_gsm7(s), 1); };
    std::vector<core::InboundSegment> in{segment("37120000002", 0, packed(first), part(9, 2, 1), 1000, 6),
                                         segment("37120000002", 0, packed(second), part(9, 2, 2), 1000, 6)};
    f.pipeline->accept(in);
    f.pipeline->process();
    auto reports = f.reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].text == first + second);
  }

  TEST_CASE("an incomplete concatenation becomes a report with a gap marker after the timeout") {
    app::PipelineOptions opts;
    opts.reassembly_timeout_s = 600;
    Fixture f(opts);
    const auto now = core::to_unix_ms(f.clock.now());
    std::vector<core::InboundSegment> in{segment("37120000003", 0, *text::encode_gsm7("part one "), part(3, 3, 1), now),
                                         segment("37120000003", 0, *text::encode_gsm7("part three"), part(3, 3, 3), now)};
    f.pipeline->accept(in);
    f.pipeline->process();
    CHECK(f.reports().empty());
    f.clock.advance_ms(599'000);
    f.pipeline->process();
    CHECK(f.reports().empty());
    f.clock.advance_ms(2'000);
    f.pipeline->process();
    auto reports = f.reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].text == "part one  […] part three");
    CHECK((reports[0].text_flags & core::kTextGap) != 0);
    CHECK(f.pipeline->stats().gap_reports == 1);
  }

  TEST_CASE("pending parts are bounded: the oldest incomplete messages are finished early, never dropped") {
    app::PipelineOptions opts;
    opts.max_pending_parts = 3;
    Fixture f(opts);
    const auto now = core::to_unix_ms(f.clock.now());
    for (int i = 0; i < 5; ++i) {
      std::vector<core::InboundSegment> in{segment("3712000001" + std::to_string(i), 0,
                                                   *text::encode_gsm7("fragment " + std::to_string(i)),
                                                   part(static_cast<std::uint16_t>(i), 2, 1), now + i)};
      f.pipeline->accept(in);
      f.pipeline->process();
    }
    CHECK(f.pipeline->stats().pending_parts <= 3);
    CHECK(f.pipeline->stats().early_gap_reports == 2);
    auto reports = f.reports();
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].text.rfind("fragment 0", 0) == 0);  // the oldest first
    CHECK(reports[1].text.rfind("fragment 1", 0) == 0);
  }

  TEST_CASE("five distinct reporters of one scam domain list it; one reporter five times does not") {
    Fixture f;
    const auto now = core::to_unix_ms(f.clock.now());
    const std::string scam = "Tele2: Jūsu līgums beidzas. Apstipriniet datus: http://tele2-lv-bonus.info/ligums";
    for (int i = 0; i < 5; ++i) {
      std::vector<core::InboundSegment> once{segment("3712000009" + std::to_string(i), 8, text::encode_ucs2(scam), {}, now + i)};
      f.pipeline->accept(once);
      std::vector<core::InboundSegment> same{segment("37120000100", 8, text::encode_ucs2(scam + " " + std::to_string(i)), {}, now + i)};
      f.pipeline->accept(same);
    }
    f.pipeline->process();
    auto domain = f.store->get_indicator(core::IndicatorKind::Domain, "tele2-lv-bonus.info");
    REQUIRE(domain.has_value());
    REQUIRE(domain->has_value());
    CHECK((*domain)->total_reports == 10);
    CHECK((*domain)->distinct_reporters == 6);
    CHECK((*domain)->status == core::IndicatorStatus::Listed);
  }
}

namespace {

/// Collects what the pipeline would send; the test answers for the SMSC.
struct RecordingTransport final : app::ReplyTransport {
  std::vector<gateway::Submission> sent;
  void send(std::vector<gateway::Submission> parts) override {
    for (auto& p : parts) sent.push_back(std::move(p));
  }
};

app::PipelineOptions with_replies() {
  app::PipelineOptions o;
  auto t = app::ReplyTemplates::load((test::source_dir() / "configs" / "replies.yaml").string());
  REQUIRE(t.has_value());
  o.templates = std::make_shared<const app::ReplyTemplates>(std::move(*t));
  return o;
}

}  // namespace

TEST_SUITE("app/pipeline/replies") {
  TEST_CASE("two-step conversations of several reporters interleaved each complete their own report") {
    Fixture f(with_replies());
    RecordingTransport transport;
    f.pipeline->set_reply_transport(&transport);
    const auto now = core::to_unix_ms(f.clock.now());
    auto deliver = [&](const char* reporter, const std::string& text, int i) {
      std::vector<core::InboundSegment> in{segment(reporter, 8, text::encode_ucs2(text), {}, now + i)};
      f.pipeline->accept(in);
      f.pipeline->process();
    };
    deliver("37120000501", "Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: latvijas-pasts-lv.top/pay", 1);
    deliver("79000000501", "Ваш аккаунт Госуслуг заблокирован. Подтвердите данные: gosuslugi-verify.top", 2);
    deliver("447400900501", "Your bank account is suspended. Verify now at bank-secure-check.top/login", 3);
    deliver("37120000501", "+371 29999955", 4);
    deliver("79000000501", "Звонок +7 900 000-99-55", 5);
    deliver("447400900501", "HSBC-ALERT", 6);
    std::map<std::string, std::string> senders;
    for (const auto& r : f.reports()) senders[r.reporter_country] = r.reported_sender;
    CHECK(f.reports().size() == 3);
    CHECK(senders["LV"] == "+37129999955");
    CHECK(senders["RU"] == "+79000009955");
    CHECK(senders["GB"] == "HSBC-ALERT");
    CHECK(f.pipeline->stats().sender_answers == 3);
    CHECK(transport.sent.size() >= 6);  // one submission per part: the UCS2 questions take two
  }
}
