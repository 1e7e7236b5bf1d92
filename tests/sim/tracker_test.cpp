// Tests for the smsc-sim DeliveryTracker: window, redelivery on temporary errors, timeouts, drops, rate.
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "smish/gateway/pdu.hpp"
#include "smish/sim/simulator.hpp"

namespace {

using namespace std::chrono_literals;
using namespace smish::sim;
namespace smpp = smish::gateway::smpp;

const SteadyTime t0 = SteadyTime{} + 1000s;

std::vector<smpp::SmBody> parts(std::size_t n, const std::string& tag = "m") {
  std::vector<smpp::SmBody> v;
  for (std::size_t i = 0; i < n; ++i) {
    smpp::SmBody b;
    b.short_message = tag + std::to_string(i);
    v.push_back(b);
  }
  return v;
}

// Sends everything ready now; returns the sequence numbers used.
std::vector<std::uint32_t> send_ready(DeliveryTracker& t, std::uint32_t& seq, SteadyTime now) {
  std::vector<std::uint32_t> out;
  for (int guard = 0; guard < 1000; ++guard) {
    auto id = t.next_ready(now);
    if (!id) break;
    t.mark_sent(*id, ++seq, now);
    out.push_back(seq);
  }
  return out;
}

}  // namespace

TEST_SUITE("sim/tracker") {
  TEST_CASE("no more than the window is outstanding, and a response frees a slot") {
    TrackerConfig cfg;
    cfg.window = 2;
    DeliveryTracker t(cfg, 5);
    std::uint32_t seq = 0;
    std::vector<std::uint32_t> sent;
    for (int i = 0; i < 5 && t.wants_message(t0); ++i) {
      t.add_message(parts(1), t0);
      for (auto q : send_ready(t, seq, t0)) sent.push_back(q);
    }
    CHECK(t.stats().messages_added == 2);
    CHECK(sent.size() == 2);
    CHECK(t.in_flight() == 2);
    CHECK_FALSE(t.wants_message(t0));
    CHECK(t.on_response(sent[0], smpp::kEsmeRok, t0 + 3ms) == ResponseOutcome::Completed);
    CHECK(t.in_flight() == 1);
    REQUIRE(t.wants_message(t0 + 3ms));
    t.add_message(parts(1), t0 + 3ms);
    CHECK(send_ready(t, seq, t0 + 3ms).size() == 1);
    CHECK(t.stats().latency_us.at(0) == 3000);
    CHECK_FALSE(t.done());
  }

  TEST_CASE("a temporary error redelivers the same PDU with a new sequence number after the delay") {
    TrackerConfig cfg;
    cfg.retry_delay = 200ms;
    DeliveryTracker t(cfg, 1);
    std::uint32_t seq = 0;
    t.add_message(parts(1, "scam"), t0);
    auto first = send_ready(t, seq, t0);
    REQUIRE(first.size() == 1);
    CHECK(t.on_response(first[0], smpp::kEsmeRxTAppn, t0 + 1ms) == ResponseOutcome::Retry);
    CHECK_FALSE(t.next_ready(t0 + 100ms).has_value());
    REQUIRE(t.next_deadline(t0 + 100ms).has_value());
    CHECK(*t.next_deadline(t0 + 100ms) == t0 + 201ms);
    auto id = t.next_ready(t0 + 201ms);
    REQUIRE(id.has_value());
    CHECK(t.body(*id).short_message == "scam0");
    t.mark_sent(*id, 77, t0 + 201ms);
    CHECK(t.on_response(first[0], smpp::kEsmeRok, t0 + 202ms) == ResponseOutcome::Unknown);  // old seq
    CHECK(t.on_response(77, smpp::kEsmeRok, t0 + 202ms) == ResponseOutcome::Completed);
    CHECK(t.done());
    CHECK(t.all_ok());
    CHECK(t.stats().retried == 1);
    CHECK(t.stats().pdus_sent == 2);
    CHECK(t.stats().final_by_status.at(smpp::kEsmeRok) == 1);
  }

  TEST_CASE("a permanent error is final and counted under its status") {
    DeliveryTracker t(TrackerConfig{}, 1);
    std::uint32_t seq = 0;
    t.add_message(parts(1), t0);
    auto s = send_ready(t, seq, t0);
    CHECK(t.on_response(s.at(0), smpp::kEsmeRxPAppn, t0) == ResponseOutcome::Failed);
    CHECK(t.done());
    CHECK_FALSE(t.all_ok());
    CHECK(t.stats().final_by_status.at(smpp::kEsmeRxPAppn) == 1);
    CHECK(final_status_name(smpp::kEsmeRxPAppn) == smpp::status_name(smpp::kEsmeRxPAppn));
  }

  TEST_CASE("retries stop after max_retries and the message fails with the last status") {
    TrackerConfig cfg;
    cfg.max_retries = 2;
    cfg.retry_delay = 0ms;
    DeliveryTracker t(cfg, 1);
    std::uint32_t seq = 0;
    t.add_message(parts(1), t0);
    std::vector<ResponseOutcome> outcomes;
    for (int i = 0; i < 5 && !t.done(); ++i) {
      auto s = send_ready(t, seq, t0);
      REQUIRE(s.size() == 1);
      outcomes.push_back(t.on_response(s[0], smpp::kEsmeRthrottled, t0));
    }
    CHECK(outcomes == std::vector<ResponseOutcome>{ResponseOutcome::Retry, ResponseOutcome::Retry, ResponseOutcome::Failed});
    CHECK(t.stats().final_by_status.at(smpp::kEsmeRthrottled) == 1);
    CHECK(t.stats().retried == 2);
  }

  TEST_CASE("no response within the timeout redelivers; at the limit the status is NO_RESPONSE") {
    TrackerConfig cfg;
    cfg.resp_timeout = 5000ms;
    cfg.retry_delay = 200ms;
    cfg.max_retries = 1;
    DeliveryTracker t(cfg, 1);
    std::uint32_t seq = 0;
    t.add_message(parts(1), t0);
    REQUIRE(send_ready(t, seq, t0).size() == 1);
    CHECK(*t.next_deadline(t0) == t0 + 5000ms);
    CHECK(t.expire(t0 + 4999ms) == 0);
    CHECK(t.expire(t0 + 5000ms) == 1);
    CHECK(t.in_flight() == 0);
    CHECK(send_ready(t, seq, t0 + 5100ms).empty());
    REQUIRE(send_ready(t, seq, t0 + 5200ms).size() == 1);
    CHECK(t.expire(t0 + 10200ms) == 1);
    CHECK(t.done());
    CHECK(t.stats().final_by_status.at(kStatusNoResponse) == 1);
    CHECK(final_status_name(kStatusNoResponse) == "NO_RESPONSE");
    CHECK(t.stats().timeouts == 2);
  }

  TEST_CASE("a connection drop makes every outstanding PDU pending again, ready at once") {
    TrackerConfig cfg;
    cfg.window = 3;
    DeliveryTracker t(cfg, 2);
    std::uint32_t seq = 0;
    t.add_message(parts(2, "a"), t0);
    REQUIRE(t.wants_message(t0) == false);  // parts still unsent
    auto s = send_ready(t, seq, t0);
    REQUIRE(s.size() == 2);
    t.add_message(parts(1, "b"), t0);
    CHECK(send_ready(t, seq, t0).size() == 1);
    CHECK(t.on_response(s[0], smpp::kEsmeRok, t0) == ResponseOutcome::Completed);
    t.on_disconnect(t0 + 1ms);
    CHECK(t.in_flight() == 0);
    CHECK(t.pending() == 2);
    CHECK(t.on_response(s[1], smpp::kEsmeRok, t0 + 2ms) == ResponseOutcome::Unknown);
    auto again = send_ready(t, seq, t0 + 1ms);
    REQUIRE(again.size() == 2);
    for (auto q : again) CHECK(t.on_response(q, smpp::kEsmeRok, t0 + 3ms) == ResponseOutcome::Completed);
    CHECK(t.done());
    CHECK(t.all_ok());
    CHECK(t.stats().final_by_status.at(smpp::kEsmeRok) == 2);
    CHECK(t.stats().messages_sent == 2);
  }

  TEST_CASE("a message with several parts is final only when every part is") {
    DeliveryTracker t(TrackerConfig{}, 1);
    std::uint32_t seq = 0;
    t.add_message(parts(3), t0);
    auto s = send_ready(t, seq, t0);
    REQUIRE(s.size() == 3);
    t.on_response(s[0], smpp::kEsmeRok, t0);
    t.on_response(s[1], smpp::kEsmeRinvdstadr, t0);
    CHECK_FALSE(t.done());
    t.on_response(s[2], smpp::kEsmeRok, t0);
    CHECK(t.done());
    CHECK(t.stats().final_by_status.size() == 1);
    CHECK(t.stats().final_by_status.at(smpp::kEsmeRinvdstadr) == 1);
  }

  TEST_CASE("the rate spaces new messages") {
    TrackerConfig cfg;
    cfg.rate_msgs_per_s = 10;
    cfg.rate_burst = 1;
    DeliveryTracker t(cfg, 3);
    std::uint32_t seq = 0;
    REQUIRE(t.wants_message(t0));
    t.add_message(parts(1), t0);
    send_ready(t, seq, t0);
    CHECK_FALSE(t.wants_message(t0 + 99ms));
    CHECK(*t.next_deadline(t0 + 50ms) == t0 + 100ms);
    CHECK(t.wants_message(t0 + 100ms));
  }

  TEST_CASE("a late wake-up catches up on the rate, up to the burst") {
    TrackerConfig cfg;
    cfg.window = 100;
    cfg.rate_msgs_per_s = 10;  // one message per 100 ms
    cfg.rate_burst = 4;
    DeliveryTracker t(cfg, 100);
    std::uint32_t seq = 0;
    auto add_all = [&](SteadyTime now) {
      int n = 0;
      while (t.wants_message(now)) {
        t.add_message(parts(1), now);
        send_ready(t, seq, now);
        ++n;
      }
      return n;
    };
    CHECK(add_all(t0) == 4);          // a burst at the start
    CHECK(add_all(t0 + 50ms) == 0);   // then the rate
    CHECK(add_all(t0 + 100ms) == 1);
    CHECK(add_all(t0 + 350ms) == 2);  // late by 150 ms: the missed messages are sent now
    CHECK(add_all(t0 + 400ms) == 1);  // and the schedule continues from where it was
    CHECK(add_all(t0 + 10s) == 4);    // a long idle period allows one burst only
    CHECK(add_all(t0 + 10s) == 0);
  }

  TEST_CASE("percentiles use the nearest rank") {
    std::vector<std::int64_t> v;
    for (int i = 100; i >= 1; --i) v.push_back(i);
    CHECK(percentile(v, 50) == 50);
    CHECK(percentile(v, 99) == 99);
    CHECK(percentile(v, 100) == 100);
    CHECK(percentile({}, 50) == 0);
  }
}
