// smsc-sim server: accepts ESMEs, answers binds/enquire_link/unbind/submit_sm, pumps deliver_sm from the tracker.
#include <algorithm>
#include <array>
#include <ctime>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "smish/core/asio.hpp"
#include "smish/core/log.hpp"
#include "smish/gateway/codec.hpp"
#include "smish/gateway/text.hpp"
#include "smish/sim/simulator.hpp"

namespace smish::sim {
namespace {

namespace smpp = gateway::smpp;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// The co_spawn completion handler: exceptions are a bug in the simulator; log them, never swallow.
auto log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      core::log_error("sim_coroutine_failed", {{"coroutine", what}, {"error", ex.what()}});
    } catch (...) {
      core::log_error("sim_coroutine_failed", {{"coroutine", what}, {"error", "unknown"}});
    }
  };
}

enum class BindKind { None, Transmitter, Receiver, Transceiver };

std::string_view to_string(BindKind k) {
  switch (k) {
    case BindKind::None: return "none";
    case BindKind::Transmitter: return "transmitter";
    case BindKind::Receiver: return "receiver";
    case BindKind::Transceiver: return "transceiver";
  }
  return "unknown";
}

// YYMMDDhhmm in UTC, for delivery receipts (SMPP 3.4 Appendix B).
std::string receipt_date() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 16> buf{};
  std::strftime(buf.data(), buf.size(), "%y%m%d%H%M", &tm);
  return buf.data();
}

/// One ESME connection. Owned by its three coroutines (reader, writer, enquire_link) via shared_ptr.
struct Session {
  Session(tcp::socket s, std::uint64_t session_id)
      : socket(std::move(s)), write_signal(socket.get_executor()), enquire_timer(socket.get_executor()),
        id(session_id) {}

  tcp::socket socket;
  asio::steady_timer write_signal;   // cancelled to wake the writer
  asio::steady_timer enquire_timer;
  std::deque<std::string> out;
  smpp::PduFramer framer;
  std::uint64_t id;
  std::string system_id;
  BindKind bind = BindKind::None;
  bool closing = false;  // stop reading; the writer closes once the queue is flushed
  bool closed = false;
  std::optional<std::uint32_t> enquire_outstanding;
  std::optional<std::uint32_t> unbind_seq;

  bool can_receive() const { return bind == BindKind::Receiver || bind == BindKind::Transceiver; }
  bool can_transmit() const { return bind == BindKind::Transmitter || bind == BindKind::Transceiver; }

  void send(std::string pdu) {
    if (closed) return;
    out.push_back(std::move(pdu));
    write_signal.cancel();
  }
  void close_after_flush() {
    closing = true;
    write_signal.cancel();
  }
  void close() {
    if (closed) return;
    closed = true;
    closing = true;
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    write_signal.cancel();
    enquire_timer.cancel();
  }
};

}  // namespace

struct Simulator::Impl {
  Impl(asio::io_context& io_ctx, SimConfig cfg, std::vector<CorpusMessage> msgs)
      : io(io_ctx),
        config(std::move(cfg)),
        corpus(std::move(msgs)),
        tracker(config.tracker, corpus.empty() ? 0 : (config.count ? config.count : corpus.size())),
        acceptor(io),
        pump_timer(io),
        max_timer(io),
        exit_timer(io),
        started_at(Clock::now()) {}

  asio::io_context& io;
  SimConfig config;
  std::vector<CorpusMessage> corpus;
  DeliveryTracker tracker;
  tcp::acceptor acceptor;
  asio::steady_timer pump_timer;  // cancelled to wake the pump
  asio::steady_timer max_timer;
  asio::steady_timer exit_timer;
  Clock::time_point started_at;
  std::function<void(const Summary&)> on_finished;
  bool finished = false;
  bool exiting = false;

  std::vector<std::shared_ptr<Session>> sessions;
  std::shared_ptr<Session> owner;  // the bind that gets the corpus
  std::uint64_t next_session_id = 1;
  std::uint32_t last_seq = 0;
  std::uint64_t next_message_index = 0;
  std::uint16_t next_ref = 0;
  std::uint64_t binds = 0;
  std::uint64_t submits_seen = 0;
  std::uint64_t submits_throttled = 0;
  std::uint64_t last_message_id = 0;
  std::uint64_t receipts_sent = 0;
  std::uint64_t receipts_undeliverable = 0;
  std::set<std::uint32_t> receipt_seqs;
  std::vector<SubmitRecord> submits;
  std::ofstream submits_out;

  std::uint32_t next_seq() {
    // SMPP 3.4 §5.1.4: sequence_number 0x00000001..0x7FFFFFFF.
    last_seq = last_seq >= 0x7FFFFFFF ? 1 : last_seq + 1;
    return last_seq;
  }

  void poke() { pump_timer.cancel(); }

  // ---- coroutines ----

  awaitable<void> accept_loop() {
    while (!finished) {
      error_code ec;
      tcp::socket sock = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (finished) break;
      if (ec) {
        if (ec == asio::error::operation_aborted) break;
        core::log_warn("sim_accept_failed", {{"error", ec.message()}});
        // Back off briefly so that EMFILE does not spin the loop.
        asio::steady_timer t(io, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      sock.set_option(tcp::no_delay(true), ec);
      auto s = std::make_shared<Session>(std::move(sock), next_session_id++);
      sessions.push_back(s);
      core::log_info("sim_connection", {{"session", s->id}});
      asio::co_spawn(io, read_loop(s), log_failure("read_loop"));
      asio::co_spawn(io, write_loop(s), log_failure("write_loop"));
      asio::co_spawn(io, enquire_loop(s), log_failure("enquire_loop"));
    }
  }

  awaitable<void> read_loop(std::shared_ptr<Session> s) {
    std::array<char, 16384> buf{};
    while (!s->closing) {
      error_code ec;
      const std::size_t n = co_await s->socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      auto st = s->framer.feed(std::string_view(buf.data(), n), [&](std::string_view pdu) {
        if (!s->closing) handle_pdu(*s, pdu);
      });
      if (!st) {
        core::log_warn("sim_framing_error", {{"session", s->id}, {"error", st.error().detail}});
        if (auto nack = smpp::encode::header_only(smpp::kGenericNack, smpp::kEsmeRinvcmdlen, 0)) s->send(*nack);
        s->close_after_flush();
      }
    }
    end_session(s);
  }

  awaitable<void> write_loop(std::shared_ptr<Session> s) {
    std::string batch;
    while (true) {
      if (s->out.empty()) {
        if (s->closed) break;
        if (s->closing) {
          s->close();
          break;
        }
        s->write_signal.expires_at(Clock::time_point::max());
        error_code ec;
        co_await s->write_signal.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      // Several queued PDUs go out in one write (benchmarks); only this coroutine writes.
      batch.clear();
      while (!s->out.empty() && batch.size() < 65536) {
        batch += s->out.front();
        s->out.pop_front();
      }
      error_code ec;
      co_await asio::async_write(s->socket, asio::buffer(batch), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        s->close();
        break;
      }
    }
  }

  awaitable<void> enquire_loop(std::shared_ptr<Session> s) {
    if (config.enquire_link_s == 0) co_return;
    while (!s->closing) {
      s->enquire_timer.expires_after(std::chrono::seconds(config.enquire_link_s));
      error_code ec;
      co_await s->enquire_timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (s->closing) break;
      if (s->bind == BindKind::None) {
        core::log_warn("sim_no_bind", {{"session", s->id}});
        s->close();
        break;
      }
      if (s->enquire_outstanding) {
        // The previous enquire_link got no answer within a whole interval: the peer is gone.
        core::log_warn("sim_enquire_link_timeout", {{"session", s->id}, {"system_id", s->system_id}});
        s->close();
        break;
      }
      const std::uint32_t seq = next_seq();
      if (auto pdu = smpp::encode::header_only(smpp::kEnquireLink, smpp::kEsmeRok, seq)) {
        s->enquire_outstanding = seq;
        s->send(std::move(*pdu));
      }
    }
  }

  awaitable<void> pump() {
    while (!finished && !exiting) {
      const auto now = Clock::now();
      tracker.expire(now);
      // Fill the window in one wake-up: add a message, send its parts, and go on while the window
      // and the rate allow (one message per wake-up would cap the offered load at the timer's pace).
      const bool can_send = owner && !owner->closing && owner->can_receive();
      for (;;) {
        while (tracker.wants_message(now)) add_next_message(now);
        if (!can_send) break;
        bool sent = false;
        while (auto id = tracker.next_ready(now)) {
          sent = true;
          const std::uint32_t seq = next_seq();
          auto pdu = smpp::encode::sm(smpp::kDeliverSm, seq, tracker.body(*id));
          tracker.mark_sent(*id, seq, now);
          if (!pdu) {
            core::log_error("sim_encode_failed", {{"sequence_number", seq}, {"error", pdu.error().detail}});
            tracker.on_response(seq, smpp::kEsmeRsyserr, now);
            continue;
          }
          owner->send(std::move(*pdu));
        }
        if (!sent || !tracker.wants_message(now)) break;
      }
      if (config.exit_when_done && tracker.done() && binds > 0) {
        co_await finish_run();
        co_return;
      }
      // Without a receiver nothing changes until a bind, which pokes the pump.
      auto deadline = Clock::time_point::max();
      if (owner && !owner->closing) {
        if (auto d = tracker.next_deadline(now)) deadline = std::max(*d, now + std::chrono::microseconds(100));
      }
      pump_timer.expires_at(deadline);
      error_code ec;
      co_await pump_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  std::uint64_t tracker_expected() const {
    return corpus.empty() ? 0 : (config.count ? config.count : corpus.size());
  }

  awaitable<void> finish_run() {
    exiting = true;
    error_code ec;
    if (config.linger_ms > 0) {
      exit_timer.expires_after(std::chrono::milliseconds(config.linger_ms));
      co_await exit_timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (finished) co_return;
    }
    for (auto& s : sessions) {
      if (s->bind == BindKind::None || s->closing) continue;
      const std::uint32_t seq = next_seq();
      if (auto pdu = smpp::encode::header_only(smpp::kUnbind, smpp::kEsmeRok, seq)) {
        s->unbind_seq = seq;
        s->send(std::move(*pdu));
      }
    }
    // Wait (bounded) for every unbind_resp; each closes its session.
    const auto until = Clock::now() + std::chrono::milliseconds(config.unbind_timeout_ms);
    while (!finished && Clock::now() < until &&
           std::any_of(sessions.begin(), sessions.end(), [](const auto& s) { return s->unbind_seq && !s->closed; })) {
      exit_timer.expires_after(std::chrono::milliseconds(5));
      co_await exit_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    complete(-1);
  }

  // ---- protocol ----

  void handle_pdu(Session& s, std::string_view raw) {
    const auto r = smpp::decode_pdu(raw);
    const auto& h = r.pdu.header;
    const bool is_resp = (h.command_id & smpp::kRespBit) != 0;
    if (!r.ok()) {
      core::log_warn("sim_bad_pdu", {{"session", s.id},
                                     {"command", smpp::command_name(h.command_id)},
                                     {"sequence_number", h.sequence_number},
                                     {"error", r.error.detail}});
      if (r.error.generic_nack) {
        // Never answer a response (or a generic_nack) with another generic_nack: that could loop.
        if (!is_resp) send_header(s, smpp::kGenericNack, r.error.command_status, h.sequence_number);
        return;
      }
      if (h.command_id == smpp::kDeliverSmResp) {
        on_deliver_resp(h.sequence_number, h.command_status);  // the header status is still valid
        return;
      }
      if (!is_resp) send_error_resp(s, h.command_id, r.error.command_status, h.sequence_number);
      return;
    }
    switch (h.command_id) {
      case smpp::kBindReceiver:
      case smpp::kBindTransmitter:
      case smpp::kBindTransceiver:
        handle_bind(s, h, std::get<smpp::BindBody>(r.pdu.body));
        return;
      case smpp::kEnquireLink:
        // Answered in every state, bound or not (a keep-alive is never harmful).
        send_header(s, smpp::kEnquireLinkResp, smpp::kEsmeRok, h.sequence_number);
        return;
      case smpp::kUnbind:
        if (s.bind == BindKind::None) {
          send_header(s, smpp::kUnbindResp, smpp::kEsmeRinvbndsts, h.sequence_number);
          return;
        }
        send_header(s, smpp::kUnbindResp, smpp::kEsmeRok, h.sequence_number);
        core::log_info("sim_unbind", {{"session", s.id}, {"system_id", s.system_id}});
        s.close_after_flush();
        return;
      case smpp::kSubmitSm:
        if (!s.can_transmit()) {
          send_sm_resp(s, smpp::kSubmitSmResp, smpp::kEsmeRinvbndsts, h.sequence_number, "");
          return;
        }
        handle_submit(s, h, std::get<smpp::SmBody>(r.pdu.body));
        return;
      case smpp::kDeliverSm:
        // An ESME does not send deliver_sm to an SMSC (SMPP 3.4 §4.6).
        send_sm_resp(s, smpp::kDeliverSmResp,
                     s.bind == BindKind::None ? smpp::kEsmeRinvbndsts : smpp::kEsmeRinvcmdid, h.sequence_number, "");
        return;
      case smpp::kDeliverSmResp:
        on_deliver_resp(h.sequence_number, h.command_status);
        return;
      case smpp::kGenericNack:
        core::log_warn("sim_generic_nack", {{"session", s.id},
                                            {"sequence_number", h.sequence_number},
                                            {"status", smpp::status_name(h.command_status)}});
        on_deliver_resp(h.sequence_number, h.command_status);
        return;
      case smpp::kEnquireLinkResp:
        if (s.enquire_outstanding == h.sequence_number) s.enquire_outstanding.reset();
        return;
      case smpp::kUnbindResp:
        if (s.unbind_seq == h.sequence_number) s.close_after_flush();
        return;
      default:
        if (!is_resp) {
          send_header(s, smpp::kGenericNack, smpp::kEsmeRinvcmdid, h.sequence_number);
        } else {
          core::log_debug("sim_unexpected_resp", {{"session", s.id}, {"command", smpp::command_name(h.command_id)}});
        }
        return;
    }
  }

  void on_deliver_resp(std::uint32_t seq, std::uint32_t status) {
    if (receipt_seqs.erase(seq) > 0) return;
    const auto outcome = tracker.on_response(seq, status, Clock::now());
    if (outcome == ResponseOutcome::Unknown) {
      core::log_debug("sim_late_response", {{"sequence_number", seq}, {"status", smpp::status_name(status)}});
      return;
    }
    if (outcome != ResponseOutcome::Completed)
      core::log_info("sim_deliver_sm_not_ok", {{"sequence_number", seq},
                                               {"status", smpp::status_name(status)},
                                               {"outcome", outcome == ResponseOutcome::Retry ? "retry" : "failed"}});
    poke();
  }

  void handle_bind(Session& s, const smpp::PduHeader& h, const smpp::BindBody& b) {
    const std::uint32_t resp_id = h.command_id | smpp::kRespBit;
    smpp::BindRespBody body;
    body.system_id = "smsc-sim";
    if (s.bind != BindKind::None) {
      send_bind_resp(s, resp_id, smpp::kEsmeRalybnd, h.sequence_number, body);
      return;
    }
    std::uint32_t status = smpp::kEsmeRok;
    if (b.system_id != config.system_id) status = smpp::kEsmeRinvsysid;
    else if (b.password != config.password) status = smpp::kEsmeRinvpaswd;
    if (status != smpp::kEsmeRok) {
      core::log_warn("sim_bind_rejected", {{"session", s.id}, {"system_id", b.system_id}, {"status", smpp::status_name(status)}});
      send_bind_resp(s, resp_id, status, h.sequence_number, body);
      s.close_after_flush();
      return;
    }
    s.bind = h.command_id == smpp::kBindReceiver      ? BindKind::Receiver
             : h.command_id == smpp::kBindTransmitter ? BindKind::Transmitter
                                                      : BindKind::Transceiver;
    s.system_id = b.system_id;
    ++binds;
    body.sc_interface_version = 0x34;
    send_bind_resp(s, resp_id, smpp::kEsmeRok, h.sequence_number, body);
    core::log_info("sim_bound", {{"session", s.id}, {"system_id", s.system_id}, {"bind", to_string(s.bind)}});
    if (s.can_receive() && !owner) {
      for (auto& candidate : sessions)
        if (candidate.get() == &s) owner = candidate;
      poke();
    }
  }

  void handle_submit(Session& s, const smpp::PduHeader& h, const smpp::SmBody& b) {
    ++submits_seen;
    if (submits_seen <= config.throttle_submit) {
      ++submits_throttled;
      send_sm_resp(s, smpp::kSubmitSmResp, smpp::kEsmeRthrottled, h.sequence_number, "");
      return;
    }
    SubmitRecord rec;
    rec.message_id = std::to_string(++last_message_id);
    rec.source_addr = b.source_addr;
    rec.source_addr_ton = b.source_addr_ton;
    rec.source_addr_npi = b.source_addr_npi;
    rec.destination_addr = b.destination_addr;
    rec.dest_addr_ton = b.dest_addr_ton;
    rec.dest_addr_npi = b.dest_addr_npi;
    rec.data_coding = b.data_coding;
    rec.esm_class = b.esm_class;
    rec.registered_delivery = b.registered_delivery;
    std::string_view user_data = b.short_message;
    if (user_data.empty())
      if (const auto* t = b.find_tlv(smpp::kTagMessagePayload)) user_data = t->value;
    std::string payload(user_data);
    if (b.esm_class & smpp::kEsmClassUdhi) {
      if (auto u = gateway::text::split_udh(user_data)) {
        payload = u->payload;
        rec.concat = u->concat;
      } else {
        core::log_warn("sim_submit_bad_udh", {{"session", s.id}, {"error", u.error().detail}});
      }
    } else {
      const auto* ref = b.find_tlv(smpp::kTagSarMsgRefNum);
      const auto* total = b.find_tlv(smpp::kTagSarTotalSegments);
      const auto* seq = b.find_tlv(smpp::kTagSarSegmentSeqnum);
      if (ref && total && seq && ref->value.size() == 2 && total->value.size() == 1 && seq->value.size() == 1) {
        core::ConcatInfo c;
        c.source = core::ConcatSource::Sar;
        c.ref = static_cast<std::uint16_t>((static_cast<std::uint8_t>(ref->value[0]) << 8) |
                                           static_cast<std::uint8_t>(ref->value[1]));
        c.total = static_cast<std::uint8_t>(total->value[0]);
        c.seq = static_cast<std::uint8_t>(seq->value[0]);
        rec.concat = c;
      }
    }
    const auto decoded = gateway::text::decode(b.data_coding, payload, gateway::text::TextOptions{});
    rec.text = decoded.utf8;
    rec.text_flags = decoded.flags;
    send_sm_resp(s, smpp::kSubmitSmResp, smpp::kEsmeRok, h.sequence_number, rec.message_id);
    if (submits_out.is_open()) {
      submits_out << rec.to_json().dump(-1, ' ', false, core::Json::error_handler_t::replace) << '\n';
      submits_out.flush();
    }
    if (config.receipts) send_receipt(s, rec);
    submits.push_back(std::move(rec));
  }

  void send_receipt(Session& s, const SubmitRecord& rec) {
    Session* target = s.can_receive() ? &s : owner.get();
    if (!target || target->closing) {
      ++receipts_undeliverable;
      core::log_warn("sim_receipt_undeliverable", {{"message_id", rec.message_id}});
      return;
    }
    // Receipt text (SMPP 3.4 Appendix B); the text: field carries the first 20 characters, kept to
    // ones that are the same in ASCII and the GSM default alphabet.
    std::string snippet;
    for (char c : rec.text) {
      if (snippet.size() >= 20) break;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == '.' ||
          c == ',' || c == ':' || c == '-' || c == '!' || c == '?')
        snippet += c;
    }
    const std::string date = receipt_date();
    const std::string text = fmt::format("id:{} sub:001 dlvrd:001 submit date:{} done date:{} stat:DELIVRD err:000 text:{}",
                                         rec.message_id, date, date, snippet);
    smpp::SmBody body;
    body.source_addr_ton = rec.dest_addr_ton;
    body.source_addr_npi = rec.dest_addr_npi;
    body.source_addr = rec.destination_addr;
    body.dest_addr_ton = rec.source_addr_ton;
    body.dest_addr_npi = rec.source_addr_npi;
    body.destination_addr = rec.source_addr;
    body.esm_class = 0x04;  // SMPP 3.4 §5.2.12: SMSC delivery receipt
    body.data_coding = 0x00;
    body.short_message = gateway::text::encode_gsm7(text).value_or(text);
    // SMPP 3.4 §5.3.2.12 receipted_message_id is a C-octet string; §5.3.2.35 message_state 2 = DELIVERED.
    body.tlvs.push_back(smpp::Tlv{smpp::kTagReceiptedMessageId, rec.message_id + std::string(1, '\0')});
    body.tlvs.push_back(smpp::Tlv{smpp::kTagMessageState, std::string(1, '\x02')});
    const std::uint32_t seq = next_seq();
    auto pdu = smpp::encode::sm(smpp::kDeliverSm, seq, body);
    if (!pdu) {
      core::log_error("sim_encode_failed", {{"message_id", rec.message_id}, {"error", pdu.error().detail}});
      return;
    }
    receipt_seqs.insert(seq);
    target->send(std::move(*pdu));
    ++receipts_sent;
  }

  void add_next_message(Clock::time_point now) {
    const std::uint64_t index = next_message_index++;
    const CorpusMessage& msg = corpus[index % corpus.size()];
    BuildOptions opts;
    opts.ref = next_ref++;  // unique per message (wraps at 65536; udh8 uses the low 8 bits)
    opts.split_blind = config.split_blind;
    if (config.vary) opts.text_suffix = fmt::format(" #{}", index + 1);
    auto parts = build_deliver_parts(msg, opts);
    if (!parts) {
      core::log_error("sim_build_failed", {{"line", msg.line}, {"error", parts.error().detail}});
      tracker.add_failed_message(smpp::kEsmeRsyserr, now);
      return;
    }
    tracker.add_message(std::move(*parts), now);
  }

  void send_header(Session& s, std::uint32_t id, std::uint32_t status, std::uint32_t seq) {
    if (auto pdu = smpp::encode::header_only(id, status, seq)) s.send(std::move(*pdu));
    else core::log_error("sim_encode_failed", {{"command", smpp::command_name(id)}, {"error", pdu.error().detail}});
  }
  void send_sm_resp(Session& s, std::uint32_t id, std::uint32_t status, std::uint32_t seq, std::string_view message_id) {
    if (auto pdu = smpp::encode::sm_resp(id, status, seq, message_id)) s.send(std::move(*pdu));
    else core::log_error("sim_encode_failed", {{"command", smpp::command_name(id)}, {"error", pdu.error().detail}});
  }
  void send_bind_resp(Session& s, std::uint32_t id, std::uint32_t status, std::uint32_t seq, const smpp::BindRespBody& b) {
    if (auto pdu = smpp::encode::bind_resp(id, status, seq, b)) s.send(std::move(*pdu));
    else core::log_error("sim_encode_failed", {{"command", smpp::command_name(id)}, {"error", pdu.error().detail}});
  }
  // The _resp for a request whose body did not decode.
  void send_error_resp(Session& s, std::uint32_t request_id, std::uint32_t status, std::uint32_t seq) {
    const std::uint32_t resp_id = request_id | smpp::kRespBit;
    switch (request_id) {
      case smpp::kBindReceiver:
      case smpp::kBindTransmitter:
      case smpp::kBindTransceiver:
        send_bind_resp(s, resp_id, status, seq, smpp::BindRespBody{});
        return;
      case smpp::kSubmitSm:
      case smpp::kDeliverSm:
        send_sm_resp(s, resp_id, status, seq, "");
        return;
      default:
        send_header(s, resp_id, status, seq);
    }
  }

  void end_session(const std::shared_ptr<Session>& s) {
    if (!s->out.empty() && s->closing && !s->closed) {
      // The writer flushes the last responses (bind failure, unbind_resp) and then closes.
    } else {
      s->close();
    }
    s->enquire_timer.cancel();
    std::erase(sessions, s);
    core::log_info("sim_disconnected", {{"session", s->id}, {"system_id", s->system_id}});
    if (owner == s) {
      owner.reset();
      tracker.on_disconnect(Clock::now());
      for (auto& other : sessions)
        if (other->can_receive() && !other->closing) {
          owner = other;
          break;
        }
      poke();
    }
  }

  // ---- end ----

  Summary summary() const {
    const auto& st = tracker.stats();
    core::Json acknowledged = core::Json::object();
    for (const auto& [status, n] : st.final_by_status) acknowledged[final_status_name(status)] = n;
    double throughput = 0;
    if (st.first_send && st.last_final && *st.last_final > *st.first_send) {
      const double secs = std::chrono::duration<double>(*st.last_final - *st.first_send).count();
      throughput = static_cast<double>(st.messages_final) / secs;
    }
    Summary out;
    out.json = core::Json{
        {"sent", st.messages_sent},
        {"expected", tracker_expected()},
        {"final", st.messages_final},
        {"pdus_sent", st.pdus_sent},
        {"acknowledged", acknowledged},
        {"retried", st.retried},
        {"timeouts", st.timeouts},
        {"throughput_msgs_per_s", throughput},
        {"latency_us",
         {{"p50", percentile(st.latency_us, 50)}, {"p99", percentile(st.latency_us, 99)}, {"max", percentile(st.latency_us, 100)}}},
        {"submit_sm_received", submits.size()},
        {"submit_sm_throttled", submits_throttled},
        {"receipts_sent", receipts_sent},
        {"binds", binds},
        {"duration_s", std::chrono::duration<double>(Clock::now() - started_at).count()},
    };
    out.exit_code = tracker.done() && tracker.all_ok() ? 0 : 1;
    return out;
  }

  void complete(int exit_code) {
    if (finished) return;
    finished = true;
    error_code ec;
    acceptor.close(ec);
    pump_timer.cancel();
    max_timer.cancel();
    exit_timer.cancel();
    for (auto s : sessions) s->close();
    Summary sum = summary();
    if (exit_code >= 0) sum.exit_code = exit_code;
    sum.json["exit_code"] = sum.exit_code;
    if (on_finished) on_finished(sum);
  }
};

core::Json SubmitRecord::to_json() const {
  core::Json j{
      {"message_id", message_id},
      {"source_addr", source_addr},
      {"source_addr_ton", source_addr_ton},
      {"source_addr_npi", source_addr_npi},
      {"destination_addr", destination_addr},
      {"dest_addr_ton", dest_addr_ton},
      {"dest_addr_npi", dest_addr_npi},
      {"data_coding", data_coding},
      {"esm_class", esm_class},
      {"registered_delivery", registered_delivery},
      {"text", text},
      {"text_flags", text_flags},
  };
  if (concat)
    j["concat"] = {{"source", std::string(core::to_string(concat->source))},
                   {"ref", concat->ref},
                   {"total", concat->total},
                   {"seq", concat->seq}};
  return j;
}

Simulator::Simulator(asio::io_context& io, SimConfig config, std::vector<CorpusMessage> corpus)
    : impl_(std::make_unique<Impl>(io, std::move(config), std::move(corpus))) {}

Simulator::~Simulator() {
  if (impl_) {
    impl_->finished = true;
    error_code ec;
    impl_->acceptor.close(ec);
    for (auto& s : impl_->sessions) s->close();
  }
}

core::Result<std::uint16_t> Simulator::listen() {
  Impl& m = *impl_;
  error_code ec;
  const auto addr = asio::ip::make_address(m.config.listen_host, ec);
  if (ec) return core::make_error(core::ErrorCode::InvalidArgument, fmt::format("--listen: bad address {}: {}", m.config.listen_host, ec.message()));
  const tcp::endpoint ep(addr, m.config.listen_port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::make_error(core::ErrorCode::IoError,
                            fmt::format("cannot listen on {}:{}: {}", m.config.listen_host, m.config.listen_port, ec.message()));
  if (!m.config.submits_file.empty()) {
    m.submits_out.open(m.config.submits_file, std::ios::trunc);
    if (!m.submits_out)
      return core::make_error(core::ErrorCode::IoError, fmt::format("--submits-file {}: cannot open", m.config.submits_file));
  }
  return m.acceptor.local_endpoint().port();
}

void Simulator::start(std::function<void(const Summary&)> on_finished) {
  Impl& m = *impl_;
  m.on_finished = std::move(on_finished);
  m.started_at = Clock::now();
  asio::co_spawn(m.io, m.accept_loop(), log_failure("accept_loop"));
  asio::co_spawn(m.io, m.pump(), log_failure("pump"));
  if (m.config.max_seconds > 0) {
    m.max_timer.expires_after(std::chrono::seconds(m.config.max_seconds));
    m.max_timer.async_wait([&m](const error_code& ec) {
      if (ec) return;
      core::log_warn("sim_max_seconds", {{"seconds", m.config.max_seconds}});
      m.complete(3);
    });
  }
}

void Simulator::stop(int exit_code) { impl_->complete(exit_code); }
Summary Simulator::summary() const { return impl_->summary(); }
const std::vector<SubmitRecord>& Simulator::submits() const { return impl_->submits; }
const DeliveryTracker& Simulator::tracker() const { return impl_->tracker; }
bool Simulator::finished() const { return impl_->finished; }

}  // namespace smish::sim
