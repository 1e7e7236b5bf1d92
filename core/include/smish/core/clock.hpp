// Injected time, so that retention, windows and expiry are testable.
#pragma once

#include <chrono>
#include <cstdint>

namespace smish::core {

using SysTime = std::chrono::system_clock::time_point;

/// Wall-clock source. Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime now() const = 0;
};

/// The real system clock.
class SystemClock final : public Clock {
 public:
  SysTime now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance();
};

/// Milliseconds since the Unix epoch.
inline std::int64_t to_unix_ms(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline SysTime from_unix_ms(std::int64_t ms) { return SysTime{std::chrono::milliseconds{ms}}; }

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-22T02:28:53.120Z.
std::string format_utc(std::int64_t unix_ms);

}  // namespace smish::core
