// The libsodium calls behind token generation, hashing, comparison and Argon2id (docs/security.md).

#include "auth/secrets.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace phonechat {
namespace {

constexpr std::size_t kTokenBytes = 32;

// libsodium must be initialised before first use; a function-local static makes that happen once, thread-safely.
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

const unsigned char* Bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

}  // namespace

std::string GenerateToken() {
  EnsureSodium();
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<unsigned char, kTokenBytes> random{};
  std::string token(sodium_base64_ENCODED_LEN(kTokenBytes, kVariant), '\0');
  // Drawn again (1 time in 64) rather than altered, so that every token left is equally likely.
  do {
    randombytes_buf(random.data(), random.size());
    sodium_bin2base64(token.data(), token.size(), random.data(), random.size(), kVariant);
  } while (token.front() == '-');
  token.resize(std::char_traits<char>::length(token.c_str()));  // the encoded length counts the terminator
  sodium_memzero(random.data(), random.size());
  return token;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  EnsureSodium();
  std::string decoded(text.size() / 4 * 3 + 3, '\0');
  // Padding is required by RFC 7617 but some clients leave it out; both spellings decode to the same bytes.
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), text.data(), text.size(),
                          nullptr, &length, &end, variant) == 0 &&
        end == text.data() + text.size()) {
      decoded.resize(length);
      return decoded;
    }
  }
  return std::nullopt;
}

std::string Sha256(std::string_view secret) {
  EnsureSodium();
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()), Bytes(secret), secret.size());
  return digest;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HashPassword(std::string_view password) {
  EnsureSodium();
  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  if (crypto_pwhash_str_alg(encoded.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  EnsureSodium();
  // libsodium wants a NUL-terminated hash; anything that cannot fit its buffer is not one of ours.
  if (encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::array<char, crypto_pwhash_STRBYTES> terminated{};
  encoded_hash.copy(terminated.data(), encoded_hash.size());
  return crypto_pwhash_str_verify(terminated.data(), password.data(), password.size()) == 0;
}

bool IsPasswordHash(std::string_view encoded_hash) {
  EnsureSodium();
  if (encoded_hash.size() >= crypto_pwhash_STRBYTES || !encoded_hash.starts_with("$argon2id$")) return false;
  if (encoded_hash.find('\0') != std::string_view::npos) return false;
  std::array<char, crypto_pwhash_STRBYTES> terminated{};
  encoded_hash.copy(terminated.data(), encoded_hash.size());
  // Decodes the whole string (parameters, salt, hash); -1 when it is not a well-formed Argon2id hash.
  return crypto_pwhash_str_needs_rehash(terminated.data(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1;
}

}  // namespace phonechat
