#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace phonechat {
namespace {

std::string Hex(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0F]);
  }
  return hex;
}

TEST(GenerateToken, Is43Base64UrlCharactersWithoutPadding) {
  const auto token = GenerateToken();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes = 256 bits
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
}

TEST(GenerateToken, EveryTokenIsNew) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(GenerateToken());
  EXPECT_EQ(tokens.size(), 100u);
}

TEST(Sha256, MatchesTheFips180TestVectors) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, IsThirtyTwoRawBytesAndHashesEmbeddedZeros) {
  EXPECT_EQ(Sha256("token").size(), 32u);
  EXPECT_NE(Sha256(std::string("a\0b", 3)), Sha256("a"));
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret "));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(HashPassword, ProducesAnArgon2idHashThatVerifiesOnlyTheSamePassword) {
  const auto hash = HashPassword("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse "));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(HashPassword, SaltsEveryHash) { EXPECT_NE(HashPassword("same"), HashPassword("same")); }

TEST(VerifyPassword, RejectsMalformedHashes) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("not a hash", "x"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, '$'), "x"));
}

}  // namespace
}  // namespace phonechat
