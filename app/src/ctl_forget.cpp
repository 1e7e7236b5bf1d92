// smishctl forget --reporter NUMBER: a data-subject request, through smishd or on the stopped database.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include "ctl_commands.hpp"
#include "smish/app/forget.hpp"
#include "smish/app/pipeline.hpp"
#include "smish/core/log.hpp"
#include "smish/storage/pseudonym.hpp"

namespace smish::app {

int cmd_forget(Ctx& ctx, const Args& args) {
  const auto number = args.get("reporter");
  if (!number || number->empty() || args.positional.size() != 1) {
    std::cerr << "usage: smishctl forget --reporter NUMBER [--actor NAME]\n";
    return kUsage;
  }
  // The pseudonym exactly as smishd made it from the reporter's source address: international
  // when written with "+", else read in the default region (a local number as the SMSC sends it).
  std::string digits;
  for (char c : *number)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.size() < 3) {
    std::cerr << "smishctl: forget: \"" << *number << "\" is not a phone number\n";
    return kUsage;
  }
  const bool international = number->front() == '+' || number->rfind("00", 0) == 0;
  if (number->rfind("00", 0) == 0) digits.erase(0, 2);
  const std::string e164 = reporter_number(core::SmppAddress{static_cast<std::uint8_t>(international ? 1 : 0), 1,
                                                             international ? digits : *number},
                                           ctx.config.extract.default_region);
  auto keyed = storage::Pseudonymizer::from_file_or_env(ctx.config.storage.pseudonym_key_file,
                                                        ctx.config.storage.pseudonym_key_env);
  if (!keyed) {
    std::cerr << "smishctl: forget needs the pseudonym key smishd uses: " << keyed.error().detail << "\n";
    return kUsage;
  }
  const std::string pseudonym = keyed->pseudonym(e164);
  const std::string actor = args.get("actor").value_or(default_actor());
  auto written = run_write(
      ctx, core::Json{{"op", "forget"}, {"pseudonym", pseudonym}, {"actor", actor}}, std::chrono::minutes(10),
      [&](storage::Store& store) -> core::Result<core::Json> {
        auto res = forget_reporter(store, pseudonym, actor, Writer{static_cast<std::int64_t>(::geteuid()), "direct"},
                                   core::to_unix_ms(core::SystemClock::instance().now()));
        if (!res) return res.error();
        return to_json(*res);
      },
      "forget");
  if (!written) return kUsage;
  const auto r = forget_result_from_json(written->result);
  const std::string shown = core::redact_number(e164);
  if (ctx.json) {
    auto j = to_json(r);
    j["reporter"] = shown;
    j["via"] = written->via;
    std::cout << j.dump() << "\n";
  } else if (r.found()) {
    std::cout << fmt::format("forgot reporter {}: {} reports, {} indicators updated, {} counters, {} conversations, "
                             "{} unsent replies, {} unprocessed messages  [audit #{}, via {}]\n",
                             shown, r.reports, r.indicators, r.counters, r.conversations, r.replies, r.pending,
                             r.audit_seq, written->via);
  } else {
    std::cout << fmt::format("nothing stored for reporter {} (via {})\n", shown, written->via);
  }
  if (!ctx.json)
    std::cout << fmt::format("rescan: {} records of every column family read, {} still hold the reporter's pseudonym\n",
                             r.scanned, r.remaining);
  if (r.remaining != 0) {
    std::cerr << "smishctl: forget: " << r.remaining << " records still hold the pseudonym: not forgotten\n";
    return kUsage;
  }
  return r.found() ? kFound : kNotFound;
}

}  // namespace smish::app
