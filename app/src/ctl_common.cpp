// smishctl helpers shared by the commands: durations and times as analysts write them.
#include <charconv>

#include "ctl_common.hpp"

namespace smish::app {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit_ms = 1000;
  switch (text.back()) {
    case 's': unit_ms = 1000; break;
    case 'm': unit_ms = 60 * 1000; break;
    case 'h': unit_ms = 3600 * 1000; break;
    case 'd': unit_ms = 24 * 3600 * 1000; break;
    case 'w': unit_ms = 7 * 24 * 3600 * 1000LL; break;
    default: unit_ms = 0;
  }
  if (unit_ms) text.remove_suffix(1);
  else unit_ms = 1000;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  // At most 100 years: beyond it a duration is a typo.
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n < 0 || n > 36500LL * 24 * 3600)
    return std::nullopt;
  return n * unit_ms;
}

}  // namespace smish::app
