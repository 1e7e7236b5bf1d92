// File plumbing of the export: buffered hashing writers, fsync, serial directories, symlink swaps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <future>
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
  /// From now on, writes go to the disk as they are made, so that finish()'s fsync only waits for
  /// the tail; what is already written starts its writeback (sync_file_range(2)). Where the file
  /// system takes O_DIRECT, the rest bypasses the page cache (aligned writes of kDirectChunk from
  /// a buffer of the writer's, the unaligned head and tail through the page cache); elsewhere
  /// writeback follows the writes, at most kWritebackLag bytes behind. Without this call the data
  /// stays in the page cache until finish() (cheap when the file is then discarded).
  void start_writeback();
  /// True once writes bypass the page cache (start_writeback() on a file system with O_DIRECT).
  bool direct() const { return direct_; }
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
  // Direct writes: a multiple of the largest logical block size in use (4 KiB), in buffer address,
  // length and file offset; a few MiB each, so the writes are few and the disk queue busy.
  static constexpr std::size_t kDirectAlign = 4096;
  static constexpr std::size_t kDirectChunk = 4u << 20;
  struct FreeAligned {
    void operator()(char* p) const;
  };
  void flush();
  void emit(std::string_view data);  // hash and write
  void write_back(std::uint64_t end);
  bool write_at(int fd, const char* data, std::size_t size);  // at file_off_; latches the error
  void write_staged(bool last);                               // the aligned part of stage_ (all when last)
  bool wait_direct();                                         // for the write in flight; false on its error

  std::filesystem::path path_;
  bool streaming_ = false;
  std::uint64_t kicked_ = 0;   // writeback started for [0, kicked_)
  std::uint64_t waited_ = 0;   // writeback waited for on [0, waited_)
  bool sealed_ = false;
  int fd_ = -1;
  int direct_fd_ = -1;         // the same file opened with O_DIRECT
  bool direct_ = false;
  std::unique_ptr<char, FreeAligned> stage_;  // kDirectChunk, kDirectAlign-aligned
  std::unique_ptr<char, FreeAligned> spare_;  // the same, written in the background meanwhile
  std::future<std::string> in_flight_;        // that write: "" or its error
  std::size_t staged_ = 0;     // bytes in stage_, to go at file_off_
  std::uint64_t file_off_ = 0; // bytes in the file
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
