// Structured logging: one line per event, key=value (or JSON), naming its subject. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smish::core {

enum class LogLevel { Debug, Info, Warn, Error, Off };
enum class LogFormat { KeyValue, Json };

std::string_view to_string(LogLevel level);
/// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_log_level(std::string_view text, LogLevel& out);

struct LogField {
  std::string_view key;
  std::string value;
  template <typename T>
  LogField(std::string_view k, const T& v) : key(k), value(fmt::format("{}", v)) {}
};

/// Process-wide settings; set once at start-up (and on reload) from the config.
void set_log_level(LogLevel level);
LogLevel log_level();
void set_log_format(LogFormat format);
/// Message text and full numbers are logged only when this is on (debugging). Default: off.
void set_log_content(bool on);
bool log_content();

/// Writes `ts=… level=… event=… k=v …` to stderr when `level` is enabled.
void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

inline void log_debug(std::string_view e, std::initializer_list<LogField> f = {}) { log(LogLevel::Debug, e, f); }
inline void log_info(std::string_view e, std::initializer_list<LogField> f = {}) { log(LogLevel::Info, e, f); }
inline void log_warn(std::string_view e, std::initializer_list<LogField> f = {}) { log(LogLevel::Warn, e, f); }
inline void log_error(std::string_view e, std::initializer_list<LogField> f = {}) { log(LogLevel::Error, e, f); }

/// A number safe to log at info: the last 4 digits replaced ("+3712000****"), unless content
/// logging is on.
std::string redact_number(std::string_view number);

}  // namespace smish::core
