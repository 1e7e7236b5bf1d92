// Reporter pseudonyms with OpenSSL HMAC-SHA-256.
#include "smish/storage/pseudonym.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "smish/core/json.hpp"

namespace smish::storage {

// Below 128 bits a key could be guessed; RFC 2104 §3 recommends at least the hash output length.
constexpr std::size_t kMinKeyBytes = 16;

core::Result<Pseudonymizer> Pseudonymizer::create(std::string key) {
  if (key.size() < kMinKeyBytes)
    return core::make_error(core::ErrorCode::InvalidArgument,
                            "pseudonym key is shorter than 16 octets");
  return Pseudonymizer(std::move(key));
}

core::Result<Pseudonymizer> Pseudonymizer::from_file_or_env(const std::string& file, const std::string& env) {
  std::string key;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::make_error(core::ErrorCode::IoError, "cannot read pseudonym key file " + file);
    std::ostringstream ss;
    ss << in.rdbuf();
    key = ss.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() < kMinKeyBytes)
      return core::make_error(core::ErrorCode::InvalidArgument,
                              "pseudonym key file " + file + " holds fewer than 16 octets");
  } else {
    const char* value = env.empty() ? nullptr : std::getenv(env.c_str());
    if (value == nullptr)
      return core::make_error(core::ErrorCode::InvalidArgument,
                              "no pseudonym key: set storage.pseudonym_key_file or the environment variable " +
                                  (env.empty() ? std::string("(none configured)") : env));
    key = value;
    if (key.size() < kMinKeyBytes)
      return core::make_error(core::ErrorCode::InvalidArgument,
                              "pseudonym key in " + env + " is shorter than 16 octets");
  }
  return Pseudonymizer(std::move(key));
}

std::string Pseudonymizer::pseudonym(std::string_view number) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(number.data()), number.size(), md, &len);
  // 128 bits: collisions stay negligible for billions of reporters, and keys stay short.
  return "p:" + core::to_hex(std::string_view(reinterpret_cast<const char*>(md), 16));
}

}  // namespace smish::storage
