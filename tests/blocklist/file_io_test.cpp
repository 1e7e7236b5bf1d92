// The export's file writer: what it writes is what was appended, whether the bytes went through
// the page cache, O_DIRECT, or both, and wherever the switch fell.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "../../blocklist/src/file_io.hpp"
#include "support.hpp"

using namespace smish;
namespace io = smish::blocklist::io;

namespace {

/// Deterministic bytes that differ at every offset within a few MiB (a misplaced block shows).
std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

/// Whether `dir`'s file system opens files with O_DIRECT (tmpfs does not).
bool takes_o_direct(const std::filesystem::path& dir) {
  const auto probe = dir / ".odirect-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

}  // namespace

TEST_SUITE("blocklist: file writer") {
  TEST_CASE("appended pieces come back byte for byte and hashed, wherever writeback and direct writes begin") {
    test::TempDir dir;
    const bool direct_here = takes_o_direct(dir.path());
    // Piece sizes around the 4 KiB alignment, the 1 MiB buffer and the 4 MiB direct chunk.
    const std::vector<std::size_t> pieces = {1, 4095, 3, 4097, 100, (1u << 20) + 7, 4096, 13, (5u << 20) + 1, 511, 4096 * 3};
    // Where start_writeback() is called: before anything, after a few unaligned bytes, after the
    // buffer's first flush, and never (the page cache only).
    const std::vector<std::size_t> switch_after = {0, 2, 6, pieces.size()};
    int round = 0;
    for (const std::size_t at : switch_after) {
      CAPTURE(at);
      const auto path = dir.path() / ("f" + std::to_string(round++));
      io::FileWriter w;
      REQUIRE(w.open(path));
      std::string expected;
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (i == at) w.start_writeback();
        const std::string piece = pattern(pieces[i], static_cast<std::uint32_t>(i + 7 * round));
        if (i % 2 == 0) {
          w.append(piece);
        } else {  // through the buffer, as the STIX tail is written
          w.buf() += piece;
          w.flush_if_full();
        }
        expected += piece;
      }
      CHECK(w.direct() == (direct_here && at < pieces.size()));
      REQUIRE(w.finish());
      CHECK(w.bytes() == expected.size());
      CHECK(w.sha256() == io::sha256_hex(expected));
      const auto back = io::read_file(path);
      REQUIRE(back);
      CHECK(back->size() == expected.size());
      CHECK(*back == expected);
    }
  }

  TEST_CASE("a file shorter than one block and an empty file, written direct, are complete") {
    test::TempDir dir;
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{4097}}) {
      CAPTURE(n);
      const auto path = dir.path() / ("s" + std::to_string(n));
      io::FileWriter w;
      REQUIRE(w.open(path));
      w.start_writeback();
      const std::string content = pattern(n, 3);
      w.append(content);
      REQUIRE(w.finish());
      CHECK(io::read_file(path) == content);
      CHECK(w.sha256() == io::sha256_hex(content));
    }
  }

  TEST_CASE("an abandoned direct writer leaves the bytes written so far, hashed") {
    test::TempDir dir;
    const auto path = dir.path() / "a";
    io::FileWriter w;
    REQUIRE(w.open(path));
    w.start_writeback();
    const std::string content = pattern((4u << 20) + 4100, 11);
    w.append(content);
    w.abandon();
    CHECK(w.sha256() == io::sha256_hex(content));
    CHECK(io::read_file(path) == content);
  }
}
