// Structured logs: one line per event, key=value or JSON, levels, and no content at info.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "smish/core/json.hpp"
#include "smish/core/log.hpp"
#include "support.hpp"

namespace {

using namespace smish;

/// Runs `fn` with stderr redirected to a file (the real file descriptor 2), returns what was written.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  test::TempDir dir;
  const auto path = (dir.path() / "stderr.txt").string();
  std::fflush(stderr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  std::FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  ::dup2(::fileno(f), 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(f);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

/// Restores the process-wide settings after each test case.
struct LogDefaults {
  ~LogDefaults() {
    core::set_log_level(core::LogLevel::Info);
    core::set_log_format(core::LogFormat::KeyValue);
    core::set_log_content(false);
  }
};

}  // namespace

TEST_CASE("key=value: one line per event, values with spaces, quotes and newlines escaped") {
  LogDefaults restore;
  core::set_log_format(core::LogFormat::KeyValue);
  const auto out = capture_stderr([] {
    core::log_info("smpp_bound", {{"smsc", "main"}, {"bind", 0}, {"seq", 42}});
    core::log_warn("odd_value", {{"detail", "two words \"quoted\"\nsecond line"}, {"empty", ""}});
  });
  const auto l = lines(out);
  REQUIRE(l.size() == 2);
  CHECK(l[0].starts_with("ts="));
  CHECK(l[0].find(" level=info event=smpp_bound smsc=main bind=0 seq=42") != std::string::npos);
  CHECK(l[1].find(" level=warn event=odd_value detail=\"two words \\\"quoted\\\"\\nsecond line\" empty=\"\"") !=
        std::string::npos);
}

TEST_CASE("JSON: every line is one JSON object with ts, level, event and the fields") {
  LogDefaults restore;
  core::set_log_format(core::LogFormat::Json);
  const auto out = capture_stderr([] {
    core::log_error("store_inbound_failed", {{"segments", 3}, {"error", "disk \"full\"\n"}});
  });
  const auto l = lines(out);
  REQUIRE(l.size() == 1);
  const auto j = core::Json::parse(l[0]);
  CHECK(j["level"] == "error");
  CHECK(j["event"] == "store_inbound_failed");
  CHECK(j["segments"] == "3");
  CHECK(j["error"] == "disk \"full\"\n");
  CHECK(j["ts"].get<std::string>().size() >= 20);
}

TEST_CASE("levels: below the configured level nothing is written; off writes nothing") {
  LogDefaults restore;
  core::set_log_level(core::LogLevel::Warn);
  auto out = capture_stderr([] {
    core::log_debug("d");
    core::log_info("i");
    core::log_warn("w");
    core::log_error("e");
  });
  auto l = lines(out);
  REQUIRE(l.size() == 2);
  CHECK(l[0].find("event=w") != std::string::npos);
  CHECK(l[1].find("event=e") != std::string::npos);
  core::set_log_level(core::LogLevel::Off);
  out = capture_stderr([] { core::log_error("e"); });
  CHECK(out.empty());
  core::LogLevel parsed{};
  CHECK(core::parse_log_level("debug", parsed));
  CHECK(parsed == core::LogLevel::Debug);
  CHECK_FALSE(core::parse_log_level("verbose", parsed));
}

TEST_CASE("numbers are redacted unless content logging is switched on for debugging") {
  LogDefaults restore;
  CHECK_FALSE(core::log_content());  // off by default
  CHECK(core::redact_number("+37120001234") == "+3712000****");
  CHECK(core::redact_number("12250") == "1****");
  CHECK(core::redact_number("Tele2") == "Tele*");  // a sender ID keeps its letters, digits go
  core::set_log_content(true);
  CHECK(core::redact_number("+37120001234") == "+37120001234");
}
