// What the storage benchmarks share: `--count N` and `--dir DIR` (a temporary directory by default,
// removed by the caller afterwards when own_dir).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smish::bench {

struct CountDirArgs {
  std::uint64_t count = 0;
  std::string base;      ///< the working directory (created)
  bool own_dir = false;  ///< a temporary directory this run made: remove it at the end
};

/// Parses `--count N` and `--dir DIR`; prints the usage of `name` and returns nullopt on anything else.
inline std::optional<CountDirArgs> parse_count_dir(int argc, char** argv, const char* name, std::uint64_t count) {
  CountDirArgs a;
  a.count = count;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--count" && i + 1 < argc) a.count = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--dir" && i + 1 < argc) a.base = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--count N] [--dir DIR]\n", name);
      return std::nullopt;
    }
  }
  a.own_dir = a.base.empty();
  if (a.own_dir)
    a.base = (std::filesystem::temp_directory_path() / fmt::format("{}-{}", name, ::getpid())).string();
  std::filesystem::create_directories(a.base);
  return a;
}

}  // namespace smish::bench
