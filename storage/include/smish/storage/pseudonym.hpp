// Reporter pseudonyms: HMAC-SHA-256 of the E.164 number under a key kept outside the database.
#pragma once

#include <string>
#include <string_view>

#include "smish/core/result.hpp"

namespace smish::storage {

/// Keyed hash of reporter numbers (OpenSSL HMAC-SHA-256). Thread-safe.
class Pseudonymizer {
 public:
  /// `key` must be at least 16 octets.
  static core::Result<Pseudonymizer> create(std::string key);
  /// Loads the key from `file` when non-empty (trailing newline stripped), else from env var `env`.
  /// The error names the file or the variable, never the key.
  static core::Result<Pseudonymizer> from_file_or_env(const std::string& file, const std::string& env);

  /// Lowercase hex of HMAC-SHA-256(key, number), truncated to 128 bits ("p:" + 32 hex digits).
  std::string pseudonym(std::string_view number) const;

  /// Seals `plain` with AES-256-GCM under a key derived from the pseudonym key (HMAC-SHA-256 of a
  /// fixed label): nonce || ciphertext || tag. For the reply outbox, which must survive a restart
  /// but must not hold a reporter's number in the clear.
  std::string seal(std::string_view plain) const;
  /// Opens what seal() made; Corruption when it was altered or sealed under another key.
  core::Result<std::string> open(std::string_view sealed) const;

 private:
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace smish::storage
