// Ed25519 signatures over export manifests (OpenSSL 3), verifiable with the openssl command line.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "smish/core/result.hpp"

namespace smish::blocklist {

/// An Ed25519 private key loaded from a PEM file (`openssl genpkey -algorithm ed25519`).
/// Immutable after load; sign() may be called from any thread.
class Signer {
 public:
  /// Loads the key. Errors: the file cannot be read, is readable by every user (mode o+r), is not
  /// PEM, or holds another key type. The key material is never logged.
  static core::Result<Signer> load(const std::string& path);

  /// The 64-octet Ed25519 signature (RFC 8032 §5.1.6, PureEdDSA: the message itself is signed,
  /// no pre-hash) of `message`.
  core::Result<std::string> sign(std::string_view message) const;

  /// The public key as PEM (SubjectPublicKeyInfo), what consumers verify with.
  std::string public_key_pem() const;
  /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: names the key in the manifest.
  std::string public_key_sha256() const;

 private:
  struct Key;
  explicit Signer(std::shared_ptr<Key> key) : key_(std::move(key)) {}
  std::shared_ptr<Key> key_;
};

/// Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) to `path`, which must not exist.
/// What `openssl genpkey -algorithm ed25519 -out PATH` does.
core::Status generate_signing_key(const std::string& path);

/// True when `signature` is a valid Ed25519 signature of `message` under the PEM public key.
bool verify_ed25519(std::string_view public_key_pem, std::string_view message, std::string_view signature);

}  // namespace smish::blocklist
