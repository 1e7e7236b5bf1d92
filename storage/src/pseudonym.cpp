// Reporter pseudonyms with OpenSSL HMAC-SHA-256.
#include "smish/storage/pseudonym.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

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

namespace {

constexpr std::size_t kNonceBytes = 12;  // NIST SP 800-38D §8.2: 96-bit IVs for GCM
constexpr std::size_t kTagBytes = 16;

std::string derive_seal_key(const std::string& key) {
  static constexpr std::string_view kLabel = "smishd outbox seal v1";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(kLabel.data()),
       kLabel.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), 32);
}

}  // namespace

std::string Pseudonymizer::seal(std::string_view plain) const {
  const std::string k = derive_seal_key(key_);
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  RAND_bytes(o, kNonceBytes);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(k.data()), o);
  EVP_EncryptUpdate(ctx, o + kNonceBytes, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx, o + kNonceBytes + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, o + kNonceBytes + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

core::Result<std::string> Pseudonymizer::open(std::string_view sealed) const {
  if (sealed.size() < kNonceBytes + kTagBytes)
    return core::make_error(core::ErrorCode::Corruption, "sealed value too short");
  const std::string k = derive_seal_key(key_);
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(k.data()), in);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, in + kNonceBytes, static_cast<int>(n));
  std::string tag(reinterpret_cast<const char*>(in + kNonceBytes + n), kTagBytes);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  const int ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &len);
  EVP_CIPHER_CTX_free(ctx);
  if (ok != 1) return core::make_error(core::ErrorCode::Corruption, "sealed value fails authentication");
  return out;
}

}  // namespace smish::storage
