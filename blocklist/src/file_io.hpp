// File plumbing of the export: buffered hashing writers, fsync, serial directories, symlink swaps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smish/core/result.hpp"

namespace smish::blocklist::io {

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  /// The lowercase hex digest; the hasher is spent afterwards.
  std::string finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

/// Writes one new file through a buffer, hashing what it writes. The first error is latched and
/// reported by finish(), so that the rendering loop appends without checking each call.
class FileWriter {
 public:
  FileWriter() = default;
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  /// Creates `path` (it must not exist). A disabled writer (dry run) hashes and writes nothing.
  core::Status open(const std::filesystem::path& path, bool enabled = true);
  /// The buffer to append to; call flush_if_full() after appending.
  std::string& buf() { return buf_; }
  void append(std::string_view s) {
    buf_.append(s);
    flush_if_full();
  }
  void flush_if_full() {
    if (buf_.size() >= kFlushAt) flush();
  }
  /// Flushes, fsyncs and closes; then sha256() and bytes() are final.
  core::Status finish();
  const std::string& sha256() const { return sha256_; }
  std::uint64_t bytes() const { return bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  // One write(2) per MiB: few system calls, a bounded buffer per format.
  static constexpr std::size_t kFlushAt = 1 << 20;
  void flush();

  std::filesystem::path path_;
  int fd_ = -1;
  bool enabled_ = false;
  std::string buf_;
  std::unique_ptr<Sha256> hash_;
  std::string sha256_;
  std::uint64_t bytes_ = 0;
  std::string error_;
};

/// Writes `content` to a new file `path` and fsyncs it.
core::Status write_new_file(const std::filesystem::path& path, std::string_view content);
/// fsync of a directory (makes renames and creations in it durable).
core::Status fsync_dir(const std::filesystem::path& dir);
/// Whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);
/// Points `link` at `target` atomically: a temporary symlink renamed over it.
core::Status replace_symlink(const std::filesystem::path& link, const std::string& target);
/// The serial directories under out_dir/serials, ascending.
std::vector<std::uint64_t> list_serials(const std::filesystem::path& out_dir);
/// The serial out_dir/current points to (its link text "serials/<N>"), 0 when none.
std::uint64_t current_serial(const std::filesystem::path& out_dir);
/// Parses a decimal serial; nullopt unless all digits and non-zero.
std::optional<std::uint64_t> parse_serial(std::string_view text);

}  // namespace smish::blocklist::io
