// Test helpers: temporary directories, hex, a fake clock, paths to the source tree and datasets.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "smish/core/clock.hpp"

namespace smish::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Hex (whitespace ignored) to bytes; aborts the test on bad input.
std::string hex(std::string_view text);

/// A clock that moves only when told to.
class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(std::int64_t unix_ms = 1'763'769'600'000) : ms_(unix_ms) {}  // 2025-11-22T00:00Z
  core::SysTime now() const override { return core::from_unix_ms(ms_.load()); }
  void advance_ms(std::int64_t ms) { ms_ += ms; }
  void set_ms(std::int64_t ms) { ms_ = ms; }

 private:
  std::atomic<std::int64_t> ms_;
};

/// The project source tree, the build tree and ../shared (datasets).
std::filesystem::path source_dir();
std::filesystem::path binary_dir();
std::filesystem::path shared_dir();

/// Whole file as a string; aborts the test when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace smish::test
