// Test helpers.
#include "support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "smish/core/json.hpp"

namespace smish::test {

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() / ("smish-test-" + std::to_string(rd()));
    std::error_code ec;
    if (std::filesystem::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
  }
  FAIL("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string hex(std::string_view text) {
  auto bytes = core::from_hex(text);
  REQUIRE_MESSAGE(bytes.has_value(), "bad hex in test: ", text);
  return *bytes;
}

std::filesystem::path source_dir() { return SMISH_SOURCE_DIR; }
std::filesystem::path binary_dir() { return SMISH_BINARY_DIR; }
std::filesystem::path shared_dir() { return SMISH_SHARED_DIR; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read ", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace smish::test
