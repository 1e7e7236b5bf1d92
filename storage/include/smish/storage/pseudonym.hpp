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

 private:
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace smish::storage
