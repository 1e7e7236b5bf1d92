// The ESME session against an in-process fake SMSC on 127.0.0.1, with a sink the test can hold back.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "smish/core/asio.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/session.hpp"
#include "support.hpp"

using namespace smish;
using namespace smish::gateway;
using namespace smish::gateway::smpp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;

namespace {

/// A sink whose accept() can be held until the test releases it, answering a fixed status.
class GateSink final : public core::ReportSink {
 public:
  std::vector<core::AcceptStatus> accept(std::span<const core::InboundSegment> segments) override {
    std::unique_lock lock(m_);
    ++calls_;
    accepted_ += segments.size();
    cv_.wait(lock, [&] { return open_; });
    return std::vector<core::AcceptStatus>(segments.size(), status_);
  }
  void process() override {}
  void hold() { std::lock_guard l(m_); open_ = false; }
  void release() { { std::lock_guard l(m_); open_ = true; } cv_.notify_all(); }
  void answer(core::AcceptStatus s) { std::lock_guard l(m_); status_ = s; }
  std::size_t accepted() { std::lock_guard l(m_); return accepted_; }
  int calls() { std::lock_guard l(m_); return calls_; }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = true;
  int calls_ = 0;
  std::size_t accepted_ = 0;
  core::AcceptStatus status_ = core::AcceptStatus::Stored;
};

/// The storage thread of the daemon, for tests.
struct Worker {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~Worker() {
    guard.reset();
    io.stop();
    thread.join();
  }
};

/// The SMSC side of one connection, driven by the test scenario coroutine.
struct Peer {
  explicit Peer(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  asio::ip::tcp::socket socket;
  PduFramer framer;
  std::deque<std::string> pdus;

  awaitable<std::optional<Pdu>> next() {
    while (pdus.empty()) {
      std::array<char, 4096> buf{};
      error_code ec;
      auto n = co_await socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return std::nullopt;
      (void)framer.feed(std::string_view(buf.data(), n), [&](std::string_view p) { pdus.emplace_back(p); });
    }
    auto raw = std::move(pdus.front());
    pdus.pop_front();
    auto d = decode_pdu(raw);
    co_return d.pdu;
  }
  // Takes the PDU by value: g++ 12 mis-destroys temporaries that live across a co_await, so callers
  // pass values, never braced temporaries, into co_await expressions.
  awaitable<void> send(core::Result<std::string> pdu) {
    REQUIRE(pdu.has_value());
    std::string bytes = std::move(*pdu);
    co_await asio::async_write(socket, asio::buffer(bytes), use_awaitable);
  }
  /// The next PDU, which must be there and carry `command_id` and `status`.
  awaitable<std::optional<Pdu>> expect(std::uint32_t command_id, std::uint32_t status) {
    auto pdu = co_await next();
    REQUIRE(pdu.has_value());
    CHECK(pdu->header.command_id == command_id);
    CHECK(pdu->header.command_status == status);
    co_return pdu;
  }
  /// After session.stop(): expects smishd's unbind and answers it.
  awaitable<void> expect_unbind() {
    auto unbind = co_await next();
    REQUIRE(unbind.has_value());
    CHECK(unbind->header.command_id == kUnbind);
    auto resp = encode::header_only(kUnbindResp, kEsmeRok, unbind->header.sequence_number);
    co_await send(std::move(resp));
  }
  awaitable<std::uint32_t> accept_bind(std::uint32_t status = kEsmeRok) {
    auto bind = co_await next();
    REQUIRE(bind.has_value());
    CHECK(bind->header.command_id == kBindTransceiver);
    BindRespBody body;
    body.system_id = "fake";
    auto resp = encode::bind_resp(kBindTransceiverResp, status, bind->header.sequence_number, body);
    co_await send(std::move(resp));
    co_return bind->header.sequence_number;
  }
};

/// Waits (bounded by the scenario's run_for) until the session has processed the bind_resp.
awaitable<void> wait_bound(Session& session) {
  auto ex = co_await asio::this_coro::executor;
  while (!session.bound()) {
    asio::steady_timer t(ex, std::chrono::milliseconds(1));
    co_await t.async_wait(use_awaitable);
  }
}

SmBody deliver(std::string text) {
  SmBody b;
  b.source_addr_ton = 1;
  b.source_addr_npi = 1;
  b.source_addr = "37120000001";
  b.destination_addr = "12250";
  b.short_message = std::move(text);
  return b;
}

SmscConfig config_for(int port) {
  SmscConfig c;
  c.name = "test";
  c.port = port;
  c.system_id = "smishd";
  c.password = "pw";
  c.response_timeout_ms = 1000;
  c.reconnect_min_ms = 10;
  c.reconnect_max_ms = 50;
  return c;
}

/// Runs `scenario(acceptor)` and the session on one io_context for at most `limit`.
template <typename Scenario>
void run_scenario(SmscConfig cfg, GateSink& sink, Scenario scenario, std::chrono::milliseconds limit = std::chrono::seconds(10),
                  SessionStats* stats_out = nullptr) {
  asio::io_context io(1);
  Worker worker;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  if (cfg.port == 0) cfg.port = acceptor.local_endpoint().port();
  Session session(io, cfg, sink, worker.io.get_executor());
  bool session_done = false, scenario_done = false;
  asio::co_spawn(io, session.run(), [&](std::exception_ptr) { session_done = true; });
  asio::co_spawn(io, scenario(acceptor, session), [&](std::exception_ptr e) {
    scenario_done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run_for(limit);
  CHECK_MESSAGE(scenario_done, "the scenario did not finish in time");
  CHECK_MESSAGE(session_done, "the session did not stop");
  sink.release();
  if (stats_out) *stats_out = session.stats();
}

}  // namespace

TEST_SUITE("gateway/session") {
  TEST_CASE("enquire_link is answered at once while storage is slow") {
    GateSink sink;
    sink.hold();
    run_scenario(config_for(0), sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto pdu1 = encode::sm(kDeliverSm, 100, deliver("slow disk"));
      co_await peer.send(std::move(pdu1));
      auto pdu2 = encode::header_only(kEnquireLink, kEsmeRok, 101);
      co_await peer.send(std::move(pdu2));
      auto first = co_await peer.next();
      REQUIRE(first.has_value());
      CHECK(first->header.command_id == kEnquireLinkResp);  // not stuck behind the storage write
      CHECK(first->header.sequence_number == 101);
      sink.release();
      auto second = co_await peer.expect(kDeliverSmResp, kEsmeRok);
      session.stop();
      co_await peer.expect_unbind();
    });
  }

  TEST_CASE("a storage failure is answered with the configured temporary status") {
    GateSink sink;
    sink.answer(core::AcceptStatus::TemporaryFailure);
    auto cfg = config_for(0);
    cfg.temp_error_status = kEsmeRmsgqful;
    run_scenario(cfg, sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto pdu4 = encode::sm(kDeliverSm, 7, deliver("disk full"));
      co_await peer.send(std::move(pdu4));
      auto resp = co_await peer.expect(kDeliverSmResp, kEsmeRmsgqful);
      session.stop();
      co_await peer.expect_unbind();
    });
  }

  TEST_CASE("beyond max_in_flight deliver_sm get the temporary status at once, never unbounded memory") {
    GateSink sink;
    sink.hold();
    auto cfg = config_for(0);
    cfg.max_in_flight = 2;
    run_scenario(cfg, sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      std::string burst;
      for (std::uint32_t seq = 1; seq <= 5; ++seq) burst += *encode::sm(kDeliverSm, seq, deliver("m" + std::to_string(seq)));
      co_await asio::async_write(peer.socket, asio::buffer(burst), use_awaitable);
      std::map<std::uint32_t, std::uint32_t> status;
      for (int i = 0; i < 3; ++i) {
        auto r = co_await peer.next();
        REQUIRE(r.has_value());
        status[r->header.sequence_number] = r->header.command_status;
      }
      CHECK(status == std::map<std::uint32_t, std::uint32_t>{{3, kEsmeRxTAppn}, {4, kEsmeRxTAppn}, {5, kEsmeRxTAppn}});
      CHECK(session.in_flight() == 2);
      sink.release();
      for (int i = 0; i < 2; ++i) {
        auto r = co_await peer.next();
        REQUIRE(r.has_value());
        CHECK(r->header.command_status == kEsmeRok);
        CHECK(r->header.sequence_number <= 2);
      }
      session.stop();
      co_await peer.expect_unbind();
    });
  }

  TEST_CASE("stop answers new deliver_sm with the temporary status, drains in-flight storage, then unbinds") {
    GateSink sink;
    sink.hold();
    run_scenario(config_for(0), sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto pdu7 = encode::sm(kDeliverSm, 1, deliver("in flight"));
      co_await peer.send(std::move(pdu7));
      while (session.in_flight() == 0) {  // bounded by run_for
        asio::steady_timer t(acc.get_executor(), std::chrono::milliseconds(1));
        co_await t.async_wait(use_awaitable);
      }
      session.stop();
      auto pdu8 = encode::sm(kDeliverSm, 2, deliver("too late"));
      co_await peer.send(std::move(pdu8));
      auto late = co_await peer.next();
      REQUIRE(late.has_value());
      CHECK(late->header.sequence_number == 2);
      CHECK(late->header.command_status == kEsmeRxTAppn);
      sink.release();
      auto drained = co_await peer.next();
      REQUIRE(drained.has_value());
      CHECK(drained->header.sequence_number == 1);
      CHECK(drained->header.command_status == kEsmeRok);
      co_await peer.expect_unbind();
    });
  }

  TEST_CASE("a refused bind is told apart from a lost connection, and the session fails over") {
    GateSink sink;
    SessionStats stats;
    // First endpoint: a port nothing listens on; second: the fake SMSC, which refuses once, then drops once.
    asio::io_context probe;
    asio::ip::tcp::acceptor closed(probe, {asio::ip::make_address("127.0.0.1"), 0});
    const int dead_port = closed.local_endpoint().port();
    closed.close();
    auto cfg = config_for(0);
    int fake_port = 0;
    run_scenario(cfg, sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      fake_port = acc.local_endpoint().port();
      (void)session;
      {
        Peer peer(co_await acc.async_accept(use_awaitable));
        co_await peer.accept_bind(kEsmeRinvpaswd);
      }
      {
        Peer peer(co_await acc.async_accept(use_awaitable));
        co_await peer.accept_bind();
        peer.socket.close();  // the link drops after a good bind
      }
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto pdu10 = encode::sm(kDeliverSm, 9, deliver("after failover"));
      co_await peer.send(std::move(pdu10));
      auto r = co_await peer.next();
      REQUIRE(r.has_value());
      CHECK(r->header.command_status == kEsmeRok);
      session.stop();
      co_await peer.expect_unbind();
    }, std::chrono::seconds(10), &stats);
    (void)fake_port;
    (void)dead_port;
    CHECK(stats.bind_failures == 1);
    CHECK(stats.connection_losses == 1);
    CHECK(stats.binds == 2);
  }

  TEST_CASE("endpoints are tried in turn until one answers") {
    GateSink sink;
    SessionStats stats;
    asio::io_context probe;
    asio::ip::tcp::acceptor closed(probe, {asio::ip::make_address("127.0.0.1"), 0});
    const int dead_port = closed.local_endpoint().port();
    closed.close();
    asio::io_context io(1);
    Worker worker;
    asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
    auto cfg = config_for(1);
    cfg.endpoints = {"127.0.0.1:" + std::to_string(dead_port), "127.0.0.1:" + std::to_string(acc.local_endpoint().port())};
    Session session(io, cfg, sink, worker.io.get_executor());
    bool done = false;
    asio::co_spawn(io, session.run(), [&](std::exception_ptr) { done = true; });
    asio::co_spawn(io, [&]() -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      co_await wait_bound(session);
      session.stop();
      co_await peer.expect_unbind();
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run_for(std::chrono::seconds(5));
    CHECK(done);
    CHECK(session.stats().connect_failures >= 1);
    CHECK(session.stats().binds == 1);
  }

  TEST_CASE("a deliver_sm before the bind completes is refused with ESME_RINVBNDSTS") {
    GateSink sink;
    run_scenario(config_for(0), sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      auto bind = co_await peer.next();
      REQUIRE(bind.has_value());
      auto pdu13 = encode::sm(kDeliverSm, 55, deliver("too early"));
      co_await peer.send(std::move(pdu13));
      auto refused = co_await peer.expect(kDeliverSmResp, kEsmeRinvbndsts);
      BindRespBody body;
      body.system_id = "fake";
      auto resp = encode::bind_resp(kBindTransceiverResp, kEsmeRok, bind->header.sequence_number, body);
      co_await peer.send(std::move(resp));
      co_await wait_bound(session);
      session.stop();
      co_await peer.expect_unbind();
    });
    CHECK(sink.accepted() == 0);
  }

  TEST_CASE("an idle link is probed and a silent one dropped") {
    GateSink sink;
    SessionStats stats;
    auto cfg = config_for(0);
    cfg.enquire_link_interval_s = 1;
    cfg.response_timeout_ms = 200;
    run_scenario(cfg, sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto probe = co_await peer.next();  // after ~1 s of silence
      REQUIRE(probe.has_value());
      CHECK(probe->header.command_id == kEnquireLink);
      auto after = co_await peer.next();  // unanswered: smishd drops the link
      CHECK_FALSE(after.has_value());
      Peer again(co_await acc.async_accept(use_awaitable));  // and binds again
      co_await again.accept_bind();
      co_await wait_bound(session);
      session.stop();
      co_await again.expect_unbind();
    }, std::chrono::seconds(10), &stats);
    CHECK(stats.enquire_links_sent >= 1);
    CHECK(stats.connection_losses == 1);
  }

  TEST_CASE("batches queued behind a slow write are merged into one synced write") {
    GateSink sink;
    sink.hold();
    SessionStats stats;
    run_scenario(config_for(0), sink, [&](asio::ip::tcp::acceptor& acc, Session& session) -> awaitable<void> {
      Peer peer(co_await acc.async_accept(use_awaitable));
      co_await peer.accept_bind();
      auto pdu16 = encode::sm(kDeliverSm, 1, deliver("first"));
      co_await peer.send(std::move(pdu16));
      while (sink.calls() == 0) {
        asio::steady_timer t(acc.get_executor(), std::chrono::milliseconds(1));
        co_await t.async_wait(use_awaitable);
      }
      for (std::uint32_t seq = 2; seq <= 6; ++seq) {  // five separate reads while the first write is held
        auto pdu17 = encode::sm(kDeliverSm, seq, deliver("m" + std::to_string(seq)));
        co_await peer.send(std::move(pdu17));
        asio::steady_timer t(acc.get_executor(), std::chrono::milliseconds(5));
        co_await t.async_wait(use_awaitable);
      }
      sink.release();
      for (int i = 0; i < 6; ++i) {
        auto r = co_await peer.next();
        REQUIRE(r.has_value());
        CHECK(r->header.command_status == kEsmeRok);
      }
      session.stop();
      co_await peer.expect_unbind();
    }, std::chrono::seconds(10), &stats);
    CHECK(sink.calls() == 2);  // the first write, then the other five together
    CHECK(stats.store_batches == 2);
  }
}
