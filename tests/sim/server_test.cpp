// Loopback tests for the smsc-sim server: a small in-test ESME binds, receives, answers and unbinds.
#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "smish/core/asio.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/text.hpp"
#include "smish/sim/simulator.hpp"

namespace {

using namespace std::chrono_literals;
using namespace smish;
using namespace smish::sim;
namespace smpp = smish::gateway::smpp;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

// A raw ESME connection: framer + decoder on read, encoder on write.
struct Esme {
  explicit Esme(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  smpp::PduFramer framer;
  std::deque<std::string> ready;
  std::uint32_t seq = 0;

  awaitable<void> connect(std::uint16_t port) {
    co_await socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), use_awaitable);
  }
  awaitable<void> send(std::string pdu) { co_await asio::async_write(socket, asio::buffer(pdu), use_awaitable); }
  /// The next PDU, or nullopt at EOF.
  awaitable<std::optional<smpp::Pdu>> next() {
    std::array<char, 4096> buf{};
    for (int guard = 0; guard < 10000 && ready.empty(); ++guard) {
      boost::system::error_code ec;
      const std::size_t n = co_await socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return std::nullopt;
      auto st = framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { ready.emplace_back(p); });
      REQUIRE(st.has_value());
    }
    if (ready.empty()) co_return std::nullopt;
    auto r = smpp::decode_pdu(ready.front());
    ready.pop_front();
    REQUIRE_MESSAGE(r.ok(), r.error.detail);
    co_return r.pdu;
  }
  awaitable<smpp::Pdu> bind(const std::string& password) {
    smpp::BindBody b;
    b.system_id = "smishd";
    b.password = password;
    co_await send(smpp::encode::bind(smpp::kBindTransceiver, ++seq, b).value());
    auto resp = co_await next();
    REQUIRE(resp.has_value());
    co_return *resp;
  }
};

std::vector<CorpusMessage> make_corpus(const std::string& jsonl) {
  auto c = parse_corpus(jsonl);
  REQUIRE(c.has_value());
  return *c;
}

SimConfig base_config() {
  SimConfig cfg;
  cfg.system_id = "smishd";
  cfg.password = "secret";
  cfg.tracker.retry_delay = 10ms;
  cfg.tracker.resp_timeout = 3000ms;
  cfg.exit_when_done = true;
  cfg.max_seconds = 20;
  return cfg;
}

auto store_exception(std::exception_ptr& out) {
  return [&out](std::exception_ptr e) { out = e; };
}

std::string user_text(const smpp::SmBody& b) {
  std::string_view ud = b.short_message;
  if (b.esm_class & smpp::kEsmClassUdhi) {
    auto u = gateway::text::split_udh(ud);
    REQUIRE(u.has_value());
    return u->payload;
  }
  return std::string(ud);
}

}  // namespace

TEST_SUITE("sim/server") {
  TEST_CASE("an ESME is refused with a wrong password, binds, gets a redelivery after a temporary error, and unbinds") {
    asio::io_context io;
    const std::string corpus_text =
        R"({"src":"+37120000001","dst":"12250","text":"Your parcel is held: pay 1.99 EUR at http://dpd-lv.example"})" "\n" +
        std::string(R"({"src":"+37120000002","dst":"12250","text":")") + std::string(200, 'k') + R"(","split":"udh16"})" "\n";
    SimConfig cfg = base_config();
    cfg.receipts = true;
    Simulator sim(io, cfg, make_corpus(corpus_text));
    auto port = sim.listen();
    REQUIRE(port.has_value());
    std::optional<Summary> summary;
    sim.start([&](const Summary& s) { summary = s; });

    std::uint32_t wrong_password_status = 0xDEAD;
    bool wrong_password_closed = false;
    std::uint32_t pre_bind_submit_status = 0xDEAD;
    std::uint32_t bind_status = 0xDEAD;
    std::uint32_t submit_status = 0xDEAD;
    std::string submit_message_id;
    std::vector<std::pair<std::uint32_t, std::string>> deliveries;  // (sequence_number, short_message)
    std::vector<std::string> texts;
    int receipts = 0;
    std::string receipt_text;
    bool got_unbind = false;
    bool closed_after_unbind = false;
    std::exception_ptr esme_error;

    asio::co_spawn(io, [&]() -> awaitable<void> {
      {
        Esme bad(io);
        co_await bad.connect(*port);
        auto resp = co_await bad.bind("wrong");
        wrong_password_status = resp.header.command_status;
        wrong_password_closed = !(co_await bad.next()).has_value();
      }
      Esme esme(io);
      co_await esme.connect(*port);
      smpp::SmBody early;
      early.source_addr = "12250";
      early.destination_addr = "37120000001";
      early.short_message = "too early";
      co_await esme.send(smpp::encode::sm(smpp::kSubmitSm, ++esme.seq, early).value());
      auto early_resp = co_await esme.next();
      REQUIRE(early_resp.has_value());
      CHECK(early_resp->header.command_id == smpp::kSubmitSmResp);
      pre_bind_submit_status = early_resp->header.command_status;

      auto bound = co_await esme.bind("secret");
      CHECK(bound.header.command_id == smpp::kBindTransceiverResp);
      bind_status = bound.header.command_status;

      smpp::SmBody reply;
      reply.source_addr = "12250";
      reply.destination_addr = "37120000001";
      reply.dest_addr_ton = 1;
      reply.dest_addr_npi = 1;
      reply.registered_delivery = 1;
      reply.short_message = "Thanks, report 7 received";
      const std::uint32_t submit_seq = ++esme.seq;
      co_await esme.send(smpp::encode::sm(smpp::kSubmitSm, submit_seq, reply).value());

      bool answered_first = false;
      for (int guard = 0; guard < 100; ++guard) {
        auto pdu = co_await esme.next();
        if (!pdu) {
          closed_after_unbind = got_unbind;
          break;
        }
        const auto& h = pdu->header;
        if (h.command_id == smpp::kSubmitSmResp && h.sequence_number == submit_seq) {
          submit_status = h.command_status;
          submit_message_id = std::get<smpp::SmRespBody>(pdu->body).message_id;
        } else if (h.command_id == smpp::kDeliverSm) {
          const auto& body = std::get<smpp::SmBody>(pdu->body);
          if (body.esm_class == 0x04) {
            ++receipts;
            receipt_text = body.short_message;
            co_await esme.send(smpp::encode::sm_resp(smpp::kDeliverSmResp, smpp::kEsmeRok, h.sequence_number, "").value());
            continue;
          }
          deliveries.emplace_back(h.sequence_number, body.short_message);
          texts.push_back(gateway::text::decode(body.data_coding, user_text(body), {}).utf8);
          const std::uint32_t status = answered_first ? smpp::kEsmeRok : smpp::kEsmeRxTAppn;
          answered_first = true;
          co_await esme.send(smpp::encode::sm_resp(smpp::kDeliverSmResp, status, h.sequence_number, "").value());
        } else if (h.command_id == smpp::kUnbind) {
          got_unbind = true;
          co_await esme.send(smpp::encode::header_only(smpp::kUnbindResp, smpp::kEsmeRok, h.sequence_number).value());
        } else if (h.command_id == smpp::kEnquireLink) {
          co_await esme.send(smpp::encode::header_only(smpp::kEnquireLinkResp, smpp::kEsmeRok, h.sequence_number).value());
        }
      }
    }, store_exception(esme_error));

    io.run_for(10s);
    if (esme_error) {
      try {
        std::rethrow_exception(esme_error);
      } catch (const std::exception& e) {
        FAIL("ESME coroutine failed: " << e.what());
      }
    }
    CHECK(wrong_password_status == smpp::kEsmeRinvpaswd);
    CHECK(wrong_password_closed);
    CHECK(pre_bind_submit_status == smpp::kEsmeRinvbndsts);
    CHECK(bind_status == smpp::kEsmeRok);
    CHECK(submit_status == smpp::kEsmeRok);
    CHECK(submit_message_id == "1");
    CHECK(receipts == 1);
    CHECK(receipt_text.find("id:1 sub:001 dlvrd:001") == 0);
    CHECK(receipt_text.find("stat:DELIVRD err:000 text:Thanks, report 7 rec") != std::string::npos);

    // 1 + 2 parts, plus the redelivery of the first.
    // The simulator keeps a window open, so the redelivery may come before or after the
    // second message's parts: find each by content rather than by position.
    REQUIRE(deliveries.size() == 4);
    CHECK(texts[0] == "Your parcel is held: pay 1.99 EUR at http://dpd-lv.example");
    std::size_t redelivery = 0;
    std::string long_text;
    for (std::size_t i = 1; i < deliveries.size(); ++i) {
      if (deliveries[i].second == deliveries[0].second) {
        CHECK(redelivery == 0);
        redelivery = i;
      } else {
        long_text += texts[i];  // the parts are sent in order
      }
    }
    REQUIRE(redelivery != 0);
    CHECK(deliveries[redelivery].first != deliveries[0].first);  // new sequence number
    CHECK(long_text == std::string(200, 'k'));
    CHECK(got_unbind);
    CHECK(closed_after_unbind);

    REQUIRE(summary.has_value());
    const auto& j = summary->json;
    CHECK(summary->exit_code == 0);
    CHECK(j["sent"] == 2);
    CHECK(j["pdus_sent"] == 4);
    CHECK(j["retried"] == 1);
    CHECK(j["acknowledged"].size() == 1);
    CHECK(j["acknowledged"]["ESME_ROK"] == 2);
    CHECK(j["binds"] == 1);
    CHECK(j["submit_sm_received"] == 1);
    CHECK(j["receipts_sent"] == 1);
    CHECK(j["latency_us"]["max"].get<double>() >= j["latency_us"]["p50"].get<double>());
    REQUIRE(sim.submits().size() == 1);
    CHECK(sim.submits()[0].text == "Thanks, report 7 received");
    CHECK(sim.submits()[0].destination_addr == "37120000001");
  }

  TEST_CASE("after a drop the next bind gets every unacknowledged PDU again") {
    asio::io_context io;
    SimConfig cfg = base_config();
    cfg.enquire_link_s = 0;
    Simulator sim(io, cfg,
                  make_corpus(R"({"src":"+37120000001","dst":"12250","text":"one"})" "\n"
                              R"({"src":"+37120000001","dst":"12250","text":"two"})" "\n"));
    auto port = sim.listen();
    REQUIRE(port.has_value());
    std::optional<Summary> summary;
    sim.start([&](const Summary& s) { summary = s; });
    std::vector<std::string> first_conn;
    std::vector<std::string> second_conn;
    std::exception_ptr esme_error;
    asio::co_spawn(io, [&]() -> awaitable<void> {
      {
        Esme esme(io);
        co_await esme.connect(*port);
        auto b = co_await esme.bind("secret");
        REQUIRE(b.header.command_status == smpp::kEsmeRok);
        // Take both deliveries; acknowledge only "one"; then drop the connection.
        for (int i = 0; i < 2; ++i) {
          auto pdu = co_await esme.next();
          REQUIRE(pdu.has_value());
          REQUIRE(pdu->header.command_id == smpp::kDeliverSm);
          const auto& body = std::get<smpp::SmBody>(pdu->body);
          first_conn.push_back(body.short_message);
          if (body.short_message == "one")
            co_await esme.send(smpp::encode::sm_resp(smpp::kDeliverSmResp, smpp::kEsmeRok, pdu->header.sequence_number, "").value());
        }
      }
      Esme esme(io);
      co_await esme.connect(*port);
      auto b = co_await esme.bind("secret");
      REQUIRE(b.header.command_status == smpp::kEsmeRok);
      for (int guard = 0; guard < 20; ++guard) {
        auto pdu = co_await esme.next();
        if (!pdu) break;
        if (pdu->header.command_id == smpp::kDeliverSm) {
          second_conn.push_back(std::get<smpp::SmBody>(pdu->body).short_message);
          co_await esme.send(smpp::encode::sm_resp(smpp::kDeliverSmResp, smpp::kEsmeRok, pdu->header.sequence_number, "").value());
        } else if (pdu->header.command_id == smpp::kUnbind) {
          co_await esme.send(smpp::encode::header_only(smpp::kUnbindResp, smpp::kEsmeRok, pdu->header.sequence_number).value());
        }
      }
    }, store_exception(esme_error));
    io.run_for(10s);
    CHECK_FALSE(esme_error);
    CHECK(first_conn == std::vector<std::string>{"one", "two"});
    CHECK(second_conn == std::vector<std::string>{"two"});
    REQUIRE(summary.has_value());
    CHECK(summary->exit_code == 0);
    CHECK(summary->json["binds"] == 2);
    CHECK(summary->json["acknowledged"]["ESME_ROK"] == 2);
    CHECK(summary->json["pdus_sent"] == 3);
  }

  TEST_CASE("a wrong system_id gets ESME_RINVSYSID, and an unanswered run stops at max-seconds with code 3") {
    asio::io_context io;
    SimConfig cfg = base_config();
    cfg.max_seconds = 1;
    Simulator sim(io, cfg, make_corpus(R"({"src":"+37120000001","dst":"12250","text":"x"})" "\n"));
    auto port = sim.listen();
    REQUIRE(port.has_value());
    std::optional<Summary> summary;
    sim.start([&](const Summary& s) { summary = s; });
    std::uint32_t status = 0xDEAD;
    std::exception_ptr esme_error;
    asio::co_spawn(io, [&]() -> awaitable<void> {
      Esme esme(io);
      co_await esme.connect(*port);
      smpp::BindBody b;
      b.system_id = "intruder";
      b.password = "secret";
      co_await esme.send(smpp::encode::bind(smpp::kBindReceiver, 1, b).value());
      auto resp = co_await esme.next();
      REQUIRE(resp.has_value());
      status = resp->header.command_status;
    }, store_exception(esme_error));
    io.run_for(5s);
    CHECK_FALSE(esme_error);
    CHECK(status == smpp::kEsmeRinvsysid);
    REQUIRE(summary.has_value());
    CHECK(summary->exit_code == 3);
    CHECK(summary->json["sent"] == 0);
  }

  TEST_CASE("the first throttle-submit submit_sm get ESME_RTHROTTLED, then they are accepted and recorded") {
    asio::io_context io;
    SimConfig cfg = base_config();
    cfg.exit_when_done = false;
    cfg.throttle_submit = 1;
    Simulator sim(io, cfg, {});
    auto port = sim.listen();
    REQUIRE(port.has_value());
    std::optional<Summary> summary;
    sim.start([&](const Summary& s) { summary = s; });
    std::vector<std::uint32_t> statuses;
    std::vector<std::string> ids;
    std::exception_ptr esme_error;
    asio::co_spawn(io, [&]() -> awaitable<void> {
      Esme esme(io);
      co_await esme.connect(*port);
      smpp::BindBody b;
      b.system_id = "smishd";
      b.password = "secret";
      co_await esme.send(smpp::encode::bind(smpp::kBindTransmitter, ++esme.seq, b).value());
      auto bound = co_await esme.next();
      REQUIRE(bound.has_value());
      REQUIRE(bound->header.command_status == smpp::kEsmeRok);
      smpp::SmBody reply;
      reply.source_addr = "12250";
      reply.destination_addr = "37120000001";
      reply.data_coding = 0x08;
      reply.short_message = gateway::text::encode_ucs2("Paldies");
      for (int i = 0; i < 2; ++i) {
        co_await esme.send(smpp::encode::sm(smpp::kSubmitSm, ++esme.seq, reply).value());
        auto resp = co_await esme.next();
        REQUIRE(resp.has_value());
        statuses.push_back(resp->header.command_status);
        // An error response may carry no body at all (SMPP 3.4 §4.4.2).
        const auto* body = std::get_if<smpp::SmRespBody>(&resp->body);
        ids.push_back(body ? body->message_id : std::string());
      }
      sim.stop(-1);
    }, store_exception(esme_error));
    io.run_for(5s);
    CHECK_FALSE(esme_error);
    CHECK(statuses == std::vector<std::uint32_t>{smpp::kEsmeRthrottled, smpp::kEsmeRok});
    CHECK(ids.at(1) == "1");
    REQUIRE(summary.has_value());
    CHECK(summary->json["submit_sm_received"] == 1);
    CHECK(summary->json["submit_sm_throttled"] == 1);
    REQUIRE(sim.submits().size() == 1);
    CHECK(sim.submits()[0].text == "Paldies");
    CHECK(sim.submits()[0].data_coding == 0x08);
  }
}
