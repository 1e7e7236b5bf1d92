// smsc-sim delivery tracker: the deliver_sm window, redelivery on temporary errors and timeouts, stats.
#include <algorithm>
#include <cassert>
#include <cmath>

#include "smish/gateway/pdu.hpp"
#include "smish/sim/simulator.hpp"

namespace smish::sim {

using gateway::smpp::kEsmeRok;

std::string final_status_name(std::uint32_t status) {
  if (status == kStatusNoResponse) return "NO_RESPONSE";
  return gateway::smpp::status_name(status);
}

double percentile(std::vector<std::int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return static_cast<double>(values[rank - 1]);
}

DeliveryTracker::DeliveryTracker(TrackerConfig config, std::uint64_t expected_messages)
    : config_(std::move(config)), expected_(expected_messages) {
  if (config_.window == 0) config_.window = 1;  // a zero window would never send
}

void DeliveryTracker::add_failed_message(std::uint32_t status, SteadyTime now) {
  (void)now;
  ++next_message_;
  ++stats_.messages_added;
  ++stats_.messages_final;
  ++stats_.final_by_status[status];
}

bool DeliveryTracker::wants_message(SteadyTime now) const {
  return stats_.messages_added < expected_ && pending_.empty() && in_flight_.size() < config_.window &&
         now >= next_new_at_;
}

void DeliveryTracker::add_message(std::vector<gateway::smpp::SmBody> parts, SteadyTime now) {
  const std::uint64_t msg = next_message_++;
  ++stats_.messages_added;
  if (config_.rate_msgs_per_s > 0) {
    const auto gap = std::chrono::duration_cast<SteadyTime::duration>(
        std::chrono::duration<double>(1.0 / config_.rate_msgs_per_s));
    // A token bucket of `rate_burst` messages: a wake-up that comes late may catch up on what
    // it missed (up to the burst), so timer jitter does not lower the offered rate; an idle
    // period allows at most one burst afterwards.
    const auto burst = gap * static_cast<std::int64_t>(std::max<std::uint32_t>(config_.rate_burst, 1));
    next_new_at_ = std::max(next_new_at_, now - burst + gap) + gap;
  }
  if (parts.empty()) {  // nothing to send: final at once (cannot happen with built corpus messages)
    ++stats_.messages_final;
    ++stats_.final_by_status[kEsmeRok];
    return;
  }
  messages_[msg] = Message{parts.size(), kEsmeRok, false};
  for (auto& body : parts) {
    const PartId id = next_part_++;
    parts_.emplace(id, Part{msg, std::move(body), 0, now, {}, kStatusNoResponse});
    pending_.push_back(id);
  }
}

std::optional<DeliveryTracker::PartId> DeliveryTracker::next_ready(SteadyTime now) const {
  if (in_flight_.size() >= config_.window) return std::nullopt;
  // Parts waiting for a retry delay do not hold up the others behind them.
  for (PartId id : pending_)
    if (parts_.at(id).ready_at <= now) return id;
  return std::nullopt;
}

const gateway::smpp::SmBody& DeliveryTracker::body(PartId id) const { return parts_.at(id).body; }

void DeliveryTracker::mark_sent(PartId id, std::uint32_t sequence_number, SteadyTime now) {
  auto it = std::find(pending_.begin(), pending_.end(), id);
  assert(it != pending_.end());
  if (it != pending_.end()) pending_.erase(it);
  Part& part = parts_.at(id);
  part.sent_at = now;
  in_flight_[sequence_number] = id;
  if (auto m = messages_.find(part.message); m != messages_.end() && !m->second.sent) {
    m->second.sent = true;
    ++stats_.messages_sent;
  }
  ++stats_.pdus_sent;
  if (!stats_.first_send) stats_.first_send = now;
}

bool DeliveryTracker::is_temporary(std::uint32_t status) const {
  return std::find(config_.temp_statuses.begin(), config_.temp_statuses.end(), status) !=
         config_.temp_statuses.end();
}

ResponseOutcome DeliveryTracker::on_response(std::uint32_t sequence_number, std::uint32_t command_status,
                                             SteadyTime now) {
  auto it = in_flight_.find(sequence_number);
  if (it == in_flight_.end()) return ResponseOutcome::Unknown;
  const PartId id = it->second;
  in_flight_.erase(it);
  Part& part = parts_.at(id);
  part.last_status = command_status;
  if (command_status == kEsmeRok) {
    stats_.latency_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - part.sent_at).count());
    stats_.last_final = now;
    finish(id, kEsmeRok);
    return ResponseOutcome::Completed;
  }
  if (is_temporary(command_status) && part.retries < config_.max_retries) {
    retry_or_fail(id, command_status, now);
    return ResponseOutcome::Retry;
  }
  stats_.latency_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - part.sent_at).count());
  stats_.last_final = now;
  finish(id, command_status);
  return ResponseOutcome::Failed;
}

void DeliveryTracker::retry_or_fail(PartId id, std::uint32_t status, SteadyTime now) {
  Part& part = parts_.at(id);
  if (part.retries >= config_.max_retries) {
    stats_.last_final = now;
    finish(id, status);
    return;
  }
  ++part.retries;
  ++stats_.retried;
  part.ready_at = now + config_.retry_delay;
  pending_.push_back(id);
}

std::size_t DeliveryTracker::expire(SteadyTime now) {
  std::vector<std::pair<std::uint32_t, PartId>> late;
  for (const auto& [seq, id] : in_flight_)
    if (parts_.at(id).sent_at + config_.resp_timeout <= now) late.emplace_back(seq, id);
  // Deterministic order: oldest sequence first.
  std::sort(late.begin(), late.end());
  for (const auto& [seq, id] : late) {
    in_flight_.erase(seq);
    ++stats_.timeouts;
    // A part that timed out keeps the last answer it got, if any, as its failure status.
    retry_or_fail(id, parts_.at(id).last_status, now);
  }
  return late.size();
}

void DeliveryTracker::on_disconnect(SteadyTime now) {
  std::vector<std::pair<std::uint32_t, PartId>> out(in_flight_.begin(), in_flight_.end());
  std::sort(out.begin(), out.end());
  in_flight_.clear();
  // Unacknowledged parts go first on the next bind, in the order they were sent.
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    parts_.at(it->second).ready_at = now;
    pending_.push_front(it->second);
    ++stats_.retried;
  }
}

std::optional<SteadyTime> DeliveryTracker::next_deadline(SteadyTime now) const {
  std::optional<SteadyTime> best;
  auto consider = [&](SteadyTime t) {
    if (!best || t < *best) best = t;
  };
  for (const auto& [seq, id] : in_flight_) consider(parts_.at(id).sent_at + config_.resp_timeout);
  if (in_flight_.size() < config_.window) {
    for (PartId id : pending_) consider(parts_.at(id).ready_at);
    if (stats_.messages_added < expected_ && pending_.empty()) consider(std::max(next_new_at_, now));
  }
  return best;
}

void DeliveryTracker::finish(PartId id, std::uint32_t status) {
  auto pit = parts_.find(id);
  const std::uint64_t msg = pit->second.message;
  parts_.erase(pit);
  auto mit = messages_.find(msg);
  if (mit == messages_.end()) return;
  Message& m = mit->second;
  if (status != kEsmeRok && m.status == kEsmeRok) m.status = status;
  if (--m.parts_left == 0) {
    ++stats_.final_by_status[m.status];
    ++stats_.messages_final;
    messages_.erase(mit);
  }
}

bool DeliveryTracker::all_ok() const {
  for (const auto& [status, n] : stats_.final_by_status)
    if (status != kEsmeRok && n > 0) return false;
  return true;
}

}  // namespace smish::sim
