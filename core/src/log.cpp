// Structured log lines on stderr.
#include "smish/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "smish/core/clock.hpp"

namespace smish::core {
namespace {

std::atomic<LogLevel> g_level{LogLevel::Info};
std::atomic<LogFormat> g_format{LogFormat::KeyValue};
std::atomic<bool> g_content{false};
std::mutex g_mutex;

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += c;
    }
  }
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
    case LogLevel::Off: return "off";
  }
  return "unknown";
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error, LogLevel::Off}) {
    if (to_string(l) == text) { out = l; return true; }
  }
  return false;
}

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }
void set_log_format(LogFormat format) { g_format = format; }
void set_log_content(bool on) { g_content = on; }
bool log_content() { return g_content; }

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < g_level.load() || g_level.load() == LogLevel::Off) return;
  std::string line;
  line.reserve(128);
  const std::string ts = format_utc(to_unix_ms(std::chrono::system_clock::now()));
  if (g_format.load() == LogFormat::Json) {
    line += "{\"ts\":\"" + ts + "\",\"level\":\"" + std::string(to_string(level)) + "\",\"event\":\"";
    append_escaped(line, event);
    line += '"';
    for (const auto& f : fields) {
      line += ",\"";
      append_escaped(line, f.key);
      line += "\":\"";
      append_escaped(line, f.value);
      line += '"';
    }
    line += "}\n";
  } else {
    line += "ts=" + ts + " level=" + std::string(to_string(level)) + " event=";
    line += event;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      if (needs_quotes(f.value)) {
        line += '"';
        append_escaped(line, f.value);
        line += '"';
      } else {
        line += f.value;
      }
    }
    line += '\n';
  }
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string redact_number(std::string_view number) {
  if (g_content.load()) return std::string(number);
  std::string out(number);
  std::size_t hidden = 0;
  for (std::size_t i = out.size(); i-- > 0 && hidden < 4;) {
    if (out[i] >= '0' && out[i] <= '9') { out[i] = '*'; ++hidden; }
  }
  return out;
}

}  // namespace smish::core
