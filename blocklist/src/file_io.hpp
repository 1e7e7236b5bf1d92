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
  /// Appends `s`; a large `s` is written directly (after what is buffered), without a copy.
  void append(std::string_view s);
  void flush_if_full() {
    if (buf_.size() >= kFlushAt) flush();
  }
  /// From now on, starts the disk writes of what is written as it goes (sync_file_range(2)),
  /// beginning with what is already written, and keeps at most kWritebackLag bytes in flight, so
  /// that writeback overlaps rendering and finish()'s fsync only waits for the tail. Without it
  /// the data stays in the page cache until finish() (cheap when the file is then discarded).
  void start_writeback();
  /// Flushes what is buffered; then sha256() and bytes() are final and nothing more may be
  /// appended. The file is neither fsynced nor closed.
  void seal();
  /// seal(), then fsyncs and closes the file.
  core::Status finish();
  /// Closes the file without fsync: its name was taken over (link_over) or it is discarded.
  void abandon();
  const std::string& sha256() const { return sha256_; }
  std::uint64_t bytes() const { return bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  // One write(2) per MiB: few system calls, a bounded buffer per format.
  static constexpr std::size_t kFlushAt = 1 << 20;
  // Bytes whose writeback may still be running before the writer waits for the oldest: enough to
  // keep the disk queue full, few enough that the page cache never throttles the process.
  static constexpr std::uint64_t kWritebackLag = 16u << 20;
  void flush();
  void emit(std::string_view data);  // hash and write
  void write_back(std::uint64_t end);

  std::filesystem::path path_;
  bool streaming_ = false;
  std::uint64_t kicked_ = 0;   // writeback started for [0, kicked_)
  std::uint64_t waited_ = 0;   // writeback waited for on [0, waited_)
  bool sealed_ = false;
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
/// Makes `path` a hard link to `existing` (replacing what `path` names, atomically), provided
/// `existing` is a regular file (not a symlink) of `bytes` octets. False, and `path` untouched,
/// otherwise. The export links files equal to the current serial's instead of writing them again.
bool link_over(const std::filesystem::path& existing, std::uint64_t bytes, const std::filesystem::path& path);
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
