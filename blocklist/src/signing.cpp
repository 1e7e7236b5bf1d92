// Ed25519 through OpenSSL 3's EVP_DigestSign with no digest (PureEdDSA), keys from PEM files.
#include "smish/blocklist/signing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <array>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "smish/core/json.hpp"

namespace smish::blocklist {
namespace {

using core::ErrorCode;
using core::make_error;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

}  // namespace

struct Signer::Key {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

core::Result<Signer> Signer::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::IoError, "signing key " + path + ": cannot read");
  if ((st.st_mode & S_IROTH) != 0)
    return make_error(ErrorCode::InvalidArgument, "signing key " + path + ": readable by every user (chmod o-r)");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return make_error(ErrorCode::IoError, "signing key " + path + ": cannot open");
  auto key = std::make_shared<Key>();
  key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key->pkey) return make_error(ErrorCode::InvalidArgument, "signing key " + path + ": not a PEM private key");
  if (EVP_PKEY_get_id(key->pkey.get()) != EVP_PKEY_ED25519)
    return make_error(ErrorCode::InvalidArgument, "signing key " + path + ": not an Ed25519 key");
  return Signer(std::move(key));
}

core::Result<std::string> Signer::sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');  // RFC 8032 §5.1.6: 64 octets
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64)
    return make_error(ErrorCode::Internal, "Ed25519 signing failed");
  return sig;
}

std::string Signer::public_key_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_->pkey.get()) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string Signer::public_key_sha256() const {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key_->pkey.get(), &der);
  if (n <= 0) return "";
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(der, static_cast<std::size_t>(n), md.data(), &len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return core::to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

core::Status generate_signing_key(const std::string& path) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!pkey || !bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(ErrorCode::Internal, "Ed25519 key generation failed");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::IoError, "create " + path + ": " + std::strerror(errno));
  const bool ok = n > 0 && ::write(fd, data, static_cast<std::size_t>(n)) == n;
  if (::close(fd) != 0 || !ok) return make_error(ErrorCode::IoError, "write " + path);
  return {};
}

bool verify_ed25519(std::string_view public_key_pem, std::string_view message, std::string_view signature) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  if (!bio) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

}  // namespace smish::blocklist
